package segment

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

func TestVarbitsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	skewed := make([]int64, 8192)
	for i := range skewed {
		skewed[i] = int64(math.Exp(rng.NormFloat64()*2 + 3))
		if i%3 == 0 {
			skewed[i] = -skewed[i]
		}
	}
	for _, tc := range []struct {
		name string
		v    []int64
		zig  bool
	}{
		{name: "one", v: []int64{42}},
		{name: "zeros", v: []int64{0, 0, 0}},
		{name: "small", v: []int64{0, 1, 2, 3, 100, 7}},
		{name: "signed", v: []int64{-3, 5, -1, 0, 2, -100}},
		{name: "sparse", v: []int64{0, 0, 0, 9, 0, 0, 1000, 0, 0, -3}},
		{name: "extremes", v: []int64{math.MinInt64, math.MaxInt64, 0, -1}},
		{name: "all-bits", v: []int64{-1, math.MinInt64}},
		{name: "skewed", v: skewed, zig: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := appendVarbits(nil, tc.v)
			p := planVarbits(tc.v)
			if len(b) != p.size || (tc.zig && p.mode&varbitsZigzag == 0) {
				t.Fatalf("%d bytes, plan %+v", len(b), p)
			}
			got, err := decodeVarbits(nil, b, len(tc.v))
			if err != nil || !slices.Equal(got, tc.v) {
				t.Fatalf("got %v %v, want %v", got, err, tc.v)
			}
			// A truncated head is corruption.
			if _, err := decodeVarbits(nil, b[:varbitsHead-1], len(tc.v)); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("truncated: %v", err)
			}
		})
	}
	// The example of docs/segment-format.md.
	if b := appendVarbits(nil, []int64{0, 1, 5, 2}); string(b) != "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x1d\x80" {
		t.Fatalf("example: % x", b)
	}
	// The wikiticker-like block costs about its values' own bit lengths.
	if b := appendVarbits(nil, skewed); len(b) > 2*len(skewed) {
		t.Fatalf("skewed block: %d bytes for %d values", len(b), len(skewed))
	}
}

func TestFrontRoundTrip(t *testing.T) {
	vals := []string{"a", "ab", "abc", "abd", "b", "bcdefg", "bcdx", "z"}
	var raw []byte
	for _, v := range vals {
		raw = appendString(raw, v)
	}
	b := appendFront(nil, raw, len(vals))
	got, err := decodeFront(nil, b, len(vals))
	if err != nil {
		t.Fatal(err)
	}
	for i := range vals {
		if string(got[i]) != vals[i] {
			t.Fatalf("value %d: %q, want %q", i, got[i], vals[i])
		}
	}
	// A prefix longer than the previous value is corruption.
	bad := appendUvarint(appendUvarint(nil, 0), 5)
	bad = appendUvarint(appendUvarint(bad, 1), 1)
	bad = append(bad, "ab"...)
	if _, err := decodeFront(nil, bad, 2); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("long prefix: %v", err)
	}
}

func TestPackedMinRoundTrip(t *testing.T) {
	for _, v := range [][]int32{{1, 2, 2, 1}, {7, 7, 7}, {0, math.MaxInt32}, {300, 301, 1000}} {
		_, lo, w := packedMinLen(v)
		b := appendPackedMin(nil, v, lo, w)
		got, err := decodePackedMin(nil, b, len(v))
		if err != nil || !slices.Equal(got, v) {
			t.Fatalf("got %v %v, want %v", got, err, v)
		}
	}
	// The example of docs/segment-format.md: boolean ids without nulls.
	v := []int32{1, 2, 2, 1}
	if _, lo, w := packedMinLen(v); lo != 1 || w != 1 || string(appendPackedMin(nil, v, lo, w)) != "\x01\x01\x60" {
		t.Fatalf("boolean ids: min %d width %d", lo, w)
	}
}

// TestRestBitmap: in a single-value column the largest bitmap is stored
// as the rest tag and read back as the rows of no other value; a
// multi-value column stores every bitmap.
func TestRestBitmap(t *testing.T) {
	rows := genRows(rand.New(rand.NewPCG(8, 8)), 3000, 20)
	for i := range rows {
		if i%4 != 0 {
			rows[i].Dims[0] = DimValue{Str: "common"}
		}
	}
	r := writeAndOpen(t, rows)
	tags := func(name string) []byte {
		var out []byte
		for _, b := range bitmapBlobs(t, r, name) {
			out = append(out, b[0])
		}
		return out
	}
	dict, _ := r.Dictionary("page")
	common := slices.Index(dict, "common")
	tg := tags("page")
	nrest := 0
	for _, x := range tg {
		if x == bitmapTagRest {
			nrest++
		}
	}
	if tg[common] != bitmapTagRest || nrest != 1 {
		t.Fatalf("page tags %v, want the rest at id %d", tg, common)
	}
	if slices.Contains(tags("tags"), bitmapTagRest) {
		t.Fatal("multi-value column has a rest bitmap")
	}
	bm, err := r.Bitmap("page", "common")
	if err != nil || int(bm.GetCardinality()) != len(rows)-len(rows)/4 {
		t.Fatalf("common: %v rows, %v", bm.GetCardinality(), err)
	}
	for i := range rows {
		if bm.Contains(uint32(i)) != (i%4 != 0) {
			t.Fatalf("row %d: in rest %v", i, bm.Contains(uint32(i)))
		}
	}
	if err := openAndRead(r.Dir()); err != nil {
		t.Fatal(err)
	}
}

