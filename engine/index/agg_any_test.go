package index

import (
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

func TestAnyAggregators(t *testing.T) {
	tests := []struct {
		typ     string
		a, b    []in
		want    float64
		wantAll float64
	}{
		{"longAny", ins(nil, 7, 8), ins(9), 7, 7},
		{"longAny", nil, ins(9), 0, 9},
		{"doubleAny", ins(nil, "1.5"), nil, 1.5, 1.5},
		{"floatAny", ins(0.1), ins(0.2), float64(float32(0.1)), float64(float32(0.1))},
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
			if got != tc.want || gotAll != tc.wantAll {
				t.Fatalf("got %v, combined %v; want %v, %v", got, gotAll, tc.want, tc.wantAll)
			}
		})
	}
}

func TestStringAnyAggregator(t *testing.T) {
	tests := []struct {
		name          string
		a, b          []in
		want, wantAll string // "<null>" for null
	}{
		{"first non-null", ins(nil, "x", "y"), ins("z"), "x", "x"},
		{"from other spill", ins(nil), ins("z"), "<null>", "z"},
		{"none", nil, nil, "<null>", "<null>"},
	}
	render := func(b []byte) string {
		if len(b) == 0 || b[0] == 1 {
			return "<null>"
		}
		return string(b[1:])
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := spec.Aggregator{Type: "stringAny", Name: "m", FieldName: "v"}
			mv, _ := aggregate(t, a, tc.a)
			all := combined(t, a, tc.a, tc.b)
			if render(mv.Bytes) != tc.want || render(all.Bytes) != tc.wantAll {
				t.Fatalf("got %q, combined %q", render(mv.Bytes), render(all.Bytes))
			}
		})
	}
}
