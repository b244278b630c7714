package segment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// testMeta covers every column type.
func testMeta() Metadata {
	return Metadata{
		DataSource: "wiki",
		Interval:   Interval{Start: t0, End: t0.Add(time.Hour)},
		Version:    "2026-01-01T00:00:00.000Z",
		Partition:  3,
		Dimensions: []DimensionSchema{
			{Name: "page", Type: TypeString},
			{Name: "tags", Type: TypeString, MultiValue: true},
			{Name: "user", Type: TypeString},
			{Name: "ldim", Type: TypeLong},
			{Name: "fdim", Type: TypeFloat},
			{Name: "ddim", Type: TypeDouble},
		},
		Metrics: []MetricSchema{
			{Name: "count", Type: TypeLong, Aggregator: json.RawMessage(`{"type":"count","name":"count"}`)},
			{Name: "fsum", Type: TypeFloat, Aggregator: json.RawMessage(`{"type":"floatSum","name":"fsum","fieldName":"f"}`)},
			{Name: "dsum", Type: TypeDouble, Aggregator: json.RawMessage(`{"type":"doubleSum","name":"dsum","fieldName":"d"}`)},
			{Name: "uniq", Type: TypeComplex, ComplexType: "hyperUnique", Aggregator: json.RawMessage(`{"type":"hyperUnique","name":"uniq","fieldName":"user"}`)},
		},
		Rollup:           true,
		QueryGranularity: "minute",
	}
}

// genRows makes n rows with non-decreasing times; card bounds string
// cardinality. Every column gets nulls.
func genRows(rng *rand.Rand, n, card int) []Row {
	rows := make([]Row, n)
	ts := t0.UnixMilli()
	for i := range rows {
		ts += int64(rng.IntN(3))
		r := Row{Time: ts, Dims: make([]DimValue, 6), Metrics: make([]MetricValue, 4)}
		str := func() string { return fmt.Sprintf("v%04d", rng.IntN(card)) }
		switch rng.IntN(10) {
		case 0:
			r.Dims[0] = DimValue{Null: true}
		case 1:
			r.Dims[0] = DimValue{Str: ""}
		default:
			r.Dims[0] = DimValue{Str: str()}
		}
		switch k := rng.IntN(6); k {
		case 0:
			r.Dims[1] = DimValue{Null: true}
		case 1:
			r.Dims[1] = DimValue{Strs: []string{}}
		default:
			for j := 0; j < k-1; j++ {
				r.Dims[1].Strs = append(r.Dims[1].Strs, str())
			}
		}
		r.Dims[2] = DimValue{Str: "ü" + str()} // non-ASCII
		if rng.IntN(7) == 0 {
			r.Dims[3] = DimValue{Null: true}
		} else {
			r.Dims[3] = DimValue{Long: rng.Int64N(1000) - 500}
		}
		if rng.IntN(7) == 0 {
			r.Dims[4] = DimValue{Null: true}
		} else {
			r.Dims[4] = DimValue{Double: rng.Float64() * 100}
		}
		if rng.IntN(7) == 0 {
			r.Dims[5] = DimValue{Null: true}
		} else {
			r.Dims[5] = DimValue{Double: rng.NormFloat64()}
		}
		r.Metrics[0] = MetricValue{Long: rng.Int64N(5000)}
		r.Metrics[1] = MetricValue{Double: rng.Float64()}
		r.Metrics[2] = MetricValue{Double: rng.Float64() * 1e6}
		blob := make([]byte, rng.IntN(40))
		for j := range blob {
			blob[j] = byte(rng.IntN(4))
		}
		r.Metrics[3] = MetricValue{Bytes: blob}
		rows[i] = r
	}
	return rows
}

