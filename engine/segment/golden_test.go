package segment

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/* from the current writer")

// TestGolden rebuilds fixed segments and compares them byte for byte with
// testdata/golden. A failure means the format changed: bump FormatVersion,
// document the new layout (keeping the old one, marked read-only) and rerun
// with -update.
//
//	go test ./engine/segment -run TestGolden -update
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec IndexSpec
	}{
		{name: "default", spec: DefaultIndexSpec()},
		{name: "auto-none", spec: IndexSpec{Bitmap: "roaring", DimensionCompression: "none", MetricCompression: "none", LongEncoding: "auto"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "seg")
			// 8200 rows: two __time blocks, so block indexes are exercised.
			rows := genRows(rand.New(rand.NewPCG(42, 42)), 8200, 100)
			for i := range rows {
				rows[i].Metrics[3].Bytes = rows[i].Metrics[3].Bytes[:min(3, len(rows[i].Metrics[3].Bytes))]
				rows[i].Metrics[2].Double = float64(i % 7)
			}
			writeSegment(t, dir, testMeta(), tc.spec, rows)
			golden := filepath.Join("testdata", "golden", tc.name)
			if *update {
				if err := os.RemoveAll(golden); err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(golden, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for _, n := range []string{VersionFile, DataFile, MetaFile} {
				got, err := os.ReadFile(filepath.Join(dir, n))
				if err != nil {
					t.Fatal(err)
				}
				if *update {
					if err := os.WriteFile(filepath.Join(golden, n), got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(filepath.Join(golden, n))
				if err != nil {
					t.Fatalf("%v (run with -update to create)", err)
				}
				if !bytes.Equal(got, want) {
					i := 0
					for i < min(len(got), len(want)) && got[i] == want[i] {
						i++
					}
					t.Fatalf("%s differs from golden at byte %d (len %d, golden %d): format changed without a FormatVersion bump?", n, i, len(got), len(want))
				}
			}
			// The golden segment stays readable by this build.
			if err := openAndRead(golden); err != nil {
				t.Fatal(err)
			}
		})
	}
}
