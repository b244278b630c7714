package input

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// flatRow is what a row holds, for comparing the two JSON paths.
type flatRow struct {
	fields   []field
	hasMulti bool
}

// readBoth reads data through jsonSource.read with scanFlat allowed and with fastjson alone,
// and returns the rows (nil slice entries for row errors) of each and whether scanFlat
// accepted the record.
func readBoth(t *testing.T, data []byte, lineMode bool) (fast, slow []*flatRow, scanned bool) {
	t.Helper()
	f := &spec.InputFormat{Type: "json"}
	if lineMode {
		yes := true
		f.AssumeNewlineDelimited = &yes
	}
	collect := func(flat bool) []*flatRow {
		s, err := newJSONSource(f)
		if err != nil {
			t.Fatal(err)
		}
		if !s.flat {
			t.Fatal("a json format without flattenSpec fields should allow scanFlat")
		}
		s.flat = flat
		var rows []*flatRow
		var r Row
		err = s.read(data, &r, func(pe *ParseError) error {
			if pe != nil {
				rows = append(rows, nil)
				return nil
			}
			for i := range r.fields {
				if r.fields[i].raw != nil {
					r.render(&r.fields[i])
				}
			}
			c := r.Clone()
			rows = append(rows, &flatRow{fields: c.fields, hasMulti: c.hasMulti})
			return nil
		})
		if err != nil {
			rows = append(rows, nil)
		}
		return rows
	}
	var r Row
	scanned = scanFlat(data, &r)
	return collect(true), collect(false), scanned
}

func TestScanFlatMatchesFastjson(t *testing.T) {
	accepted := []string{
		`{}`,
		` { } `,
		`{"a":"x","b":1,"c":-2.5e3,"d":true,"e":false,"f":null}`,
		"\t{\"page\" : \"Main Page\" ,\n \"added\":0, \"delta\":-12}\r\n",
		`{"tags":["a",1,2.50,true,false,null],"empty":[],"one":["x"]}`,
		`{"a":1,"a":2}`,
		`{"big":123456789012345678901234567890,"tiny":1e-400,"huge":1e400,"neg0":-0}`,
		`{"":"empty key","ctl":"tab	in"}`,
		`{"utf8":"Zürich 東京","n":0.000001}`,
	}
	for _, in := range accepted {
		fast, slow, scanned := readBoth(t, []byte(in), false)
		if !scanned {
			t.Errorf("scanFlat refused %q", in)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%q: scanFlat gave %s, fastjson %s", in, dumpRows(fast), dumpRows(slow))
		}
	}
	refused := []string{
		`{"a":"x\"y"}`,    // an escape
		`{"a\n":1}`,       // an escaped key
		`{"a":{"b":1}}`,   // a nested object
		`{"a":[[1]]}`,     // a nested array
		`{"a":[{"b":1}]}`, // an object in an array
		`{"a":1.2.3}`,     // fastjson reads it as one number, kept as text
		`{"a":01}`,        // a leading zero
		`{"a":nan}`,       // fastjson's NaN
		`{"a":-inf}`,      // and Inf
		`{"a":1.}`,        // a bare point
		`{"a":.5}`,        // no integer part
		`{"a":1e}`,        // no exponent digits
		`{"a":tru}`,       // a broken literal
		`{"a":truex}`,     // a literal with a tail
		`{"a":1,}`,        // a trailing comma
		`{"a" 1}`,         // no colon
		`{"a":1} x`,       // a tail
		`{"a":1}{"b":2}`,  // two values (read as two rows)
		`["a"]`,           // not an object
		`null`,            // a null record
		`{"a":"unterminated`,
		`{"a":[1,2`,
		``,
	}
	for _, in := range refused {
		fast, slow, scanned := readBoth(t, []byte(in), false)
		if scanned {
			t.Errorf("scanFlat accepted %q", in)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%q: with scanFlat %s, fastjson alone %s", in, dumpRows(fast), dumpRows(slow))
		}
	}
	lines := "{\"a\":1}\n{\"a\":\"x\\ty\"}\n\n{\"a\":[1,{}]}\nnot json\n{\"b\":true}"
	fast, slow, _ := readBoth(t, []byte(lines), true)
	if len(fast) != 5 || !reflect.DeepEqual(fast, slow) {
		t.Errorf("lines: with scanFlat %s, fastjson alone %s", dumpRows(fast), dumpRows(slow))
	}
}

// FuzzScanFlat checks scanFlat against the fastjson path: whatever it accepts must give the
// row fastjson gives, and the record must read the same either way.
func FuzzScanFlat(f *testing.F) {
	for _, s := range []string{
		`{"a":"x","b":1,"c":-2.5e3,"d":true,"e":false,"f":null}`,
		`{"tags":["a",1,2.50,true,false,null],"empty":[]}`,
		`{"a":1,"a":2}`, `{"a":{"b":1}}`, `{"a":1.2.3}`, `{"a":"x\"y"}`, `{"a":01}`, ` {} `,
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("{\"a\":1}\n{\"a\":\"x\\ty\"}\n\n[1]\n{\"b\":[true]}"), true)
	f.Fuzz(func(t *testing.T, data []byte, lineMode bool) {
		fast, slow, scanned := readBoth(t, data, lineMode)
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q (scanFlat accepted: %v): with scanFlat %s, fastjson alone %s", data, scanned, dumpRows(fast), dumpRows(slow))
		}
		if scanned && !lineMode && (len(slow) != 1 || slow[0] == nil) {
			t.Fatalf("scanFlat accepted %q, fastjson gives %s", data, dumpRows(slow))
		}
	})
}

func dumpRows(rows []*flatRow) string {
	s := "["
	for _, r := range rows {
		if r == nil {
			s += " error"
			continue
		}
		s += " {"
		for _, f := range r.fields {
			s += fmt.Sprintf(" %q=%v(%s)", f.name, f.val.String(), f.val.Kind())
		}
		s += fmt.Sprintf(" multi=%v}", r.hasMulti)
	}
	return s + " ]"
}
