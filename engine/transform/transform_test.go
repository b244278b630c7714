package transform

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/input"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

func mustFilter(t *testing.T, js string) *spec.Filter {
	t.Helper()
	var f spec.Filter
	if err := json.Unmarshal([]byte(js), &f); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return &f
}

var row = expr.MapBindings{
	"s":     expr.String("hello"),
	"n":     expr.Long(10),
	"d":     expr.Double(2.5),
	"ns":    expr.String("007"),
	"mv":    expr.Strings([]string{"a", "b"}),
	"empty": expr.Strings(nil),
	"nul":   expr.Null(),
	"ver":   expr.String("v10"),
}

func TestFilters(t *testing.T) {
	tests := []struct {
		filter string
		want   bool
	}{
		{`{"type":"true"}`, true},
		{`{"type":"false"}`, false},
		{`{"type":"selector","dimension":"s","value":"hello"}`, true},
		{`{"type":"selector","dimension":"s","value":"x"}`, false},
		{`{"type":"selector","dimension":"n","value":"10"}`, true},
		{`{"type":"selector","dimension":"n","value":10}`, true},
		{`{"type":"selector","dimension":"d","value":"2.50"}`, true},
		{`{"type":"selector","dimension":"nul","value":null}`, true},
		{`{"type":"selector","dimension":"missing","value":null}`, true},
		{`{"type":"selector","dimension":"empty","value":null}`, true},
		{`{"type":"selector","dimension":"s","value":null}`, false},
		{`{"type":"selector","dimension":"mv","value":"b"}`, true},
		{`{"type":"not","field":{"type":"selector","dimension":"mv","value":"b"}}`, false},
		{`{"type":"not","field":{"type":"selector","dimension":"nul","value":"x"}}`, false},
		{`{"type":"not","field":{"type":"selector","dimension":"s","value":"x"}}`, true},
		{`{"type":"equals","column":"n","matchValueType":"LONG","matchValue":10}`, true},
		{`{"type":"equals","column":"ns","matchValueType":"LONG","matchValue":7}`, true},
		{`{"type":"equals","column":"ns","matchValueType":"STRING","matchValue":"7"}`, false},
		{`{"type":"in","dimension":"s","values":["x","hello"]}`, true},
		{`{"type":"in","dimension":"nul","values":["x",null]}`, true},
		{`{"type":"in","dimension":"nul","values":["x"]}`, false},
		{`{"type":"in","dimension":"d","values":["2.5"]}`, true},
		{`{"type":"bound","dimension":"s","lower":"a","upper":"z"}`, true},
		{`{"type":"bound","dimension":"s","lower":"hello","lowerStrict":true}`, false},
		{`{"type":"bound","dimension":"n","lower":"9","upper":"10","ordering":"numeric"}`, true},
		{`{"type":"bound","dimension":"n","lower":"9","upper":"10","upperStrict":true,"ordering":"numeric"}`, false},
		{`{"type":"bound","dimension":"n","lower":"9","ordering":"lexicographic"}`, false},
		{`{"type":"bound","dimension":"s","lower":"9","ordering":"numeric"}`, false},
		{`{"type":"bound","dimension":"ver","lower":"v9","ordering":"alphanumeric"}`, true},
		{`{"type":"bound","dimension":"s","lower":5,"upper":5,"ordering":"strlen"}`, true},
		{`{"type":"range","column":"d","matchValueType":"DOUBLE","lower":2,"upper":3}`, true},
		{`{"type":"range","column":"s","matchValueType":"STRING","upper":"hello","upperStrict":true}`, false},
		{`{"type":"like","dimension":"s","pattern":"he%"}`, true},
		{`{"type":"like","dimension":"s","pattern":"h_llo"}`, true},
		{`{"type":"like","dimension":"ns","pattern":"0\\%","escape":"\\"}`, false},
		{`{"type":"regex","dimension":"s","pattern":"ll"}`, true},
		{`{"type":"regex","dimension":"mv","pattern":"^b$"}`, true},
		{`{"type":"null","column":"nul"}`, true},
		{`{"type":"null","column":"s"}`, false},
		{`{"type":"and","fields":[{"type":"true"},{"type":"selector","dimension":"s","value":"hello"}]}`, true},
		{`{"type":"and","fields":[{"type":"true"},{"type":"false"}]}`, false},
		{`{"type":"or","fields":[{"type":"false"},{"type":"selector","dimension":"nul","value":"x"}]}`, false},
		{`{"type":"not","field":{"type":"or","fields":[{"type":"false"},{"type":"selector","dimension":"nul","value":"x"}]}}`, false},
		{`{"type":"or","fields":[{"type":"false"},{"type":"regex","dimension":"s","pattern":"^h"}]}`, true},
		{`{"type":"expression","expression":"n > 5 && s == 'hello'"}`, true},
		{`{"type":"expression","expression":"nul > 5"}`, false},
		{`{"type":"not","field":{"type":"expression","expression":"nul > 5"}}`, false},
		{`{"type":"expression","expression":"mv == 'b'"}`, true},
	}
	for _, tc := range tests {
		// Compiling assumes validation: every filter here must pass it.
		if err := spec.ValidateFilter(mustFilter(t, tc.filter), ""); err != nil {
			t.Errorf("%s: spec.ValidateFilter: %v", tc.filter, err)
		}
		f, err := CompileFilter(mustFilter(t, tc.filter))
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		if got := f.Match(row); got != tc.want {
			t.Errorf("%s matched %v, want %v", tc.filter, got, tc.want)
		}
	}
}

