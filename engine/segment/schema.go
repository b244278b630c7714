package segment

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// TimeColumn is the name of the timestamp column, as in Druid.
const TimeColumn = "__time"

// Interval is a half-open time range [Start, End).
type Interval struct {
	Start time.Time // inclusive
	End   time.Time // exclusive
}

// String formats the interval as Druid does: "start/end" in UTC ISO 8601
// with milliseconds.
func (iv Interval) String() string {
	return iv.Start.UTC().Format(druidapi.TimeLayout) + "/" + iv.End.UTC().Format(druidapi.TimeLayout)
}

// MarshalText writes Interval.String.
func (iv Interval) MarshalText() ([]byte, error) { return []byte(iv.String()), nil }

// UnmarshalText parses "start/end" ISO 8601 timestamps.
func (iv *Interval) UnmarshalText(b []byte) error {
	s, e, ok := strings.Cut(string(b), "/")
	if !ok {
		return fmt.Errorf("segment: interval %q: want start/end", b)
	}
	st, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("segment: interval start: %w", err)
	}
	en, err := time.Parse(time.RFC3339Nano, e)
	if err != nil {
		return fmt.Errorf("segment: interval end: %w", err)
	}
	iv.Start, iv.End = st.UTC(), en.UTC()
	return nil
}

// DimensionSchema describes one dimension column (Druid dimensionsSpec entry).
type DimensionSchema struct {
	Name       string     `json:"name"`                 // column name; not "__time"
	Type       ColumnType `json:"type"`                 // TypeString, TypeLong, TypeFloat or TypeDouble
	MultiValue bool       `json:"multiValue,omitempty"` // string only: rows may hold several values
}

// MetricSchema describes one metric column (Druid metricsSpec entry).
type MetricSchema struct {
	Name        string          `json:"name"`                  // column name
	Type        ColumnType      `json:"type"`                  // TypeLong, TypeFloat, TypeDouble or TypeComplex
	ComplexType string          `json:"complexType,omitempty"` // complex only, e.g. "hyperUnique"
	Aggregator  json.RawMessage `json:"aggregator,omitempty"`  // the metricsSpec entry, opaque to the segment
}

// Metadata is the segment's identity and schema, stored in the data file's
// metadata section and returned by Reader.Metadata.
type Metadata struct {
	DataSource       string            `json:"dataSource"`
	Interval         Interval          `json:"interval"`
	Version          string            `json:"version"` // Druid segment version (usually an ISO timestamp)
	Partition        int               `json:"partition"`
	Dimensions       []DimensionSchema `json:"dimensions"`
	Metrics          []MetricSchema    `json:"metrics"`
	Rollup           bool              `json:"rollup"`
	QueryGranularity string            `json:"queryGranularity,omitempty"`
	NumRows          int64             `json:"numRows"` // set by the writer; ignored on input
}

// validate checks the schema; errors name the offending field.
func (m *Metadata) validate() error {
	if m.Interval.End.Before(m.Interval.Start) {
		return fmt.Errorf("segment: metadata.interval: end %s before start %s", m.Interval.End, m.Interval.Start)
	}
	seen := map[string]bool{TimeColumn: true}
	for i, d := range m.Dimensions {
		if d.Name == "" || seen[d.Name] {
			return fmt.Errorf("segment: metadata.dimensions[%d].name: %q empty, reserved or duplicate", i, d.Name)
		}
		seen[d.Name] = true
		switch d.Type {
		case TypeString:
		case TypeLong, TypeFloat, TypeDouble:
			if d.MultiValue {
				return fmt.Errorf("segment: metadata.dimensions[%d].multiValue: only string dimensions may be multi-value", i)
			}
		default:
			return fmt.Errorf("segment: metadata.dimensions[%d].type: %v not a dimension type", i, d.Type)
		}
	}
	for i, mt := range m.Metrics {
		if mt.Name == "" || seen[mt.Name] {
			return fmt.Errorf("segment: metadata.metrics[%d].name: %q empty, reserved or duplicate", i, mt.Name)
		}
		seen[mt.Name] = true
		switch mt.Type {
		case TypeLong, TypeFloat, TypeDouble:
		case TypeComplex:
			if mt.ComplexType == "" {
				return fmt.Errorf("segment: metadata.metrics[%d].complexType: required for complex metrics", i)
			}
		default:
			return fmt.Errorf("segment: metadata.metrics[%d].type: %v not a metric type", i, mt.Type)
		}
	}
	return nil
}