// normalize returns what the reader yields for r: "" and empty arrays are
// null, nulls read as zero, floats are narrowed.
func normalize(meta Metadata, r Row) Row {
	out := Row{Time: r.Time, Dims: make([]DimValue, len(r.Dims)), Metrics: make([]MetricValue, len(r.Metrics))}
	for i, d := range meta.Dimensions {
		v := r.Dims[i]
		switch {
		case d.MultiValue:
			if s := normStrs(&v); s != nil {
				out.Dims[i] = DimValue{Strs: slices.Clone(s)}
			} else {
				out.Dims[i] = DimValue{Null: true}
			}
		case d.Type == TypeString:
			out.Dims[i] = DimValue{Str: v.Str, Null: v.Null || v.Str == ""}
			if v.Null {
				out.Dims[i].Str = ""
			}
		case v.Null:
			out.Dims[i] = DimValue{Null: true}
		case d.Type == TypeLong:
			out.Dims[i] = DimValue{Long: v.Long}
		case d.Type == TypeFloat:
			out.Dims[i] = DimValue{Double: float64(float32(v.Double))}
		default:
			out.Dims[i] = DimValue{Double: v.Double}
		}
	}
	for i, m := range meta.Metrics {
		v := r.Metrics[i]
		switch m.Type {
		case TypeLong:
			out.Metrics[i] = MetricValue{Long: v.Long}
		case TypeFloat:
			out.Metrics[i] = MetricValue{Double: float64(float32(v.Double))}
		case TypeDouble:
			out.Metrics[i] = MetricValue{Double: v.Double}
		default:
			out.Metrics[i] = MetricValue{Bytes: v.Bytes}
		}
	}
	return out
}

func rowsEqual(a, b Row) bool {
	if a.Time != b.Time || len(a.Dims) != len(b.Dims) || len(a.Metrics) != len(b.Metrics) {
		return false
	}
	for i := range a.Dims {
		x, y := a.Dims[i], b.Dims[i]
		if x.Str != y.Str || !slices.Equal(x.Strs, y.Strs) || x.Long != y.Long || x.Null != y.Null ||
			math.Float64bits(x.Double) != math.Float64bits(y.Double) {
			return false
		}
	}
	for i := range a.Metrics {
		x, y := a.Metrics[i], b.Metrics[i]
		if x.Long != y.Long || math.Float64bits(x.Double) != math.Float64bits(y.Double) || !bytes.Equal(x.Bytes, y.Bytes) {
			return false
		}
	}
	return true
}

func writeSegment(t testing.TB, dir string, meta Metadata, spec IndexSpec, rows []Row) {
	t.Helper()
	writeSegmentWithOptions(t, dir, meta, spec, WriterOptions{}, rows)
}

