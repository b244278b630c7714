package segment

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// TestWorkersSameBytes: Finish encodes columns concurrently, yet the data
// file is the same byte for byte whatever the number of workers, with
// several bitmap passes too.
func TestWorkersSameBytes(t *testing.T) {
	meta := testMeta()
	rows := genRows(rand.New(rand.NewPCG(11, 3)), 20000, 500)
	base := t.TempDir()
	var want []byte
	for _, opts := range []WriterOptions{{Workers: 1}, {Workers: 3}, {Workers: 8, BitmapPassBudget: 1 << 10}} {
		dir := filepath.Join(base, "seg", string(rune('a'+opts.Workers)))
		writeSegmentWithOptions(t, dir, meta, DefaultIndexSpec(), opts, rows)
		got, err := os.ReadFile(filepath.Join(dir, DataFile))
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = got
			continue
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("workers=%d: %d bytes differ from workers=1 (%d bytes)", opts.Workers, len(got), len(want))
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if filepath.Ext(e.Name()) == ".tmp" {
				t.Errorf("workers=%d: spool %s left in the segment", opts.Workers, e.Name())
			}
		}
	}
}

// TestIntermediateSegment: a segment written with WriterOptions.Intermediate (LZ4 dictionaries
// and bitmaps, no varbits long blocks) reads back the same rows and bitmaps, is merged into the
// same bytes as one written without it, and is not the same file.
func TestIntermediateSegment(t *testing.T) {
	meta := testMeta()
	rows := genRows(rand.New(rand.NewPCG(12, 5)), 20000, 2000)
	base := t.TempDir()
	var merged, written [][]byte
	for _, opts := range []WriterOptions{{}, {Intermediate: true}} {
		name := map[bool]string{false: "final", true: "intermediate"}[opts.Intermediate]
		dir := filepath.Join(base, name)
		writeSegmentWithOptions(t, dir, meta, DefaultIndexSpec(), opts, rows)
		raw, err := os.ReadFile(filepath.Join(dir, DataFile))
		if err != nil {
			t.Fatal(err)
		}
		written = append(written, raw)
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		got := readAll(t, r)
		for i := range rows {
			if want := normalize(meta, rows[i]); !rowsEqual(got[i], want) {
				t.Fatalf("%s: row %d:\n got %+v\nwant %+v", name, i, got[i], want)
			}
		}
		checkColumns(t, r, rows)
		if got, want := longEncodings(t, r)[encVarbits], !opts.Intermediate; got != want {
			t.Errorf("%s: varbits long blocks: %v, want %v", name, got, want)
		}
		dst := filepath.Join(base, name+"-merged")
		if err := Merge(dst, meta, DefaultIndexSpec(), []*Reader{r}, nil); err != nil {
			t.Fatal(err)
		}
		r.Close()
		b, err := os.ReadFile(filepath.Join(dst, DataFile))
		if err != nil {
			t.Fatal(err)
		}
		merged = append(merged, b)
	}
	if bytes.Equal(written[0], written[1]) {
		t.Fatalf("Intermediate changed nothing")
	}
	if !bytes.Equal(merged[0], merged[1]) {
		t.Fatalf("merging the intermediate segment gives %d bytes, the final one %d (or different bytes)", len(merged[1]), len(merged[0]))
	}
}

// longEncodings returns the encodings of the blocks of r's long columns, __time included.
func longEncodings(t *testing.T, r *Reader) map[encoding]bool {
	t.Helper()
	seen := map[encoding]bool{}
	for _, c := range r.Columns() {
		if c.Type != TypeLong {
			continue
		}
		p, _, err := r.numeric(c.Name, TypeLong)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range p.blocks {
			seen[encoding(b.data[1])] = true
		}
	}
	return seen
}

// TestDictionaryBackgroundAbort: dictionaries given by SetDictionary are encoded on a goroutine
// while rows are added; Abort in the middle stops it, waits for it, and leaves no files; a
// SetDictionary after the first row is refused.
func TestDictionaryBackgroundAbort(t *testing.T) {
	defer goleak.VerifyNone(t)
	meta := testMeta()
	vals := []string{""}
	for i := range 300_000 {
		vals = append(vals, fmt.Sprintf("https://en.wikipedia.org/wiki/Page_%07d", i))
	}
	dir := filepath.Join(t.TempDir(), "seg")
	w, err := NewWriter(dir, meta, DefaultIndexSpec())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetDictionary(0, vals, nil); err != nil {
		t.Fatal(err)
	}
	rows := genRows(rand.New(rand.NewPCG(1, 2)), 10, 5)
	for i := range rows {
		rows[i].Dims[0] = DimValue{ID: int32(i + 1)}
		if err := w.Add(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.SetDictionary(2, []string{"", "a"}, nil); err == nil {
		t.Errorf("SetDictionary after rows: no error")
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + tmpForCreation); !os.IsNotExist(err) {
		t.Errorf("temporary directory left after Abort: %v", err)
	}
}
