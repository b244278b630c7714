package segment

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// Format v4 encodings (docs/segment-format.md, "Block" and "Bitmaps"):
//
//   - varbits (longs): every value as its bit length (a small fixed-width
//     field above the block's shortest length) and the bits below its
//     leading one. Small, skewed integers (wikiticker's added, deleted and
//     delta) cost their own length, not the block's widest value, and LZ4
//     (which has no entropy coder) cannot do that from raw 8-byte longs.
//   - front (dictionary blobs): each value as the length of the prefix it
//     shares with the previous one plus the rest, prefix lengths and suffix
//     lengths first, then the suffix bytes (Druid's frontCoded idea; no
//     buckets, since the reader decodes a dictionary whole).
//   - packedMin (ids): the block's ids bit-packed above its smallest id,
//     e.g. 1 bit for a boolean column without nulls instead of 2.
//   - the rest bitmap: in a single-value column every row has exactly one
//     id, so the largest bitmap is all rows not in the others; it is stored
//     as its tag alone and rebuilt when the bitmaps are loaded (v5.go's
//     derivedBitmaps).

// bitWriter appends values of up to 64 bits, most significant bit first.
type bitWriter struct {
	dst []byte
	acc uint64
	n   uint // bits in acc not yet written (< 8 between calls)
}

func (b *bitWriter) put(v uint64, w uint) {
	for w > 0 {
		c := min(w, 32)
		w -= c
		b.acc = b.acc<<c | (v>>w)&(1<<c-1)
		b.n += c
		for b.n >= 8 {
			b.n -= 8
			b.dst = append(b.dst, byte(b.acc>>b.n))
		}
	}
}

// finish pads the last byte with zero bits and returns the bytes.
func (b *bitWriter) finish() []byte {
	if b.n > 0 {
		b.dst = append(b.dst, byte(b.acc<<(8-b.n)))
		b.n = 0
	}
	return b.dst
}

// bitReader reads what bitWriter wrote; reading past the end sets over.
type bitReader struct {
	src  []byte
	pos  int
	acc  uint64
	n    uint
	over bool
}

func (r *bitReader) get(w uint) uint64 {
	var v uint64
	for w > 0 {
		c := min(w, 32)
		for r.n < c {
			if r.pos == len(r.src) {
				r.over = true
				return 0
			}
			r.acc = r.acc<<8 | uint64(r.src[r.pos])
			r.pos++
			r.n += 8
		}
		r.n -= c
		v = v<<c | (r.acc>>r.n)&(1<<c-1)
		w -= c
	}
	return v
}

// exact reports whether the reader consumed every byte and left only zero
// padding bits.
func (r *bitReader) exact() bool {
	return !r.over && r.pos == len(r.src) && r.n < 8 && r.acc&(1<<r.n-1) == 0
}

