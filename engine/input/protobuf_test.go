package input

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bufbuild/protocompile"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/input/protobuftest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/schemaregistry"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

var protoEventTime = time.Date(2026, 12, 2, 10, 30, 15, 250_000_000, time.UTC)

// protoEvent is one fully populated fixture Event.
func protoEvent(t *testing.T, fx *protobuftest.Fixture) []byte {
	return fx.Message(t, "kafkaindexer.test.Event", map[string]any{
		"event_time": protoEventTime,
		"page_name":  "Main_Page",
		"view_count": int64(9_007_199_254_740_993), // beyond a double: must stay exact
		"geo":        map[string]any{"city": "Lyon", "lat": 45.76},
		"tags":       []string{"a", "b"},
		"attributes": map[string]int32{"x": 1, "y": -2},
		"level":      "WARN",
		"bytes_sent": int64(1234),
		"detail":     map[string]any{"user_agent": "curl", "is_robot": true},
	})
}

// protoFlatten reaches every kind of value of the fixture by the JSON names Druid uses.
var protoFlatten = &spec.FlattenSpec{Fields: []spec.FlattenField{
	{Type: "path", Name: "city", Expr: "$.geo.city"},
	{Type: "path", Name: "lat", Expr: "$.geo.lat"},
	{Type: "path", Name: "attrX", Expr: "$.attributes.x"},
	{Type: "path", Name: "attrY", Expr: "$.attributes.y"},
	{Type: "path", Name: "agent", Expr: "$.detail.userAgent"},
	{Type: "path", Name: "robot", Expr: "$.detail.isRobot"},
	{Type: "path", Name: "tag0", Expr: "$.tags[0]"},
}}

// protoEventWant is the row: nested messages and maps are readable by name as JSON text (not
// discovered as dimensions, as for JSON input), reached field by field through flattenSpec.
const protoEventWant = `1796207415250|agent="curl",attrX=1,attrY=-2,attributes="{\"x\":1,\"y\":-2}",bytesSent=1234,city="Lyon",detail="{\"userAgent\":\"curl\",\"isRobot\":true}",eventTime="2026-12-02T10:30:15.250Z",geo="{\"city\":\"Lyon\",\"lat\":45.76}",lat=45.76,level="WARN",pageName="Main_Page",robot="true",tag0="a",tags=[a, b],viewCount=9007199254740993`

func protoParser(t *testing.T, dec *spec.ProtoBytesDecoder) *Parser {
	t.Helper()
	return protoParserWith(t, dec, protoFlatten)
}

func protoParserWith(t *testing.T, dec *spec.ProtoBytesDecoder, fs *spec.FlattenSpec) *Parser {
	t.Helper()
	p, err := NewParser(Config{Format: &spec.InputFormat{Type: "protobuf", ProtoBytesDecoder: dec, FlattenSpec: fs}, Timestamp: ts("eventTime", "iso")})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProtobufDescriptorDecoders(t *testing.T) {
	fx := protobuftest.Compile(t)
	desc := fx.WriteDesc(t)
	inline := base64.StdEncoding.EncodeToString(fx.SetBytes(t))
	for _, tc := range []struct {
		name string
		dec  spec.ProtoBytesDecoder
	}{
		{"file path", spec.ProtoBytesDecoder{Type: "file", Descriptor: desc, ProtoMessageType: "Event"}},
		{"file URI", spec.ProtoBytesDecoder{Type: "file", Descriptor: "file://" + desc, ProtoMessageType: "kafkaindexer.test.Event"}},
		{"inline", spec.ProtoBytesDecoder{Type: "inline", DescriptorString: inline, ProtoMessageType: "Event"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := protoParser(t, &tc.dec)
			rows, err := parseAll(t, p, Record{Value: protoEvent(t, fx)})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0] != protoEventWant {
				t.Fatalf("rows:\n%v\nwant:\n%s", rows, protoEventWant)
			}
			// Corrupt bytes are one unparseable record, never a panic or a dropped row.
			_, err = parseAll(t, p, Record{Value: []byte{0x0a, 0xff, 0xff}})
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Partial || !strings.Contains(pe.Error(), "kafkaindexer.test.Event") {
				t.Fatalf("corrupt record: %v", err)
			}
		})
	}
}

