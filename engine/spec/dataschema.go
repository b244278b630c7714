package spec

import (
	"encoding/json"
	"fmt"
	"strings"
)

// DataSchema is Druid's dataSchema: what the rows look like and how they are rolled up.
// After Decode every pointer section is filled with its defaults, and a legacy Parser has been
// translated into TimestampSpec, DimensionsSpec and the ioConfig's InputFormat.
type DataSchema struct {
	DataSource      string           `json:"dataSource"`
	TimestampSpec   *TimestampSpec   `json:"timestampSpec,omitempty"`
	DimensionsSpec  *DimensionsSpec  `json:"dimensionsSpec,omitempty"`
	MetricsSpec     []Aggregator     `json:"metricsSpec,omitempty"`
	GranularitySpec *GranularitySpec `json:"granularitySpec,omitempty"`
	TransformSpec   *TransformSpec   `json:"transformSpec,omitempty"`
	// Parser is the legacy form (dataSchema.parser.parseSpec); kept so it is echoed as given.
	Parser *Parser `json:"parser,omitempty"`
}

// TimestampSpec says which column holds the row time and how to read it.
type TimestampSpec struct {
	Column       string  `json:"column"`
	Format       string  `json:"format"`
	MissingValue *string `json:"missingValue"`
}

// DimensionsSpec lists the dimensions, or leaves them to discovery when empty (schemaless).
type DimensionsSpec struct {
	Dimensions           []Dimension       `json:"dimensions"`
	DimensionExclusions  []string          `json:"dimensionExclusions"`
	SpatialDimensions    []json.RawMessage `json:"spatialDimensions,omitempty"`
	IncludeAllDimensions bool              `json:"includeAllDimensions"`
	UseSchemaDiscovery   bool              `json:"useSchemaDiscovery"`
}

// Dimension is one entry of dimensionsSpec.dimensions: a bare name (a string dimension) or an
// object with a type.
type Dimension struct {
	Type               string `json:"type"`
	Name               string `json:"name"`
	MultiValueHandling string `json:"multiValueHandling,omitempty"`
	CreateBitmapIndex  *bool  `json:"createBitmapIndex,omitempty"`
}

func (*Dimension) strictObject() {}

// UnmarshalJSON accepts "name" or {"type":…,"name":…}.
func (d *Dimension) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*d = Dimension{Type: "string", Name: s}
		return nil
	}
	type plain Dimension
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("must be a dimension name or object")
	}
	if p.Type == "" {
		p.Type = "string"
	}
	p.Type = strings.ToLower(p.Type)
	*d = Dimension(p)
	return nil
}

// DimensionTypes lists the accepted dimension types.
var DimensionTypes = []string{"string", "long", "float", "double", "json", "auto"}

// GranularitySpec sets segment and query granularity and rollup.
type GranularitySpec struct {
	Type               string       `json:"type"`
	SegmentGranularity *Granularity `json:"segmentGranularity"`
	QueryGranularity   *Granularity `json:"queryGranularity"`
	Rollup             *bool        `json:"rollup"`
	Intervals          []string     `json:"intervals"`
}

// TransformSpec holds expression transforms and a row filter applied before rollup.
type TransformSpec struct {
	Transforms []Transform `json:"transforms"`
	Filter     *Filter     `json:"filter"`
}

// Transform is {"type":"expression","name":…,"expression":…}.
type Transform struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	Expression string `json:"expression"`
}

// Parser is the legacy dataSchema.parser.
type Parser struct {
	Type      string     `json:"type"`
	ParseSpec *ParseSpec `json:"parseSpec"`
	Encoding  string     `json:"encoding,omitempty"`

	// The avro_stream parser (avro.go).
	AvroBytesDecoder    *AvroBytesDecoder `json:"avroBytesDecoder,omitempty"`
	BinaryAsString      *bool             `json:"binaryAsString,omitempty"`
	ExtractUnionsByType *bool             `json:"extractUnionsByType,omitempty"`

	// protobuf parser (Druid's ProtobufInputRowParser): protoBytesDecoder, or the older
	// descriptor and protoMessageType at the parser's top level (a file decoder).
	ProtoBytesDecoder *ProtoBytesDecoder `json:"protoBytesDecoder,omitempty"`
	Descriptor        string             `json:"descriptor,omitempty"`
	ProtoMessageType  string             `json:"protoMessageType,omitempty"`
}

// ParseSpec is the legacy parser's format description.
type ParseSpec struct {
	Format         string          `json:"format"`
	TimestampSpec  *TimestampSpec  `json:"timestampSpec,omitempty"`
	DimensionsSpec *DimensionsSpec `json:"dimensionsSpec,omitempty"`
	FlattenSpec    *FlattenSpec    `json:"flattenSpec,omitempty"`
	Columns        []string        `json:"columns,omitempty"`
	Delimiter      *string         `json:"delimiter,omitempty"`
	ListDelimiter  *string         `json:"listDelimiter,omitempty"`
	HasHeaderRow   bool            `json:"hasHeaderRow,omitempty"`
	SkipHeaderRows int             `json:"skipHeaderRows,omitempty"`
	FeatureSpec    map[string]bool `json:"featureSpec,omitempty"`
}

// Rollup reports the effective rollup flag (default true).
func (d *DataSchema) Rollup() bool {
	if d.GranularitySpec == nil || d.GranularitySpec.Rollup == nil {
		return true
	}
	return *d.GranularitySpec.Rollup
}
