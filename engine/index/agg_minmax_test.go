package index

import (
	"math"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

func TestMinMaxAggregators(t *testing.T) {
	tests := []struct {
		typ     string
		a, b    []in // two spills
		wantA   float64
		wantAll float64
	}{
		{"longMin", ins(5, 3, nil), ins(4, 1), 3, 1},
		{"longMax", ins(5, 3, "9"), ins(4, 1), 9, 9},
		{"longMin", nil, ins(2), math.MaxInt64, 2},
		{"longMax", nil, nil, math.MinInt64, math.MinInt64},
		{"doubleMin", ins(0.5, -1.5), ins(2.0), -1.5, -1.5},
		{"doubleMax", ins(0.5, -1.5), ins(2.0), 0.5, 2},
		{"doubleMax", nil, ins(2.0), math.Inf(-1), 2},
		{"floatMin", ins(0.1, 0.3), ins(0.2), float64(float32(0.1)), float64(float32(0.1))},
		{"floatMax", ins(0.1, 0.3), ins(0.7), float64(float32(0.3)), float64(float32(0.7))},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			a := spec.Aggregator{Type: tc.typ, Name: "m", FieldName: "v"}
			mv, _ := aggregate(t, a, tc.a)
			all := combined(t, a, tc.a, tc.b)
			got, gotAll := mv.Double, all.Double
			if tc.typ[0] == 'l' {
				got, gotAll = float64(mv.Long), float64(all.Long)
			}
			if got != tc.wantA || gotAll != tc.wantAll {
				t.Fatalf("got %v, combined %v; want %v, %v", got, gotAll, tc.wantA, tc.wantAll)
			}
		})
	}
}