// TestProtobufMessageTypeLookup follows Druid's rules: unset means the first message of the
// first file in the set that has one (common.proto comes first, as protoc --include_imports
// writes it); a name may be simple, full, or Parent.Nested.
func TestProtobufMessageTypeLookup(t *testing.T) {
	fx := protobuftest.Compile(t)
	desc := fx.WriteDesc(t)
	for name, want := range map[string]string{
		"":                               "kafkaindexer.test.Geo",
		"Event":                          "kafkaindexer.test.Event",
		"kafkaindexer.test.Other":        "kafkaindexer.test.Other",
		"Event.Detail":                   "kafkaindexer.test.Event.Detail",
		"Detail":                         "kafkaindexer.test.Event.Detail",
		"kafkaindexer.test.Event.Detail": "kafkaindexer.test.Event.Detail",
		"google.protobuf.Timestamp":      "google.protobuf.Timestamp",
		"kafkaindexer.test.Geo":          "kafkaindexer.test.Geo",
	} {
		d := &spec.ProtoBytesDecoder{Type: "file", Descriptor: desc, ProtoMessageType: name}
		md, err := d.MessageDescriptor()
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if string(md.FullName()) != want {
			t.Errorf("%q resolved to %s, want %s", name, md.FullName(), want)
		}
	}
	_, err := (&spec.ProtoBytesDecoder{Type: "file", Descriptor: desc, ProtoMessageType: "Nope"}).MessageDescriptor()
	var fe *spec.FieldError
	if !errors.As(err, &fe) || fe.Path != "protoMessageType" {
		t.Fatalf("unknown type: %v", err)
	}
}