// IndexSpec selects the bitmap type and the compression and encoding of
// columns, as Druid's tuningConfig.indexSpec.
type IndexSpec struct {
	// Bitmap is the bitmap index type; only "roaring" (Druid's default).
	Bitmap string `json:"bitmap"`
	// DimensionCompression compresses string id blocks and numeric dimension
	// blocks, and (v2) string dictionaries and bitmaps: "zstd" (default;
	// Druid's default is lz4), "lz4" or "none"/"uncompressed".
	DimensionCompression string `json:"dimensionCompression"`
	// MetricCompression compresses __time and metric blocks: "lz4" (default),
	// "zstd" or "none"/"uncompressed".
	MetricCompression string `json:"metricCompression"`
	// LongEncoding is "longs" (default: 8 raw bytes per value before
	// compression) or "auto" (per block the smallest of constant,
	// frame-of-reference bit-packing and raw).
	LongEncoding string `json:"longEncoding"`
}

// DefaultIndexSpec returns Druid's defaults: roaring, lz4, lz4, longs. A spec
// that names none echoes them as Druid would; "zstd" is the smaller opt-in.
func DefaultIndexSpec() IndexSpec {
	return IndexSpec{Bitmap: "roaring", DimensionCompression: "lz4", MetricCompression: "lz4", LongEncoding: "longs"}
}

// Validate reports the first unsupported setting, naming its field. Empty
// fields are invalid; start from DefaultIndexSpec.
func (s IndexSpec) Validate() error {
	if s.Bitmap != "roaring" {
		return fmt.Errorf("segment: indexSpec.bitmap: %q unsupported, want \"roaring\"", s.Bitmap)
	}
	if _, ok := parseCompression(s.DimensionCompression); !ok {
		return fmt.Errorf("segment: indexSpec.dimensionCompression: %q unsupported, want \"lz4\", \"zstd\", \"none\" or \"uncompressed\"", s.DimensionCompression)
	}
	if _, ok := parseCompression(s.MetricCompression); !ok {
		return fmt.Errorf("segment: indexSpec.metricCompression: %q unsupported, want \"lz4\", \"zstd\", \"none\" or \"uncompressed\"", s.MetricCompression)
	}
	if s.LongEncoding != "longs" && s.LongEncoding != "auto" {
		return fmt.Errorf("segment: indexSpec.longEncoding: %q unsupported, want \"longs\" or \"auto\"", s.LongEncoding)
	}
	return nil
}

func parseCompression(s string) (compression, bool) {
	switch s {
	case "lz4":
		return compLZ4, true
	case "zstd":
		return compZstd, true
	case "none", "uncompressed":
		return compNone, true
	}
	return 0, false
}

// Row is one segment row. Dims and Metrics are in schema order.
//
// Rows returned by a RowIterator are reused by the next call to Next; strings
// and byte slices in them alias the segment's decoded data and must not be
// modified.
type Row struct {
	Time    int64         // epoch milliseconds, UTC
	Dims    []DimValue    // one per Metadata.Dimensions
	Metrics []MetricValue // one per Metadata.Metrics
}

// DimValue holds one dimension value. Which field is read depends on the
// column: Str for single-value strings, Strs for multi-value strings, Long for
// long dimensions, Double for float and double dimensions. A string column
// whose dictionary was given to the Writer up front (Writer.SetDictionary)
// reads ID or IDs instead of Str or Strs.
type DimValue struct {
	Str    string   // single-value string; "" is stored as null
	Strs   []string // multi-value string; nil or empty is stored as null
	Long   int64    // long dimension
	Double float64  // float (narrowed to float32) or double dimension
	Null   bool     // null for any dimension type
	// ID is the dictionary id of a single-value string (0 is null) and IDs
	// the ids of a multi-value one. A RowIterator sets ID to the segment's
	// own id; the Writer reads them only for a column given SetDictionary,
	// as ids of that dictionary.
	ID  int32
	IDs []int32
}

// MetricValue holds one metric value: Long for long metrics, Double for float
// (narrowed to float32) and double metrics, Bytes for complex metrics.
type MetricValue struct {
	Long   int64
	Double float64
	Bytes  []byte
}

// Clone returns a deep copy of r, safe to keep after the iterator moves on.
func (r *Row) Clone() *Row {
	c := &Row{Time: r.Time, Dims: make([]DimValue, len(r.Dims)), Metrics: make([]MetricValue, len(r.Metrics))}
	copy(c.Dims, r.Dims)
	for i := range c.Dims {
		if c.Dims[i].Strs != nil {
			c.Dims[i].Strs = append([]string(nil), c.Dims[i].Strs...)
		}
		if c.Dims[i].IDs != nil {
			c.Dims[i].IDs = append([]int32(nil), c.Dims[i].IDs...)
		}
	}
	copy(c.Metrics, r.Metrics)
	for i := range c.Metrics {
		if c.Metrics[i].Bytes != nil {
			c.Metrics[i].Bytes = append([]byte(nil), c.Metrics[i].Bytes...)
		}
	}
	return c
}
