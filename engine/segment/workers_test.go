package segment

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
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
// and bitmaps) reads back the same rows and bitmaps, is merged into the same bytes as one
// written without it, and is not the same file.
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