func writeSegmentWithOptions(t testing.TB, dir string, meta Metadata, spec IndexSpec, opts WriterOptions, rows []Row) {
	t.Helper()
	w, err := NewWriterWithOptions(dir, meta, spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if err := w.Add(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func readAll(t testing.TB, r *Reader) []Row {
	t.Helper()
	var out []Row
	it := r.Rows()
	for it.Next() {
		out = append(out, *it.Row().Clone())
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func allSpecs() []IndexSpec {
	var out []IndexSpec
	for _, dc := range []string{"lz4", "none", "uncompressed"} {
		for _, mc := range []string{"lz4", "none"} {
			for _, le := range []string{"longs", "auto"} {
				out = append(out, IndexSpec{Bitmap: "roaring", DimensionCompression: dc, MetricCompression: mc, LongEncoding: le})
			}
		}
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	meta := testMeta()
	for _, n := range []int{0, 1, 1000, 20000} {
		rows := genRows(rand.New(rand.NewPCG(1, uint64(n))), n, 300)
		for _, spec := range allSpecs() {
			name := fmt.Sprintf("rows=%d/dim=%s/metric=%s/long=%s", n, spec.DimensionCompression, spec.MetricCompression, spec.LongEncoding)
			t.Run(name, func(t *testing.T) {
				if n == 20000 && testing.Short() {
					t.Skip("short")
				}
				dir := filepath.Join(t.TempDir(), "seg")
				writeSegment(t, dir, meta, spec, rows)
				r, err := Open(dir)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				if r.NumRows() != n || r.Metadata().NumRows != int64(n) || r.IndexSpec() != spec {
					t.Fatalf("NumRows %d, meta %+v, spec %+v", r.NumRows(), r.Metadata().NumRows, r.IndexSpec())
				}
				got := readAll(t, r)
				if len(got) != n {
					t.Fatalf("got %d rows, want %d", len(got), n)
				}
				for i := range rows {
					if want := normalize(meta, rows[i]); !rowsEqual(got[i], want) {
						t.Fatalf("row %d:\n got %+v\nwant %+v", i, got[i], want)
					}
				}
				checkColumns(t, r, rows)
			})
		}
	}
}

// checkColumns checks the column accessors and that every bitmap agrees with
// the id column.
func checkColumns(t *testing.T, r *Reader, rows []Row) {
	t.Helper()
	meta := r.Metadata()
	times, err := r.Times()
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if times[i] != rows[i].Time {
			t.Fatalf("time %d: %d want %d", i, times[i], rows[i].Time)
		}
	}
	for di, d := range meta.Dimensions {
		switch d.Type {
		case TypeString:
			dict, err := r.Dictionary(d.Name)
			if err != nil {
				t.Fatal(err)
			}
			if dict[0] != "" || !slices.IsSorted(dict) {
				t.Fatalf("%s: dictionary not null-first and sorted", d.Name)
			}
			ids, err := r.IDs(d.Name, nil)
			if err != nil {
				t.Fatal(err)
			}
			offs, err := r.Offsets(d.Name, nil)
			if err != nil {
				t.Fatal(err)
			}
			bms, err := r.Bitmaps(d.Name)
			if err != nil {
				t.Fatal(err)
			}
			if len(bms) != len(dict) {
				t.Fatalf("%s: %d bitmaps for %d values", d.Name, len(bms), len(dict))
			}
			total := 0
			for id, bm := range bms {
				total += int(bm.GetCardinality())
				it := bm.Iterator()
				for it.HasNext() {
					row := it.Next()
					if !slices.Contains(ids[offs[row]:offs[row+1]], int32(id)) {
						t.Fatalf("%s: bitmap of %q has row %d whose ids are %v", d.Name, dict[id], row, ids[offs[row]:offs[row+1]])
					}
				}
			}
			for row := 0; row < len(rows); row++ {
				for _, id := range ids[offs[row]:offs[row+1]] {
					if !bms[id].Contains(uint32(row)) {
						t.Fatalf("%s: row %d id %d missing from bitmap", d.Name, row, id)
					}
				}
			}
			_ = total
			if len(rows) > 0 {
				v := rows[len(rows)-1].Dims[di].Str
				bm, err := r.Bitmap(d.Name, v)
				if err != nil {
					t.Fatal(err)
				}
				if !bm.Contains(uint32(len(rows)-1)) && !d.MultiValue {
					t.Fatalf("%s: Bitmap(%q) lacks last row", d.Name, v)
				}
			}
			if bm, err := r.Bitmap(d.Name, "absent-value"); err != nil || !bm.IsEmpty() {
				t.Fatalf("%s: absent value: %v %v", d.Name, bm, err)
			}
		case TypeLong:
			v, err := r.Longs(d.Name, make([]int64, 0, len(rows)))
			if err != nil || len(v) != len(rows) {
				t.Fatal(len(v), err)
			}
			nulls, err := r.Nulls(d.Name)
			if err != nil {
				t.Fatal(err)
			}
			for i := range rows {
				if nulls.Contains(uint32(i)) != rows[i].Dims[di].Null {
					t.Fatalf("%s row %d: null mismatch", d.Name, i)
				}
			}
		case TypeFloat:
			if v, err := r.Floats(d.Name, nil); err != nil || len(v) != len(rows) {
				t.Fatal(len(v), err)
			}
		case TypeDouble:
			if v, err := r.Doubles(d.Name, nil); err != nil || len(v) != len(rows) {
				t.Fatal(len(v), err)
			}
		}
	}
	blobs, err := r.Complex("uniq", nil)
	if err != nil || len(blobs) != len(rows) {
		t.Fatal(len(blobs), err)
	}
	if _, err := r.Longs("page", nil); !errors.Is(err, ErrNoColumn) {
		t.Fatalf("Longs on string column: %v", err)
	}
	if _, err := r.Dictionary("nope"); !errors.Is(err, ErrNoColumn) {
		t.Fatalf("missing column: %v", err)
	}
}

func TestOutOfOrderRefused(t *testing.T) {
	meta := Metadata{DataSource: "x", Interval: Interval{t0, t0.Add(time.Hour)}}
	w, err := NewWriter(filepath.Join(t.TempDir(), "seg"), meta, DefaultIndexSpec())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	at := func(ms int64) *Row { return &Row{Time: t0.UnixMilli() + ms} }
	if err := w.Add(at(2000)); err != nil {
		t.Fatal(err)
	}
	err = w.Add(at(1000))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprint(t0.UnixMilli()+1000)) || !strings.Contains(err.Error(), fmt.Sprint(t0.UnixMilli()+2000)) {
		t.Fatalf("got %v, want error naming both timestamps", err)
	}
	if err := w.Add(at(2000)); err != nil {
		t.Fatalf("equal time refused: %v", err)
	}
	if err := w.Add(&Row{Time: t0.UnixMilli() + 3000, Dims: []DimValue{{}}}); err == nil {
		t.Fatal("wrong dimension count accepted")
	}
	// A row outside the segment's interval (its end is exclusive) is refused, naming both.
	err = w.Add(at(time.Hour.Milliseconds()))
	if err == nil || !strings.Contains(err.Error(), "2026-01-01T01:00:00.000Z is outside the segment's interval 2026-01-01T00:00:00.000Z/2026-01-01T01:00:00.000Z") {
		t.Fatalf("row at the interval's end: %v", err)
	}
	if err := w.Add(at(time.Hour.Milliseconds() - 1)); err != nil {
		t.Fatalf("last ms of the interval refused: %v", err)
	}
}

func TestWriterLifecycle(t *testing.T) {
	meta := Metadata{DataSource: "x", Interval: Interval{t0, t0.Add(time.Hour)}}
	parent := t.TempDir()
	dir := filepath.Join(parent, "seg")

	w, err := NewWriter(dir, meta, DefaultIndexSpec())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + tmpForCreation); err != nil {
		t.Fatalf("tmp dir: %v", err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + tmpForCreation); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Abort left %v", err)
	}
	if err := w.Add(&Row{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after Abort: %v", err)
	}

	w, err = NewWriter(dir, meta, DefaultIndexSpec())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.Add(&Row{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after Close: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{DataFile, MetaFile, VersionFile}) {
		t.Fatalf("segment files %v", names)
	}
	if _, err := NewWriter(dir, meta, DefaultIndexSpec()); err == nil {
		t.Fatal("NewWriter over an existing segment succeeded")
	}

	// Leftovers are swept; Remove goes through .tmp-for-deletion.
	os.Mkdir(filepath.Join(parent, "old"+tmpForCreation), 0o755)
	os.Mkdir(filepath.Join(parent, "old"+tmpForDeletion), 0o755)
	if err := RemoveLeftovers(parent); err != nil {
		t.Fatal(err)
	}
	if err := Remove(dir); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Fatalf("left %v", ents)
	}
}

func TestIndexSpecValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*IndexSpec)
		field string
	}{
		{name: "default", edit: func(*IndexSpec) {}},
		{name: "bitmap", edit: func(s *IndexSpec) { s.Bitmap = "concise" }, field: "indexSpec.bitmap"},
		{name: "dimension", edit: func(s *IndexSpec) { s.DimensionCompression = "lzf" }, field: "indexSpec.dimensionCompression"},
		{name: "zstd", edit: func(s *IndexSpec) { s.DimensionCompression, s.MetricCompression = "zstd", "zstd" }},
		{name: "metric", edit: func(s *IndexSpec) { s.MetricCompression = "" }, field: "indexSpec.metricCompression"},
		{name: "long", edit: func(s *IndexSpec) { s.LongEncoding = "delta" }, field: "indexSpec.longEncoding"},
		{name: "uncompressed", edit: func(s *IndexSpec) { s.DimensionCompression, s.MetricCompression = "uncompressed", "none" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := DefaultIndexSpec()
			tc.edit(&s)
			err := s.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("got %v, want error naming %s", err, tc.field)
			}
		})
	}
}

