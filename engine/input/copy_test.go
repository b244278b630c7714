package input

import (
	"fmt"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// TestRowCopyTo: a copy made with CopyTo reads exactly like the parsed row (fields, multi-value
// strings, a nested object rendered as JSON, escaped text, the raw input, discovery) and stays
// so after the parser has moved on to other records and after the destination is reused for a
// bigger row.
func TestRowCopyTo(t *testing.T) {
	p, err := NewParser(Config{Format: &spec.InputFormat{Type: "json"}, Timestamp: &spec.TimestampSpec{Column: "ts", Format: "millis"}})
	if err != nil {
		t.Fatal(err)
	}
	recs := []string{
		`{"ts":1000,"host":"a\u00e9b","tags":["x","yy"],"n":3,"d":1.5,"nested":{"k":[1,2]},"nil":null}`,
		`{"ts":2000,"host":"` + fmt.Sprintf("%0200d", 7) + `","tags":["only"],"n":-1}`,
	}
	var want []string
	var wantDisc []string
	copies := make([]Row, len(recs))
	for i, rec := range recs {
		if err := p.Parse(Record{Value: []byte(rec)}, func(r *Row) error {
			// Copied first, while the nested object is still an unrendered fastjson value.
			r.CopyTo(&copies[i])
			want = append(want, render(r)+"|"+string(r.Input()))
			var d []string
			r.EachDiscovered(func(name string, _ expr.Value) { d = append(d, name) })
			wantDisc = append(wantDisc, fmt.Sprint(d))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// The parser's buffers are reused by these; the copies must not change.
	for range 3 {
		_ = p.Parse(Record{Value: []byte(`{"ts":3000,"host":"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz","tags":["q","r","s"]}`)}, func(*Row) error { return nil })
	}
	for i := range copies {
		c := &copies[i]
		if got := render(c) + "|" + string(c.Input()); got != want[i] {
			t.Errorf("copy %d:\n got %s\nwant %s", i, got, want[i])
		}
		var d []string
		c.EachDiscovered(func(name string, _ expr.Value) { d = append(d, name) })
		if fmt.Sprint(d) != wantDisc[i] {
			t.Errorf("copy %d discovers %v, want %s", i, d, wantDisc[i])
		}
	}
	// Reusing a destination for a bigger row: its old strings may go, the new ones must be right.
	copies[1].CopyTo(&copies[0])
	if got := render(&copies[0]) + "|" + string(copies[0].Input()); got != want[1] {
		t.Errorf("reused copy:\n got %s\nwant %s", got, want[1])
	}
	if n := testing.AllocsPerRun(100, func() { copies[1].CopyTo(&copies[0]) }); n != 0 {
		t.Errorf("CopyTo into a warm row allocates %v times", n)
	}
}
