package segment

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage/indexzip"
	"github.com/kafka-indexer/terraform-provider-kafka/internal/wikisample"
)

// The wikiticker size check: Druid's tutorial sample (wikiticker-2015-09-12-sampled,
// 39,244 rows) written with Druid's tutorial spec (wikipedia-index.json: 16 string
// dimensions, added/deleted/delta as long dimensions, no rollup, no metrics) as one
// segment. The sample is not shipped here; KI_WIKITICKER=path (the .json or .json.gz
// file) measures the real one, else internal/wikisample generates a look-alike.
// engine/supervisor's TestWikitickerIngested ingests the same rows through Kafka with
// Druid's Kafka tutorial supervisor spec.
//
//	go test ./engine/segment -run TestWikitickerSize -v -count=1

// The tutorial spec's dimensions: strings, then longs.
var wikiDims, wikiLongs = wikisample.Dimensions, wikisample.Longs

func wikiMeta() Metadata {
	day := time.Date(2015, 9, 12, 0, 0, 0, 0, time.UTC)
	m := Metadata{DataSource: "wikipedia", Interval: Interval{day, day.Add(24 * time.Hour)}, Version: "v1"}
	for _, d := range wikiDims {
		m.Dimensions = append(m.Dimensions, DimensionSchema{Name: d, Type: TypeString})
	}
	for _, d := range wikiLongs {
		m.Dimensions = append(m.Dimensions, DimensionSchema{Name: d, Type: TypeLong})
	}
	return m
}

// wikiEvent is one JSON line of the sample.
type wikiEvent map[string]any

// wikiToRow converts an event with the tutorial spec's dimensions: JSON
// booleans and numbers in string dimensions become their text, as Druid's
// string dimension does.
func wikiToRow(ev wikiEvent) (Row, error) {
	ts, err := time.Parse(time.RFC3339Nano, fmt.Sprint(ev["time"]))
	if err != nil {
		return Row{}, err
	}
	r := Row{Time: ts.UnixMilli()}
	for _, d := range wikiDims {
		var v DimValue
		switch x := ev[d].(type) {
		case nil:
			v.Null = true
		case string:
			v.Str = x
		case bool, float64, json.Number:
			v.Str = fmt.Sprint(x)
		default:
			return Row{}, fmt.Errorf("dimension %s: %T", d, x)
		}
		r.Dims = append(r.Dims, v)
	}
	for _, d := range wikiLongs {
		var v DimValue
		switch x := ev[d].(type) {
		case nil:
			v.Null = true
		case json.Number:
			if v.Long, err = x.Int64(); err != nil {
				return Row{}, err
			}
		default:
			return Row{}, fmt.Errorf("dimension %s: %T", d, x)
		}
		r.Dims = append(r.Dims, v)
	}
	return r, nil
}

func parseWikiEvents(tb testing.TB, lines [][]byte) []Row {
	rows := make([]Row, 0, len(lines))
	for i, l := range lines {
		dec := json.NewDecoder(bytes.NewReader(l))
		dec.UseNumber()
		var ev wikiEvent
		if err := dec.Decode(&ev); err != nil {
			tb.Fatalf("line %d: %v", i+1, err)
		}
		r, err := wikiToRow(ev)
		if err != nil {
			tb.Fatalf("line %d: %v", i+1, err)
		}
		rows = append(rows, r)
	}
	// A segment is sorted by time; the sample almost is.
	slices.SortStableFunc(rows, func(a, b Row) int { return int(a.Time - b.Time) })
	return rows
}

// wikiSize writes the rows as one segment with spec and returns the sizes
// per row of index.seg and of the published index.zip.
func wikiSize(tb testing.TB, rows []Row, spec IndexSpec) (seg, zip float64) {
	dir := filepath.Join(tb.TempDir(), "seg")
	meta := wikiMeta()
	writeSegment(tb, dir, meta, spec, rows)
	fi, err := os.Stat(filepath.Join(dir, DataFile))
	if err != nil {
		tb.Fatal(err)
	}
	zn, err := indexzip.Write(io.Discard, dir)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	if testing.Verbose() {
		var sb strings.Builder
		for _, c := range r.Columns() {
			fmt.Fprintf(&sb, " %s=%.1f", c.Name, float64(c.Size)/float64(len(rows)))
		}
		tb.Logf("B/row per column:%s", sb.String())
	}
	got := readAll(tb, r)
	for i := range rows {
		if !rowsEqual(got[i], normalize(meta, rows[i])) {
			tb.Fatalf("row %d differs after the round trip", i)
		}
	}
	// Every bitmap holds exactly the rows of its id.
	for _, d := range wikiDims {
		ids, err := r.IDs(d, nil)
		if err != nil {
			tb.Fatal(err)
		}
		bms, err := r.Bitmaps(d)
		if err != nil {
			tb.Fatal(err)
		}
		total := uint64(0)
		for _, bm := range bms {
			total += bm.GetCardinality()
		}
		if total != uint64(len(rows)) {
			tb.Fatalf("column %s: bitmaps hold %d rows, want %d", d, total, len(rows))
		}
		for row, id := range ids {
			if !bms[id].Contains(uint32(row)) {
				tb.Fatalf("column %s: row %d missing from the bitmap of id %d", d, row, id)
			}
		}
	}
	return float64(fi.Size()) / float64(len(rows)), float64(zn) / float64(len(rows))
}

func TestWikitickerSize(t *testing.T) {
	lines, source, _ := wikisample.Lines(t)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	raw := 0
	for _, l := range lines {
		zw.Write(l)
		zw.Write([]byte{'\n'})
		raw += len(l) + 1
	}
	zw.Close()
	rows := parseWikiEvents(t, lines)
	n := float64(len(rows))
	t.Logf("%s: %d rows, raw JSON %.1f B/row, gzip -9 %.1f B/row", source, len(rows), float64(raw)/n, float64(gz.Len())/n)

	for _, c := range []struct {
		name   string
		mutate func(*IndexSpec)
		// Upper bounds on the generated look-alike. Format v5 measured
		// 36.1 / 36.2 (default, index.seg / index.zip), 35.5 and 35.5 B/row. Issue 10's
		// target is ≤ 40 B/row with Druid's default indexSpec on the real
		// sample, which is not here and was 3 B/row worse than the
		// look-alike when both were measured (v1), so the default's bound
		// keeps that margin below 40 (38, not 40); the others keep a
		// margin for codec library updates.
		maxSeg, maxZip float64
	}{
		{"default (Druid's: lz4)", func(*IndexSpec) {}, 38, 38},
		{"zstd", func(s *IndexSpec) { s.DimensionCompression = "zstd" }, 37, 37},
		{"zstd-auto", func(s *IndexSpec) {
			s.DimensionCompression, s.MetricCompression, s.LongEncoding = "zstd", "zstd", "auto"
		}, 37, 37},
	} {
		spec := DefaultIndexSpec()
		c.mutate(&spec)
		seg, zip := wikiSize(t, rows, spec)
		t.Logf("%s: index.seg %.1f B/row, index.zip %.1f B/row", c.name, seg, zip)
		if os.Getenv("KI_WIKITICKER") == "" && (seg > c.maxSeg || zip > c.maxZip) {
			t.Errorf("%s: %.1f / %.1f B/row, want at most %.0f / %.0f", c.name, seg, zip, c.maxSeg, c.maxZip)
		}
	}
}
