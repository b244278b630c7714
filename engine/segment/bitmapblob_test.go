package segment

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestBitmapBlobRoundTrip encodes bitmaps of every shape as v3 blobs (row
// lists and roaring) and reads them back through the portable roaring form
// the query engine loads.
func TestBitmapBlobRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	var buf bytes.Buffer
	cases := map[string]*roaring.Bitmap{
		"empty":  roaring.New(),
		"single": roaring.BitmapOf(70000),
		"pair":   roaring.BitmapOf(3, 1<<20),
		"max":    roaring.BitmapOf(0, 1<<32-1),
		"run":    roaring.New(),
		"dense":  roaring.New(),
		"sparse": roaring.New(),
	}
	cases["run"].AddRange(100, 100000)
	for range 5000 { // > 4096 rows in one chunk, gaps of ~10
		cases["dense"].Add(uint32(rng.IntN(50000)))
	}
	for range 300 {
		cases["sparse"].Add(uint32(rng.IntN(1 << 24)))
	}
	tags := map[byte]int{}
	for name, bm := range cases {
		blob, err := encodeBitmapBlob(&buf, bm.Clone())
		if err != nil {
			t.Fatal(err)
		}
		tags[blob[0]]++
		raw, err := untagBitmap(bytes.Clone(blob))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := roaring.New()
		if _, err := got.FromUnsafeBytes(raw); err != nil {
			t.Fatalf("%s: portable form: %v", name, err)
		}
		if !got.Equals(bm) {
			t.Fatalf("%s: %d rows back, want %d", name, got.GetCardinality(), bm.GetCardinality())
		}
	}
	if tags[bitmapTagRows] == 0 || tags[bitmapTagRoaring] == 0 {
		t.Fatalf("tags used: %v, want both", tags)
	}
}

func TestBitmapBlobCorrupt(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":     {},
		"tag":       {7, 0},
		"short":     {bitmapTagRows, 2, 1},
		"overflow":  {bitmapTagRows, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"leftover":  {bitmapTagRows, 1, 1, 1},
		"too many":  {bitmapTagRows, 0xff, 0x7f},
		"bad count": {bitmapTagRows, 0xff},
	} {
		if _, err := untagBitmap(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// TestEncodeRowsBlob: encodeRowsBlob writes the bytes encodeBitmapBlob writes for the same
// rows (repeats included), or declines, for bitmaps of every shape below 4096 rows: empty, one
// row, sparse over millions of rows, dense runs, several 65536-row chunks.
func TestEncodeRowsBlob(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	declined, rowLists, roarings := 0, 0, 0
	for n := range 20000 {
		card := rng.IntN(64)
		if n%10 == 0 {
			card = rng.IntN(bigBitmap)
		}
		span := []int{1, 3, 100, 1 << 16, 1 << 18, 5_000_000}[rng.IntN(6)]
		var rows []uint32
		switch rng.IntN(3) {
		case 0: // random
			for range card {
				rows = append(rows, uint32(rng.IntN(span)))
			}
		case 1: // runs
			for r := uint32(rng.IntN(span)); len(rows) < card; r++ {
				if rng.IntN(8) == 0 {
					r += uint32(rng.IntN(span))
				}
				rows = append(rows, r)
			}
		default: // repeats (a multi-value row holding the value twice)
			for r := uint32(rng.IntN(span)); len(rows) < card; r += uint32(rng.IntN(3)) {
				rows = append(rows, r)
			}
		}
		slices.Sort(rows)
		var want bytes.Buffer
		wb, err := encodeBitmapBlob(&want, roaring.BitmapOf(rows...))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		got, ok := encodeRowsBlob(&buf, slices.Clone(rows))
		switch {
		case !ok:
			declined++
		case !bytes.Equal(got, wb):
			t.Fatalf("rows %v:\n got %x\nwant %x", rows, got, wb)
		case got[0] == bitmapTagRows:
			rowLists++
		default:
			roarings++
		}
	}
	if declined == 0 || rowLists == 0 || roarings == 0 {
		t.Errorf("cases not all covered: %d declined, %d row lists, %d roaring", declined, rowLists, roarings)
	}
}
