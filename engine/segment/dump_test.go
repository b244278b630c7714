package segment

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage/indexzip"
)

// tinySegment is a 3-row segment with readable values.
func tinySegment(t *testing.T) string {
	t.Helper()
	meta := Metadata{
		DataSource: "wiki", Interval: Interval{t0, t0.Add(time.Hour)}, Version: "v1", QueryGranularity: "none",
		Dimensions: []DimensionSchema{{Name: "page", Type: TypeString}, {Name: "tags", Type: TypeString, MultiValue: true}, {Name: "n", Type: TypeLong}},
		Metrics: []MetricSchema{
			{Name: "count", Type: TypeLong, Aggregator: json.RawMessage(`{"type":"count","name":"count"}`)},
			{Name: "f", Type: TypeFloat},
			{Name: "hll", Type: TypeComplex, ComplexType: "hyperUnique"},
		},
	}
	ms := t0.UnixMilli()
	rows := []Row{
		{Time: ms, Dims: []DimValue{{Str: "b"}, {Strs: []string{"x", "y"}}, {Long: 5}}, Metrics: []MetricValue{{Long: 1}, {Double: 0.5}, {Bytes: []byte{1, 2}}}},
		{Time: ms + 1000, Dims: []DimValue{{Null: true}, {Null: true}, {Null: true}}, Metrics: []MetricValue{{Long: 2}, {Double: 1.25}, {}}},
		{Time: ms + 1000, Dims: []DimValue{{Str: "a"}, {Strs: []string{"y"}}, {Long: -1}}, Metrics: []MetricValue{{Long: 3}, {Double: 2}, {Bytes: []byte("z")}}},
	}
	dir := filepath.Join(t.TempDir(), "seg")
	writeSegment(t, dir, meta, DefaultIndexSpec(), rows)
	return dir
}

func TestDumpRows(t *testing.T) {
	dir := tinySegment(t)
	for _, tc := range []struct {
		name string
		opts DumpOptions
		want string
	}{
		{name: "all", opts: DumpOptions{}, want: `{"__time":1767225600000,"page":"b","tags":["x","y"],"n":5,"count":1,"f":0.5,"hll":"AQI="}
{"__time":1767225601000,"page":null,"tags":null,"n":null,"count":2,"f":1.25,"hll":""}
{"__time":1767225601000,"page":"a","tags":["y"],"n":-1,"count":3,"f":2,"hll":"eg=="}
`},
		{name: "columns-iso", opts: DumpOptions{Mode: "rows", Columns: []string{"__time", "tags"}, TimeISO8601: true}, want: `{"__time":"2026-01-01T00:00:00.000Z","tags":["x","y"]}
{"__time":"2026-01-01T00:00:01.000Z","tags":null}
{"__time":"2026-01-01T00:00:01.000Z","tags":["y"]}
`},
		{name: "no-time", opts: DumpOptions{Columns: []string{"page"}}, want: "{\"page\":\"b\"}\n{\"page\":null}\n{\"page\":\"a\"}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Dump(&buf, dir, tc.opts); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", buf.String(), tc.want)
			}
		})
	}
	if err := Dump(&bytes.Buffer{}, dir, DumpOptions{Columns: []string{"nope"}}); !errors.Is(err, ErrNoColumn) {
		t.Fatalf("unknown column: %v", err)
	}
	if err := Dump(&bytes.Buffer{}, dir, DumpOptions{Mode: "nope"}); err == nil {
		t.Fatal("unknown mode accepted")
	}
}

func TestDumpMetadata(t *testing.T) {
	dir := tinySegment(t)
	var buf bytes.Buffer
	if err := Dump(&buf, dir, DumpOptions{Mode: "metadata"}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		DataSource, Interval, Version, QueryGranularity, FormatVersion string
		NumRows, Size                                                  int64
		Rollup                                                         bool
		Dimensions                                                     []struct {
			Name, Type        string
			Cardinality       *int
			HasMultipleValues bool
		}
		Metrics     []struct{ Name, Type, ComplexType string }
		Aggregators []json.RawMessage
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	st := func(n string) int64 { fi, _ := os.Stat(filepath.Join(dir, n)); return fi.Size() }
	if got.DataSource != "wiki" || got.Interval != "2026-01-01T00:00:00.000Z/2026-01-01T01:00:00.000Z" || got.NumRows != 3 ||
		got.FormatVersion != CurrentFormat.String() || got.Size != st(DataFile)+st(MetaFile)+st(VersionFile) || got.QueryGranularity != "none" {
		t.Fatalf("metadata: %s", buf.String())
	}
	if len(got.Dimensions) != 3 || *got.Dimensions[0].Cardinality != 3 || *got.Dimensions[1].Cardinality != 3 ||
		!got.Dimensions[1].HasMultipleValues || got.Dimensions[2].Cardinality != nil || got.Dimensions[2].Type != "long" {
		t.Fatalf("dimensions: %s", buf.String())
	}
	if len(got.Metrics) != 3 || got.Metrics[2].ComplexType != "hyperUnique" || len(got.Aggregators) != 1 {
		t.Fatalf("metrics: %s", buf.String())
	}
	buf.Reset()
	if err := Dump(&buf, dir, DumpOptions{Mode: "metadata", Columns: []string{"count"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"dimensions": []`) || strings.Contains(buf.String(), `"hll"`) {
		t.Fatalf("restricted metadata: %s", buf.String())
	}
}

func TestDumpBitmaps(t *testing.T) {
	dir := tinySegment(t)
	var buf bytes.Buffer
	if err := Dump(&buf, dir, DumpOptions{Mode: "bitmaps"}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		BitmapSerdeFactory struct{ Type string }
		Bitmaps            map[string]map[string]string
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	rowsOf := func(b64 string) []uint32 {
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		bm := roaring.New()
		if err := bm.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		return bm.ToArray()
	}
	want := map[string]map[string][]uint32{
		"page": {"": {1}, "a": {2}, "b": {0}},
		"tags": {"": {1}, "x": {0}, "y": {0, 2}},
	}
	if got.BitmapSerdeFactory.Type != "roaring" || len(got.Bitmaps) != 2 {
		t.Fatalf("got %s", buf.String())
	}
	for dim, vals := range want {
		if len(got.Bitmaps[dim]) != len(vals) {
			t.Fatalf("%s: got %v", dim, got.Bitmaps[dim])
		}
		for v, rows := range vals {
			if g := rowsOf(got.Bitmaps[dim][v]); !equalU32(g, rows) {
				t.Fatalf("%s=%q: rows %v, want %v", dim, v, g, rows)
			}
		}
	}
}

func equalU32(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDumpArchive(t *testing.T) {
	dir := tinySegment(t)
	zipPath := filepath.Join(t.TempDir(), "index.zip")
	f, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := indexzip.Write(f, dir); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var fromDir, fromZip bytes.Buffer
	if err := Dump(&fromDir, dir, DumpOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Dump(&fromZip, zipPath, DumpOptions{}); err != nil {
		t.Fatal(err)
	}
	if fromDir.String() != fromZip.String() {
		t.Fatalf("zip dump differs:\n%s\n%s", fromZip.String(), fromDir.String())
	}
	os.WriteFile(zipPath, []byte("not a zip"), 0o644)
	if err := Dump(&fromZip, zipPath, DumpOptions{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("bad zip: %v", err)
	}
}
