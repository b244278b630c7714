package segment

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// Format v5 (docs/segment-format.md, "Bitmaps" and "Encodings") adds the
// hot ids encoding (below) and the one-row bitmap tag: a bitmap of one row
// in a single-value column is stored as bitmapTagOne alone. Its row is
// where the column's ids hold its id, so the stored bitmap repeated what
// the ids already say; on wikiticker most comments, pages and users occur
// once, and their one-row bitmaps took 2.1 of the look-alike's 39.2 B/row
// in v4 (about 2.7 bytes each after zstd). The reader already passes over
// the ids to rebuild the rest bitmap (v4), and fills the one-row bitmaps in
// that same pass.

// oneRowRoaringLen is the length of the portable roaring serialisation of
// a one-row bitmap (cookie, container count, key and cardinality, offset,
// the row's low 16 bits), as appendRowsRoaring writes it.
const oneRowRoaringLen = 18

// appendOneRowRoaring appends the portable roaring serialisation of the
// bitmap {row}: the bytes of appendRowsRoaring(out, []uint32{row}), without
// its per-call slices (a column may have tens of thousands of these).
func appendOneRowRoaring(out []byte, row uint32) []byte {
	out = binary.LittleEndian.AppendUint32(out, 12346) // no-run cookie
	out = binary.LittleEndian.AppendUint32(out, 1)     // one container
	out = binary.LittleEndian.AppendUint16(out, uint16(row>>16))
	out = binary.LittleEndian.AppendUint16(out, 0) // cardinality − 1
	out = binary.LittleEndian.AppendUint32(out, 16)
	return binary.LittleEndian.AppendUint16(out, uint16(row))
}

// derivedBitmaps rebuilds the bitmaps of a single-value column that its
// bitmaps part stores as a tag alone: the rest bitmap (id rest, or -1 for
// none) and the one-row bitmaps (ids whose one[id] is set; one may be
// nil). In a single-value column row r holds exactly one id, ids[r], so one
// pass over the ids finds every such row. A one-row id that no row or two
// rows hold is corruption.
func derivedBitmaps(bms [][]byte, ids []int32, rest int32, one []bool) error {
	ones := 0
	for _, o := range one {
		if o {
			ones++
		}
	}
	var restRows []uint32
	if rest >= 0 {
		// The rest is the largest bitmap: often most of the rows.
		restRows = make([]uint32, 0, len(ids))
	}
	buf := make([]byte, 0, ones*oneRowRoaringLen)
	seen := 0
	for row, id := range ids {
		switch {
		case id == rest:
			restRows = append(restRows, uint32(row))
		case int(id) < len(one) && id >= 0 && one[id]:
			if bms[id] != nil {
				return corruptf("one-row bitmap of id %d: rows %d and more", id, row)
			}
			at := len(buf)
			buf = appendOneRowRoaring(buf, uint32(row))
			bms[id] = buf[at:len(buf):len(buf)]
			seen++
		}
	}
	if seen != ones {
		for id, o := range one {
			if o && bms[id] == nil {
				return corruptf("one-row bitmap of id %d: no row holds the id", id)
			}
		}
	}
	if rest >= 0 {
		bm := roaring.New()
		bm.AddMany(restRows)
		bm.RunOptimize()
		out, err := bm.ToBytes()
		if err != nil {
			return corruptf("rest bitmap: %v", err)
		}
		bms[rest] = out
	}
	return nil
}

// The hot ids encoding (v5): many ids blocks are dominated by one id (null in the mostly-null geo columns of wikiticker, "Main" of
// namespace, the empty comment), which packedMin stores at the full width of
// the block's range and LZ4, having no entropy coder, cannot shrink. hot
// stores that id once and each id as one flag bit (0: the hot id) or a set
// bit and then width bits of id − minimum, minimum and width over the other
// ids. The writer keeps the smaller of this and packedMin after
// compression (wikiticker look-alike: all ids 8.9 → 8.0 B/row).

// hotSamples is how many ids hotCandidate looks at, evenly spaced.
const hotSamples = 32

