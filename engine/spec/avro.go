package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hamba/avro/v2"
)

// AvroBytesDecoder is the avroBytesDecoder of the avro_stream input format and of the legacy
// avro_stream parser (Druid's AvroBytesDecoder family): where a record's writer schema comes
// from. One struct serves every type; validation rejects fields of another type.
type AvroBytesDecoder struct {
	Type string `json:"type"`

	// schema_inline: the writer schema of every record, as a JSON Avro schema.
	Schema json.RawMessage `json:"schema,omitempty"`

	// multiple_schemas_inline: schema id (a decimal string) → schema. Records carry a version
	// byte 0x01 and a 4-byte big-endian id.
	Schemas map[string]json.RawMessage `json:"schemas,omitempty"`

	// schema_registry: a Confluent registry; records carry a magic byte and a 4-byte id.
	URL      string         `json:"url,omitempty"`
	URLs     []string       `json:"urls,omitempty"`
	Capacity *int           `json:"capacity,omitempty"`
	Config   map[string]any `json:"config,omitempty"`
	Headers  map[string]any `json:"headers,omitempty"`
}

// AvroDecoderTypes lists the accepted avroBytesDecoder types.
var AvroDecoderTypes = []string{"schema_inline", "multiple_schemas_inline", "schema_registry"}

// RegistryURLs returns the schema_registry decoder's addresses: url when it is set (it wins, as
// in Druid), else urls.
func (d *AvroBytesDecoder) RegistryURLs() []string {
	if strings.TrimSpace(d.URL) != "" {
		return []string{d.URL}
	}
	return d.URLs
}

// ParseAvroSchema parses a JSON Avro schema on its own: named types defined by an earlier
// schema are not visible to it (hamba/avro's package-level cache is not used).
func ParseAvroSchema(raw []byte) (avro.Schema, error) {
	return avro.ParseBytesWithCache(raw, "", &avro.SchemaCache{})
}

// ParseAvroSchemaWith parses a schema whose named references were parsed into cache first (a
// registry schema's references).
func ParseAvroSchemaWith(raw []byte, cache *avro.SchemaCache) (avro.Schema, error) {
	return avro.ParseBytesWithCache(raw, "", cache)
}

func isAvroFormat(t string) bool { return t == "avro_stream" || t == "avro_ocf" }

// validateAvroFormat checks an avro_stream or avro_ocf inputFormat. decoderPath is where the
// avroBytesDecoder was written (inside the inputFormat, or on the legacy parser).
func validateAvroFormat(f *InputFormat, path, decoderPath string) error {
	if err := validateFlatten(f.FlattenSpec, path+".flattenSpec"); err != nil {
		return err
	}
	if f.Type == "avro_ocf" {
		if f.AvroBytesDecoder != nil {
			return fieldErr(decoderPath, "only avro_stream has an avroBytesDecoder; an Object Container File carries its schema")
		}
		if len(f.Schema) > 0 && !isJSONNull(f.Schema) {
			if _, err := ParseAvroSchema(f.Schema); err != nil {
				return fieldErr(path+".schema", "not a valid Avro schema: "+err.Error())
			}
		}
		return nil
	}
	if len(f.Schema) > 0 {
		return fieldErr(path+".schema", "only avro_ocf has a reader schema; for avro_stream put the schema in avroBytesDecoder")
	}
	d := f.AvroBytesDecoder
	if d == nil {
		return fieldErr(decoderPath, fmt.Sprintf("missing (e.g. {\"type\":\"schema_registry\",\"url\":\"http://registry:8081\"}; one of %s)", strings.Join(AvroDecoderTypes, ", ")))
	}
	return validateAvroDecoder(d, decoderPath)
}

func isJSONNull(b []byte) bool { return string(bytes.TrimSpace(b)) == "null" }

