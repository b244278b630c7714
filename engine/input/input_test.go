package input

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

func bptr(b bool) *bool     { return &b }
func sptr(s string) *string { return &s }
func ts(col, format string) *spec.TimestampSpec {
	return &spec.TimestampSpec{Column: col, Format: format}
}

// render turns a row into "time|name=value,..." with fields sorted, for comparison.
func render(r *Row) string {
	var parts []string
	for i := 0; i < r.Len(); i++ {
		n, v := r.Field(i)
		parts = append(parts, n+"="+v.String())
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d|%s", r.Time, strings.Join(parts, ","))
}

func parseAll(t *testing.T, p *Parser, rec Record) ([]string, error) {
	t.Helper()
	var rows []string
	err := p.Parse(rec, func(r *Row) error {
		rows = append(rows, render(r))
		return nil
	})
	return rows, err
}

func TestJSON(t *testing.T) {
	tests := []struct {
		name    string
		format  *spec.InputFormat
		ts      *spec.TimestampSpec
		value   string
		want    []string
		wantErr string
	}{
		{
			name:   "discovery",
			format: &spec.InputFormat{Type: "json"},
			value:  `{"timestamp":"2023-07-22T04:26:40.123Z","s":"x","n":5,"d":1.5,"b":true,"a":["p",2],"o":{"k":1},"z":null}`,
			// The nested object stays readable by name (as JSON text) but is not discovered:
			// TestNestedNotDiscovered checks the second half.
			want: []string{`1690000000123|a=[p, 2],b="true",d=1.5,n=5,o="{\"k\":1}",s="x",timestamp="2023-07-22T04:26:40.123Z",z=null`},
		},
		{
			name: "flatten",
			format: &spec.InputFormat{Type: "json", FlattenSpec: &spec.FlattenSpec{UseFieldDiscovery: bptr(false), Fields: []spec.FlattenField{
				{Type: "root", Name: "t"},
				{Type: "path", Name: "ab", Expr: "$.a.b[1]"},
				{Type: "path", Name: "quoted", Expr: "$['a']['c']"},
				{Type: "path", Name: "all", Expr: "$.a.b[*]"},
				{Type: "path", Name: "len", Expr: "$.a.b.length()"},
				{Type: "path", Name: "max", Expr: "$.a.b.max()"},
				{Type: "path", Name: "deep", Expr: "$..c"},
				{Type: "path", Name: "filter", Expr: "$.items[?(@.v > 1)].n"},
				{Type: "jq", Name: "jq", Expr: ".a.b[0]"},
				{Type: "jq", Name: "jqq", Expr: `.["a"]."c"`},
				{Type: "tree", Name: "tree", Nodes: []string{"a", "c"}},
				{Type: "path", Name: "obj", Expr: "$.a.o"},
				{Type: "path", Name: "missing", Expr: "$.nope.x"},
			}}},
			value: `{"t":1000,"a":{"b":[3,4],"c":"cee","o":{"x":1}},"items":[{"v":1,"n":"one"},{"v":2,"n":"two"},{"v":3,"n":"three"}]}`,
			ts:    ts("t", "millis"),
			want:  []string{`1000|ab=4,all=[3, 4],deep="cee",filter=[two, three],jq=3,jqq="cee",len=2,max=4.0,missing=null,obj="{\"x\":1}",quoted="cee",t=1000,tree="cee"`},
		},
		{
			name:   "explicit wins over discovered",
			format: &spec.InputFormat{Type: "json", FlattenSpec: &spec.FlattenSpec{Fields: []spec.FlattenField{{Type: "path", Name: "x", Expr: "$.y"}}}},
			value:  `{"timestamp":5,"x":"root","y":"path"}`,
			want:   []string{`5|timestamp=5,x="path",y="path"`},
		},
		{
			name:   "concatenated values",
			format: &spec.InputFormat{Type: "json"},
			value:  `{"timestamp":1} {"timestamp":2}` + "\n" + `{"timestamp":3}`,
			want:   []string{"1|timestamp=1", "2|timestamp=2", "3|timestamp=3"},
		},
		{
			name:    "one bad value spoils the record",
			format:  &spec.InputFormat{Type: "json"},
			value:   `{"timestamp":1}` + "\n" + `{"timestamp":`,
			wantErr: "unable to parse row as JSON",
		},
		{
			name:    "newline delimited keeps good lines",
			format:  &spec.InputFormat{Type: "json", AssumeNewlineDelimited: bptr(true)},
			value:   `{"timestamp":1}` + "\n" + `{bad` + "\n\n" + `{"timestamp":3}`,
			want:    []string{"1|timestamp=1", "3|timestamp=3"},
			wantErr: "unable to parse row as JSON",
		},
		{name: "empty", format: &spec.InputFormat{Type: "json"}, value: "  "},
		{name: "null", format: &spec.InputFormat{Type: "json"}, value: "null"},
		{name: "not an object", format: &spec.InputFormat{Type: "json"}, value: "[1,2]", wantErr: "expected a JSON object"},
		{name: "missing timestamp", format: &spec.InputFormat{Type: "json"}, value: `{"a":1}`, wantErr: "timestamp[null] is unparseable"},
		{name: "bad timestamp", format: &spec.InputFormat{Type: "json"}, value: `{"timestamp":"yesterday"}`, wantErr: "timestamp[yesterday] is unparseable"},
		{
			name:   "missingValue",
			format: &spec.InputFormat{Type: "json"},
			ts:     &spec.TimestampSpec{Column: "timestamp", Format: "auto", MissingValue: sptr("2020-01-01T00:00:00Z")},
			value:  `{"a":"x"}`,
			want:   []string{`1577836800000|a="x"`},
		},
		{
			name:   "escaped strings",
			format: &spec.InputFormat{Type: "json"},
			value:  `{"timestamp":1,"s":"a\"b\u00e9"}`,
			want:   []string{`1|s="a\"bé",timestamp=1`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tspec := tc.ts
			if tspec == nil {
				tspec = ts("timestamp", "auto")
			}
			p, err := NewParser(Config{Format: tc.format, Timestamp: tspec})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := parseAll(t, p, Record{Value: []byte(tc.value)})
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if err != nil {
				for _, pe := range AsParseErrors(err) {
					if pe.Partial || pe.Input == "" {
						t.Errorf("bad ParseError %+v", pe)
					}
				}
			}
			if strings.Join(rows, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestDelimited(t *testing.T) {
	tests := []struct {
		name    string
		format  *spec.InputFormat
		value   string
		want    []string
		wantErr string
	}{
		{
			name:   "csv columns",
			format: &spec.InputFormat{Type: "csv", Columns: []string{"timestamp", "a", "b"}},
			value:  "1,x,y\n2,\"q,\"\"uoted\"\"\",\"multi\nline\"\r\n\n3,m\u0001n,",
			want:   []string{`1|a="x",b="y",timestamp="1"`, `2|a="q,\"uoted\"",b="multi\nline",timestamp="2"`, `3|a=[m, n],b="",timestamp="3"`},
		},
		{
			name:   "csv header per record",
			format: &spec.InputFormat{Type: "csv", FindColumnsFromHeader: bptr(true), SkipHeaderRows: 1},
			value:  "junk\ntimestamp,a\n1,x\n2,y,extra",
			want:   []string{`1|a="x",timestamp="1"`, `2|a="y",timestamp="2"`},
		},
		{
			name:   "fewer values than columns",
			format: &spec.InputFormat{Type: "csv", Columns: []string{"timestamp", "a", "b"}},
			value:  "1,x",
			want:   []string{`1|a="x",timestamp="1"`},
		},
		{
			name:    "unterminated quote",
			format:  &spec.InputFormat{Type: "csv", Columns: []string{"timestamp", "a"}},
			value:   "1,\"x",
			wantErr: "unterminated quoted field",
		},
		{
			name:    "duplicate header",
			format:  &spec.InputFormat{Type: "csv", FindColumnsFromHeader: bptr(true)},
			value:   "a,a\n1,2",
			wantErr: "duplicate column",
		},
		{
			name:   "tsv",
			format: &spec.InputFormat{Type: "tsv", Columns: []string{"timestamp", "a"}, ListDelimiter: sptr("|")},
			value:  "1\t\"x\"\n2\tp|q",
			want:   []string{`1|a="\"x\"",timestamp="1"`, `2|a=[p, q],timestamp="2"`},
		},
		{
			name:   "delimited",
			format: &spec.InputFormat{Type: "delimited", Delimiter: sptr("::"), Columns: []string{"timestamp", "a"}},
			value:  "1::x::y",
			want:   []string{`1|a="x",timestamp="1"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewParser(Config{Format: tc.format, Timestamp: ts("timestamp", "millis")})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := parseAll(t, p, Record{Value: []byte(tc.value)})
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if strings.Join(rows, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestKafka(t *testing.T) {
	f := &spec.InputFormat{
		Type:         "kafka",
		ValueFormat:  &spec.InputFormat{Type: "json"},
		HeaderFormat: &spec.HeaderFormat{Type: "string", Encoding: "UTF-16LE"},
		KeyFormat:    &spec.InputFormat{Type: "tsv", Columns: []string{"k", "ignored"}},
	}
	p, err := NewParser(Config{Format: f, Timestamp: ts("kafka.timestamp", "millis")})
	if err != nil {
		t.Fatal(err)
	}
	rec := Record{
		Key: []byte("key1\tother"), Value: []byte(`{"a":"x","kafka.topic":"payload wins"}`), Timestamp: 1234, Topic: "t",
		Headers: []Header{{Key: "h", Value: []byte{'h', 0, 'i', 0}}, {Key: "h", Value: []byte{'y', 0}}},
	}
	rows, err := parseAll(t, p, rec)
	if err != nil {
		t.Fatal(err)
	}
	want := `1234|a="x",kafka.header.h="y",kafka.key="key1",kafka.timestamp=1234,kafka.topic="payload wins"`
	if len(rows) != 1 || rows[0] != want {
		t.Errorf("rows = %q\nwant %q", rows, want)
	}
	rec.Value = nil
	rows, err = parseAll(t, p, rec)
	want = `1234|kafka.header.h="y",kafka.key="key1",kafka.timestamp=1234,kafka.topic="t"`
	if err != nil || len(rows) != 1 || rows[0] != want {
		t.Errorf("tombstone rows = %q, %v", rows, err)
	}
}

func TestTimestampFormats(t *testing.T) {
	tests := []struct {
		format string
		value  string // JSON value of the timestamp field
		want   int64
		ok     bool
	}{
		{"auto", `1690000000123`, 1690000000123, true},
		{"auto", `"1690000000123"`, 1690000000123, true},
		{"auto", `"2023-07-22T04:26:40.123Z"`, 1690000000123, true},
		{"auto", `"2023-07-22 04:26:40.123"`, 1690000000123, true},
		{"auto", `"2023-07-22 06:26:40.123 Europe/Berlin"`, 1690000000123, true},
		{"auto", `"2023-07-22T06:26:40.123+02:00"`, 1690000000123, true},
		{"auto", `"\"2023-07-22T04:26:40.123Z\""`, 1690000000123, true},
		{"iso", `"2023-07-22T04:26:40.123Z"`, 1690000000123, true},
		{"iso", `"garbage"`, 0, false},
		{"millis", `1690000000123`, 1690000000123, true},
		{"millis", `"1690000000123"`, 1690000000123, true},
		{"posix", `1690000000`, 1690000000000, true},
		{"posix", `"1690000000"`, 1690000000000, true},
		{"micro", `1690000000123456`, 1690000000123, true},
		{"nano", `1690000000123456789`, 1690000000123, true},
		{"ruby", `1690000000.123`, 1690000000123, true},
		{"yyyy-MM-dd HH:mm:ss", `"2023-07-22 04:26:40"`, 1690000000000, true},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSZ", `"2023-07-22T06:26:40.123+0200"`, 1690000000123, true},
		{"dd/MMM/yyyy:HH:mm:ss Z", `"22/Jul/2023:04:26:40 +0000"`, 1690000000000, true},
		{"yyyy-MM-dd", `"22/07/2023"`, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.format+"/"+tc.value, func(t *testing.T) {
			p, err := NewParser(Config{Format: &spec.InputFormat{Type: "json"}, Timestamp: ts("t", tc.format)})
			if err != nil {
				t.Fatal(err)
			}
			var got int64
			err = p.Parse(Record{Value: []byte(`{"t":` + tc.value + `}`)}, func(r *Row) error { got = r.Time; return nil })
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("time = %d, err = %v; want %d, ok=%v", got, err, tc.want, tc.ok)
			}
		})
	}
	if _, err := NewParser(Config{Format: &spec.InputFormat{Type: "json"}, Timestamp: ts("t", "yyyy-GG")}); err == nil {
		t.Error("bad Joda pattern accepted")
	}
}

func TestDiscoveryAndCheckTypes(t *testing.T) {
	p, err := NewParser(Config{
		Format:    &spec.InputFormat{Type: "json"},
		Timestamp: ts("ts", "auto"),
		Dimensions: &spec.DimensionsSpec{DimensionExclusions: []string{"secret"}, IncludeAllDimensions: true,
			Dimensions: []spec.Dimension{{Type: "long", Name: "count_dim"}}},
		Metrics: []spec.Aggregator{{Type: "longSum", Name: "total", FieldName: "bytes"}, {Type: "count", Name: "cnt"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Schemaless() {
		t.Error("includeAllDimensions should discover")
	}
	err = p.Parse(Record{Value: []byte(`{"ts":1,"a":"x","secret":"s","bytes":"12x","cnt":1,"total":2,"count_dim":"nan?","n":null,"b":[1,2],"o":{"k":1},"oo":[{"k":1}]}`)}, func(r *Row) error {
		var names []string
		r.EachDiscovered(func(name string, _ expr.Value) { names = append(names, name) })
		if got := strings.Join(names, ","); got != "a,b" {
			t.Errorf("discovered = %s, want a,b (nested o and oo are not dimensions)", got)
		}
		if v, _ := r.Get("o"); v.String() != `"{\"k\":1}"` {
			t.Errorf("nested o reads %s, want its JSON text", v)
		}
		r.Set("derived", expr.String("d"))
		r.Set("a", expr.String("shadow"))
		names = names[:0]
		r.EachDiscovered(func(name string, v expr.Value) { names = append(names, name+"="+v.String()) })
		if got := strings.Join(names, ","); got != `a="shadow",b=[1, 2]` {
			t.Errorf("after Set discovered = %s", got)
		}
		pe := p.CheckTypes(r)
		if pe == nil || !pe.Partial || len(pe.Details) != 2 || !strings.Contains(pe.Details[0], "count_dim") || !strings.Contains(pe.Details[1], "bytes") {
			t.Errorf("CheckTypes = %+v", pe)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEmitErrorStops(t *testing.T) {
	p, _ := NewParser(Config{Format: &spec.InputFormat{Type: "csv", Columns: []string{"timestamp"}}})
	stop := errors.New("stop")
	n := 0
	err := p.Parse(Record{Value: []byte("1\n2\n3")}, func(*Row) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err = %v, n = %d", err, n)
	}
}

func TestCloneSurvivesReuse(t *testing.T) {
	p, _ := NewParser(Config{Format: &spec.InputFormat{Type: "json"}})
	var kept *Row
	_ = p.Parse(Record{Value: []byte(`{"timestamp":1,"a":"first","n":1.5}`)}, func(r *Row) error { kept = r.Clone(); return nil })
	_ = p.Parse(Record{Value: []byte(`{"timestamp":2,"a":"other","n":2.5}`)}, func(r *Row) error { return nil })
	if got := render(kept); got != `1|a="first",n=1.5,timestamp=1` {
		t.Errorf("clone = %s", got)
	}
}

func TestBadFormats(t *testing.T) {
	tests := []struct {
		f    *spec.InputFormat
		want string
	}{
		{&spec.InputFormat{Type: "xml"}, "unknown inputFormat type"},
		{&spec.InputFormat{Type: "csv"}, "columns: required"},
		{&spec.InputFormat{Type: "json", FeatureSpec: map[string]bool{"ALLOW_SINGLE_QUOTES": true}}, "not supported"},
		{&spec.InputFormat{Type: "json", FlattenSpec: &spec.FlattenSpec{Fields: []spec.FlattenField{{Type: "jq", Name: "x", Expr: ".a | length"}}}}, "jq expression"},
		{&spec.InputFormat{Type: "json", FlattenSpec: &spec.FlattenSpec{Fields: []spec.FlattenField{{Type: "path", Name: "x", Expr: "$.a"}, {Type: "root", Name: "x"}}}}, "duplicate field name"},
		{&spec.InputFormat{Type: "kafka"}, "valueFormat: required"},
		{&spec.InputFormat{Type: "kafka", ValueFormat: &spec.InputFormat{Type: "json"}, HeaderFormat: &spec.HeaderFormat{Type: "string", Encoding: "EBCDIC"}}, "unsupported encoding"},
	}
	for _, tc := range tests {
		err := ValidateInputFormat(tc.f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidateInputFormat(%+v) = %v, want %q", tc.f, err, tc.want)
		}
	}
}
