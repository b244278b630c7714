package input

import (
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// The fuzz targets below feed arbitrary records to each input format. The invariants are the
// ones a poison record must not break: no panic; every emitted row has a timestamp in
// spec.MinTimestamp..MaxTimestamp; every failure is a *ParseError (or ParseErrors) with a
// message, never another error; and what the indexer does with a row next (read every field,
// discover dimensions, CheckTypes, Clone) works on it. Seeds are the f.Add calls plus
// testdata/fuzz/<target>/. A short run of every target:
//
//	FUZZTIME=20s tools/fuzz.sh
//
// or one of them:
//
//	go test -run '^$' -fuzz '^FuzzJSON$' -fuzztime 20s ./engine/input/

// fuzzMetrics make CheckTypes look at "value" as every numeric type.
var fuzzMetrics = []spec.Aggregator{
	{Type: "longSum", Name: "l", FieldName: "value"},
	{Type: "floatMax", Name: "f", FieldName: "value"},
	{Type: "doubleSum", Name: "d", FieldName: "v2"},
}

func fuzzParser(t *testing.T, f *spec.InputFormat, ts *spec.TimestampSpec) *Parser {
	p, err := NewParser(Config{Format: f, Timestamp: ts, Metrics: fuzzMetrics,
		Dimensions: &spec.DimensionsSpec{IncludeAllDimensions: true, Dimensions: []spec.Dimension{{Type: "long", Name: "n"}, {Type: "float", Name: "value"}}}})
	if err != nil {
		t.Fatalf("NewParser(%+v): %v", f, err)
	}
	return p
}

// fuzzParse parses rec and checks the invariants.
func fuzzParse(t *testing.T, p *Parser, rec Record) {
	t.Helper()
	err := p.Parse(rec, func(r *Row) error {
		if !spec.TimestampInRange(r.Time) {
			t.Fatalf("row accepted with timestamp %d, outside %s", r.Time, spec.TimestampRangeText)
		}
		for i := 0; i < r.Len(); i++ {
			name, v := r.Field(i)
			if _, ok := r.Get(name); !ok {
				t.Fatalf("field %q is listed but Get does not find it", name)
			}
			_, _ = v.AsLong()
			_, _ = v.AsDouble()
			_ = v.String()
		}
		r.EachDiscovered(func(name string, v expr.Value) { _ = v.String() })
		if pe := p.CheckTypes(r); pe != nil && (!pe.Partial || len(pe.Details) == 0) {
			t.Fatalf("CheckTypes returned %+v", pe)
		}
		if c := r.Clone(); c.Time != r.Time || c.Len() != r.Len() {
			t.Fatalf("Clone lost data")
		}
		return nil
	})
	if err == nil {
		return
	}
	pes := AsParseErrors(err)
	if pes == nil {
		t.Fatalf("Parse returned a non-parse error: %v", err)
	}
	for _, pe := range pes {
		if pe.Partial || len(pe.Details) == 0 || strings.TrimSpace(pe.Error()) == "" {
			t.Fatalf("bad parse error %+v", pe)
		}
	}
}

// FuzzJSON: the json format, by field discovery or a flattenSpec (the path expression is
// fuzzed too), one value per record or one per line.
func FuzzJSON(f *testing.F) {
	for _, s := range []struct {
		data, path string
		lines      bool
	}{
		{`{"ts":"2024-03-05T10:00:00Z","a":"x","value":1,"n":2}`, "$.a", false},
		{`{"ts":9223372036854775807,"id":"x","value":1}`, "$.id", false},
		{`{"ts":1e300,"value":1e308}{"ts":-1,"value":"Infinity"}`, "$..value", false},
		{"{\"ts\":1}\n{\"ts\":[1]}\n{broken\n{\"ts\":{\"x\":1},\"value\":{\"x\":1}}", "$.ts[0]", true},
		{`{"ts":"9999-12-31T23:59:59.999Z","o":{"k":[1,{"z":null}]},"value":18446744073709551616}`, "$.o.k[*]", false},
		{`{"ts":"0000-01-01T00:00:00Z","a":[["x"]],"v2":"NaN"}`, "$['a'][0]", false},
		{`{"ts":"1","n":"1e19","value":-1e39}`, "$.n.length()", false},
		{`[1,2]`, "$[?(@.a > 1)]", false},
		{`null`, "", false},
		// The seeds of the FuzzParseJSON this target replaces.
		{`{"timestamp":"2023-01-01","a":[1,{"b":2}]}`, "$.a[*].b", false},
		{`{} {}`, "$..b", false},
		{`"x" 1 null`, "", false},
		{`{"a":"\u00"}`, "", true},
	} {
		f.Add([]byte(s.data), s.path, s.lines)
	}
	f.Fuzz(func(t *testing.T, data []byte, path string, lines bool) {
		format := &spec.InputFormat{Type: "json", AssumeNewlineDelimited: &lines, FlattenSpec: &spec.FlattenSpec{
			Fields: []spec.FlattenField{{Type: "path", Name: "p", Expr: path}, {Type: "jq", Name: "q", Expr: ".o.k"}, {Type: "tree", Name: "tr", Nodes: []string{"o", "k"}}},
		}}
		if ValidateInputFormat(format) != nil {
			format.FlattenSpec.Fields = format.FlattenSpec.Fields[1:] // a path that does not compile
		}
		fuzzParse(t, fuzzParser(t, format, &spec.TimestampSpec{Column: "ts", Format: "auto"}), Record{Value: data})
		fuzzParse(t, fuzzParser(t, &spec.InputFormat{Type: "json"}, &spec.TimestampSpec{Column: "ts", Format: "auto"}), Record{Value: data})
	})
}

// FuzzDelimited: csv, tsv and delimited, with listed columns or a header per record.
func FuzzDelimited(f *testing.F) {
	for _, s := range []struct {
		data string
		kind uint8
	}{
		{"2024-03-05T10:00:00Z,x,1", 0},
		{"9223372036854775807,x,1\n1e19,y,2\n\"10000-01-01\",z,3", 0},
		{"ts,a,value\n1,\"q,\"\"x\"\"\",1e308", 1},
		{"1\tp|q\tInfinity\r\n\n1|2\tx\t18446744073709551616", 2},
		{"1::a::b::c", 3},
		{"\"unterminated,1", 0},
		{"a,a\n1,2", 1},
		// The seeds of the FuzzParseCSV this target replaces.
		{"timestamp,a\n1,x", 1},
		{"\"", 1},
		{"a,\"b\"\"c\",d\n", 1},
		{",,,\n\n", 1},
		{"1,\"x\"y", 1},
	} {
		f.Add([]byte(s.data), s.kind)
	}
	cols := []string{"ts", "a", "value"}
	formats := []*spec.InputFormat{
		{Type: "csv", Columns: cols},
		{Type: "csv", FindColumnsFromHeader: ptr(true), SkipHeaderRows: 0},
		{Type: "tsv", Columns: cols, ListDelimiter: ptr("|")},
		{Type: "delimited", Delimiter: ptr("::"), Columns: cols},
	}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		format := formats[int(kind)%len(formats)]
		fuzzParse(t, fuzzParser(t, format, &spec.TimestampSpec{Column: "ts", Format: "auto"}), Record{Value: data})
	})
}

