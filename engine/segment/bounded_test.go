package segment

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync"
	"testing"
	"time"
)

// heapWatch samples the heap (live and not yet swept objects) in the
// background and keeps the highest value. Sampling can miss a short peak,
// which can only make a bound pass, never fail spuriously. While it runs,
// GOGC is 25, so that the figure tracks live memory rather than how much
// garbage the collector let accumulate (with the default GOGC=100 the heap
// may reach twice the live size).
type heapWatch struct {
	gogc int
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	base uint64
	peak uint64
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func watchHeap() *heapWatch {
	h := &heapWatch{gogc: debug.SetGCPercent(25), stop: make(chan struct{})}
	runtime.GC()
	h.base = heapObjects()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			h.mu.Lock()
			h.peak = max(h.peak, heapObjects())
			h.mu.Unlock()
			select {
			case <-h.stop:
				return
			case <-tk.C:
			}
		}
	}()
	return h
}

// done stops sampling and returns the peak above the starting heap, in MiB.
func (h *heapWatch) done() float64 {
	close(h.stop)
	h.wg.Wait()
	h.peak = max(h.peak, heapObjects())
	debug.SetGCPercent(h.gogc)
	return float64(h.peak-min(h.base, h.peak)) / (1 << 20)
}

// boundedMeta is a no-rollup schema with one high-cardinality string column.
func boundedMeta() Metadata {
	return Metadata{
		DataSource: "wiki",
		Interval:   Interval{Start: t0, End: t0.Add(time.Hour)},
		Version:    "2026-01-01T00:00:00.000Z",
		Dimensions: []DimensionSchema{
			{Name: "page", Type: TypeString},
			{Name: "country", Type: TypeString},
			{Name: "tags", Type: TypeString, MultiValue: true},
			{Name: "n", Type: TypeLong},
		},
		Metrics: []MetricSchema{
			{Name: "count", Type: TypeLong},
			{Name: "sum", Type: TypeDouble},
		},
	}
}

// boundedRow fills r with row i of a deterministic stream: page has about
// card distinct values, the other columns few.
func boundedRow(r *Row, i, card int, pages []string) {
	r.Time = t0.UnixMilli() + int64(i)/600
	r.Dims[0] = DimValue{Str: pages[(i*7919)%card]}
	r.Dims[1] = DimValue{Str: [...]string{"", "de", "fr", "us", "jp", "in"}[i%6], Null: i%6 == 0}
	r.Dims[2] = DimValue{Strs: [][]string{nil, {"a"}, {"b", "c"}, {"x", "a", "x"}}[i%4], Null: i%4 == 0}
	r.Dims[3] = DimValue{Long: int64(i % 1000), Null: i%10 == 0}
	r.Metrics[0] = MetricValue{Long: 1}
	r.Metrics[1] = MetricValue{Double: float64(i) / 3}
}

const (
	boundedRows = 2_000_000
	boundedCard = 250_000
	// boundedMiB is the heap growth allowed while building or merging a
	// 2M-row segment: the dictionaries (≈ 250K values) and one block per
	// column (per input). Measured: ≈ 30 MiB for the writer, ≈ 100 MiB for
	// the merge of 14 spills; the in-memory writer and merge this replaced
	// grew by ≈ 240 and ≈ 600 MiB (≈ 300 and ≈ 850 MiB at GOGC=100).
	boundedMiB = 150
)

func boundedPages() []string {
	pages := make([]string, boundedCard)
	for i := range pages {
		pages[i] = fmt.Sprintf("https://en.wikipedia.org/wiki/Page_%07d", i)
	}
	return pages
}

// TestWriterMemoryBounded writes a 2M-row segment and checks that the heap
// grows by less than boundedMiB, independent of the row count.
func TestWriterMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 2M rows")
	}
	pages := boundedPages()
	meta := boundedMeta()
	dir := filepath.Join(t.TempDir(), "seg")
	h := watchHeap()
	w, err := NewWriter(dir, meta, DefaultIndexSpec())
	if err != nil {
		t.Fatal(err)
	}
	r := Row{Dims: make([]DimValue, 4), Metrics: make([]MetricValue, 2)}
	for i := 0; i < boundedRows; i++ {
		boundedRow(&r, i, boundedCard, pages)
		if err := w.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	peak := h.done()
	t.Logf("writer: %d rows, heap peak +%.1f MiB", boundedRows, peak)
	if peak > boundedMiB {
		t.Errorf("writer heap grew by %.1f MiB for %d rows, want < %d MiB", peak, boundedRows, boundedMiB)
	}
	checkBounded(t, dir, pages)
}

