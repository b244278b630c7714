package segment

import (
	"errors"
	"fmt"
	"math"
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
		err := derivedBitmaps(bms, ids, 0, tc.one)
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

// TestV5GoldenEncodings: the v5 goldens hold one-row tags and hot ids
// blocks, so TestGolden pins their bytes.
func TestV5GoldenEncodings(t *testing.T) {
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
	hot := 0
	for _, c := range r.Columns() {
		if c.Type != TypeString {
			continue
		}
		_, s, err := r.stringCol(c.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range s.ids.blocks {
			if encoding(b.data[1]) == encHot {
				hot++
			}
		}
	}
	if hot == 0 {
		t.Fatal("no hot ids block in v5-default")
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

func TestHotRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	nullish := make([]int32, 16384)
	for i := range nullish {
		if rng.IntN(8) == 0 {
			nullish[i] = 1 + rng.Int32N(900)
		}
	}
	for _, v := range [][]int32{
		{0, 0, 5, 0, 7}, // the doc example below
		{3, 3, 3},       // all hot: width 0, no other id
		{9, 4, 4, 4, 4}, // one other id: width 0
		{0, math.MaxInt32, 0, 0},
		nullish,
	} {
		hot, count, ok := hotCandidate(v)
		if !ok {
			t.Fatalf("%v: no hot candidate", v[:min(5, len(v))])
		}
		size, lo, w := hotLen(v, hot, count)
		b := appendHot(nil, v, hot, lo, w)
		if len(b) != size {
			t.Fatalf("%v: %d bytes, hotLen said %d", v[:min(5, len(v))], len(b), size)
		}
		got, err := decodeHot(nil, b, len(v))
		if err != nil || !slices.Equal(got, v) {
			t.Fatalf("got %v %v, want %v", got[:min(5, len(got))], err, v[:min(5, len(v))])
		}
	}
	// The example of docs/segment-format.md: hot 0, minimum 5, width 2;
	// flags and offsets 0, 0, 1 00, 0, 1 10 → 0010 0011 0(000).
	v := []int32{0, 0, 5, 0, 7}
	hot, count, _ := hotCandidate(v)
	_, lo, w := hotLen(v, hot, count)
	if got := appendHot(nil, v, hot, lo, w); hot != 0 || count != 3 || string(got) != "\x00\x05\x02\x23\x00" {
		t.Fatalf("hot %d (%d), body % x", hot, count, got)
	}
	// The sampled candidate finds an id on most rows among many others,
	// and none among ids that are each on few rows.
	if hot, count, ok := hotCandidate(nullish); !ok || hot != 0 || count < 14000 {
		t.Fatalf("candidate %d on %d rows (%v)", hot, count, ok)
	}
	spread := make([]int32, 16384)
	for i := range spread {
		spread[i] = rng.Int32N(2000)
	}
	if hot, _, ok := hotCandidate(spread); ok {
		t.Fatalf("candidate %d among 2,000 ids of a 2,000th each", hot)
	}
}

func TestHotCorrupt(t *testing.T) {
	good := appendHot(nil, []int32{0, 0, 5, 0, 7}, 0, 5, 2)
	for name, body := range map[string][]byte{
		"truncated":    good[:len(good)-1],
		"extra byte":   append(slices.Clone(good), 0),
		"padding bits": append(slices.Clone(good[:len(good)-1]), 0x01),
		"width 32":     {0, 5, 32, 0xff, 0xff, 0xff, 0xff, 0xff},
		"no header":    {},
		"id too large": append(appendUvarint(appendUvarint(nil, 0), math.MaxInt32), 1, 0xc0),
	} {
		if _, err := decodeHot(nil, body, 5); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A hot block in a part of a v4 (or older) segment is corruption.
	blk := []blockRef{{values: 5, data: append([]byte{byte(compNone), byte(encHot)}, good...)}}
	for _, from := range []FormatVersion{FormatV5, FormatV4} {
		pre5 := from < FormatV5
		var s []byte
		_, err := part{kind: partInts1, numValues: 5, blocks: blk, from: from}.decodeInts(nil, &s)
		if pre5 != errors.Is(err, ErrCorrupt) {
			t.Errorf("pre5=%v: %v", pre5, err)
		}
	}
}

// FuzzHotDecoder feeds arbitrary bodies to decodeHot: ids or an
// ErrCorrupt, never a panic; decoded ids re-encode to the same ids.
//
//	go test ./engine/segment -run '^$' -fuzz FuzzHotDecoder -fuzztime 10s
func FuzzHotDecoder(f *testing.F) {
	f.Add(uint16(5), appendHot(nil, []int32{0, 0, 5, 0, 7}, 0, 5, 2))
	f.Add(uint16(3), appendHot(nil, []int32{3, 3, 3}, 3, 0, 0))
	f.Fuzz(func(t *testing.T, n uint16, body []byte) {
		v, err := decodeHot(nil, body, int(n))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if len(v) == 0 {
			return
		}
		// Any id can be the hot one: the first is.
		hot, count := v[0], 0
		for _, x := range v {
			if x == hot {
				count++
			}
		}
		_, lo, w := hotLen(v, hot, count)
		got, err := decodeHot(nil, appendHot(nil, v, hot, lo, w), len(v))
		if err != nil || !slices.Equal(got, v) {
			t.Fatalf("re-encoded %v: %v %v", v, got, err)
		}
	})
}
