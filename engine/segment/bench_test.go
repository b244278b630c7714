package segment

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Benchmarks for writing and reading a wikipedia-like segment: __time, five
// string dimensions (zipf-distributed), a count, a long and a double metric.
//
//	go test ./engine/segment -run '^$' -bench . -benchtime 5x -count 1
//
// Metrics: bytes/row is the size of the segment directory divided by rows;
// rows/s is rows written (or read) per second of wall time.

var benchSink int64

func benchMeta() Metadata {
	return Metadata{
		DataSource: "wiki", Interval: Interval{t0, t0.Add(time.Hour)}, Version: "v1",
		Dimensions: []DimensionSchema{
			{Name: "channel", Type: TypeString}, {Name: "page", Type: TypeString}, {Name: "user", Type: TypeString},
			{Name: "country", Type: TypeString}, {Name: "namespace", Type: TypeString},
		},
		Metrics: []MetricSchema{{Name: "count", Type: TypeLong}, {Name: "added", Type: TypeLong}, {Name: "delta", Type: TypeDouble}},
	}
}

func benchRows(n int, card uint64) []Row {
	rng := rand.New(rand.NewPCG(1, 2))
	var zipfs []*rand.Zipf
	var dicts [][]string
	for d := 0; d < 5; d++ {
		c := max(card>>uint(2*d), 8) // each dimension a bit less diverse than the last
		zipfs = append(zipfs, rand.NewZipf(rng, 1.2, 1, c-1))
		dict := make([]string, c)
		for i := range dict {
			dict[i] = fmt.Sprintf("dim%d-value-%06d", d, i)
		}
		dicts = append(dicts, dict)
	}
	rows := make([]Row, n)
	ts := t0.UnixMilli()
	for i := range rows {
		ts += int64(rng.IntN(40)) // ~25 rows per second
		dims := make([]DimValue, 5)
		for d := range dims {
			dims[d].Str = dicts[d][zipfs[d].Uint64()]
		}
		rows[i] = Row{Time: ts, Dims: dims, Metrics: []MetricValue{{Long: 1}, {Long: rng.Int64N(5000)}, {Double: rng.NormFloat64() * 100}}}
	}
	return rows
}

func dirSize(tb testing.TB, dir string) int64 {
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			tb.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

func BenchmarkSegment(b *testing.B) {
	const n = 100_000
	for _, card := range []struct {
		name string
		n    uint64
	}{{"low", 100}, {"high", 50_000}} {
		rows := benchRows(n, card.n)
		for _, codec := range []string{"lz4", "zstd", "none"} {
			spec := DefaultIndexSpec()
			spec.DimensionCompression, spec.MetricCompression = codec, codec
			meta := benchMeta()
			name := fmt.Sprintf("rows=1e5/card=%s/codec=%s", card.name, codec)

			// Verify once before timing.
			vdir := filepath.Join(b.TempDir(), "verify")
			writeSegment(b, vdir, meta, spec, rows)
			r, err := Open(vdir)
			if err != nil {
				b.Fatal(err)
			}
			got := readAll(b, r)
			for i := range rows {
				if !rowsEqual(got[i], normalize(meta, rows[i])) {
					b.Fatalf("row %d differs", i)
				}
			}
			size := dirSize(b, vdir)

			b.Run(name+"/op=write", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(size)
				tmp := b.TempDir()
				start := time.Now()
				for i := 0; b.Loop(); i++ {
					writeSegment(b, filepath.Join(tmp, fmt.Sprint(i)), meta, spec, rows)
				}
				b.ReportMetric(float64(size)/n, "bytes/row")
				b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
			})
			b.Run(name+"/op=read", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(size)
				start := time.Now()
				for b.Loop() {
					r, err := Open(vdir)
					if err != nil {
						b.Fatal(err)
					}
					it := r.Rows()
					for it.Next() {
						benchSink += it.Row().Time
					}
					if err := it.Err(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(size)/n, "bytes/row")
				b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
			})
		}
	}
}

// BenchmarkAdd measures the writer's per-row hot path alone (no encoding):
// it must not allocate per row beyond amortised slice growth.
func BenchmarkAdd(b *testing.B) {
	rows := benchRows(100_000, 1000)
	w, err := NewWriter(filepath.Join(b.TempDir(), "seg"), benchMeta(), DefaultIndexSpec())
	if err != nil {
		b.Fatal(err)
	}
	defer w.Abort()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := rows[i%len(rows)]
		r.Time = rows[len(rows)-1].Time + int64(i)
		if err := w.Add(&r); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