// TestMergeMemoryBounded merges 14 spills of 150K rows (maxRowsInMemory)
// into one segment and checks that the heap grows by less than boundedMiB:
// inputs are read one block per column at a time, not decoded whole.
func TestMergeMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and merges 2M rows")
	}
	pages := boundedPages()
	meta := boundedMeta()
	base := t.TempDir()
	const spillRows = 150_000
	r := Row{Dims: make([]DimValue, 4), Metrics: make([]MetricValue, 2)}
	var dirs []string
	const spills = (boundedRows + spillRows - 1) / spillRows
	for s := 0; s < spills; s++ {
		// Spill s holds rows s, s+spills, …: every spill spans the whole
		// hour, so the merge interleaves all of them at once.
		dir := filepath.Join(base, fmt.Sprintf("spill-%d", s))
		w, err := NewWriter(dir, meta, DefaultIndexSpec())
		if err != nil {
			t.Fatal(err)
		}
		for i := s; i < boundedRows; i += spills {
			boundedRow(&r, i, boundedCard, pages)
			if err := w.Add(&r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	h := watchHeap()
	var inputs []*Reader
	for _, d := range dirs {
		in, err := Open(d)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		inputs = append(inputs, in)
	}
	dst := filepath.Join(base, "merged")
	if err := Merge(dst, meta, DefaultIndexSpec(), inputs, nil); err != nil {
		t.Fatal(err)
	}
	peak := h.done()
	t.Logf("merge: %d spills, %d rows, heap peak +%.1f MiB", len(dirs), boundedRows, peak)
	if peak > boundedMiB {
		t.Errorf("merge heap grew by %.1f MiB for %d rows, want < %d MiB", peak, boundedRows, boundedMiB)
	}
	checkBounded(t, dst, pages)
}

// checkBounded spot-checks the segment written from boundedRow.
func checkBounded(t *testing.T, dir string, pages []string) {
	t.Helper()
	rd, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if rd.NumRows() != boundedRows {
		t.Fatalf("%d rows, want %d", rd.NumRows(), boundedRows)
	}
	if n, err := rd.Cardinality("page"); err != nil || n != boundedCard {
		t.Fatalf("page cardinality %d (%v), want %d", n, err, boundedCard)
	}
	bm, err := rd.Bitmap("page", pages[7919%boundedCard])
	if err != nil || bm.GetCardinality() != boundedRows/boundedCard {
		t.Fatalf("bitmap of one page: %v rows (%v), want %d", bm.GetCardinality(), err, boundedRows/boundedCard)
	}
	it := rd.Rows()
	n, sum := 0, int64(0)
	for it.Next() {
		row := it.Row()
		sum += row.Metrics[0].Long
		n++
	}
	if err := it.Err(); err != nil || n != boundedRows || sum != boundedRows {
		t.Fatalf("iterated %d rows summing %d (%v), want %d", n, sum, err, boundedRows)
	}
}

// TestLargeDictionariesBounded round-trips dictionaries in each of the row
// iterator's tiers (strings, raw bytes, read from the file block by block)
// and checks that building bitmaps in many bounded passes writes the same
// bytes as in one.
func TestLargeDictionariesBounded(t *testing.T) {
	// testMeta's page and tags get ≈ 2 MiB dictionaries (read from the
	// file), user ≈ 200 KiB (raw bytes).
	meta := testMeta()
	const n = 120_000
	rows := genRows(rand.New(rand.NewPCG(7, 7)), n, 300)
	for i := range rows {
		if d := &rows[i].Dims[0]; !d.Null && d.Str != "" {
			d.Str = fmt.Sprintf("https://example.com/a/rather/long/path/%08d", (i*7919)%50_000)
		}
		if d := &rows[i].Dims[1]; len(d.Strs) > 0 {
			d.Strs = slices.Clone(d.Strs)
			for k := range d.Strs {
				if d.Strs[k] != "" {
					d.Strs[k] = fmt.Sprintf("https://example.com/tags/long/value/%08d", (i*31+k*17)%50_000)
				}
			}
		}
		if d := &rows[i].Dims[2]; !d.Null && d.Str != "" {
			d.Str = fmt.Sprintf("mid-%06d", (i*13)%20_000)
		}
	}
	base := t.TempDir()
	writeSegment(t, filepath.Join(base, "one"), meta, DefaultIndexSpec(), rows)
	writeSegmentWithOptions(t, filepath.Join(base, "many"), meta, DefaultIndexSpec(), WriterOptions{BitmapPassBudget: 1 << 12}, rows)
	a, _ := os.ReadFile(filepath.Join(base, "one", DataFile))
	b, _ := os.ReadFile(filepath.Join(base, "many", DataFile))
	if !bytes.Equal(a, b) {
		t.Fatalf("bitmaps built in many passes differ from one pass")
	}
	r, err := Open(filepath.Join(base, "many"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
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
}