func TestMetadataValidate(t *testing.T) {
	m := testMeta()
	m.Metrics = append(m.Metrics, MetricSchema{Name: "page", Type: TypeLong})
	if _, err := NewWriter(filepath.Join(t.TempDir(), "s"), m, DefaultIndexSpec()); err == nil || !strings.Contains(err.Error(), "metrics[4].name") {
		t.Fatalf("duplicate name: %v", err)
	}
}

// TestIndexSpecChangesBytes checks that each setting changes the bytes the
// way docs/segment-format.md says.
func TestIndexSpecChangesBytes(t *testing.T) {
	meta := testMeta()
	rows := genRows(rand.New(rand.NewPCG(7, 7)), 20000, 50)
	size := func(spec IndexSpec) map[string]int64 {
		dir := filepath.Join(t.TempDir(), "seg")
		writeSegment(t, dir, meta, spec, rows)
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, c := range r.Columns() {
			out[c.Name] = c.Size
		}
		return out
	}
	def := size(DefaultIndexSpec())
	s := DefaultIndexSpec()
	s.DimensionCompression = "none"
	noDim := size(s)
	// page ids (50 random values) gain < 10% from LZ4, so they stay raw.
	// v4: a long block is the smaller of raw + codec and varbits, and LZ4
	// rarely shrinks varbits by a tenth, so ldim may not change.
	if noDim["page"] < def["page"] || noDim["tags"] <= def["tags"] || noDim["ldim"] < def["ldim"] || noDim["__time"] != def["__time"] || noDim["count"] != def["count"] {
		t.Errorf("dimensionCompression=none: default %v, none %v", def, noDim)
	}
	s = DefaultIndexSpec()
	s.MetricCompression = "none"
	noMet := size(s)
	// __time is delta-encoded (v2); its packed deltas rarely gain the tenth
	// LZ4 must save, so it may stay the same size.
	// v4: count is varbits, which LZ4 rarely shrinks by a tenth either.
	if noMet["count"] < def["count"] || noMet["__time"] < def["__time"] || noMet["page"] != def["page"] {
		t.Errorf("metricCompression=none: default %v, none %v", def, noMet)
	}
	s = DefaultIndexSpec()
	s.LongEncoding, s.MetricCompression = "auto", "none"
	auto := size(s)
	// longEncoding applies to long metrics and dimensions; __time is always
	// delta-encoded (v2). v4: longs blocks may be varbits too, so auto's
	// constant and frame-of-reference blocks gain less than they did.
	if auto["count"] >= noMet["count"] || auto["__time"] != noMet["__time"] || auto["dsum"] != noMet["dsum"] {
		t.Errorf("longEncoding=auto: count %d vs longs %d, __time %d vs %d", auto["count"], noMet["count"], auto["__time"], noMet["__time"])
	}
}