func zigzag(x int64) uint64   { return uint64(x<<1) ^ uint64(x>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// varbitsHead is mode <1b>, base <8b>, minLen <1b>, lenWidth <1b>.
const varbitsHead = 11

// varbits mode bits.
const (
	varbitsZigzag   = 1 // u = zigzag(value − base), else value − base
	varbitsZeroFlag = 2 // each value starts with a bit: 0 = zero, 1 = a length follows
	varbitsModes    = 3 // all mode bits
)

// varbitsPlan is how a block is varbits-encoded.
type varbitsPlan struct {
	mode     byte
	base     int64
	minL, lw uint
	size     int // encoded bytes, head included
}

// planVarbits returns the cheapest varbits mode for blk: values above the
// minimum or zigzag (signed values around zero), each with or without the
// zero flag (blocks where most values are 0).
func planVarbits(blk []int64) varbitsPlan {
	lo := blk[0]
	for _, x := range blk[1:] {
		lo = min(lo, x)
	}
	type acc struct{ minL, maxL, minNZ, maxNZ, nz, sum int }
	var a [2]acc
	for k := range a {
		a[k] = acc{minL: 64, minNZ: 64}
	}
	for _, x := range blk {
		for k, u := range [2]uint64{uint64(x) - uint64(lo), zigzag(x)} {
			l := bits.Len64(u)
			c := &a[k]
			c.minL, c.maxL = min(c.minL, l), max(c.maxL, l)
			if l > 0 {
				c.minNZ, c.maxNZ, c.nz = min(c.minNZ, l), max(c.maxNZ, l), c.nz+1
			}
			c.sum += max(l-1, 0)
		}
	}
	best := varbitsPlan{size: math.MaxInt}
	for k, c := range a {
		base := lo
		if k == 1 {
			base = 0
		}
		lw := bits.Len(uint(c.maxL - c.minL))
		if n := varbitsHead + (len(blk)*lw+c.sum+7)/8; n < best.size {
			best = varbitsPlan{mode: byte(k), base: base, minL: uint(c.minL), lw: uint(lw), size: n}
		}
		if c.nz < len(blk) {
			minNZ, lwNZ := max(c.minNZ, 1), 0
			if c.nz > 0 {
				lwNZ = bits.Len(uint(c.maxNZ - c.minNZ))
			}
			if n := varbitsHead + (len(blk)+c.nz*lwNZ+c.sum+7)/8; n < best.size {
				best = varbitsPlan{mode: byte(k) | varbitsZeroFlag, base: base, minL: uint(minNZ), lw: uint(lwNZ), size: n}
			}
		}
	}
	return best
}

// appendVarbits encodes blk (at least one value) with the varbits encoding.
func appendVarbits(dst []byte, blk []int64) []byte {
	p := planVarbits(blk)
	dst = append(dst, p.mode)
	dst = appendU64(dst, uint64(p.base))
	dst = append(dst, byte(p.minL), byte(p.lw))
	bw := bitWriter{dst: dst}
	for _, x := range blk {
		v := uint64(x) - uint64(p.base)
		if p.mode&varbitsZigzag != 0 {
			v = zigzag(x - p.base)
		}
		l := uint(bits.Len64(v))
		if p.mode&varbitsZeroFlag != 0 {
			if l == 0 {
				bw.put(0, 1)
				continue
			}
			bw.put(1, 1)
		}
		bw.put(uint64(l-p.minL), p.lw)
		if l >= 2 {
			bw.put(v, l-1)
		}
	}
	return bw.finish()
}

// decodeVarbits appends the n values of a varbits body to dst.
func decodeVarbits(dst []int64, body []byte, n int) ([]int64, error) {
	if len(body) < varbitsHead || n < 1 || n > partLongs.valuesPerBlock() {
		return dst, corruptf("varbits long block of %d bytes for %d values", len(body), n)
	}
	mode, base := body[0], binary.BigEndian.Uint64(body[1:])
	minL, lw := uint(body[9]), uint(body[10])
	if mode > varbitsModes || minL > 64 || lw > 7 || (mode&varbitsZeroFlag != 0 && minL == 0) {
		return dst, corruptf("varbits long block: mode %d, length %d, width %d", mode, minL, lw)
	}
	br := bitReader{src: body[varbitsHead:]}
	for range n {
		var v uint64
		if mode&varbitsZeroFlag == 0 || br.get(1) == 1 {
			l := minL + uint(br.get(lw))
			switch {
			case l > 64:
				return dst, corruptf("varbits long block: value of %d bits", l)
			case l == 1:
				v = 1
			case l >= 2:
				v = 1<<(l-1) | br.get(l-1)
			}
		}
		if br.over {
			break
		}
		if mode&varbitsZigzag != 0 {
			dst = append(dst, int64(base)+unzigzag(v))
		} else {
			dst = append(dst, int64(base+v))
		}
	}
	if !br.exact() {
		return dst, corruptf("varbits long block: %d bytes do not hold %d values exactly", len(body), n)
	}
	return dst, nil
}

// appendFront front-codes the blobs of a raw blob block (n × <uvarint len>
// + bytes): n prefix lengths, n suffix lengths (uvarints), then the
// suffixes. The prefix is shared with the previous blob of the block.
func appendFront(dst, raw []byte, n int) []byte {
	// raw is the writer's own block: well formed.
	vals := make([][]byte, n)
	for i := range vals {
		l, k := binary.Uvarint(raw)
		vals[i], raw = raw[k:k+int(l)], raw[k+int(l):]
	}
	pre := make([]int, n)
	for i := 1; i < n; i++ {
		a, b := vals[i-1], vals[i]
		p := 0
		for p < len(a) && p < len(b) && a[p] == b[p] {
			p++
		}
		pre[i] = p
	}
	for _, p := range pre {
		dst = appendUvarint(dst, uint64(p))
	}
	for i, v := range vals {
		dst = appendUvarint(dst, uint64(len(v)-pre[i]))
	}
	for i, v := range vals {
		dst = append(dst, v[pre[i]:]...)
	}
	return dst
}

// maxFrontBlock bounds the decoded bytes of one front-coded block, so that
// corrupt prefix lengths cannot demand huge allocations.
const maxFrontBlock = maxZstdBlock

// decodeFront appends the n blobs of a front-coded body to dst, in fresh
// memory.
func decodeFront(dst [][]byte, body []byte, n int) ([][]byte, error) {
	d := decbuf{b: body}
	if n > len(body) {
		return dst, corruptf("front block of %d bytes for %d values", len(body), n)
	}
	pre := make([]int, n)
	suf := make([]int, n)
	for i := range pre {
		pre[i] = d.count("front prefix", maxFrontBlock)
	}
	total, sufTotal := 0, 0
	for i := range suf {
		suf[i] = d.count("front suffix", d.Len())
		sufTotal += suf[i]
	}
	if d.err != nil {
		return dst, d.err
	}
	if sufTotal != d.Len() {
		return dst, corruptf("front block: suffixes of %d bytes, %d left", sufTotal, d.Len())
	}
	prev := 0
	for i := range pre {
		if pre[i] > prev {
			return dst, corruptf("front block: prefix %d of a %d-byte value", pre[i], prev)
		}
		prev = pre[i] + suf[i]
		total += prev
		if total > maxFrontBlock {
			return dst, corruptf("front block of more than %d bytes", maxFrontBlock)
		}
	}
	out := make([]byte, 0, total)
	var last []byte
	for i := range pre {
		start := len(out)
		out = append(out, last[:pre[i]]...)
		out = append(out, d.bytes(suf[i], "front suffix")...)
		last = out[start:len(out):len(out)]
		dst = append(dst, last)
	}
	return dst, d.done("front block")
}

// packedMinLen returns the size of blk as a packedMin body and its minimum
// and width.
func packedMinLen(blk []int32) (size int, lo int32, w uint) {
	lo, hi := blk[0], blk[0]
	for _, x := range blk[1:] {
		lo, hi = min(lo, x), max(hi, x)
	}
	w = uint(bits.Len32(uint32(hi - lo)))
	return uvarintLen(uint64(lo)) + 1 + (len(blk)*int(w)+7)/8, lo, w
}

// appendPackedMin encodes blk as <uvarint min>, <1b> width, then the
// bit-packed offsets from min.
func appendPackedMin(dst []byte, blk []int32, lo int32, w uint) []byte {
	dst = appendUvarint(dst, uint64(lo))
	dst = append(dst, byte(w))
	bw := bitWriter{dst: dst}
	if w > 0 {
		for _, x := range blk {
			bw.put(uint64(x-lo), w)
		}
	}
	return bw.finish()
}

// decodePackedMin appends the n ids of a packedMin body to dst.
func decodePackedMin(dst []int32, body []byte, n int) ([]int32, error) {
	d := decbuf{b: body}
	lo := d.uvarint("packedMin minimum")
	w := uint(d.byte1("packedMin width"))
	if d.err != nil || lo > math.MaxInt32 || w > 32 || d.Len() != (n*int(w)+7)/8 {
		return dst, corruptf("packedMin block: %d bytes for %d values", len(body), n)
	}
	br := bitReader{src: d.b}
	for range n {
		x := lo + br.get(w)
		if x > math.MaxInt32 {
			return dst, corruptf("id %d out of range", x)
		}
		dst = append(dst, int32(x))
	}
	if !br.exact() {
		return dst, corruptf("packedMin block: bad padding")
	}
	return dst, nil
}

// restID returns the id whose bitmap a v4 writer stores as the rest: the
// one with the most rows (the first on a tie) of a single-value column, or
// -1 (multi-value columns, or no rows).
func restID(card []int32, multi bool) int32 {
	if multi {
		return -1
	}
	best := int32(-1)
	for id, n := range card {
		if n > 0 && (best < 0 || n > card[best]) {
			best = int32(id)
		}
	}
	return best
}

// checkSince reports enc, an encoding added in version since, in a part of
// an older segment as corruption: each version accepts only its own codes.
func (p part) checkSince(enc encoding, since FormatVersion) error {
	if p.from != 0 && p.from < since {
		return corruptf("%v block encoding %v in a segment older than %v", p.kind, enc, since)
	}
	return nil
}
