package spec

import (
	"encoding/json"
	"strings"
	"testing"
)

const avroLegacySpec = `{"type":"kafka","dataSchema":{"dataSource":"d",
 "parser":{"type":"avro_stream","binaryAsString":true,
  "avroBytesDecoder":{"type":"schema_registry","urls":["http://r1:8081","http://r2:8081"],"capacity":50,
   "config":{"basic.auth.credentials.source":"USER_INFO","basic.auth.user.info":{"type":"environment","variable":"SR_AUTH"}}},
  "parseSpec":{"format":"avro","timestampSpec":{"column":"ts","format":"millis"},"dimensionsSpec":{"dimensions":["a"]},
   "flattenSpec":{"fields":[{"type":"path","name":"city","expr":"$.addr.city"}]}}}},
 "ioConfig":{"topic":"t","consumerProperties":{"bootstrap.servers":"x:1"}}}`

func TestAvroLegacyParser(t *testing.T) {
	s, err := Decode([]byte(avroLegacySpec))
	if err != nil {
		t.Fatal(err)
	}
	f := s.IOConfig.InputFormat
	if f.Type != "avro_stream" || f.AvroBytesDecoder == nil || f.AvroBytesDecoder.Type != "schema_registry" ||
		len(f.AvroBytesDecoder.RegistryURLs()) != 2 || f.BinaryAsString == nil || !*f.BinaryAsString ||
		f.FlattenSpec == nil || len(f.FlattenSpec.Fields) != 1 {
		t.Fatalf("inputFormat from the legacy parser: %+v", f)
	}
	if s.DataSchema.TimestampSpec.Column != "ts" || len(s.DataSchema.DimensionsSpec.Dimensions) != 1 {
		t.Fatalf("timestampSpec/dimensionsSpec not taken from the parseSpec: %+v %+v", s.DataSchema.TimestampSpec, s.DataSchema.DimensionsSpec)
	}
	// What a task receives decodes to the same format; the secret stays a provider.
	ds, _, in := s.TaskSections()
	if string(in) != "null" || !strings.Contains(string(ds), `"avroBytesDecoder"`) || !strings.Contains(string(ds), `"variable":"SR_AUTH"`) {
		t.Fatalf("task sections: inputFormat %s, dataSchema %s", in, ds)
	}
}

func TestAvroInputFormatEchoRoundTrip(t *testing.T) {
	raw := `{"type":"kafka","dataSchema":{"dataSource":"d"},"ioConfig":{"topic":"t","consumerProperties":{"bootstrap.servers":"x:1"},
	 "inputFormat":{"type":"kafka","valueFormat":{"type":"avro_stream","extractUnionsByType":true,
	  "avroBytesDecoder":{"type":"multiple_schemas_inline","schemas":{"1":{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}}}}}}}`
	s, err := Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, _, in := s.TaskSections()
	var echoed InputFormat
	if err := json.Unmarshal(in, &echoed); err != nil {
		t.Fatal(err)
	}
	v := echoed.ValueFormat
	if v == nil || v.Type != "avro_stream" || v.ExtractUnionsByType == nil || !*v.ExtractUnionsByType || v.BinaryAsString == nil ||
		v.AvroBytesDecoder == nil || len(v.AvroBytesDecoder.Schemas["1"]) == 0 {
		t.Fatalf("echoed valueFormat: %s", in)
	}
}

func TestAvroSpecErrors(t *testing.T) {
	withFormat := func(f string) string {
		return `{"type":"kafka","dataSchema":{"dataSource":"d"},"ioConfig":{"topic":"t","consumerProperties":{"bootstrap.servers":"x:1"},"inputFormat":` + f + `}}`
	}
	legacy := func(p string) string {
		return `{"type":"kafka","dataSchema":{"dataSource":"d","parser":` + p + `},"ioConfig":{"topic":"t","consumerProperties":{"bootstrap.servers":"x:1"}}}`
	}
	tests := []struct{ name, spec, want string }{
		{"legacy without decoder", legacy(`{"type":"avro_stream","parseSpec":{"format":"avro"}}`), "dataSchema.parser.avroBytesDecoder: missing"},
		{"legacy bad schema", legacy(`{"type":"avro_stream","avroBytesDecoder":{"type":"schema_inline","schema":{"type":"enum"}},"parseSpec":{"format":"avro"}}`),
			"dataSchema.parser.avroBytesDecoder.schema: not a valid Avro schema"},
		{"legacy decoder on string parser", legacy(`{"type":"string","avroBytesDecoder":{"type":"schema_inline"},"parseSpec":{"format":"json"}}`),
			"dataSchema.parser.avroBytesDecoder: only the avro_stream parser"},
		{"legacy wrong format", legacy(`{"type":"avro_stream","avroBytesDecoder":{"type":"schema_inline","schema":"string"},"parseSpec":{"format":"json"}}`),
			`dataSchema.parser.parseSpec.format: "json" does not go with the avro_stream parser`},
		{"schema_repo", withFormat(`{"type":"avro_stream","avroBytesDecoder":{"type":"schema_repo"}}`), "ioConfig.inputFormat.avroBytesDecoder.type: schema_repo"},
		{"capacity", withFormat(`{"type":"avro_stream","avroBytesDecoder":{"type":"schema_registry","url":"http://r:1","capacity":0}}`), "ioConfig.inputFormat.avroBytesDecoder.capacity: must be ≥ 1"},
		{"empty schemas", withFormat(`{"type":"avro_stream","avroBytesDecoder":{"type":"multiple_schemas_inline","schemas":{}}}`), "ioConfig.inputFormat.avroBytesDecoder.schemas: missing"},
		{"dynamic provider", withFormat(`{"type":"avro_stream","avroBytesDecoder":{"type":"schema_registry","url":"http://r:1","headers":{"druid.dynamic.config.provider":{"type":"vault"}}}}`),
			`ioConfig.inputFormat.avroBytesDecoder.headers.druid.dynamic.config.provider.type: unknown dynamic config provider "vault"`},
		{"ocf with decoder", withFormat(`{"type":"avro_ocf","avroBytesDecoder":{"type":"schema_inline","schema":"string"}}`), "ioConfig.inputFormat.avroBytesDecoder: only avro_stream"},
		{"ocf bad reader schema", withFormat(`{"type":"avro_ocf","schema":{"type":"record"}}`), "ioConfig.inputFormat.schema: not a valid Avro schema"},
		{"decoder on json", withFormat(`{"type":"json","avroBytesDecoder":{"type":"schema_inline","schema":"string"}}`), "ioConfig.inputFormat.avroBytesDecoder: only the avro_stream and avro_ocf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.spec))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// url wins over urls, as in Druid.
	d := AvroBytesDecoder{URL: "http://a:1", URLs: []string{"http://b:1"}}
	if u := d.RegistryURLs(); len(u) != 1 || u[0] != "http://a:1" {
		t.Fatalf("RegistryURLs = %v", u)
	}
}
