package index

import (
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

func at(t int64, v any) in { return in{t: t, r: vrow(v)} }

func TestFirstLastAggregators(t *testing.T) {
	tests := []struct {
		name     string
		typ      string
		a, b     []in
		wantT    int64
		want     expr.Value
		wantAllT int64
		wantAll  expr.Value
	}{
		{"first", "longFirst", []in{at(5, 50), at(3, 30), at(3, 31)}, []in{at(4, 40)}, 3, expr.Long(30), 3, expr.Long(30)},
		{"first/other spill earlier", "longFirst", []in{at(5, 50)}, []in{at(1, 10)}, 5, expr.Long(50), 1, expr.Long(10)},
		{"last/ties go to later rows", "longLast", []in{at(5, 50), at(5, 51), at(2, 20)}, []in{at(5, 52)}, 5, expr.Long(51), 5, expr.Long(52)},
		{"first/null counts", "longFirst", []in{at(1, nil), at(2, 20)}, nil, 1, expr.Null(), 1, expr.Null()},
		{"doubleLast", "doubleLast", []in{at(1, 1.5), at(2, "2.5")}, []in{at(1, 9.0)}, 2, expr.Double(2.5), 2, expr.Double(2.5)},
		{"floatFirst", "floatFirst", []in{at(2, 0.1)}, []in{at(1, 0.2)}, 2, expr.Double(float64(float32(0.1))), 1, expr.Double(float64(float32(0.2)))},
		{"empty", "doubleFirst", nil, []in{at(7, 1.0)}, 1<<63 - 1, expr.Null(), 7, expr.Double(1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := spec.Aggregator{Type: tc.typ, Name: "m", FieldName: "v"}
			k, _, _ := typePrefix(tc.typ)
			mv, _ := aggregate(t, a, tc.a)
			gt, gv := decodePair(mv.Bytes, k)
			if gt != tc.wantT || !expr.Equal(gv, tc.want) {
				t.Fatalf("got (%d, %v), want (%d, %v)", gt, gv, tc.wantT, tc.want)
			}
			all := combined(t, a, tc.a, tc.b)
			gt, gv = decodePair(all.Bytes, k)
			if gt != tc.wantAllT || !expr.Equal(gv, tc.wantAll) {
				t.Fatalf("combined (%d, %v), want (%d, %v)", gt, gv, tc.wantAllT, tc.wantAll)
			}
		})
	}
}

func TestStringFirstLastAggregators(t *testing.T) {
	four := 4
	tests := []struct {
		name    string
		agg     spec.Aggregator
		a, b    []in
		want    string
		wantAll string
	}{
		{"first", spec.Aggregator{Type: "stringFirst"}, []in{at(2, "b"), at(1, "a")}, []in{at(0, "z")}, "a", "z"},
		{"last", spec.Aggregator{Type: "stringLast"}, []in{at(2, "b"), at(1, "a")}, []in{at(2, "c")}, "b", "c"},
		{"number", spec.Aggregator{Type: "stringLast"}, []in{at(2, 12)}, nil, "12", "12"},
		{"maxStringBytes", spec.Aggregator{Type: "stringFirst", MaxStringBytes: &four}, []in{at(1, "abcdef")}, nil, "abcd", "abcd"},
		{"maxStringBytes/utf8", spec.Aggregator{Type: "stringFirst", MaxStringBytes: &four}, []in{at(1, "aé€")}, nil, "aé", "aé"},
		{"timeColumn", spec.Aggregator{Type: "stringFirst", TimeColumn: "ts"}, []in{
			{t: 1, r: row("v", "late", "ts", 9)}, {t: 2, r: row("v", "early", "ts", 3)}}, nil, "early", "early"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.agg.Name, tc.agg.FieldName = "m", "v"
			mv, _ := aggregate(t, tc.agg, tc.a)
			if got := string(mv.Bytes[pairHeader:]); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			all := combined(t, tc.agg, tc.a, tc.b)
			if got := string(all.Bytes[pairHeader:]); got != tc.wantAll {
				t.Fatalf("combined %q, want %q", got, tc.wantAll)
			}
		})
	}
	// Null stays distinguishable from "".
	mv, _ := aggregate(t, spec.Aggregator{Type: "stringLast", Name: "m", FieldName: "v"}, []in{at(1, nil)})
	if mv.Bytes[8] != 1 {
		t.Fatalf("null not flagged: %v", mv.Bytes)
	}
}
