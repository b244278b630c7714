package segment

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/* from the current writer")

// goldenRows are the rows of the golden segments of version v: 8200 rows,
// so __time has two blocks and block indexes are exercised. From v5 on,
// every 100th row's page is a value of its own, so the goldens pin the
// bytes of one-row bitmaps (bitmapTagOne); the older goldens were written
// from the rows without them.
func goldenRows(v FormatVersion) []Row {
	rows := genRows(rand.New(rand.NewPCG(42, 42)), 8200, 100)
	for i := range rows {
		rows[i].Metrics[3].Bytes = rows[i].Metrics[3].Bytes[:min(3, len(rows[i].Metrics[3].Bytes))]
		rows[i].Metrics[2].Double = float64(i % 7)
		if v >= FormatV5 && i%100 == 50 {
			rows[i].Dims[0] = DimValue{Str: fmt.Sprintf("one%04d", i)}
		}
	}
	return rows
}

// TestGolden rebuilds fixed segments and compares them byte for byte with
// testdata/golden/v<CurrentFormat>-*. A failure means the format changed:
// bump FormatVersion, document the new layout (keeping the old one, marked
// read-only), keep the old golden directories (TestGoldenOldVersions reads
// them) and rerun with -update.
//
//	go test ./engine/segment -run TestGolden -update
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec IndexSpec
	}{
		{name: "default", spec: DefaultIndexSpec()},
		{name: "lz4", spec: IndexSpec{Bitmap: "roaring", DimensionCompression: "lz4", MetricCompression: "lz4", LongEncoding: "longs"}},
		{name: "auto-none", spec: IndexSpec{Bitmap: "roaring", DimensionCompression: "none", MetricCompression: "none", LongEncoding: "auto"}},
		// zstd output is klauspost/compress's: a version bump of that module
		// may change these bytes without a format change (rerun -update then).
		{name: "zstd-auto", spec: IndexSpec{Bitmap: "roaring", DimensionCompression: "zstd", MetricCompression: "zstd", LongEncoding: "auto"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "seg")
			writeSegment(t, dir, testMeta(), tc.spec, goldenRows(CurrentFormat))
			golden := filepath.Join("testdata", "golden", CurrentFormat.String()+"-"+tc.name)
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

// TestGoldenOldVersions reads the golden segments of every older format
// version this build still supports and checks their rows, dictionaries
// and bitmaps against the rows they were written from.
func TestGoldenOldVersions(t *testing.T) {
	for _, name := range []string{"v1-default", "v1-auto-none", "v2-default", "v2-auto-none", "v2-zstd-auto", "v3-default", "v3-lz4", "v3-auto-none", "v3-zstd-auto", "v4-default", "v4-lz4", "v4-auto-none", "v4-zstd-auto"} {
		t.Run(name, func(t *testing.T) {
			r, err := Open(filepath.Join("testdata", "golden", name))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if want := name[:2]; r.FormatVersion().String() != want {
				t.Fatalf("format %v, want %s", r.FormatVersion(), want)
			}
			meta, rows := testMeta(), goldenRows(r.FormatVersion())
			got := readAll(t, r)
			if len(got) != len(rows) {
				t.Fatalf("%d rows, want %d", len(got), len(rows))
			}
			for i := range rows {
				if !rowsEqual(got[i], normalize(meta, rows[i])) {
					t.Fatalf("row %d: %+v, want %+v", i, got[i], normalize(meta, rows[i]))
				}
			}
			// The same rows written now (current format) give the same
			// dictionaries and bitmaps.
			dir := filepath.Join(t.TempDir(), "seg")
			writeSegment(t, dir, meta, r.IndexSpec(), rows)
			cur, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer cur.Close()
			for _, c := range r.Columns() {
				if c.Type != TypeString {
					continue
				}
				od, err1 := r.Dictionary(c.Name)
				nd, err2 := cur.Dictionary(c.Name)
				if err1 != nil || err2 != nil || !slices.Equal(od, nd) {
					t.Fatalf("column %s: dictionaries differ (%v, %v)", c.Name, err1, err2)
				}
				ob, err1 := r.Bitmaps(c.Name)
				nb, err2 := cur.Bitmaps(c.Name)
				if err1 != nil || err2 != nil || len(ob) != len(nb) {
					t.Fatalf("column %s: bitmaps (%v, %v)", c.Name, err1, err2)
				}
				for i := range ob {
					if !ob[i].Equals(nb[i]) {
						t.Fatalf("column %s: bitmap %d differs", c.Name, i)
					}
				}
			}
		})
	}
}

// TestMergeOldAndNewVersions merges a v1 golden segment with the same rows
// written now: the merged segment (current format) holds both copies.
func TestMergeOldAndNewVersions(t *testing.T) {
	old, err := Open(filepath.Join("testdata", "golden", "v1-default"))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	dir := filepath.Join(t.TempDir(), "cur")
	writeSegment(t, dir, testMeta(), DefaultIndexSpec(), goldenRows(FormatV1))
	cur, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	dst := filepath.Join(t.TempDir(), "merged")
	if err := Merge(dst, testMeta(), DefaultIndexSpec(), []*Reader{old, cur}, nil); err != nil {
		t.Fatal(err)
	}
	m, err := Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.FormatVersion() != CurrentFormat || m.NumRows() != 2*len(goldenRows(FormatV1)) {
		t.Fatalf("merged: %v, %d rows", m.FormatVersion(), m.NumRows())
	}
	if err := openAndRead(dst); err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Columns() {
		if c.Type != TypeString {
			continue
		}
		n1, err1 := old.Cardinality(c.Name)
		n2, err2 := m.Cardinality(c.Name)
		if err1 != nil || err2 != nil || n1 != n2 {
			t.Fatalf("column %s: cardinality %d (%v) merged %d (%v)", c.Name, n1, err1, n2, err2)
		}
	}
}
