package input

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/schemaregistry"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// The test data is written by goavro, a different Avro implementation from the one the engine
// decodes with (hamba/avro), so a shared misreading of the spec cannot cancel out.

const avroEventSchema = `{"type":"record","name":"Event","namespace":"test.ns","fields":[
 {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"id","type":"string"},
 {"name":"n","type":"int"},
 {"name":"f","type":"float"},
 {"name":"d","type":"double"},
 {"name":"flag","type":"boolean"},
 {"name":"color","type":{"type":"enum","name":"Color","symbols":["RED","GREEN"]}},
 {"name":"raw","type":"bytes"},
 {"name":"fx","type":{"type":"fixed","name":"Four","size":4}},
 {"name":"opt","type":["null","string"]},
 {"name":"multi","type":["null","string","long",{"type":"record","name":"Address","fields":[{"name":"city","type":"string"},{"name":"zip","type":"int"}]}]},
 {"name":"tags","type":{"type":"array","items":["null","string"]}},
 {"name":"nums","type":{"type":"array","items":"long"}},
 {"name":"attrs","type":{"type":"map","values":"long"}},
 {"name":"addr","type":"Address"},
 {"name":"day","type":{"type":"int","logicalType":"date"}},
 {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}
]}`

var avroT0 = time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)

func avroEvent(i int, multi any) map[string]any {
	return map[string]any{
		"ts": avroT0.Add(time.Duration(i) * time.Second), "id": "id-" + string(rune('a'+i)), "n": int32(i), "f": float32(1.1),
		"d": 2.5, "flag": true, "color": "GREEN", "raw": []byte("hi"), "fx": []byte{1, 2, 3, 4},
		"opt": goavro.Union("string", "o"), "multi": multi,
		"tags": []any{goavro.Union("string", "x"), nil, goavro.Union("string", "y")}, "nums": []any{int64(1), int64(2)},
		"attrs": map[string]any{"k": int64(7)}, "addr": map[string]any{"city": "Oslo", "zip": int32(150)},
		"day":    time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
		"amount": big.NewRat(12345, 100),
	}
}