func TestAutoLongBlocks(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    []int64
		enc  encoding
	}{
		{name: "constant", v: []int64{7, 7, 7, 7}, enc: encConstant},
		{name: "for", v: []int64{100, 101, 105, 100}, enc: encFOR},
		{name: "raw", v: []int64{math.MinInt64, math.MaxInt64}, enc: encRaw},
		{name: "wide", v: []int64{-1 << 62, 1 << 61, 0, 5}, enc: encRaw},
		{name: "negative", v: []int64{-5, -3, -4}, enc: encFOR},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pw := partWriter{auto: true}
			enc, b := pw.appendAutoLongs(nil, tc.v)
			if enc != tc.enc {
				t.Fatalf("encoding %v, want %v", enc, tc.enc)
			}
			pw.comp = compLZ4
			d := decbuf{b: pw.appendLongsPart(nil, tc.v)}
			p := readPart(&d, partLongs)
			if err := d.done("part"); err != nil {
				t.Fatal(err)
			}
			var s []byte
			got, err := p.decodeLongs(nil, &s)
			if err != nil || !slices.Equal(got, tc.v) {
				t.Fatalf("got %v %v, want %v (%x)", got, err, tc.v, b)
			}
		})
	}
}

func TestBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for w := uint(1); w <= 64; w++ {
		vals := make([]uint64, 1+rng.IntN(100))
		for i := range vals {
			vals[i] = rng.Uint64() >> (64 - w)
		}
		b := appendBits(nil, vals, w)
		if len(b) != (len(vals)*int(w)+7)/8 {
			t.Fatalf("w=%d: %d bytes", w, len(b))
		}
		got := make([]uint64, len(vals))
		readBits(got, b, w)
		if !slices.Equal(got, vals) {
			t.Fatalf("w=%d: mismatch", w)
		}
	}
}
