package index

import (
	"fmt"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// MultiValueHandling says how a multi-value string dimension stores its
// values (Druid's DimensionSchema.MultiValueHandling).
type MultiValueHandling uint8

// The multiValueHandling modes.
const (
	SortedArray MultiValueHandling = iota // sort values, keep duplicates (Druid's default)
	SortedSet                             // sort values, drop duplicates
	Array                                 // keep values as given
)

// String returns Druid's name for m.
func (m MultiValueHandling) String() string {
	switch m {
	case SortedSet:
		return "SORTED_SET"
	case Array:
		return "ARRAY"
	}
	return "SORTED_ARRAY"
}

// DimensionSpec is one explicit dimension of a Schema.
type DimensionSpec struct {
	Name               string
	Type               segment.ColumnType // TypeString, TypeLong, TypeFloat or TypeDouble
	MultiValueHandling MultiValueHandling // strings only
}

// Schema is the immutable description of what an Index stores, built once
// from a dataSchema and shared by every Index of a task.
type Schema struct {
	dataSource string
	dims       []DimensionSpec
	// discover turns on schemaless discovery: with no explicit dimensions
	// (Druid's schemaless mode) or includeAllDimensions.
	discover bool
	metrics  []spec.Aggregator
	gran     spec.Granularity
	rollup   bool
	filter   FilterCompiler
}

// SchemaOptions tunes NewSchemaWith.
type SchemaOptions struct {
	// CompileFilter compiles the filter of "filtered" aggregators. Nil means
	// CompileFilter (engine/transform's compiler).
	CompileFilter FilterCompiler
}

// NewSchema builds the Schema of ds with the default SchemaOptions.
func NewSchema(ds *spec.DataSchema) (*Schema, error) { return NewSchemaWith(ds, SchemaOptions{}) }

// NewSchemaWith builds the Schema of ds: its explicit dimensions (or
// schemaless discovery), its metricsSpec, query granularity and rollup flag.
// Errors name the offending spec field.
func NewSchemaWith(ds *spec.DataSchema, o SchemaOptions) (*Schema, error) {
	s := &Schema{dataSource: ds.DataSource, rollup: ds.Rollup(), gran: spec.MustGranularity("none"), filter: o.CompileFilter}
	if s.filter == nil {
		s.filter = CompileFilter
	}
	if g := ds.GranularitySpec; g != nil && g.QueryGranularity != nil {
		s.gran = *g.QueryGranularity
	}
	seen := map[string]bool{segment.TimeColumn: true}
	if d := ds.DimensionsSpec; d != nil {
		if len(d.SpatialDimensions) > 0 {
			return nil, fmt.Errorf("index: dataSchema.dimensionsSpec.spatialDimensions: not supported")
		}
		for i, dim := range d.Dimensions {
			path := fmt.Sprintf("dataSchema.dimensionsSpec.dimensions[%d]", i)
			ds := DimensionSpec{Name: dim.Name}
			switch strings.ToLower(dim.Type) {
			case "", "string":
				ds.Type = segment.TypeString
			case "long":
				ds.Type = segment.TypeLong
			case "float":
				ds.Type = segment.TypeFloat
			case "double":
				ds.Type = segment.TypeDouble
			default:
				return nil, fmt.Errorf("index: %s.type: %q not supported (want string, long, float or double)", path, dim.Type)
			}
			switch strings.ToUpper(dim.MultiValueHandling) {
			case "", "SORTED_ARRAY":
			case "SORTED_SET":
				ds.MultiValueHandling = SortedSet
			case "ARRAY":
				ds.MultiValueHandling = Array
			default:
				return nil, fmt.Errorf("index: %s.multiValueHandling: %q unknown", path, dim.MultiValueHandling)
			}
			if dim.Name == "" || seen[dim.Name] {
				return nil, fmt.Errorf("index: %s.name: %q empty, reserved or duplicate", path, dim.Name)
			}
			seen[dim.Name] = true
			s.dims = append(s.dims, ds)
		}
		s.discover = len(d.Dimensions) == 0 || d.IncludeAllDimensions
	} else {
		s.discover = true
	}
	for i := range ds.MetricsSpec {
		m := ds.MetricsSpec[i]
		path := fmt.Sprintf("dataSchema.metricsSpec[%d]", i)
		if m.Name == "" || seen[m.Name] {
			return nil, fmt.Errorf("index: %s.name: %q empty or clashes with a dimension or metric", path, m.Name)
		}
		seen[m.Name] = true
		if _, err := newAggregator(&m, s.filter); err != nil {
			return nil, fmt.Errorf("index: %s: %w", path, err)
		}
		s.metrics = append(s.metrics, m)
	}
	return s, nil
}

// Dimensions returns the explicit dimensions in schema order.
func (s *Schema) Dimensions() []DimensionSpec { return append([]DimensionSpec(nil), s.dims...) }

// Discovers reports whether dimensions are discovered from the rows
// (schemaless mode or includeAllDimensions).
func (s *Schema) Discovers() bool { return s.discover }

// Rollup reports granularitySpec.rollup.
func (s *Schema) Rollup() bool { return s.rollup }

// QueryGranularity returns granularitySpec.queryGranularity (NONE by default).
func (s *Schema) QueryGranularity() spec.Granularity { return s.gran }

// Metrics returns the segment schema of every metric, in metricsSpec order.
func (s *Schema) Metrics() []segment.MetricSchema {
	out := make([]segment.MetricSchema, len(s.metrics))
	for i := range s.metrics {
		a, _ := newAggregator(&s.metrics[i], s.filter) // validated by NewSchema
		out[i] = a.schema()
	}
	return out
}

// granularityName renders the query granularity for segment metadata.
func (s *Schema) granularityName() string {
	switch s.gran.Kind {
	case spec.GranularityNone, spec.GranularityAll, spec.GranularityNamed:
		return strings.ToLower(s.gran.Name)
	}
	return s.gran.String()
}

// Metadata builds segment metadata for ds: the identity given, the explicit
// dimensions (discovered ones are added by Persist and Merge, which know
// them), the metrics with their aggregator JSON, rollup and query
// granularity.
func Metadata(ds *spec.DataSchema, interval segment.Interval, version string, partition int) (segment.Metadata, error) {
	s, err := NewSchema(ds)
	if err != nil {
		return segment.Metadata{}, err
	}
	return s.Metadata(interval, version, partition), nil
}

// Metadata builds segment metadata from s; see the package-level Metadata.
func (s *Schema) Metadata(interval segment.Interval, version string, partition int) segment.Metadata {
	m := segment.Metadata{DataSource: s.dataSource, Interval: interval, Version: version, Partition: partition,
		Metrics: s.Metrics(), Rollup: s.rollup, QueryGranularity: s.granularityName()}
	for _, d := range s.dims {
		m.Dimensions = append(m.Dimensions, segment.DimensionSchema{Name: d.Name, Type: d.Type})
	}
	return m
}

// stringType is the type of discovered dimensions.
const stringType = segment.TypeString
