package index

import (
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

func TestFilteredAggregator(t *testing.T) {
	rows := []in{
		{1, row("c", "us", "v", 1)}, {2, row("c", "fr", "v", 2)}, {3, row("c", nil, "v", 4)},
		{4, row("c", []string{"de", "us"}, "v", 8)},
	}
	sum := &spec.Aggregator{Type: "longSum", Name: "inner", FieldName: "v"}
	tests := []struct {
		name   string
		filter *spec.Filter
		want   int64
	}{
		{"selector", &spec.Filter{Type: "selector", Dimension: "c", Value: "us"}, 1 + 8},
		{"selector null", &spec.Filter{Type: "selector", Dimension: "c"}, 4},
		{"in", &spec.Filter{Type: "in", Dimension: "c", Values: []any{"fr", "de"}}, 2 + 8},
		{"not", &spec.Filter{Type: "not", Field: &spec.Filter{Type: "equals", Column: "v", MatchValueType: "LONG", MatchValue: 1.0}}, 2 + 4 + 8},
		{"and", &spec.Filter{Type: "and", Fields: []*spec.Filter{{Type: "true"}, {Type: "null", Column: "c"}}}, 4},
		{"or", &spec.Filter{Type: "or", Fields: []*spec.Filter{{Type: "false"}, {Type: "selector", Dimension: "c", Value: "fr"}}}, 2},
		{"expression", &spec.Filter{Type: "expression", Expression: "v > 3"}, 4 + 8},
		{"regex", &spec.Filter{Type: "regex", Dimension: "c", Pattern: "^u"}, 1 + 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := spec.Aggregator{Type: "filtered", Name: "f", Filter: tc.filter, Aggregator: sum}
			mv, _ := aggregate(t, a, rows)
			if mv.Long != tc.want {
				t.Fatalf("got %d, want %d", mv.Long, tc.want)
			}
			if c := combined(t, a, rows, rows); c.Long != 2*tc.want {
				t.Fatalf("combined %d", c.Long)
			}
			agg, _ := newAggregator(&a, CompileFilter)
			if s := agg.schema(); s.Name != "f" || s.Type != segment.TypeLong {
				t.Fatalf("schema %+v", s)
			}
		})
	}
	if _, err := newAggregator(&spec.Aggregator{Type: "filtered", Name: "f", Filter: &spec.Filter{Type: "nope"}, Aggregator: sum}, CompileFilter); err == nil {
		t.Fatal("unknown filter type compiled")
	}
}
