package index

import (
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// in is one aggregator input: the row time and the row.
type in struct {
	t int64
	r *fakeRow
}

// aggregate runs a fresh aggregator for a over inputs into one row and
// returns the stored value and how many inputs were flagged unparseable.
func aggregate(t *testing.T, a spec.Aggregator, inputs []in) (segment.MetricValue, int) {
	t.Helper()
	agg, err := newAggregator(&a, CompileFilter)
	if err != nil {
		t.Fatalf("newAggregator(%+v): %v", a, err)
	}
	agg.grow()
	agg.grow() // row 1 is used, so state is really per row
	bad := 0
	for _, x := range inputs {
		if agg.add(1, x.t, x.r) {
			bad++
		}
	}
	var mv segment.MetricValue
	agg.value(1, &mv)
	return mv, bad
}

// combined aggregates a over each part separately and combines the stored
// values in order, as a merge of spills does.
func combined(t *testing.T, a spec.Aggregator, parts ...[]in) segment.MetricValue {
	t.Helper()
	agg, err := newAggregator(&a, combineOnly)
	if err != nil {
		t.Fatal(err)
	}
	var acc segment.MetricValue
	for i, p := range parts {
		mv, _ := aggregate(t, a, p)
		if i == 0 {
			acc = mv
			continue
		}
		agg.combine(&acc, &mv)
	}
	return acc
}

func vrow(v any) *fakeRow { return row("v", v) }

// ins builds inputs at times 1, 2, 3… with field v set to each value.
func ins(vals ...any) []in {
	out := make([]in, len(vals))
	for i, v := range vals {
		out[i] = in{t: int64(i + 1), r: vrow(v)}
	}
	return out
}
