package index

import (
	"strconv"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

func TestHLLAggregators(t *testing.T) {
	many := func(prefix string, n int) []in {
		var out []in
		for i := range n {
			out = append(out, in{t: 1, r: row("v", prefix+strconv.Itoa(i), "w", strconv.Itoa(i%3))})
		}
		return out
	}
	tests := []struct {
		name          string
		agg           spec.Aggregator
		a, b          []in
		want, wantAll uint64 // exact for small sets (sparse sketches), ±3% otherwise
	}{
		{"hyperUnique", spec.Aggregator{Type: "hyperUnique", FieldName: "v"}, ins("a", "b", "a", nil), ins("c", "a"), 2, 3},
		{"hyperUnique/multi-value", spec.Aggregator{Type: "hyperUnique", FieldName: "v"}, ins([]string{"a", "b"}, 5), ins("5"), 3, 3},
		{"hyperUnique/many", spec.Aggregator{Type: "hyperUnique", FieldName: "v"}, many("x", 5000), many("y", 5000), 5000, 10000},
		{"cardinality", spec.Aggregator{Type: "cardinality", Fields: []string{"v", "w"}}, many("x", 10), nil, 13, 13},
		{"cardinality/byRow", spec.Aggregator{Type: "cardinality", Fields: []string{"v", "w"}, ByRow: true},
			[]in{{1, row("v", "a", "w", "b")}, {1, row("v", "a", "w", "c")}, {1, row("v", "a", "w", "b")}}, []in{{1, row("v", "a", "w", "d")}}, 2, 3},
		{"cardinality/byRow multi-value order", spec.Aggregator{Type: "cardinality", Fields: []string{"v"}, ByRow: true},
			[]in{{1, row("v", []string{"a", "b"})}, {1, row("v", []string{"b", "a"})}}, nil, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.agg.Name = "m"
			mv, _ := aggregate(t, tc.agg, tc.a)
			all := combined(t, tc.agg, tc.a, tc.b)
			check := func(what string, got, want uint64) {
				t.Helper()
				d := float64(got) - float64(want)
				if (want < 100 && got != want) || d > 0.03*float64(want) || -d > 0.03*float64(want) {
					t.Fatalf("%s: estimate %d, want %d", what, got, want)
				}
			}
			check("single", hllEstimate(mv.Bytes), tc.want)
			check("combined", hllEstimate(all.Bytes), tc.wantAll)
			if s := newHLLMust(t, tc.agg).schema(); s.ComplexType != "hyperUnique" {
				t.Fatalf("schema %+v", s)
			}
		})
	}
}

func newHLLMust(t *testing.T, a spec.Aggregator) *hllAgg {
	h, err := newHLL(&a)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