func goavroEncode(t *testing.T, schema string, native map[string]any) []byte {
	t.Helper()
	c, err := goavro.NewCodec(schema)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.BinaryFromNative(nil, native)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func inlineFormat(schema string, extra func(*spec.InputFormat)) *spec.InputFormat {
	f := &spec.InputFormat{Type: "avro_stream", AvroBytesDecoder: &spec.AvroBytesDecoder{Type: "schema_inline", Schema: json.RawMessage(schema)}}
	if extra != nil {
		extra(f)
	}
	return f
}

// discovered lists the fields schemaless ingestion turns into dimensions.
func discovered(r *Row) string {
	var out []string
	r.EachDiscovered(func(name string, v expr.Value) { out = append(out, name+"="+v.String()) })
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestAvroConversionAndDiscovery(t *testing.T) {
	p, err := NewParser(Config{Format: inlineFormat(avroEventSchema, func(f *spec.InputFormat) {
		f.FlattenSpec = &spec.FlattenSpec{Fields: []spec.FlattenField{
			{Type: "path", Name: "city", Expr: "$.addr.city"},
			{Type: "path", Name: "zip", Expr: "$.addr.zip"},
			{Type: "path", Name: "k", Expr: "$.attrs.k"},
			{Type: "path", Name: "firstTag", Expr: "$.tags[0]"},
			{Type: "path", Name: "numSum", Expr: "$.nums.sum()"},
			{Type: "path", Name: "multiVal", Expr: "$.multi"},
			{Type: "jq", Name: "jqCity", Expr: ".addr.city"},
		}}
	}), Timestamp: ts("ts", "millis")})
	if err != nil {
		t.Fatal(err)
	}
	var got, all string
	var gotTime int64
	err = p.Parse(Record{Value: goavroEncode(t, avroEventSchema, avroEvent(0, goavro.Union("long", int64(42))))}, func(r *Row) error {
		got, all, gotTime = discovered(r), render(r), r.Time
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if gotTime != avroT0.UnixMilli() {
		t.Errorf("time = %d, want %d", gotTime, avroT0.UnixMilli())
	}
	// Discovered: primitives, arrays of them, [null, X] unions, logical types converted
	// (decimal → double, date → epoch millis, timestamp-millis stays a long). Not discovered:
	// the boolean, the multi-type union, the map, the record and an array of [null, string]
	// (Druid's rule; its nulls are dropped when it is read); nor ts (the timestamp column).
	wantDisc := `amount=123.45,city="Oslo",color="GREEN",d=2.5,day=1714521600000,f=1.1,firstTag="x",fx="AQIDBA==",id="id-a",jqCity="Oslo",k=7,multiVal=42,n=0,numSum=3.0,nums=[1, 2],opt="o",raw="aGk=",zip=150`
	if got != wantDisc {
		t.Errorf("discovered:\n got %s\nwant %s", got, wantDisc)
	}
	for _, want := range []string{`flag="true"`, `addr="{`, `attrs="{\"k\":7}"`, `tags=[x, y]`} {
		if !strings.Contains(all, want) {
			t.Errorf("row %s lacks %s (undiscovered fields stay readable)", all, want)
		}
	}
}

func TestAvroBinaryAsStringAndUnions(t *testing.T) {
	p, err := NewParser(Config{Format: inlineFormat(avroEventSchema, func(f *spec.InputFormat) {
		f.BinaryAsString, f.ExtractUnionsByType = bptr(true), bptr(true)
		f.FlattenSpec = &spec.FlattenSpec{UseFieldDiscovery: bptr(false), Fields: []spec.FlattenField{
			{Type: "root", Name: "ts"}, {Type: "root", Name: "raw"}, {Type: "root", Name: "id"},
			{Type: "path", Name: "multiLong", Expr: "$.multi.long"},
			{Type: "path", Name: "multiCity", Expr: "$.multi.Address.city"},
			{Type: "path", Name: "opt", Expr: "$.opt"}, // [null, X] is never exploded
		}}
	}), Timestamp: ts("ts", "millis")})
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for i, multi := range []any{goavro.Union("long", int64(9)), goavro.Union("test.ns.Address", map[string]any{"city": "Rome", "zip": int32(1)}), nil} {
		err := p.Parse(Record{Value: goavroEncode(t, avroEventSchema, avroEvent(i, multi))}, func(r *Row) error {
			rows = append(rows, render(r))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		`1714566600000|id="id-a",multiCity=null,multiLong=9,opt="o",raw="hi",ts=1714566600000`,
		`1714566601000|id="id-b",multiCity="Rome",multiLong=null,opt="o",raw="hi",ts=1714566601000`,
		`1714566602000|id="id-c",multiCity=null,multiLong=null,opt="o",raw="hi",ts=1714566602000`,
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}

func TestAvroDecimalAndFloatConversion(t *testing.T) {
	for _, c := range []struct {
		b     []byte
		scale int
		want  float64
	}{{[]byte{0x30, 0x39}, 2, 123.45}, {[]byte{0xcf, 0xc7}, 2, -123.45}, {nil, 3, 0}, {[]byte{0x01}, 0, 1}} {
		if got := decimalDouble(c.b, c.scale); got != c.want {
			t.Errorf("decimalDouble(%x, %d) = %v, want %v", c.b, c.scale, got, c.want)
		}
	}
}

func TestAvroMalformed(t *testing.T) {
	good := goavroEncode(t, avroEventSchema, avroEvent(0, nil))
	multi := &spec.InputFormat{Type: "avro_stream", AvroBytesDecoder: &spec.AvroBytesDecoder{Type: "multiple_schemas_inline",
		Schemas: map[string]json.RawMessage{"7": json.RawMessage(avroEventSchema)}}}
	frame := func(version byte, id uint32, datum []byte) []byte {
		b := []byte{version, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(b[1:], id)
		return append(b, datum...)
	}
	tests := []struct {
		name    string
		format  *spec.InputFormat
		value   []byte
		wantErr string
	}{
		{"truncated datum", inlineFormat(avroEventSchema, nil), good[:len(good)/2], "unable to decode Avro record"},
		{"garbage", inlineFormat(avroEventSchema, nil), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "unable to decode Avro record"},
		{"multiple: too short", multi, []byte{1, 0, 0}, "too short"},
		{"multiple: bad version", multi, frame(0, 7, good), "version byte is 0"},
		{"multiple: unknown id", multi, frame(1, 8, good), "schema id 8 is not in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewParser(Config{Format: tt.format, Timestamp: ts("ts", "millis")})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := parseAll(t, p, Record{Value: tt.value})
			pes := AsParseErrors(err)
			if len(pes) != 1 || !strings.Contains(pes[0].Error(), tt.wantErr) || len(rows) != 0 {
				t.Fatalf("rows %v, err %v; want one parse error containing %q", rows, err, tt.wantErr)
			}
		})
	}
	p, err := NewParser(Config{Format: multi, Timestamp: ts("ts", "millis")})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := parseAll(t, p, Record{Value: frame(1, 7, good)})
	if err != nil || len(rows) != 1 {
		t.Fatalf("multiple_schemas_inline with a good frame: rows %v, err %v", rows, err)
	}
}

// TestAvroRegistry checks the schema_registry decoder against franz-go's Confluent-protocol
// registry: framing, an unknown id (a parse error) and an outage (an error that is not a parse
// error, so the task retries the record).
func TestAvroRegistry(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	id, _, err := reg.RegisterSchema("events-value", sr.Schema{Schema: avroEventSchema, Type: sr.TypeAvro})
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if down.Load() {
			http.Error(w, `{"error_code":50301,"message":"unavailable"}`, http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	f := &spec.InputFormat{Type: "avro_stream", AvroBytesDecoder: &spec.AvroBytesDecoder{Type: "schema_registry", URL: reg.URL(),
		Headers: map[string]any{"X-Token": map[string]any{"type": "environment", "variable": "TOKEN"}}}}
	getenv := func(k string) (string, bool) { return "secret", k == "TOKEN" }
	p, err := NewParser(Config{Format: f, Timestamp: ts("ts", "millis"), Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	var h sr.ConfluentHeader
	enc := func(id int) []byte {
		b, err := h.AppendEncode(nil, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		return append(b, goavroEncode(t, avroEventSchema, avroEvent(1, nil))...)
	}
	down.Store(true)
	_, err = parseAll(t, p, Record{Value: enc(id)})
	if !schemaregistry.IsUnavailable(err) || AsParseErrors(err) != nil {
		t.Fatalf("registry down: err = %v, want an unavailable error that is no parse error", err)
	}
	down.Store(false)
	rows, err := parseAll(t, p, Record{Value: enc(id)})
	if err != nil || len(rows) != 1 || !strings.Contains(rows[0], `id="id-b"`) {
		t.Fatalf("rows %v, err %v", rows, err)
	}
	down.Store(true) // parsed once per id: no registry call needed any more
	if rows, err := parseAll(t, p, Record{Value: enc(id)}); err != nil || len(rows) != 1 {
		t.Fatalf("cached schema during an outage: rows %v, err %v", rows, err)
	}
	down.Store(false)
	for _, bad := range [][]byte{enc(id + 100), {0, 0, 0}} {
		_, err = parseAll(t, p, Record{Value: bad})
		if pes := AsParseErrors(err); len(pes) != 1 {
			t.Fatalf("bad record %x: err = %v, want a parse error", bad, err)
		}
	}
}

func TestAvroOCF(t *testing.T) {
	for _, codec := range []string{"null", "deflate", "snappy"} {
		t.Run(codec, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := goavro.NewOCFWriter(goavro.OCFConfig{W: &buf, Schema: avroEventSchema, CompressionName: codec})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Append([]any{avroEvent(0, nil), avroEvent(1, nil)}); err != nil {
				t.Fatal(err)
			}
			// The reader schema keeps two fields, renames one through an alias and adds one
			// with a default.
			reader := `{"type":"record","name":"Event","namespace":"test.ns","fields":[
				{"name":"ts","type":"long"},{"name":"ident","aliases":["id"],"type":"string"},
				{"name":"region","type":"string","default":"eu"}]}`
			p, err := NewParser(Config{Format: &spec.InputFormat{Type: "avro_ocf", Schema: json.RawMessage(reader)}, Timestamp: ts("ts", "millis")})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := parseAll(t, p, Record{Value: buf.Bytes()})
			if err != nil {
				t.Fatal(err)
			}
			want := `1714566600000|ident="id-a",region="eu",ts=1714566600000` + "\n" + `1714566601000|ident="id-b",region="eu",ts=1714566601000`
			if strings.Join(rows, "\n") != want {
				t.Errorf("rows:\n%s\nwant\n%s", strings.Join(rows, "\n"), want)
			}
			b := buf.Bytes()
			if _, err := parseAll(t, p, Record{Value: b[:len(b)-3]}); len(AsParseErrors(err)) != 1 {
				t.Errorf("truncated file: err = %v, want a parse error", err)
			}
		})
	}
}

// TestAvroFromDruidSpecs decodes whole supervisor specs in Druid's shapes (the legacy
// avro_stream parser; the kafka format with Avro key and value) and parses goavro records with
// the formats they yield.
func TestAvroFromDruidSpecs(t *testing.T) {
	schema, _ := json.Marshal(json.RawMessage(avroEventSchema))
	legacy := `{"type":"kafka","dataSchema":{"dataSource":"d","parser":{"type":"avro_stream",
	  "avroBytesDecoder":{"type":"schema_inline","schema":` + string(schema) + `},
	  "parseSpec":{"format":"avro","timestampSpec":{"column":"ts","format":"millis"},
	   "flattenSpec":{"useFieldDiscovery":false,"fields":["ts",{"type":"root","name":"id"},{"type":"path","name":"city","expr":"$.addr.city"}]}}}},
	 "ioConfig":{"topic":"t","consumerProperties":{"bootstrap.servers":"x:1"}}}`
	keySchema := `{"type":"record","name":"Key","fields":[{"name":"k","type":"string"}]}`
	kafka := `{"type":"kafka","dataSchema":{"dataSource":"d","timestampSpec":{"column":"ts","format":"millis"}},
	 "ioConfig":{"topic":"t","consumerProperties":{"bootstrap.servers":"x:1"},"inputFormat":{"type":"kafka",
	  "keyFormat":{"type":"avro_stream","avroBytesDecoder":{"type":"schema_inline","schema":` + keySchema + `}},
	  "valueFormat":{"type":"avro_stream","avroBytesDecoder":{"type":"schema_inline","schema":` + string(schema) + `},
	   "flattenSpec":{"useFieldDiscovery":false,"fields":["ts","id"]}}}}}`
	value := goavroEncode(t, avroEventSchema, avroEvent(2, nil))
	key := goavroEncode(t, keySchema, map[string]any{"k": "the-key"})
	for _, c := range []struct{ name, spec, want string }{
		{"legacy parser", legacy, `1714566602000|city="Oslo",id="id-c",ts=1714566602000`},
		{"kafka format", kafka, `1714566602000|id="id-c",kafka.key="the-key",kafka.timestamp=5,kafka.topic="t",ts=1714566602000`},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := spec.Decode([]byte(c.spec))
			if err != nil {
				t.Fatal(err)
			}
			p, err := NewParser(Config{Format: s.IOConfig.InputFormat, Timestamp: s.DataSchema.TimestampSpec})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := parseAll(t, p, Record{Key: key, Value: value, Topic: "t", Timestamp: 5})
			if err != nil || len(rows) != 1 || rows[0] != c.want {
				t.Fatalf("rows %v, err %v; want %s", rows, err, c.want)
			}
		})
	}
}

// TestAvroRegistryReferences decodes a registry schema that names a type from another subject
// (a schema reference).
func TestAvroRegistryReferences(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	if _, _, err := reg.RegisterSchema("address", sr.Schema{Schema: `{"type":"record","name":"Address","namespace":"geo","fields":[{"name":"city","type":"string"}]}`}); err != nil {
		t.Fatal(err)
	}
	id, _, err := reg.RegisterSchema("people-value", sr.Schema{
		Schema:     `{"type":"record","name":"Person","fields":[{"name":"ts","type":"long"},{"name":"home","type":"geo.Address"}]}`,
		References: []sr.SchemaReference{{Name: "geo.Address", Subject: "address", Version: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// goavro needs the referenced type inline; the binary encoding is the same.
	whole := `{"type":"record","name":"Person","fields":[{"name":"ts","type":"long"},
	  {"name":"home","type":{"type":"record","name":"Address","namespace":"geo","fields":[{"name":"city","type":"string"}]}}]}`
	var h sr.ConfluentHeader
	b, _ := h.AppendEncode(nil, id, nil)
	b = append(b, goavroEncode(t, whole, map[string]any{"ts": int64(1000), "home": map[string]any{"city": "Lima"}})...)
	p, err := NewParser(Config{Format: &spec.InputFormat{Type: "avro_stream",
		AvroBytesDecoder: &spec.AvroBytesDecoder{Type: "schema_registry", URLs: []string{reg.URL()}},
		FlattenSpec:      &spec.FlattenSpec{Fields: []spec.FlattenField{{Type: "path", Name: "city", Expr: "$.home.city"}}}}, Timestamp: ts("ts", "millis")})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := parseAll(t, p, Record{Value: b})
	if err != nil || len(rows) != 1 || !strings.Contains(rows[0], `city="Lima"`) {
		t.Fatalf("rows %v, err %v", rows, err)
	}
}
