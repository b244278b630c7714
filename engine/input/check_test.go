package input

import (
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// TestMetricValuesThatDoNotFit: values a numeric column cannot hold make the row
// processedWithError (CheckTypes) with a message naming the column and what is stored.
func TestMetricValuesThatDoNotFit(t *testing.T) {
	tests := []struct {
		name  string
		agg   string
		value string // JSON value of the "value" field
		want  string // substring of the one detail; "" means no error
	}{
		{name: "1e308 long", agg: "longSum", value: `1e308`, want: "value[1.0E308] does not fit in a long, stored as 9223372036854775807 for metric input[value]"},
		{name: "-1e308 long", agg: "longMin", value: `-1e308`, want: "stored as -9223372036854775808"},
		{name: "2^64 long", agg: "longSum", value: `18446744073709551616`, want: "does not fit in a long, stored as 9223372036854775807"},
		{name: "2^64 text long", agg: "longMax", value: `"18446744073709551616"`, want: "does not fit in a long"},
		{name: "Infinity text long", agg: "longSum", value: `"Infinity"`, want: "value[Infinity] does not fit in a long, stored as 9223372036854775807"},
		{name: "-Infinity text long", agg: "longSum", value: `"-Infinity"`, want: "stored as -9223372036854775808"},
		{name: "NaN text long", agg: "longSum", value: `"NaN"`, want: "unable to parse value[NaN] as long"},
		{name: "object long", agg: "longSum", value: `{"x":1}`, want: `unable to parse value[{"x":1}] as long for metric input[value]`},
		{name: "object double", agg: "doubleSum", value: `{"x":1}`, want: `unable to parse value[{"x":1}] as double`},
		{name: "array of objects long", agg: "longLast", value: `[{"x":1}]`, want: "unable to parse"},
		{name: "1e308 float", agg: "floatSum", value: `1e308`, want: "value[1.0E308] does not fit in a float, stored as Infinity"},
		{name: "text 1e308 float", agg: "floatMax", value: `"-1e308"`, want: "stored as -Infinity"},
		{name: "max long fits", agg: "longSum", value: `9223372036854775807`},
		{name: "max long text fits", agg: "longSum", value: `"-9223372036854775808"`},
		{name: "1e18 fits a long", agg: "longSum", value: `1e18`},
		{name: "1e308 fits a double", agg: "doubleSum", value: `1e308`},
		{name: "Infinity is a double", agg: "doubleSum", value: `"Infinity"`},
		{name: "Infinity is a float", agg: "floatSum", value: `"Infinity"`},
		{name: "fraction into long", agg: "longSum", value: `1.5`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewParser(Config{
				Format: &spec.InputFormat{Type: "json"}, Timestamp: ts("ts", "auto"),
				Metrics: []spec.Aggregator{{Type: tc.agg, Name: "m", FieldName: "value"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			rows := 0
			err = p.Parse(Record{Value: []byte(`{"ts":1690000000123,"id":"x","value":` + tc.value + `}`)}, func(r *Row) error {
				rows++
				pe := p.CheckTypes(r)
				if tc.want == "" {
					if pe != nil {
						t.Errorf("CheckTypes = %v, want nil", pe)
					}
					return nil
				}
				if pe == nil || !pe.Partial || len(pe.Details) != 1 || !strings.Contains(pe.Details[0], tc.want) || pe.Input == "" {
					t.Errorf("CheckTypes = %+v, want one processedWithError detail containing %q", pe, tc.want)
				}
				return nil
			})
			if err != nil || rows != 1 {
				t.Fatalf("parse: %d rows, err %v", rows, err)
			}
		})
	}
}
