package spec

import (
	"encoding/json"
	"fmt"
	"strings"
)

// InputFormat is ioConfig.inputFormat: how a Kafka record becomes rows. One struct serves every
// type; fields that do not belong to a type are rejected by validation.
type InputFormat struct {
	Type string `json:"type"`

	// json
	FlattenSpec            *FlattenSpec    `json:"flattenSpec,omitempty"`
	FeatureSpec            map[string]bool `json:"featureSpec,omitempty"`
	KeepNullColumns        *bool           `json:"keepNullColumns,omitempty"`
	AssumeNewlineDelimited *bool           `json:"assumeNewlineDelimited,omitempty"`
	UseJSONNodeReader      *bool           `json:"useJsonNodeReader,omitempty"`

	// csv, tsv, delimited
	Columns               []string `json:"columns,omitempty"`
	FindColumnsFromHeader *bool    `json:"findColumnsFromHeader,omitempty"`
	SkipHeaderRows        int      `json:"skipHeaderRows,omitempty"`
	ListDelimiter         *string  `json:"listDelimiter,omitempty"`
	Delimiter             *string  `json:"delimiter,omitempty"`
	HasHeaderRow          *bool    `json:"hasHeaderRow,omitempty"`

	// protobuf (see protobuf.go)
	ProtoBytesDecoder *ProtoBytesDecoder `json:"protoBytesDecoder,omitempty"`

	// kafka
	ValueFormat         *InputFormat  `json:"valueFormat,omitempty"`
	KeyFormat           *InputFormat  `json:"keyFormat,omitempty"`
	HeaderFormat        *HeaderFormat `json:"headerFormat,omitempty"`
	TimestampColumnName string        `json:"timestampColumnName,omitempty"`
	TopicColumnName     string        `json:"topicColumnName,omitempty"`
	HeaderColumnPrefix  string        `json:"headerColumnPrefix,omitempty"`
	KeyColumnName       string        `json:"keyColumnName,omitempty"`

	// avro_stream, avro_ocf (avro.go)
	AvroBytesDecoder    *AvroBytesDecoder `json:"avroBytesDecoder,omitempty"`
	BinaryAsString      *bool             `json:"binaryAsString,omitempty"`
	ExtractUnionsByType *bool             `json:"extractUnionsByType,omitempty"`
	// Schema is avro_ocf's optional reader schema.
	Schema json.RawMessage `json:"schema,omitempty"`
}

// HeaderFormat is the kafka input format's headerFormat.
type HeaderFormat struct {
	Type     string `json:"type"`
	Encoding string `json:"encoding,omitempty"`
}

// InputFormatTypes lists the accepted inputFormat types.
var InputFormatTypes = []string{"json", "csv", "tsv", "delimited", "kafka", "avro_stream", "avro_ocf", "protobuf"}

// FlattenSpec extracts nested JSON fields as columns.
type FlattenSpec struct {
	UseFieldDiscovery *bool          `json:"useFieldDiscovery,omitempty"`
	Fields            []FlattenField `json:"fields"`
}

// DiscoverFields reports useFieldDiscovery (default true).
func (f *FlattenSpec) DiscoverFields() bool {
	return f == nil || f.UseFieldDiscovery == nil || *f.UseFieldDiscovery
}

// FlattenField is one flattenSpec field: root, path (JsonPath), jq, or tree. A bare string is a
// root field.
type FlattenField struct {
	Type  string   `json:"type"`
	Name  string   `json:"name"`
	Expr  string   `json:"expr,omitempty"`
	Nodes []string `json:"nodes,omitempty"`
}

func (*FlattenField) strictObject() {}

// UnmarshalJSON accepts "name" or an object.
func (f *FlattenField) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = FlattenField{Type: "root", Name: s}
		return nil
	}
	type plain FlattenField
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("must be a field name or object")
	}
	p.Type = strings.ToLower(p.Type)
	*f = FlattenField(p)
	return nil
}

// ListDelimiterOrDefault returns the multi-value delimiter (default Ctrl-A, as Druid).
func (f *InputFormat) ListDelimiterOrDefault() string {
	if f.ListDelimiter == nil {
		return "\u0001"
	}
	return *f.ListDelimiter
}

// DelimiterOrDefault returns the column delimiter: ',' for csv, tab otherwise.
func (f *InputFormat) DelimiterOrDefault() string {
	if f.Delimiter != nil {
		return *f.Delimiter
	}
	if f.Type == "csv" {
		return ","
	}
	return "\t"
}

// inputFormatFromParseSpec translates a legacy parseSpec into the inputFormat it stands for.
func inputFormatFromParseSpec(ps *ParseSpec) *InputFormat {
	f := &InputFormat{Type: strings.ToLower(ps.Format), FlattenSpec: ps.FlattenSpec, FeatureSpec: ps.FeatureSpec,
		Columns: ps.Columns, ListDelimiter: ps.ListDelimiter, Delimiter: ps.Delimiter, SkipHeaderRows: ps.SkipHeaderRows}
	if ps.HasHeaderRow {
		t := true
		f.FindColumnsFromHeader = &t
	}
	return f
}
