package segment

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// TestOneRowBitmap: a value on one row of a single-value column has its
// bitmap stored as bitmapTagOne and read back as that row; a multi-value
// column stores every bitmap.
func TestOneRowBitmap(t *testing.T) {
	rows := genRows(rand.New(rand.NewPCG(9, 9)), 3000, 20)
	once := map[string]uint32{}
	for i := 7; i < len(rows); i += 113 {
		v := fmt.Sprintf("once%04d", i)
		rows[i].Dims[0] = DimValue{Str: v}
		once[v] = uint32(i)
	}
	rows[2999].Dims[0] = DimValue{Str: "zzz-last-row"} // the last row and the last id
	once["zzz-last-row"] = 2999
	r := writeAndOpen(t, rows)
	dict, err := r.Dictionary("page")
	if err != nil {
		t.Fatal(err)
	}
	for id, b := range bitmapBlobs(t, r, "page") {
		_, isOnce := once[dict[id]]
		if isOnce != (len(b) == 1 && b[0] == bitmapTagOne) {
			t.Errorf("page %q: blob % x", dict[id], b)
		}
	}
	for v, row := range once {
		bm, err := r.Bitmap("page", v)
		if err != nil || bm.GetCardinality() != 1 || !bm.Contains(row) {
			t.Fatalf("%s: %v (%v), want row %d", v, bm, err, row)
		}
	}
	for _, b := range bitmapBlobs(t, r, "tags") {
		if b[0] == bitmapTagOne || b[0] == bitmapTagRest {
			t.Fatalf("multi-value column has a derived bitmap (tag %d)", b[0])
		}
	}
	if err := openAndRead(r.Dir()); err != nil {
		t.Fatal(err)
	}
	// A null on one row: the null bitmap (id 0, read on its own by
	// Cardinality) is a one-row tag too.
	for i := range rows {
		if rows[i].Dims[0].Null || rows[i].Dims[0].Str == "" {
			rows[i].Dims[0] = DimValue{Str: "common"}
		}
	}
	rows[5].Dims[0] = DimValue{Null: true}
	r2 := writeAndOpen(t, rows)
	if b := bitmapBlobs(t, r2, "page"); len(b) == 0 || b[0][0] != bitmapTagOne {
		t.Fatalf("null bitmap blob % x, want the one-row tag", b[0])
	}
	if n, err := r2.Cardinality("page"); err != nil || n != len(once)+22 {
		t.Fatalf("cardinality %d, %v; want %d", n, err, len(once)+22)
	}
	if bm, err := r2.Bitmap("page", ""); err != nil || bm.GetCardinality() != 1 || !bm.Contains(5) {
		t.Fatalf("null rows %v, %v; want row 5", bm, err)
	}
	// The same bytes in a v4 segment are corruption: v4 has no such tag.
	_, s4, _ := r.stringCol("page")
	s4.oneOK = false
	if _, err := s4.raw(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("one-row tag read as v4: %v", err)
	}
}

// TestDerivedBitmapsCorrupt: a one-row tag must match exactly one row.
func TestDerivedBitmapsCorrupt(t *testing.T) {
	ids := []int32{0, 1, 2, 1, 3}
	for _, tc := range []struct {
		name string
		one  []bool
		ok   bool
	}{
		{"one row", []bool{false, false, true, true}, true},
		{"two rows", []bool{false, true, false, false}, false},
		{"no row", []bool{false, false, false, false, true}, false},
	} {
		bms := make([][]byte, len(tc.one))
		ones := 0
		for _, o := range tc.one {
			if o {
				ones++
			}
		}
		err := derivedBitmaps(bms, ids, 0, tc.one, ones)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrCorrupt)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// appendOneRowRoaring writes appendRowsRoaring's bytes.
	for _, row := range []uint32{0, 1, 65535, 65536, 1<<32 - 1} {
		if got, want := appendOneRowRoaring(nil, row), appendRowsRoaring(nil, []uint32{row}); !slices.Equal(got, want) || len(got) != oneRowRoaringLen {
			t.Errorf("row %d: % x, want % x", row, got, want)
		}
	}
}

// TestV5GoldenOneRowTags: the v5 goldens hold one-row tags, so TestGolden
// pins their bytes.
func TestV5GoldenOneRowTags(t *testing.T) {
	r, err := Open(filepath.Join("testdata", "golden", "v5-default"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for _, b := range bitmapBlobs(t, r, "page") {
		if b[0] == bitmapTagOne {
			n++
		}
	}
	if n != 82 {
		t.Fatalf("%d one-row tags in v5-default's page, want 82 (one per 100 rows)", n)
	}
}

// writeAndOpen writes rows as a segment (testMeta, Druid's default
// indexSpec) and opens it; the reader is closed when the test ends.
func writeAndOpen(t *testing.T, rows []Row) *Reader {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "seg")
	writeSegment(t, dir, testMeta(), DefaultIndexSpec(), rows)
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// bitmapBlobs returns the blobs of a string column's bitmaps part as
// stored, each starting with its bitmap tag.
func bitmapBlobs(t *testing.T, r *Reader, col string) [][]byte {
	t.Helper()
	_, s, err := r.stringCol(col)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := s.bmPart.decodeBlobs(nil)
	if err != nil {
		t.Fatal(err)
	}
	return blobs
}
