package spec

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/input/protobuftest"
)

// protobufSpec is a complete Kafka supervisor spec whose inputFormat (or, with legacy set, whose
// dataSchema.parser) is the given object.
func protobufSpec(t *testing.T, format map[string]any, legacy bool) []byte {
	t.Helper()
	ds := map[string]any{
		"dataSource":      "pb",
		"timestampSpec":   map[string]any{"column": "eventTime", "format": "iso"},
		"dimensionsSpec":  map[string]any{"dimensions": []any{"pageName"}},
		"granularitySpec": map[string]any{"segmentGranularity": "hour"},
	}
	io := map[string]any{"topic": "pb", "consumerProperties": map[string]any{"bootstrap.servers": "localhost:9092"}}
	if legacy {
		ds["parser"] = format
		delete(ds, "timestampSpec")
		delete(ds, "dimensionsSpec")
	} else {
		io["inputFormat"] = format
	}
	b, err := json.Marshal(map[string]any{"type": "kafka", "spec": map[string]any{"dataSchema": ds, "ioConfig": io}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProtobufSpecs(t *testing.T) {
	fx := protobuftest.Compile(t)
	desc := fx.WriteDesc(t)
	inline := base64.StdEncoding.EncodeToString(fx.SetBytes(t))
	parseSpec := map[string]any{"format": "json", "timestampSpec": map[string]any{"column": "eventTime", "format": "iso"},
		"dimensionsSpec": map[string]any{"dimensions": []any{"pageName"}},
		"flattenSpec":    map[string]any{"fields": []any{map[string]any{"type": "path", "name": "city", "expr": "$.geo.city"}}}}
	good := []struct {
		name   string
		format map[string]any
		legacy bool
	}{
		{"file", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "file", "descriptor": "file://" + desc, "protoMessageType": "Event"}}, false},
		{"inline", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "inline", "descriptorString": inline, "protoMessageType": "kafkaindexer.test.Event"}}, false},
		{"schema_registry", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "schema_registry", "urls": []any{"http://localhost:8081"}, "capacity": 100,
			"config":  map[string]any{"basic.auth.credentials.source": "USER_INFO", "druid.dynamic.config.provider": map[string]any{"type": "environment", "variables": map[string]any{"basic.auth.user.info": "SR_AUTH"}}},
			"headers": map[string]any{"X-Team": "ingest"}}}, false},
		{"kafka value", map[string]any{"type": "kafka", "valueFormat": map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "file", "descriptor": desc, "protoMessageType": "Event"}}}, false},
		{"legacy parser with protoBytesDecoder", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "file", "descriptor": desc, "protoMessageType": "Event"}, "parseSpec": parseSpec}, true},
		{"legacy parser with top-level descriptor", map[string]any{"type": "protobuf", "descriptor": "file://" + desc, "protoMessageType": "Event",
			"parseSpec": map[string]any{"format": "timeAndDims", "timestampSpec": map[string]any{"column": "eventTime", "format": "iso"}, "dimensionsSpec": map[string]any{"dimensions": []any{"pageName"}}}}, true},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Decode(protobufSpec(t, tc.format, tc.legacy))
			if err != nil {
				t.Fatal(err)
			}
			f := s.IOConfig.InputFormat
			if f.Type == "kafka" {
				f = f.ValueFormat
			}
			if f.Type != "protobuf" || f.ProtoBytesDecoder == nil {
				t.Fatalf("inputFormat %+v", f)
			}
			if tc.legacy && s.DataSchema.TimestampSpec.Column != "eventTime" {
				t.Errorf("timestampSpec from the parseSpec: %+v", s.DataSchema.TimestampSpec)
			}
			// The echo decodes again to the same format.
			again, err := Decode(s.Echo())
			if err != nil {
				t.Fatalf("echo does not decode: %v\n%s", err, s.Echo())
			}
			if a, b := mustJSON(t, s.IOConfig.InputFormat), mustJSON(t, again.IOConfig.InputFormat); a != b {
				t.Errorf("echo changed the format:\n%s\n%s", a, b)
			}
		})
	}

	bad := []struct {
		name     string
		format   map[string]any
		legacy   bool
		path     string
		contains string
	}{
		{"no decoder", map[string]any{"type": "protobuf"}, false, "ioConfig.inputFormat.protoBytesDecoder", "missing"},
		{"unknown decoder", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "classpath"}}, false, "ioConfig.inputFormat.protoBytesDecoder.type", "classpath"},
		{"missing descriptor", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "file", "protoMessageType": "Event"}}, false, "ioConfig.inputFormat.protoBytesDecoder.descriptor", "missing"},
		{"descriptor file absent", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "file", "descriptor": "file:///nonexistent/x.desc"}}, false, "ioConfig.inputFormat.protoBytesDecoder.descriptor", "cannot read"},
		{"descriptor over http", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "file", "descriptor": "http://example.com/x.desc"}}, false, "ioConfig.inputFormat.protoBytesDecoder.descriptor", "only file://"},
		{"not a descriptor set", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "inline", "descriptorString": base64.StdEncoding.EncodeToString([]byte("not a descriptor"))}}, false, "ioConfig.inputFormat.protoBytesDecoder.descriptorString", "FileDescriptorSet"},
		{"unknown protoMessageType", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "file", "descriptor": desc, "protoMessageType": "Evnt"}}, false, "ioConfig.inputFormat.protoBytesDecoder.protoMessageType", `"Evnt"`},
		{"bad base64", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "inline", "descriptorString": "!!not base64!!"}}, false, "ioConfig.inputFormat.protoBytesDecoder.descriptorString", "base64"},
		{"registry without urls", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "schema_registry"}}, false, "ioConfig.inputFormat.protoBytesDecoder.urls", "missing"},
		{"registry bad url", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "schema_registry", "url": "localhost:8081"}}, false, "ioConfig.inputFormat.protoBytesDecoder.url", "http"},
		{"registry capacity", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "schema_registry", "urls": []any{"http://r:8081"}, "capacity": 0}}, false, "ioConfig.inputFormat.protoBytesDecoder.capacity", "≥ 1"},
		{"registry with descriptor", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "schema_registry", "urls": []any{"http://r:8081"}, "protoMessageType": "Event"}}, false, "ioConfig.inputFormat.protoBytesDecoder", "do not apply"},
		{"unknown decoder field", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "file", "descriptor": desc, "descriptorFile": "x"}}, false, "ioConfig.inputFormat.protoBytesDecoder.descriptorFile", "unknown"},
		{"decoder on json", map[string]any{"type": "json", "protoBytesDecoder": map[string]any{"type": "file", "descriptor": desc}}, false, "ioConfig.inputFormat.protoBytesDecoder", "only the protobuf"},
		{"kafka value bad base64", map[string]any{"type": "kafka", "valueFormat": map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "inline", "descriptorString": "@@"}}}, false, "ioConfig.inputFormat.valueFormat.protoBytesDecoder.descriptorString", "base64"},
		{"legacy unknown message", map[string]any{"type": "protobuf", "descriptor": desc, "protoMessageType": "Nope", "parseSpec": parseSpec}, true, "dataSchema.parser.protoMessageType", `"Nope"`},
		{"legacy decoder bad base64", map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "inline", "descriptorString": "%%"}, "parseSpec": parseSpec}, true, "dataSchema.parser.protoBytesDecoder.descriptorString", "base64"},
		{"legacy no descriptor", map[string]any{"type": "protobuf", "parseSpec": parseSpec}, true, "dataSchema.parser.protoBytesDecoder", "missing"},
		{"legacy csv parseSpec", map[string]any{"type": "protobuf", "descriptor": desc, "parseSpec": map[string]any{"format": "csv", "columns": []any{"a"}}}, true, "dataSchema.parser.parseSpec.format", "timeAndDims"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(protobufSpec(t, tc.format, tc.legacy))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FieldError at %s", err, tc.path)
			}
			if fe.Path != tc.path || !strings.Contains(fe.Msg, tc.contains) {
				t.Fatalf("err = %q, want path %s and %q", err, tc.path, tc.contains)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
