package segment

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage/indexzip"
)

// DumpOptions selects what Dump prints, after Druid's DumpSegment tool
// (--dump rows|metadata|bitmaps, --column, --time-iso8601).
type DumpOptions struct {
	// Mode is "rows" (default when empty), "metadata" or "bitmaps".
	Mode string
	// Columns restricts the output to these columns; empty means all. In rows
	// mode __time is printed only if listed (or if Columns is empty), as in
	// DumpSegment.
	Columns []string
	// TimeISO8601 prints __time as an ISO 8601 string instead of epoch ms.
	TimeISO8601 bool
}

// Dump writes a human- and machine-readable view of the segment at path,
// which is a segment directory or a deep-storage index.zip (extracted to a
// temporary directory). It reads only through the public Reader API.
//
//   - rows: one JSON object per row, keys __time then columns in schema
//     order; null as null, multi-value strings as arrays, complex values as
//     base64, non-finite floats as the strings "NaN", "Infinity", "-Infinity".
//   - metadata: one JSON document describing the segment.
//   - bitmaps: {"bitmapSerdeFactory":{"type":"roaring"},"bitmaps":{dim:{value:
//     base64 of the portable roaring serialisation}}} for string dimensions,
//     values in dictionary order, the null value under "" when any row is null.
func Dump(w io.Writer, path string, opts DumpOptions) (err error) {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("segment: dump %s: %w", path, err)
	}
	dir := path
	if !st.IsDir() {
		tmp, err := os.MkdirTemp("", "dump-segment-")
		if err != nil {
			return fmt.Errorf("segment: dump %s: %w", path, err)
		}
		defer os.RemoveAll(tmp)
		dir = filepath.Join(tmp, "segment")
		if err := indexzip.Extract(path, dir); err != nil {
			if errors.Is(err, indexzip.ErrCorrupt) {
				// A damaged archive is a damaged segment to Dump's callers.
				return fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
			return err
		}
	}
	r, err := Open(dir)
	if err != nil {
		return err
	}
	defer r.Close()
	cols := r.Columns()
	for _, c := range opts.Columns {
		if !slices.ContainsFunc(cols, func(ci ColumnInfo) bool { return ci.Name == c }) {
			return fmt.Errorf("segment: dump %s: column %q: %w", path, c, ErrNoColumn)
		}
	}
	want := func(name string) bool { return len(opts.Columns) == 0 || slices.Contains(opts.Columns, name) }
	bw := bufio.NewWriter(w)
	switch opts.Mode {
	case "", "rows":
		err = dumpRows(bw, r, want, opts.TimeISO8601)
	case "metadata":
		err = dumpMetadata(bw, r, want)
	case "bitmaps":
		err = dumpBitmaps(bw, r, want)
	default:
		return fmt.Errorf("segment: dump: mode %q unsupported, want rows, metadata or bitmaps", opts.Mode)
	}
	if err != nil {
		return fmt.Errorf("segment: dump %s: %w", path, err)
	}
	return bw.Flush()
}

func appendJSONString(b []byte, s string) []byte {
	js, _ := json.Marshal(s)
	return append(b, js...)
}

func appendJSONFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