// FuzzKafka: the kafka format around json values, with a csv key and string headers in a
// fuzzed encoding; the row time is the record timestamp, which may be anything.
func FuzzKafka(f *testing.F) {
	f.Add([]byte("k1,x"), []byte(`{"a":"x","value":1}`), "h", []byte("v"), int64(1709632800000), uint8(0))
	f.Add([]byte(nil), []byte(nil), "h", []byte{0xFE, 0xFF, 0xD8, 0x00}, int64(9223372036854775807), uint8(3))
	f.Add([]byte(`"k`), []byte(`{"kafka.timestamp":1e300}`), "", []byte{0xFF}, int64(-62167219200001), uint8(1))
	f.Add([]byte("a\nb"), []byte(`{"kafka.timestamp":[1]}`), "x", []byte{0xFF, 0xFE, 0x00}, int64(253402300799999), uint8(4))
	encodings := []string{"UTF-8", "ISO-8859-1", "US-ASCII", "UTF-16", "UTF-16BE", "UTF-16LE"}
	f.Fuzz(func(t *testing.T, key, value []byte, hk string, hv []byte, ts int64, enc uint8) {
		format := &spec.InputFormat{Type: "kafka", ValueFormat: &spec.InputFormat{Type: "json"},
			KeyFormat:    &spec.InputFormat{Type: "csv", Columns: []string{"k", "k2"}},
			HeaderFormat: &spec.HeaderFormat{Type: "string", Encoding: encodings[int(enc)%len(encodings)]}}
		p := fuzzParser(t, format, &spec.TimestampSpec{Column: "kafka.timestamp", Format: "millis"})
		rec := Record{Key: key, Value: value, Timestamp: ts, Topic: "t", Headers: []Header{{Key: hk, Value: hv}, {Key: "value", Value: hv}}}
		fuzzParse(t, p, rec)
	})
}

// FuzzTimestamp: the timestamp parser alone, for a fuzzed format (a name or a Joda pattern)
// and value, given as text or as a JSON number.
func FuzzTimestamp(f *testing.F) {
	for _, s := range []struct {
		format, value string
		number        bool
	}{
		{"auto", "2024-03-05T10:00:00Z", false},
		{"auto", "9223372036854775807", true},
		{"millis", "-9223372036854775808", true},
		{"posix", "1e300", true},
		{"auto", "1e19", true},
		{"nano", "18446744073709551616", false},
		{"iso", "9999-12-31T23:30:00-01:00", false},
		{"ruby", "-1e400", false},
		{"micro", "NaN", false},
		{"yyyy-MM-dd'T'HH:mm:ssZ", "9999-12-31T23:30:00-0100", false},
		{"dd/MMM/yyyy:HH:mm:ss Z", "22/Jul/2023:04:26:40 +0000", false},
		{"auto", "2023-07-22 06:26:40.123 Europe/Berlin", false},
		{"auto", "\"0000-01-01T00:00:00+01:00\"", false},
	} {
		f.Add(s.format, s.value, s.number)
	}
	f.Fuzz(func(t *testing.T, format, value string, number bool) {
		tsr, err := newTimestamper(&spec.TimestampSpec{Column: "ts", Format: format})
		if err != nil {
			return // not a format: the spec validator's to report
		}
		v := expr.String(value)
		if number {
			v = numberValue(value)
		}
		var r Row
		r.add("ts", v)
		r.Time = 12345 // must not survive a failed parse as a row time
		if err := tsr.apply(&r); err != nil {
			if !strings.Contains(err.Error(), "unparseable") {
				t.Fatalf("error %q does not say unparseable", err)
			}
			return
		}
		if !spec.TimestampInRange(r.Time) {
			t.Fatalf("format %q value %q: accepted %d, outside %s", format, value, r.Time, spec.TimestampRangeText)
		}
	})
}

func ptr[T any](v T) *T { return &v }