// hotCandidate returns the id most frequent among hotSamples ids spread
// over blk and its exact count in blk, or ok false when no id is on an
// eighth of the samples (4 of 32): an id rarer than
// that saves too little as hot to pay for trying. Sampling keeps the test
// cheap on the blocks it does not fit (high-cardinality columns).
func hotCandidate(blk []int32) (hot int32, count int, ok bool) {
	var smp [hotSamples]int32
	n := min(len(blk), hotSamples)
	for i := range n {
		smp[i] = blk[i*len(blk)/n]
	}
	best := 0
	for i := range n {
		c := 0
		for j := range n {
			if smp[j] == smp[i] {
				c++
			}
		}
		if c > best {
			best, hot = c, smp[i]
		}
	}
	if best < max(1, (n+7)/8) {
		return 0, 0, false
	}
	for _, x := range blk {
		if x == hot {
			count++
		}
	}
	return hot, count, true
}

// hotLen returns the size of blk as a hot body with hot id hot (count of
// them in blk), and the minimum and width of the other ids.
func hotLen(blk []int32, hot int32, count int) (size int, lo int32, w uint) {
	lo, hi := int32(-1), int32(-1)
	for _, x := range blk {
		if x != hot {
			if lo < 0 || x < lo {
				lo = x
			}
			hi = max(hi, x)
		}
	}
	if lo < 0 {
		lo, hi = 0, 0
	}
	w = uint(bits.Len32(uint32(hi - lo)))
	nbits := len(blk) + (len(blk)-count)*int(w)
	return uvarintLen(uint64(hot)) + uvarintLen(uint64(lo)) + 1 + (nbits+7)/8, lo, w
}

// appendHot encodes blk as <uvarint hot>, <uvarint min>, <1b> width, then
// per id a 0 bit (the hot id) or a 1 bit and width bits of id − min, most
// significant bit first, the last byte padded with zero bits.
func appendHot(dst []byte, blk []int32, hot, lo int32, w uint) []byte {
	dst = appendUvarint(dst, uint64(hot))
	dst = appendUvarint(dst, uint64(lo))
	dst = append(dst, byte(w))
	// bitWriter inlined: at most 7 pending bits plus one id's 32 fit in acc.
	var acc uint64
	var nb uint
	for _, x := range blk {
		if x == hot {
			acc <<= 1
			nb++
		} else {
			acc = acc<<(w+1) | 1<<w | uint64(x-lo)
			nb += w + 1
		}
		for nb >= 8 {
			nb -= 8
			dst = append(dst, byte(acc>>nb))
		}
	}
	if nb > 0 {
		dst = append(dst, byte(acc<<(8-nb)))
	}
	return dst
}

// decodeHot appends the n ids of a hot body to dst.
func decodeHot(dst []int32, body []byte, n int) ([]int32, error) {
	d := decbuf{b: body}
	hot := d.uvarint("hot id")
	lo := d.uvarint("hot minimum")
	w := uint(d.byte1("hot width"))
	if d.err != nil || hot > math.MaxInt32 || lo > math.MaxInt32 || w > 31 || d.Len() < (n+7)/8 {
		return dst, corruptf("hot block: %d bytes for %d values", len(body), n)
	}
	// The bits are read through a left-aligned 64-bit window, refilled a
	// byte at a time: one flag and up to 31 bits per id always fit after a
	// refill (bitReader's per-call loop made this the hot path's cost).
	src := d.b
	var acc uint64 // the next nb bits, most significant first; the rest 0
	var nb uint
	pos := 0
	for range n {
		if nb <= 32 {
			for nb <= 56 && pos < len(src) {
				acc |= uint64(src[pos]) << (56 - nb)
				pos++
				nb += 8
			}
		}
		if nb == 0 {
			return dst, corruptf("hot block: %d bytes for %d values", len(body), n)
		}
		if acc>>63 == 0 {
			acc <<= 1
			nb--
			dst = append(dst, int32(hot))
			continue
		}
		if nb < 1+w {
			return dst, corruptf("hot block: %d bytes for %d values", len(body), n)
		}
		acc <<= 1
		x := lo
		if w > 0 {
			x += acc >> (64 - w)
			acc <<= w
		}
		nb -= 1 + w
		if x > math.MaxInt32 {
			return dst, corruptf("id %d out of range", x)
		}
		dst = append(dst, int32(x))
	}
	// Every byte read, fewer than 8 bits left, and those zero padding.
	if pos != len(src) || nb >= 8 || acc != 0 {
		return dst, corruptf("hot block: bad length or padding")
	}
	return dst, nil
}