func dumpRows(w *bufio.Writer, r *Reader, want func(string) bool, iso bool) error {
	m := r.Metadata()
	var b []byte
	it := r.Rows()
	for it.Next() {
		row := it.Row()
		b = append(b[:0], '{')
		sep := func(name string) {
			if len(b) > 1 {
				b = append(b, ',')
			}
			b = appendJSONString(b, name)
			b = append(b, ':')
		}
		if want(TimeColumn) {
			sep(TimeColumn)
			if iso {
				b = appendJSONString(b, time.UnixMilli(row.Time).UTC().Format(druidapi.TimeLayout))
			} else {
				b = strconv.AppendInt(b, row.Time, 10)
			}
		}
		for i, d := range m.Dimensions {
			if !want(d.Name) {
				continue
			}
			sep(d.Name)
			v := &row.Dims[i]
			switch {
			case v.Null:
				b = append(b, "null"...)
			case d.MultiValue:
				b = append(b, '[')
				for j, s := range v.Strs {
					if j > 0 {
						b = append(b, ',')
					}
					if s == "" {
						b = append(b, "null"...)
					} else {
						b = appendJSONString(b, s)
					}
				}
				b = append(b, ']')
			case d.Type == TypeString:
				b = appendJSONString(b, v.Str)
			case d.Type == TypeLong:
				b = strconv.AppendInt(b, v.Long, 10)
			case d.Type == TypeFloat:
				b = appendJSONFloat(b, v.Double, 32)
			default:
				b = appendJSONFloat(b, v.Double, 64)
			}
		}
		for i, mt := range m.Metrics {
			if !want(mt.Name) {
				continue
			}
			sep(mt.Name)
			v := &row.Metrics[i]
			switch mt.Type {
			case TypeLong:
				b = strconv.AppendInt(b, v.Long, 10)
			case TypeFloat:
				b = appendJSONFloat(b, v.Double, 32)
			case TypeDouble:
				b = appendJSONFloat(b, v.Double, 64)
			default:
				b = appendJSONString(b, base64.StdEncoding.EncodeToString(v.Bytes))
			}
		}
		b = append(b, '}', '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return it.Err()
}

// dumpMeta is the metadata-mode document.
type dumpMeta struct {
	DataSource       string            `json:"dataSource"`
	Interval         Interval          `json:"interval"`
	Version          string            `json:"version"`
	Partition        int               `json:"partition"`
	FormatVersion    string            `json:"formatVersion"`
	IndexSpec        IndexSpec         `json:"indexSpec"`
	Dimensions       []dumpColumn      `json:"dimensions"`
	Metrics          []dumpColumn      `json:"metrics"`
	Aggregators      []json.RawMessage `json:"aggregators"`
	Rollup           bool              `json:"rollup"`
	QueryGranularity string            `json:"queryGranularity"`
	NumRows          int64             `json:"numRows"`
	Size             int64             `json:"size"`
}

type dumpColumn struct {
	Name        string     `json:"name"`
	Type        ColumnType `json:"type"`
	ComplexType string     `json:"complexType,omitempty"`
	MultiValue  bool       `json:"hasMultipleValues,omitempty"`
	Cardinality *int       `json:"cardinality,omitempty"`
	Size        int64      `json:"size"`
}

func dumpMetadata(w *bufio.Writer, r *Reader, want func(string) bool) error {
	m := r.Metadata()
	sizes := map[string]int64{}
	for _, c := range r.Columns() {
		sizes[c.Name] = c.Size
	}
	out := dumpMeta{
		DataSource: m.DataSource, Interval: m.Interval, Version: m.Version, Partition: m.Partition,
		FormatVersion: r.FormatVersion().String(), IndexSpec: r.IndexSpec(),
		Dimensions: []dumpColumn{}, Metrics: []dumpColumn{}, Aggregators: []json.RawMessage{},
		Rollup: m.Rollup, QueryGranularity: m.QueryGranularity, NumRows: m.NumRows, Size: r.Size(),
	}
	for _, d := range m.Dimensions {
		if !want(d.Name) {
			continue
		}
		c := dumpColumn{Name: d.Name, Type: d.Type, MultiValue: d.MultiValue, Size: sizes[d.Name]}
		if d.Type == TypeString {
			n, err := r.Cardinality(d.Name)
			if err != nil {
				return err
			}
			c.Cardinality = &n
		}
		out.Dimensions = append(out.Dimensions, c)
	}
	for _, mt := range m.Metrics {
		if !want(mt.Name) {
			continue
		}
		out.Metrics = append(out.Metrics, dumpColumn{Name: mt.Name, Type: mt.Type, ComplexType: mt.ComplexType, Size: sizes[mt.Name]})
		if len(mt.Aggregator) > 0 {
			out.Aggregators = append(out.Aggregators, mt.Aggregator)
		}
	}
	js, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	w.Write(js)
	return w.WriteByte('\n')
}

func dumpBitmaps(w *bufio.Writer, r *Reader, want func(string) bool) error {
	b := []byte(`{"bitmapSerdeFactory":{"type":"roaring"},"bitmaps":{`)
	first := true
	for _, d := range r.Metadata().Dimensions {
		if d.Type != TypeString || !want(d.Name) {
			continue
		}
		dict, err := r.Dictionary(d.Name)
		if err != nil {
			return err
		}
		bms, err := r.Bitmaps(d.Name)
		if err != nil {
			return err
		}
		raw, err := r.RawBitmaps(d.Name)
		if err != nil {
			return err
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, d.Name)
		b = append(b, ":{"...)
		n := 0
		for id, v := range dict {
			if id == 0 && bms[0].IsEmpty() {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendJSONString(b, v)
			b = append(b, ':')
			b = appendJSONString(b, base64.StdEncoding.EncodeToString(raw[id]))
		}
		b = append(b, '}')
	}
	b = append(b, "}}\n"...)
	_, err := w.Write(b)
	return err
}
