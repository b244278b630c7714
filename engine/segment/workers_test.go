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
