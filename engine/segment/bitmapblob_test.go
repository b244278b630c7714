package segment

import (
	"bytes"
	"errors"
	"math/rand/v2"
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