// TestV4GoldenEncodings checks that the v4 golden segment exercises the
// v4 encodings, so TestGolden pins their bytes. (packedMin does not occur
// in the golden rows, which older versions' goldens share; its bytes are
// pinned by TestPackedMinRoundTrip.)
func TestV4GoldenEncodings(t *testing.T) {
	r, err := Open(filepath.Join("testdata", "golden", "v4-default"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	seen := map[encoding]bool{}
	mark := func(p part) {
		for _, b := range p.blocks {
			seen[encoding(b.data[1])] = true
		}
	}
	rest := false
	for _, c := range r.Columns() {
		switch c.Type {
		case TypeLong:
			p, _, err := r.numeric(c.Name, TypeLong)
			if err != nil {
				t.Fatal(err)
			}
			mark(p)
		case TypeString:
			_, d, err := r.col(c.Name, TypeString)
			if err != nil {
				t.Fatal(err)
			}
			d.byte1("bitmap type")
			mark(readPart(&d, partBlobs))
			_, s, err := r.stringCol(c.Name)
			if err != nil {
				t.Fatal(err)
			}
			mark(s.ids)
			blobs, _ := s.bmPart.decodeBlobs(nil)
			for _, b := range blobs {
				rest = rest || b[0] == bitmapTagRest
			}
		}
	}
	for _, e := range []encoding{encVarbits, encFront} {
		if !seen[e] {
			t.Errorf("no %v block in v4-default (saw %v)", e, seen)
		}
	}
	if !rest {
		t.Error("no rest bitmap in v4-default")
	}
}

// FuzzV4Decoders feeds arbitrary bodies to the v4 block decoders: a result
// or an ErrCorrupt, never a panic; a decoded varbits or packedMin block
// re-encodes to values that decode the same.
//
//	go test ./engine/segment -run '^$' -fuzz FuzzV4Decoders -fuzztime 10s
func FuzzV4Decoders(f *testing.F) {
	f.Add(uint8(0), uint16(3), appendVarbits(nil, []int64{1, -5, 300}))
	f.Add(uint8(1), uint16(2), appendFront(nil, appendString(appendString(nil, "ab"), "abc"), 2))
	f.Add(uint8(2), uint16(3), appendPackedMin(nil, []int32{4, 5, 4}, 4, 1))
	f.Fuzz(func(t *testing.T, which uint8, n uint16, body []byte) {
		var err error
		switch which % 3 {
		case 0:
			var v []int64
			if v, err = decodeVarbits(nil, body, int(n)); err == nil {
				got, err2 := decodeVarbits(nil, appendVarbits(nil, v), len(v))
				if err2 != nil || !slices.Equal(got, v) {
					t.Fatalf("re-encoded %v: %v %v", v, got, err2)
				}
			}
		case 1:
			_, err = decodeFront(nil, body, int(n))
		case 2:
			_, err = decodePackedMin(nil, body, int(n))
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error %v does not wrap ErrCorrupt", err)
		}
	})
}

// TestV4EncodingsRefusedInOlderVersions: a part of a v1–v3 segment that
// uses a v4 encoding is corrupt; the same block in a v4 part decodes.
func TestV4EncodingsRefusedInOlderVersions(t *testing.T) {
	blk := func(enc encoding, body []byte) []blockRef {
		return []blockRef{{values: 3, data: append([]byte{byte(compNone), byte(enc)}, body...)}}
	}
	front := appendFront(nil, appendString(appendString(appendString(nil, "a"), "ab"), "b"), 3)
	for _, from := range []FormatVersion{FormatV4, FormatV3} {
		pre4 := from < FormatV4
		var s []byte
		_, err1 := part{kind: partLongs, numValues: 3, blocks: blk(encVarbits, appendVarbits(nil, []int64{1, 2, 3})), from: from}.decodeLongs(nil, &s)
		_, err2 := part{kind: partInts1, numValues: 3, blocks: blk(encPackedMin, appendPackedMin(nil, []int32{1, 2, 1}, 1, 1)), from: from}.decodeInts(nil, &s)
		_, err3 := part{kind: partBlobs, numValues: 3, blocks: blk(encFront, front), from: from}.decodeBlobs(nil)
		for i, err := range []error{err1, err2, err3} {
			if pre4 != errors.Is(err, ErrCorrupt) {
				t.Errorf("pre4=%v, encoding %d: %v", pre4, i, err)
			}
		}
	}
}
