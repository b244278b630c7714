package input

import (
	"encoding/json"
	"testing"

	"github.com/linkedin/goavro/v2"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// FuzzAvro feeds arbitrary bytes to avro_stream (schema_inline, with discovery and flattenSpec
// paths over every kind of value) and to avro_ocf, checking fuzzParse's invariants:
//
//	go test -run '^$' -fuzz '^FuzzAvro$' -fuzztime 20s ./engine/input/
func FuzzAvro(f *testing.F) {
	codec, err := goavro.NewCodec(avroEventSchema)
	if err != nil {
		f.Fatal(err)
	}
	good, err := codec.BinaryFromNative(nil, avroEvent(0, goavro.Union("long", int64(3))))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, false)
	f.Add(good[:len(good)-1], false)
	f.Add([]byte{0x01, 0xff, 0xff, 0xff, 0xff, 0x0f}, false)
	f.Add([]byte("Obj\x01\x02\x16avro.schema\x0c\"long\"\x00"), true)
	fields := []spec.FlattenField{{Type: "path", Name: "city", Expr: "$.addr.city"}, {Type: "path", Name: "all", Expr: "$..city"},
		{Type: "path", Name: "tags", Expr: "$.tags[*]"}, {Type: "path", Name: "u", Expr: "$.multi.Address.zip"}}
	stream := fuzzParserF(f, &spec.InputFormat{Type: "avro_stream", ExtractUnionsByType: bptr(true), FlattenSpec: &spec.FlattenSpec{Fields: fields},
		AvroBytesDecoder: &spec.AvroBytesDecoder{Type: "schema_inline", Schema: json.RawMessage(avroEventSchema)}})
	ocf := fuzzParserF(f, &spec.InputFormat{Type: "avro_ocf", FlattenSpec: &spec.FlattenSpec{Fields: fields}})
	f.Fuzz(func(t *testing.T, data []byte, container bool) {
		p := stream
		if container {
			p = ocf
		}
		fuzzParse(t, p, Record{Value: data})
	})
}

func fuzzParserF(f *testing.F, format *spec.InputFormat) *Parser {
	p, err := NewParser(Config{Format: format, Timestamp: &spec.TimestampSpec{Column: "ts", Format: "millis"}, Metrics: fuzzMetrics,
		Dimensions: &spec.DimensionsSpec{IncludeAllDimensions: true, Dimensions: []spec.Dimension{{Type: "long", Name: "n"}, {Type: "float", Name: "value"}}}})
	if err != nil {
		f.Fatal(err)
	}
	return p
}