func validateAvroDecoder(d *AvroBytesDecoder, path string) error {
	has := map[string]bool{
		"schema": len(d.Schema) > 0, "schemas": d.Schemas != nil, "url": d.URL != "", "urls": d.URLs != nil,
		"capacity": d.Capacity != nil, "config": d.Config != nil, "headers": d.Headers != nil,
	}
	allowed := map[string][]string{
		"schema_inline":           {"schema"},
		"multiple_schemas_inline": {"schemas"},
		"schema_registry":         {"url", "urls", "capacity", "config", "headers"},
	}
	own, known := allowed[lower(d.Type)]
	switch {
	case d.Type == "":
		return fieldErr(path+".type", fmt.Sprintf("missing (expected one of %s)", strings.Join(AvroDecoderTypes, ", ")))
	case lower(d.Type) == "schema_repo":
		return fieldErr(path+".type", "schema_repo (Avro-1124 schema repository) is not supported; use schema_registry")
	case !known:
		return fieldErr(path+".type", fmt.Sprintf("unknown avroBytesDecoder type %q (expected one of %s)", d.Type, strings.Join(AvroDecoderTypes, ", ")))
	}
	for _, k := range []string{"schema", "schemas", "url", "urls", "capacity", "config", "headers"} {
		if has[k] && !slices.Contains(own, k) {
			return fieldErr(path+"."+k, fmt.Sprintf("not a field of the %s decoder (it has %s)", lower(d.Type), strings.Join(own, ", ")))
		}
	}
	switch lower(d.Type) {
	case "schema_inline":
		if len(d.Schema) == 0 || isJSONNull(d.Schema) {
			return fieldErr(path+".schema", "missing (the Avro schema of the records, as JSON)")
		}
		if _, err := ParseAvroSchema(d.Schema); err != nil {
			return fieldErr(path+".schema", "not a valid Avro schema: "+err.Error())
		}
	case "multiple_schemas_inline":
		if len(d.Schemas) == 0 {
			return fieldErr(path+".schemas", "missing (an object from schema id to Avro schema, with at least one entry)")
		}
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range d.Schemas {
				if !yield(k) {
					return
				}
			}
		}) {
			if _, err := strconv.ParseInt(k, 10, 32); err != nil {
				return fieldErr(path+".schemas."+k, "the key must be an integer schema id")
			}
			if _, err := ParseAvroSchema(d.Schemas[k]); err != nil {
				return fieldErr(path+".schemas."+k, "not a valid Avro schema: "+err.Error())
			}
		}
	case "schema_registry":
		urls := d.RegistryURLs()
		if len(urls) == 0 {
			return fieldErr(path+".url", "missing (the schema registry's address, e.g. \"http://registry:8081\"; or urls)")
		}
		p := path + ".urls"
		if strings.TrimSpace(d.URL) != "" {
			p = path + ".url"
		}
		for i, u := range urls {
			pu, err := url.Parse(strings.TrimSpace(u))
			at := p
			if p == path+".urls" {
				at = p + "[" + strconv.Itoa(i) + "]"
			}
			if err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") {
				return fieldErr(at, fmt.Sprintf("%q is not an http(s) URL", u))
			}
		}
		if d.Capacity != nil && *d.Capacity < 1 {
			return fieldErr(path+".capacity", fmt.Sprintf("must be ≥ 1, got %d", *d.Capacity))
		}
		for name, m := range map[string]map[string]any{"config": d.Config, "headers": d.Headers} {
			if raw, ok := m[DynamicConfigProviderKey]; ok {
				pp, err := parseDynamicProvider(raw)
				if err != nil {
					return fieldErr(path+"."+name+"."+DynamicConfigProviderKey, err.Error())
				}
				if pp.Type != "environment" {
					return fieldErr(path+"."+name+"."+DynamicConfigProviderKey+".type", fmt.Sprintf("unknown dynamic config provider %q (expected \"environment\")", pp.Type))
				}
			}
		}
	}
	return nil
}

// echoAvroFormat adds the avro fields of an inputFormat to its echo, with Druid's defaults.
// config and headers are echoed as submitted: secrets behind a provider stay unresolved.
func echoAvroFormat(f *InputFormat, out map[string]any) {
	out["binaryAsString"] = f.BinaryAsString != nil && *f.BinaryAsString
	out["extractUnionsByType"] = f.ExtractUnionsByType != nil && *f.ExtractUnionsByType
	if f.FlattenSpec != nil {
		out["flattenSpec"] = map[string]any{"useFieldDiscovery": f.FlattenSpec.DiscoverFields(), "fields": f.FlattenSpec.Fields}
	}
	if f.Type == "avro_ocf" {
		if len(f.Schema) > 0 {
			out["schema"] = f.Schema
		}
		return
	}
	out["avroBytesDecoder"] = f.AvroBytesDecoder
}

// avroFormatFromParser translates the legacy avro_stream parser into the inputFormat it stands
// for (Druid's AvroStreamInputRowParser with an avro parseSpec).
func avroFormatFromParser(p *Parser) *InputFormat {
	return &InputFormat{Type: "avro_stream", AvroBytesDecoder: p.AvroBytesDecoder, FlattenSpec: p.ParseSpec.FlattenSpec,
		BinaryAsString: p.BinaryAsString, ExtractUnionsByType: p.ExtractUnionsByType}
}

// validateAvroParser checks that the legacy parser type and its parseSpec format agree: the
// avro_stream parser reads parseSpec format "avro", and only it has an avroBytesDecoder.
func validateAvroParser(p *Parser) error {
	avroParser := lower(p.Type) == "avro_stream"
	format := ""
	if p.ParseSpec != nil {
		format = lower(p.ParseSpec.Format)
	}
	switch {
	case avroParser && format != "avro" && format != "":
		return fieldErr("dataSchema.parser.parseSpec.format", fmt.Sprintf("%q does not go with the avro_stream parser (expected \"avro\")", p.ParseSpec.Format))
	case !avroParser && format == "avro":
		return fieldErr("dataSchema.parser.type", "parseSpec format \"avro\" needs the avro_stream parser ({\"type\":\"avro_stream\",\"avroBytesDecoder\":{…},\"parseSpec\":{…}})")
	case !avroParser && (p.AvroBytesDecoder != nil || p.BinaryAsString != nil || p.ExtractUnionsByType != nil):
		return fieldErr("dataSchema.parser.avroBytesDecoder", "only the avro_stream parser has avroBytesDecoder, binaryAsString and extractUnionsByType")
	}
	return nil
}
