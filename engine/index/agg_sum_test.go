package index

import (
	"math"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

func TestSumAggregators(t *testing.T) {
	tests := []struct {
		name     string
		agg      spec.Aggregator
		inputs   []in
		wantL    int64
		wantD    float64
		wantBad  int
		wantType segment.ColumnType
	}{
		{"longSum", spec.Aggregator{Type: "longSum", FieldName: "v"}, ins(1, 2, 3), 6, 0, 0, segment.TypeLong},
		{"longSum/strings", spec.Aggregator{Type: "longSum", FieldName: "v"}, ins("4", "2.9", nil), 6, 0, 0, segment.TypeLong},
		{"longSum/unparseable", spec.Aggregator{Type: "longSum", FieldName: "v"}, ins(1, "abc", []string{"1", "2"}), 1, 0, 2, segment.TypeLong},
		{"longSum/missing", spec.Aggregator{Type: "longSum", FieldName: "nope"}, ins(1, 2), 0, 0, 0, segment.TypeLong},
		{"longSum/expression", spec.Aggregator{Type: "longSum", Expression: "v * 2"}, ins(1, 2), 6, 0, 0, segment.TypeLong},
		// Beyond the long range: stored saturated as Java's (long) cast does, and flagged.
		{"longSum/1e308", spec.Aggregator{Type: "longSum", FieldName: "v"}, ins(1e308), math.MaxInt64, 0, 1, segment.TypeLong},
		{"longSum/-1e308", spec.Aggregator{Type: "longSum", FieldName: "v"}, ins(-1e308), math.MinInt64, 0, 1, segment.TypeLong},
		{"longSum/Infinity", spec.Aggregator{Type: "longSum", FieldName: "v"}, ins("Infinity"), math.MaxInt64, 0, 1, segment.TypeLong},
		{"longSum/2^64 text", spec.Aggregator{Type: "longSum", FieldName: "v"}, ins("18446744073709551616"), math.MaxInt64, 0, 1, segment.TypeLong},
		{"longSum/2^64 double", spec.Aggregator{Type: "longSum", FieldName: "v"}, ins(18446744073709551616.0), math.MaxInt64, 0, 1, segment.TypeLong},
		{"longSum/max long", spec.Aggregator{Type: "longSum", FieldName: "v"}, ins(int64(math.MaxInt64), "-9223372036854775808"), -1, 0, 0, segment.TypeLong},
		{"longSum/expression overflow", spec.Aggregator{Type: "longSum", Expression: "v * 1e300"}, ins(1), math.MaxInt64, 0, 1, segment.TypeLong},
		{"doubleSum", spec.Aggregator{Type: "doubleSum", FieldName: "v"}, ins(0.5, 1, "1.25"), 0, 2.75, 0, segment.TypeDouble},
		{"doubleSum/unparseable", spec.Aggregator{Type: "doubleSum", FieldName: "v"}, ins(0.5, "x"), 0, 0.5, 1, segment.TypeDouble},
		{"floatSum", spec.Aggregator{Type: "floatSum", FieldName: "v"}, ins(0.1, 0.2), 0, float64(float32(0.1 + 0.2)), 0, segment.TypeFloat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.agg.Name = "m"
			mv, bad := aggregate(t, tc.agg, tc.inputs)
			if mv.Long != tc.wantL || mv.Double != tc.wantD || bad != tc.wantBad {
				t.Fatalf("got %d/%v bad %d, want %d/%v bad %d", mv.Long, mv.Double, bad, tc.wantL, tc.wantD, tc.wantBad)
			}
			a, _ := newAggregator(&tc.agg, CompileFilter)
			if a.schema().Type != tc.wantType {
				t.Fatalf("type %v", a.schema().Type)
			}
			c := combined(t, tc.agg, tc.inputs, tc.inputs)
			if c.Long != 2*tc.wantL || c.Double != float64(float32(2*tc.wantD)) && c.Double != 2*tc.wantD {
				t.Fatalf("combined %d/%v", c.Long, c.Double)
			}
		})
	}
}
