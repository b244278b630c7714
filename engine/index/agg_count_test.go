package index

import (
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

func TestCountAggregator(t *testing.T) {
	tests := []struct {
		name   string
		inputs []in
		want   int64
	}{
		{"none", nil, 0},
		{"three", ins(1, nil, "x"), 3},
	}
	a := spec.Aggregator{Type: "count", Name: "c"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mv, bad := aggregate(t, a, tc.inputs)
			if mv.Long != tc.want || bad != 0 {
				t.Fatalf("got %d (bad %d), want %d", mv.Long, bad, tc.want)
			}
			if s := newCount(&a).schema(); s.Type != segment.TypeLong || s.Name != "c" || len(s.Aggregator) == 0 {
				t.Fatalf("schema %+v", s)
			}
			if c := combined(t, a, tc.inputs, tc.inputs); c.Long != 2*tc.want {
				t.Fatalf("combined %d", c.Long)
			}
		})
	}
}