// TestProtobufConversion checks the JSON Druid's ProtobufConverter would build for each kind of
// field, on a message compiled here and filled from protobuf's canonical JSON.
func TestProtobufConversion(t *testing.T) {
	const src = `syntax = "proto3";
package conv;
import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
message Inner { string s = 1; }
message All {
  int32 i32 = 1; sint64 s64 = 2; uint64 u64 = 3; fixed32 f32 = 4; float fl = 5; double db = 6;
  bool flag = 7; bytes raw = 8; string text_value = 9;
  google.protobuf.Duration dur = 10; google.protobuf.FieldMask mask = 11;
  google.protobuf.Struct st = 12; google.protobuf.Value val = 13; google.protobuf.ListValue lv = 14;
  google.protobuf.BytesValue bv = 15; google.protobuf.BoolValue boolv = 16; google.protobuf.StringValue sv = 17;
  repeated google.protobuf.Timestamp times = 18; map<int32, Inner> by_id = 19;
  google.protobuf.NullValue nothing = 20; google.protobuf.Any any = 21; double inf = 22;
}`
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(map[string]string{"conv.proto": src})})}
	files, err := c.Compile(context.Background(), "conv.proto")
	if err != nil {
		t.Fatal(err)
	}
	md := files[0].Messages().ByName("All")
	m := dynamicpb.NewMessage(md)
	in := `{"i32":-5,"s64":"-9000000000","u64":"18446744073709551615","f32":7,"fl":1.1,"db":2.5,
		"flag":true,"raw":"AAH/","textValue":"t\"q\u0001","dur":"1.500s","mask":"a.b,c",
		"st":{"k":[1,"x",null]},"val":3,"lv":[true],"bv":"AQ==","boolv":false,"sv":"",
		"times":["1970-01-01T00:00:01Z","2026-12-02T00:00:00.123Z"],"byId":{"2":{"s":"two"},"1":{"s":"one"}},
		"any":{"@type":"type.googleapis.com/conv.Inner","s":"in"},"inf":"-Infinity"}`
	if err := (protojson.UnmarshalOptions{Resolver: dynamicpb.NewTypes(filesOf(t, files[0]))}).Unmarshal([]byte(in), m); err != nil {
		t.Fatal(err)
	}
	got, err := (&protoJSON{types: typesOf(files[0])}).appendMessage(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"i32":-5,"s64":-9000000000,"u64":18446744073709551615,"f32":7,"fl":1.1,"db":2.5,` +
		`"flag":true,"raw":"AAH/","textValue":"t\"q\u0001","dur":"1.500s","mask":"a.b,c",` +
		`"st":{"k":[1,"x",null]},"val":3,"lv":[true],"bv":"AQ==","boolv":false,"sv":"",` +
		`"times":["1970-01-01T00:00:01Z","2026-12-02T00:00:00.123Z"],"byId":{"1":{"s":"one"},"2":{"s":"two"}},` +
		`"any":"{\"@type\":\"type.googleapis.com/conv.Inner\",\"s\":\"in\"}","inf":"-Infinity"}`
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func filesOf(t *testing.T, f protoreflect.FileDescriptor) *protoregistry.Files {
	t.Helper()
	files := new(protoregistry.Files)
	if err := files.RegisterFile(f); err != nil {
		t.Fatal(err)
	}
	return files
}

// TestProtobufUnsetFields: proto3 leaves unset fields out, as Druid's getAllFields does.
func TestProtobufUnsetFields(t *testing.T) {
	fx := protobuftest.Compile(t)
	p := protoParserWith(t, &spec.ProtoBytesDecoder{Type: "inline", DescriptorString: base64.StdEncoding.EncodeToString(fx.SetBytes(t)), ProtoMessageType: "Other"}, nil)
	// An Other has no eventTime set: proto3 leaves unset fields out, so the row has no
	// timestamp and is a parse exception naming the column.
	_, err := parseAll(t, p, Record{Value: fx.Message(t, "kafkaindexer.test.Other", map[string]any{"page_name": "x"})})
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(pe.Input, `"pageName":"x"`) {
		t.Fatalf("missing timestamp: %v (input %q)", err, pe.Input)
	}
	rows, err := parseAll(t, p, Record{Value: fx.Message(t, "kafkaindexer.test.Other", map[string]any{"page_name": "x", "event_time": time.Unix(1, 5000).UTC()})})
	if err != nil {
		t.Fatal(err)
	}
	if want := `1000|eventTime="1970-01-01T00:00:01.000005Z",pageName="x"`; len(rows) != 1 || rows[0] != want {
		t.Fatalf("rows %v, want %s", rows, want)
	}
}

// registryFixture registers common.proto as a reference and event.proto referring to it, the way
// a Confluent producer registers them.
func registryFixture(t *testing.T) (*srfake.Registry, int) {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	if _, _, err := reg.RegisterSchema("common.proto", sr.Schema{Schema: protobuftest.Source(t, "common.proto"), Type: sr.TypeProtobuf}); err != nil {
		t.Fatal(err)
	}
	id, _, err := reg.RegisterSchema("events-value", sr.Schema{Schema: protobuftest.Source(t, "event.proto"), Type: sr.TypeProtobuf,
		References: []sr.SchemaReference{{Name: "common.proto", Subject: "common.proto", Version: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	return reg, id
}

func confluent(t *testing.T, id int, index []int, msg []byte) []byte {
	t.Helper()
	var h sr.ConfluentHeader
	b, err := h.AppendEncode(nil, id, index)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, msg...)
}

func TestProtobufSchemaRegistry(t *testing.T) {
	fx := protobuftest.Compile(t)
	reg, id := registryFixture(t)
	var down bool
	var hits int
	reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		hits++
		if down {
			http.Error(w, `{"error_code":50301,"message":"unavailable"}`, http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	p := protoParser(t, &spec.ProtoBytesDecoder{Type: "schema_registry", URL: reg.URL()})

	rows, err := parseAll(t, p, Record{Value: confluent(t, id, []int{0}, protoEvent(t, fx))})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0] != protoEventWant {
		t.Fatalf("rows:\n%v\nwant:\n%s", rows, protoEventWant)
	}
	// Message index [1] is the schema's second message; Druid would decode it as an Event.
	other := fx.Message(t, "kafkaindexer.test.Other", map[string]any{"page_name": "Talk", "note": "second", "event_time": protoEventTime})
	p2 := protoParserWith(t, &spec.ProtoBytesDecoder{Type: "schema_registry", URLs: []string{reg.URL()}}, nil)
	rows, err = parseAll(t, p2, Record{Value: confluent(t, id, []int{1}, other)})
	if err != nil {
		t.Fatal(err)
	}
	if want := `1796207415250|eventTime="2026-12-02T10:30:15.250Z",note="second",pageName="Talk"`; len(rows) != 1 || rows[0] != want {
		t.Fatalf("index [1]: %v, want %s", rows, want)
	}
	// [0,0] is Event.Detail.
	detail := fx.Message(t, "kafkaindexer.test.Event.Detail", map[string]any{"user_agent": "wget"})
	if _, err := parseAll(t, p, Record{Value: confluent(t, id, []int{0, 0}, detail)}); err == nil || !strings.Contains(err.Error(), "eventTime") {
		t.Fatalf("index [0,0] decodes Event.Detail, which has no timestamp: %v", err)
	}
	before := hits

	for name, rec := range map[string][]byte{
		"unknown schema id": confluent(t, 999, []int{0}, protoEvent(t, fx)),
		"bad message index": confluent(t, id, []int{5}, protoEvent(t, fx)),
		"corrupt message":   confluent(t, id, []int{0}, []byte{0x0a, 0xff}),
		"short header":      {0, 0, 0},
	} {
		_, err := parseAll(t, p, Record{Value: rec})
		var pe *ParseError
		if !errors.As(err, &pe) || schemaregistry.IsUnavailable(err) {
			t.Errorf("%s: err = %v, want a *ParseError", name, err)
		}
	}
	if hits-before != 1 {
		t.Errorf("%d registry requests after the schema was cached, want 1 (the unknown id)", hits-before)
	}

	// An outage is not a parse exception: the source hands back *UnavailableError so the task
	// retries the record. A cached schema keeps decoding meanwhile.
	down = true
	_, err = parseAll(t, p, Record{Value: confluent(t, id+100, []int{0}, protoEvent(t, fx))})
	var pe *ParseError
	if !schemaregistry.IsUnavailable(err) || errors.As(err, &pe) {
		t.Fatalf("registry down: err = %v (%T), want *schemaregistry.UnavailableError", err, err)
	}
	if _, err := parseAll(t, p, Record{Value: confluent(t, id, []int{0}, protoEvent(t, fx))}); err != nil {
		t.Fatalf("cached schema during an outage: %v", err)
	}
}

// TestProtobufKafkaValueFormat reads a protobuf value inside the kafka inputFormat.
func TestProtobufKafkaValueFormat(t *testing.T) {
	fx := protobuftest.Compile(t)
	f := &spec.InputFormat{Type: "kafka", ValueFormat: &spec.InputFormat{Type: "protobuf", FlattenSpec: protoFlatten,
		ProtoBytesDecoder: &spec.ProtoBytesDecoder{Type: "file", Descriptor: fx.WriteDesc(t), ProtoMessageType: "Event"}}}
	p, err := NewParser(Config{Format: f, Timestamp: ts("eventTime", "iso")})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := parseAll(t, p, Record{Topic: "events", Key: []byte("k1"), Value: protoEvent(t, fx), Timestamp: 42})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !strings.Contains(rows[0], `kafka.timestamp=42`) || !strings.Contains(rows[0], `kafka.topic="events"`) || !strings.Contains(rows[0], `pageName="Main_Page"`) {
		t.Fatalf("rows %v", rows)
	}
}

// TestProtobufSetWithoutImports reads a descriptor set written without --include_imports: the
// well-known types it imports resolve from the protobuf library, as in Druid; a missing user
// import is a spec error naming the file.
func TestProtobufSetWithoutImports(t *testing.T) {
	fx := protobuftest.Compile(t)
	var own []*descriptorpb.FileDescriptorProto
	for _, f := range fx.Set.File {
		if !strings.HasPrefix(f.GetName(), "google/") {
			own = append(own, f)
		}
	}
	b, err := proto.Marshal(&descriptorpb.FileDescriptorSet{File: own})
	if err != nil {
		t.Fatal(err)
	}
	p := protoParser(t, &spec.ProtoBytesDecoder{Type: "inline", DescriptorString: base64.StdEncoding.EncodeToString(b), ProtoMessageType: "Event"})
	rows, err := parseAll(t, p, Record{Value: protoEvent(t, fx)})
	if err != nil || len(rows) != 1 || rows[0] != protoEventWant {
		t.Fatalf("rows %v, %v", rows, err)
	}

	b, _ = proto.Marshal(&descriptorpb.FileDescriptorSet{File: own[1:]}) // event.proto without common.proto
	_, err = (&spec.ProtoBytesDecoder{Type: "inline", DescriptorString: base64.StdEncoding.EncodeToString(b)}).MessageDescriptor()
	var fe *spec.FieldError
	if !errors.As(err, &fe) || fe.Path != "descriptorString" || !strings.Contains(fe.Msg, "event.proto") {
		t.Fatalf("missing import: %v", err)
	}
}

// TestProtobufRegistrySchemaDoesNotCompile: a registry schema that is not valid .proto source is
// a parse exception for each record, compiled (and fetched) once.
func TestProtobufRegistrySchemaDoesNotCompile(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	id, _, err := reg.RegisterSchema("broken-value", sr.Schema{Schema: `syntax = "proto3"; message M { strin x = 1; }`, Type: sr.TypeProtobuf})
	if err != nil {
		t.Fatal(err)
	}
	var hits int
	reg.Intercept(func(http.ResponseWriter, *http.Request) bool { hits++; return false })
	p := protoParser(t, &spec.ProtoBytesDecoder{Type: "schema_registry", URLs: []string{reg.URL()}})
	for range 3 {
		_, err := parseAll(t, p, Record{Value: confluent(t, id, []int{0}, []byte{0x0a, 0x01, 'x'})})
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(pe.Error(), "compile schema id") {
			t.Fatalf("err = %v", err)
		}
	}
	if hits != 1 {
		t.Errorf("%d registry requests, want 1", hits)
	}
}

// TestProtobufRegistrySecrets: config and headers go through the dynamic config provider, with
// the environment the caller gives; the registry sees the resolved header and credentials.
func TestProtobufRegistrySecrets(t *testing.T) {
	fx := protobuftest.Compile(t)
	reg, id := registryFixture(t)
	var sawHeader, sawAuth string
	reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		sawHeader = r.Header.Get("X-Token")
		if u, p, ok := r.BasicAuth(); ok {
			sawAuth = u + ":" + p
		}
		return false
	})
	env := map[string]string{"PB_TOKEN": "t0k", "PB_AUTH": "alice:s3cret"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	src, err := newProtobufSourceEnv(&spec.InputFormat{Type: "protobuf", ProtoBytesDecoder: &spec.ProtoBytesDecoder{Type: "schema_registry", URLs: []string{reg.URL()},
		Config: map[string]any{"basic.auth.credentials.source": "USER_INFO",
			"druid.dynamic.config.provider": map[string]any{"type": "environment", "variables": map[string]any{"basic.auth.user.info": "PB_AUTH"}}},
		Headers: map[string]any{"druid.dynamic.config.provider": map[string]any{"type": "environment", "variables": map[string]any{"X-Token": "PB_TOKEN"}}},
	}}, getenv, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var r Row
	if err := src.read(confluent(t, id, []int{0}, protoEvent(t, fx)), &r, func(pe *ParseError) error {
		if pe != nil {
			return pe
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if sawHeader != "t0k" || sawAuth != "alice:s3cret" {
		t.Fatalf("registry saw header %q and credentials %q", sawHeader, sawAuth)
	}
}