// TestCompileUnvalidated checks that a filter which skipped spec.ValidateFilter fails to compile
// with a plain error instead of panicking. Validation itself, with its JSON paths, is tested in
// engine/spec (TestValidateFilter).
func TestCompileUnvalidated(t *testing.T) {
	for _, f := range []*spec.Filter{
		nil,
		{Type: "not"},
		{Type: "and", Fields: []*spec.Filter{{Type: "true"}, nil}},
		{Type: "search", Dimension: "x"},
		{Type: "regex", Dimension: "x", Pattern: "(?=a)"},
		{Type: "equals", Column: "x", MatchValueType: "LONG", MatchValue: "abc"},
		{Type: "bound", Dimension: "x", Lower: "a", Ordering: "numeric"},
		{Type: "bound", Dimension: "x", Lower: "1", Ordering: "weird"},
		{Type: "selector", Dimension: "x", Value: map[string]any{}},
	} {
		_, err := CompileFilter(f)
		var fe *spec.FieldError
		if err == nil || errors.As(err, &fe) {
			t.Errorf("CompileFilter(%+v) = %v, want a plain error", f, err)
		}
	}
}

func TestValidateExpression(t *testing.T) {
	if err := ValidateExpression("upper(x"); err == nil {
		t.Error("ValidateExpression accepted a bad expression")
	}
}

func parseRow(t *testing.T, js string) *input.Row {
	t.Helper()
	p, err := input.NewParser(input.Config{Format: &spec.InputFormat{Type: "json"}, Timestamp: &spec.TimestampSpec{Column: "ts", Format: "millis"}})
	if err != nil {
		t.Fatal(err)
	}
	var out *input.Row
	if err := p.Parse(input.Record{Value: []byte(js)}, func(r *input.Row) error { out = r.Clone(); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestApply(t *testing.T) {
	tr, err := New(&spec.TransformSpec{
		Transforms: []spec.Transform{
			{Type: "expression", Name: "country", Expression: "upper(country)"},
			{Type: "expression", Name: "both", Expression: "concat(country, '-', city)"}, // reads the input, not the transform
			{Type: "expression", Name: "__time", Expression: "__time + 1000"},
		},
		Filter: mustFilter(t, `{"type":"selector","dimension":"country","value":"FR"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := parseRow(t, `{"ts":5,"country":"fr","city":"paris"}`)
	keep, err := tr.Apply(r)
	if err != nil || !keep {
		t.Fatalf("keep = %v, err = %v", keep, err)
	}
	c, _ := r.Get("country")
	b, _ := r.Get("both")
	if c.RawString() != "FR" || b.RawString() != "fr-paris" || r.Time != 1005 {
		t.Errorf("country = %v, both = %v, time = %d", c, b, r.Time)
	}
	var discovered []string
	r.EachDiscovered(func(n string, _ expr.Value) { discovered = append(discovered, n) })
	if strings.Join(discovered, ",") != "country,city" {
		t.Errorf("discovered = %v (transform outputs must not be discovered)", discovered)
	}
	r = parseRow(t, `{"ts":5,"country":"de","city":"berlin"}`)
	if keep, _ := tr.Apply(r); keep {
		t.Error("filter should drop DE")
	}

	bad, err := New(&spec.TransformSpec{Transforms: []spec.Transform{{Type: "expression", Name: "__time", Expression: "nope"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Apply(parseRow(t, `{"ts":5}`))
	if pe, ok := err.(*input.ParseError); !ok || pe.Partial {
		t.Errorf("__time to null: err = %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		ts   *spec.TransformSpec
		want string
	}{
		{&spec.TransformSpec{Transforms: []spec.Transform{{Type: "expression", Name: "x", Expression: "1 +"}}}, "transforms[0].expression: expr:"},
		{&spec.TransformSpec{Transforms: []spec.Transform{{Type: "expression", Name: "x", Expression: "1"}, {Type: "expression", Name: "x", Expression: "2"}}}, "transforms[1].name: duplicate"},
		{&spec.TransformSpec{Transforms: []spec.Transform{{Type: "javascript", Name: "x"}}}, "transforms[0].type"},
		{&spec.TransformSpec{Filter: &spec.Filter{Type: "not"}}, "filter: compile filter: nil filter"},
	}
	for _, tc := range tests {
		_, err := New(tc.ts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New = %v, want %q", err, tc.want)
		}
	}
}

func TestApplyMultiValue(t *testing.T) {
	tr, err := New(&spec.TransformSpec{
		Transforms: []spec.Transform{{Type: "expression", Name: "up", Expression: "upper(tags)"}},
		Filter:     mustFilter(t, `{"type":"like","dimension":"up","pattern":"B%"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := parseRow(t, `{"ts":5,"tags":["a","bee"]}`)
	keep, err := tr.Apply(r)
	up, _ := r.Get("up")
	if err != nil || !keep || up.String() != "[A, BEE]" {
		t.Errorf("keep = %v, err = %v, up = %v", keep, err, up)
	}
}
