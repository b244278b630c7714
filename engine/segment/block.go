package segment

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// A blocked part is a run of values split into blocks of about 64 KiB of
// uncompressed values (see docs/segment-format.md, "Blocked part"):
//
//	kind <1b> | numValues <uvarint> | numBlocks <uvarint>
//	numBlocks × ( values <uvarint> | storedLen <uvarint> )
//	numBlocks × ( compression <1b> | encoding <1b> | body )
//
// The block index lets a reader find block i without decoding the others.

// minSavings: LZ4 output is kept only when it is smaller than this fraction of
// the encoded block (VictoriaMetrics keeps raw bytes when compression saves
// less than about a tenth).
const minSavingsNum, minSavingsDen = 9, 10

// partWriter encodes blocked parts. It is reused across parts and columns so
// its scratch buffers are allocated once.
type partWriter struct {
	comp  compression
	auto  bool // longEncoding=auto
	delta bool // every long block is delta-encoded (__time, v2)
	// spill: an intermediate persist's numeric blocks skip the v4 varbits
	// alternative (see emitLongs and WriterOptions.Intermediate).
	spill  bool
	lz     lz4.Compressor
	zenc   *zstd.Encoder     // created on first use
	zlevel zstd.EncoderLevel // 0: zstd's default level (3)
	index  []byte
	blocks []byte
	raw    []byte
	alt    []byte // a second encoding of the block (ids: raw beside packed)
	zbuf   []byte
	u64    []uint64
}

// beginPart resets the per-part buffers.
func (pw *partWriter) beginPart() {
	pw.index = pw.index[:0]
	pw.blocks = pw.blocks[:0]
}

// endPart appends the part header, index and blocks to dst.
func (pw *partWriter) endPart(dst []byte, kind partKind, numValues, numBlocks int) []byte {
	dst = append(dst, byte(kind))
	dst = appendUvarint(dst, uint64(numValues))
	dst = appendUvarint(dst, uint64(numBlocks))
	dst = append(dst, pw.index...)
	return append(dst, pw.blocks...)
}

// addBlock compresses pw.raw (encoded with enc) into pw.blocks and records
// the block in the index.
func (pw *partWriter) addBlock(values int, enc encoding) { pw.addRawBlock(pw.raw, values, enc) }

// addRawBlock compresses raw (encoded with enc) into pw.blocks and records
// the block in the index.
func (pw *partWriter) addRawBlock(raw []byte, values int, enc encoding) {
	start := len(pw.blocks)
	stored := false
	if pw.comp == compZstd && len(raw) > 0 && pw.zlevel == dictLevel {
		// The best level's encoder holds tens of MB of tables: shared by
		// all writers of the process rather than built per writer.
		ze := dictEncoders.Get().(*zstd.Encoder)
		pw.zbuf = ze.EncodeAll(raw, pw.zbuf[:0])
		dictEncoders.Put(ze)
		n := len(pw.zbuf)
		if (n+uvarintLen(uint64(len(raw))))*minSavingsDen < len(raw)*minSavingsNum {
			pw.blocks = append(pw.blocks, byte(compZstd), byte(enc))
			pw.blocks = appendUvarint(pw.blocks, uint64(len(raw)))
			pw.blocks = append(pw.blocks, pw.zbuf...)
			stored = true
		}
	} else if pw.comp == compZstd && len(raw) > 0 {
		if pw.zenc == nil {
			// One encoder per writer, used from one goroutine; EncodeAll needs no
			// concurrency and the default level is zstd's level 3.
			level := pw.zlevel
			if level == 0 {
				level = zstd.SpeedDefault
			}
			pw.zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true), zstd.WithEncoderLevel(level))
		}
		pw.zbuf = pw.zenc.EncodeAll(raw, pw.zbuf[:0])
		n := len(pw.zbuf)
		if (n+uvarintLen(uint64(len(raw))))*minSavingsDen < len(raw)*minSavingsNum {
			pw.blocks = append(pw.blocks, byte(compZstd), byte(enc))
			pw.blocks = appendUvarint(pw.blocks, uint64(len(raw)))
			pw.blocks = append(pw.blocks, pw.zbuf...)
			stored = true
		}
	}
	if pw.comp == compLZ4 && len(raw) > 0 {
		bound := lz4.CompressBlockBound(len(raw))
		if cap(pw.zbuf) < bound {
			pw.zbuf = make([]byte, bound)
		}
		n, err := pw.lz.CompressBlock(raw, pw.zbuf[:bound])
		if err == nil && n > 0 && (n+uvarintLen(uint64(len(raw))))*minSavingsDen < len(raw)*minSavingsNum {
			pw.blocks = append(pw.blocks, byte(compLZ4), byte(enc))
			pw.blocks = appendUvarint(pw.blocks, uint64(len(raw)))
			pw.blocks = append(pw.blocks, pw.zbuf[:n]...)
			stored = true
		}
	}
	if !stored {
		pw.blocks = append(pw.blocks, byte(compNone), byte(enc))
		pw.blocks = append(pw.blocks, raw...)
	}
	pw.index = appendUvarint(pw.index, uint64(values))
	pw.index = appendUvarint(pw.index, uint64(len(pw.blocks)-start))
}

// dictCompression is the compression of string dictionaries and bitmaps
// given the column's dimensionCompression: zstd unless compression is off.
// Druid has no setting for these (its dictionaries are not block
// compressed); they are decoded once per column load, where zstd's better
// ratio on text is worth its slower decoding.
func dictCompression(dim compression) compression {
	if dim == compNone {
		return compNone
	}
	return compZstd
}

// dictLevel is the zstd level of string dictionaries: they are written once
// and decoded once per column load, and text gains most from the extra
// search.
const dictLevel = zstd.SpeedBestCompression

// dictEncoders pools the encoders of dictLevel across writers.
var dictEncoders = sync.Pool{New: func() any {
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(dictLevel))
	return enc
}}

// encodeBitmapBlob returns bm (run-optimized) as a v3 bitmaps-part blob: a
// tag byte, then either the portable roaring serialisation or, when shorter
// and bm has at least 2 rows, the sorted row list as <uvarint n> and n <uvarint gap>s (the first gap is
// the first row, each next one is row − previous row − 1). The bytes live in
// buf until its next use.
func encodeBitmapBlob(buf *bytes.Buffer, bm *roaring.Bitmap) ([]byte, error) {
	bm.RunOptimize()
	buf.Reset()
	size := bm.GetSerializedSizeInBytes()
	// A row list costs at least one byte per row: only try it when that
	// can beat roaring. A single row stays roaring: its 18 bytes are the
	// same for every such bitmap but for the row, so zstd stores them
	// (measured on wikiticker) in fewer bytes than a varint list.
	if card := bm.GetCardinality(); card < size && card >= 2 {
		b := append(buf.AvailableBuffer(), bitmapTagRows)
		b = appendUvarint(b, card)
		prev := int64(-1)
		it := bm.Iterator()
		for it.HasNext() {
			r := int64(it.Next())
			b = appendUvarint(b, uint64(r-prev-1))
			prev = r
		}
		if uint64(len(b)-1) < size {
			return b, nil
		}
	}
	buf.WriteByte(bitmapTagRoaring)
	if _, err := bm.WriteTo(buf); err != nil {
		return nil, fmt.Errorf("segment: serialize bitmap: %w", err)
	}
	return buf.Bytes(), nil
}

// encodeRowsBlob is encodeBitmapBlob for the bitmap of rows, a sorted list
// of fewer than 4096 rows (a repeated row counts once; rows is compacted in
// place), without building a roaring.Bitmap: it computes the size of the
// run-optimized roaring serialisation from the rows (every container is an
// array or a run container at that cardinality) and writes the row list,
// or the roaring form when no container would be a run container. ok is
// false when the blob needs roaring's own run-container serialisation; the
// caller then goes through encodeBitmapBlob. The bytes are those of
// encodeBitmapBlob (TestEncodeRowsBlob): building a roaring bitmap per
// value was most of writeBitmaps' cost on high-cardinality columns.
func encodeRowsBlob(buf *bytes.Buffer, rows []uint32) (blob []byte, ok bool) {
	rows = slices.Compact(rows)
	card := uint64(len(rows))
	// Size of the run-optimized roaring serialisation (roaringArray.
	// serializedSizeInBytes after toEfficientContainer).
	var keys, data uint64
	hasRun := false
	for i := 0; i < len(rows); {
		hi, j, runs := rows[i]>>16, i+1, 1
		for j < len(rows) && rows[j]>>16 == hi {
			if rows[j] != rows[j-1]+1 {
				runs++
			}
			j++
		}
		c := j - i
		if 2+4*runs < 2*c { // a run container is smaller than the array
			hasRun = true
			data += uint64(2 + 4*runs)
		} else {
			data += uint64(2 * c)
		}
		keys++
		i = j
	}
	var size uint64
	switch {
	case !hasRun:
		size = 8 + 8*keys
	case keys < 4:
		size = 4 + (keys+7)/8 + 4*keys
	default:
		size = 4 + (keys+7)/8 + 8*keys
	}
	size += data
	buf.Reset()
	// Both forms below are built in buf's spare capacity. Growing buf itself
	// to size keeps that capacity for the next bitmap instead of a new array
	// each: the roaring form fits, and a row list is kept only if smaller
	// (one that outgrows it while being built is refused anyway).
	buf.Grow(int(size) + 16)
	if card < size && card >= 2 {
		b := append(buf.AvailableBuffer(), bitmapTagRows)
		b = appendUvarint(b, card)
		prev := int64(-1)
		for _, r := range rows {
			b = appendUvarint(b, uint64(int64(r)-prev-1))
			prev = int64(r)
		}
		if uint64(len(b)-1) < size {
			return b, true
		}
	}
	if hasRun {
		return nil, false
	}
	b := append(buf.AvailableBuffer(), bitmapTagRoaring)
	return appendRowsRoaring(b, rows), true
}

// untagBitmap turns a v3 bitmaps-part blob into the portable roaring
// serialisation. A row list is serialised directly as array containers (no
// roaring.Bitmap built) unless a 65536-row chunk holds more than 4096 rows.
func untagBitmap(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, corruptf("empty bitmap blob")
	}
	switch b[0] {
	case bitmapTagRoaring:
		return b[1:], nil
	case bitmapTagRows:
	default:
		return nil, corruptf("bitmap tag %d", b[0])
	}
	d := decbuf{b: b[1:]}
	n := d.count("bitmap rows", d.Len())
	rows := make([]uint32, 0, n)
	next := uint64(0)
	for i := 0; i < n && d.err == nil; i++ {
		r := next + d.uvarint("bitmap gap")
		if r > math.MaxUint32 {
			return nil, corruptf("bitmap row %d", r)
		}
		rows = append(rows, uint32(r))
		next = r + 1
	}
	if err := d.done("bitmap rows"); err != nil {
		return nil, err
	}
	return serializeRows(rows), nil
}

// serializeRows writes sorted, distinct rows in the portable roaring format
// (cookie 12346, no run containers), every container an array.
func serializeRows(rows []uint32) []byte {
	for i := 0; i < len(rows); {
		k, j := rows[i]>>16, i
		for j < len(rows) && rows[j]>>16 == k {
			j++
		}
		if j-i > 4096 {
			bm := roaring.BitmapOf(rows...)
			out, _ := bm.ToBytes()
			return out
		}
		i = j
	}
	return appendRowsRoaring(nil, rows)
}

// appendRowsRoaring appends sorted, distinct rows, at most 4096 in any
// 65536-row chunk, in the portable roaring format with array containers
// only, as roaring writes a bitmap without run containers.
func appendRowsRoaring(out []byte, rows []uint32) []byte {
	var keys, cards []int
	for i := 0; i < len(rows); {
		k, j := rows[i]>>16, i
		for j < len(rows) && rows[j]>>16 == k {
			j++
		}
		keys, cards = append(keys, int(k)), append(cards, j-i)
		i = j
	}
	nc := len(keys)
	out = slices.Grow(out, 8+8*nc+2*len(rows))
	out = binary.LittleEndian.AppendUint32(out, 12346)
	out = binary.LittleEndian.AppendUint32(out, uint32(nc))
	for i := range keys {
		out = binary.LittleEndian.AppendUint16(out, uint16(keys[i]))
		out = binary.LittleEndian.AppendUint16(out, uint16(cards[i]-1))
	}
	off := 8 + 8*nc
	for i := range keys {
		out = binary.LittleEndian.AppendUint32(out, uint32(off))
		off += 2 * cards[i]
	}
	for _, r := range rows {
		out = binary.LittleEndian.AppendUint16(out, uint16(r))
	}
	return out
}

func uvarintLen(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

// appendLongsPart appends a long part. With auto encoding each block takes
// the smallest of constant, frame-of-reference and raw.
func (pw *partWriter) appendLongsPart(dst []byte, v []int64) []byte {
	pw.beginPart()
	per := partLongs.valuesPerBlock()
	nb := 0
	for off := 0; off < len(v); off += per {
		blk := v[off:min(off+per, len(v))]
		var enc encoding
		enc, pw.raw = pw.encodeLongs(pw.raw[:0], blk)
		pw.addBlock(len(blk), enc)
		nb++
	}
	return pw.endPart(dst, partLongs, len(v), nb)
}

// encodeLongs encodes one block of longs as the writer's settings say: delta
// for __time, the cheapest encoding for longEncoding=auto, else raw.
func (pw *partWriter) encodeLongs(dst []byte, blk []int64) (encoding, []byte) {
	switch {
	case pw.delta:
		return encDelta, pw.appendDeltaLongs(dst, blk)
	case pw.auto:
		return pw.appendAutoLongs(dst, blk)
	}
	return encRaw, appendLongs(dst, blk)
}

// appendDeltaLongs writes blk as its first value and the frame-of-reference
// bit-packing of the differences between neighbours (wrapping 64-bit). For
// sorted times the differences are small and non-negative.
func (pw *partWriter) appendDeltaLongs(dst []byte, blk []int64) []byte {
	dst = appendU64(dst, uint64(blk[0]))
	pw.u64 = pw.u64[:0]
	lo := uint64(0)
	for i := 1; i < len(blk); i++ {
		d := uint64(blk[i]) - uint64(blk[i-1])
		if i == 1 || int64(d) < int64(lo) {
			lo = d
		}
		pw.u64 = append(pw.u64, d)
	}
	var hi uint64
	for i, d := range pw.u64 {
		pw.u64[i] = d - lo
		hi = max(hi, pw.u64[i])
	}
	w := uint(bits.Len64(hi))
	dst = appendU64(dst, lo)
	dst = append(dst, byte(w))
	if w == 0 {
		return dst
	}
	return appendBits(dst, pw.u64, w)
}

// appendAutoLongs encodes blk with the cheapest long encoding and returns it.
func (pw *partWriter) appendAutoLongs(dst []byte, blk []int64) (encoding, []byte) {
	lo, hi := blk[0], blk[0]
	for _, x := range blk[1:] {
		lo, hi = min(lo, x), max(hi, x)
	}
	if lo == hi {
		return encConstant, appendU64(dst, uint64(lo))
	}
	w := uint(bits.Len64(uint64(hi) - uint64(lo)))
	forLen := 9 + (len(blk)*int(w)+7)/8
	if forLen >= 8*len(blk) {
		return encRaw, appendLongs(dst, blk)
	}
	pw.u64 = pw.u64[:0]
	for _, x := range blk {
		pw.u64 = append(pw.u64, uint64(x)-uint64(lo))
	}
	dst = appendU64(dst, uint64(lo))
	dst = append(dst, byte(w))
	return encFOR, appendBits(dst, pw.u64, w)
}

// intsKind returns the narrowest id part for values up to maxID.
func intsKind(maxID int32) partKind {
	switch {
	case maxID <= math.MaxUint8:
		return partInts1
	case maxID <= math.MaxUint16:
		return partInts2
	case maxID < 1<<24:
		return partInts3
	}
	return partInts4
}

// idBits is the bit width of a packed id part whose largest id is maxID.
func idBits(maxID int32) uint8 { return uint8(max(bits.Len32(uint32(maxID)), 1)) }

// part is a decoded blocked-part header; blocks are decoded on demand.
type part struct {
	kind      partKind
	numValues int
	blocks    []blockRef
	// from is the version of the segment the part was read from, 0 for
	// this build's own bytes (spools): encodings newer than it are
	// corruption (checkSince).
	from FormatVersion
}

type blockRef struct {
	values int
	data   []byte // compression <1b> | encoding <1b> | body
}

// readPart parses a part header and index from d, checking that the block
// value counts add up and match the kind's block size.
func readPart(d *decbuf, want partKind) part {
	p, lens := readPartIndex(d, want)
	if d.err != nil {
		return p
	}
	for i := range p.blocks {
		p.blocks[i].data = d.bytes(lens[i], "block")
	}
	return p
}

// readPartIndex parses a part header and index from d, leaving the blocks
// unread; it returns the stored length of each block.
func readPartIndex(d *decbuf, want partKind) (part, []int) {
	p := part{from: d.from}
	p.kind = partKind(d.byte1("part kind"))
	if d.err != nil {
		return p, nil
	}
	if want == partInts1 {
		if p.kind < partInts1 || p.kind > partInts4 {
			d.err = corruptf("part kind %v, want ids", p.kind)
			return p, nil
		}
	} else if p.kind != want {
		d.err = corruptf("part kind %v, want %v", p.kind, want)
		return p, nil
	}
	p.numValues = d.count("part values", math.MaxInt32)
	nb := d.count("part blocks", d.Len()/2)
	if d.err != nil {
		return p, nil
	}
	p.blocks = make([]blockRef, nb)
	lens := make([]int, nb)
	total := 0
	for i := range p.blocks {
		p.blocks[i].values = d.count("block values", p.numValues)
		lens[i] = d.count("block length", math.MaxInt32)
		total += p.blocks[i].values
	}
	if d.err != nil {
		return p, nil
	}
	if total != p.numValues {
		d.err = corruptf("part blocks hold %d values, header says %d", total, p.numValues)
	}
	return p, lens
}

// blockBody decompresses a block into scratch if needed and returns its
// encoding and encoded bytes.
func blockBody(b blockRef, scratch []byte) (encoding, []byte, []byte, error) {
	if len(b.data) < 2 {
		return 0, nil, scratch, corruptf("block of %d bytes", len(b.data))
	}
	comp, enc, body := compression(b.data[0]), encoding(b.data[1]), b.data[2:]
	switch comp {
	case compNone:
		return enc, body, scratch, nil
	case compLZ4:
		rawLen, n := binary.Uvarint(body)
		// The writer never compresses an empty block; lz4 is not asked to
		// decode into an empty buffer.
		if n <= 0 || rawLen == 0 || rawLen > uint64(len(body))*255+64 {
			return 0, nil, scratch, corruptf("lz4 block raw length")
		}
		body = body[n:]
		if cap(scratch) < int(rawLen) {
			scratch = make([]byte, rawLen)
		}
		scratch = scratch[:rawLen]
		got, err := lz4.UncompressBlock(body, scratch)
		if err != nil || got != int(rawLen) {
			return 0, nil, scratch, corruptf("lz4 block: %d of %d bytes: %v", got, rawLen, err)
		}
		return enc, scratch, scratch, nil
	case compZstd:
		rawLen, n := binary.Uvarint(body)
		if n <= 0 || rawLen == 0 || rawLen > maxZstdBlock {
			return 0, nil, scratch, corruptf("zstd block raw length")
		}
		dec, err := zstdDecoder()
		if err != nil {
			return 0, nil, scratch, err
		}
		// The output grows with what the frame really holds (bounded by the
		// decoder's memory limit), not with the length the block claims.
		out, err := dec.DecodeAll(body[n:], scratch[:0])
		if err != nil || uint64(len(out)) != rawLen {
			return 0, nil, out, corruptf("zstd block: %d of %d bytes: %v", len(out), rawLen, err)
		}
		return enc, out, out, nil
	}
	return 0, nil, scratch, corruptf("unknown block compression %v", comp)
}

// maxZstdBlock bounds the raw length of a zstd block and the memory the
// decoder may use for one: far above any block the writer makes (64 KiB of
// values, or a blob block closed after the blob that crosses 64 KiB).
const maxZstdBlock = 1 << 28

// zstdDecoder returns the process's zstd decoder, created on first use: a
// decoder is costly to build and its DecodeAll is safe for concurrent use,
// so every reader shares one.
var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxZstdBlock), zstd.WithDecoderMaxWindow(8<<20), zstd.WithDecoderLowmem(true))
})

// decodeLongs appends the part's values to dst.
func (p part) decodeLongs(dst []int64, scratch *[]byte) ([]int64, error) {
	var u64 []uint64
	for _, b := range p.blocks {
		enc, body, s, err := blockBody(b, *scratch)
		*scratch = s
		if err != nil {
			return dst, err
		}
		switch enc {
		case encRaw:
			if len(body) != 8*b.values {
				return dst, corruptf("raw long block of %d bytes for %d values", len(body), b.values)
			}
			for i := 0; i < b.values; i++ {
				dst = append(dst, int64(binary.BigEndian.Uint64(body[8*i:])))
			}
		case encConstant:
			if len(body) != 8 {
				return dst, corruptf("constant long block of %d bytes", len(body))
			}
			v := int64(binary.BigEndian.Uint64(body))
			for i := 0; i < b.values; i++ {
				dst = append(dst, v)
			}
		case encFOR:
			if len(body) < 9 {
				return dst, corruptf("for long block of %d bytes", len(body))
			}
			lo, w := binary.BigEndian.Uint64(body), uint(body[8])
			if w == 0 || w > 64 || len(body)-9 != (b.values*int(w)+7)/8 {
				return dst, corruptf("for long block: width %d, %d bytes for %d values", w, len(body)-9, b.values)
			}
			if cap(u64) < b.values {
				u64 = make([]uint64, b.values)
			}
			u64 = u64[:b.values]
			readBits(u64, body[9:], w)
			for _, x := range u64 {
				dst = append(dst, int64(lo+x))
			}
		case encDelta:
			if len(body) < 17 || b.values < 1 {
				return dst, corruptf("delta long block of %d bytes", len(body))
			}
			v, lo, w := binary.BigEndian.Uint64(body), binary.BigEndian.Uint64(body[8:]), uint(body[16])
			if w > 64 || len(body)-17 != ((b.values-1)*int(w)+7)/8 {
				return dst, corruptf("delta long block: width %d, %d bytes for %d values", w, len(body)-17, b.values)
			}
			dst = append(dst, int64(v))
			if cap(u64) < b.values-1 {
				u64 = make([]uint64, b.values-1)
			}
			u64 = u64[:b.values-1]
			if w == 0 {
				clear(u64)
			} else {
				readBits(u64, body[17:], w)
			}
			for _, x := range u64 {
				v += lo + x
				dst = append(dst, int64(v))
			}
		case encVarbits:
			if err := p.checkSince(enc, FormatV4); err != nil {
				return dst, err
			}
			if dst, err = decodeVarbits(dst, body, b.values); err != nil {
				return dst, err
			}
		default:
			return dst, corruptf("unknown long block encoding %v", enc)
		}
	}
	return dst, nil
}

func (p part) rawBody(b blockRef, scratch *[]byte, width int) ([]byte, error) {
	enc, body, s, err := blockBody(b, *scratch)
	*scratch = s
	if err != nil {
		return nil, err
	}
	if enc != encRaw || len(body) != width*b.values {
		return nil, corruptf("%v block: encoding %v, %d bytes for %d values", p.kind, enc, len(body), b.values)
	}
	return body, nil
}

func (p part) decodeFloats(dst []float32, scratch *[]byte) ([]float32, error) {
	for _, b := range p.blocks {
		body, err := p.rawBody(b, scratch, 4)
		if err != nil {
			return dst, err
		}
		for i := 0; i < b.values; i++ {
			dst = append(dst, math.Float32frombits(binary.BigEndian.Uint32(body[4*i:])))
		}
	}
	return dst, nil
}

func (p part) decodeDoubles(dst []float64, scratch *[]byte) ([]float64, error) {
	for _, b := range p.blocks {
		body, err := p.rawBody(b, scratch, 8)
		if err != nil {
			return dst, err
		}
		for i := 0; i < b.values; i++ {
			dst = append(dst, math.Float64frombits(binary.BigEndian.Uint64(body[8*i:])))
		}
	}
	return dst, nil
}

func (p part) decodeInts(dst []int32, scratch *[]byte) ([]int32, error) {
	w := p.kind.width()
	var u64 []uint64
	for _, b := range p.blocks {
		enc, body, s, err := blockBody(b, *scratch)
		*scratch = s
		if err != nil {
			return dst, err
		}
		if enc == encPacked {
			// <1b> width, then the ids bit-packed; the width may not exceed
			// the part kind's.
			if len(body) < 1 || body[0] == 0 || int(body[0]) > 8*w || len(body)-1 != (b.values*int(body[0])+7)/8 {
				return dst, corruptf("packed %v block: %d bytes for %d values", p.kind, len(body), b.values)
			}
			if cap(u64) < b.values {
				u64 = make([]uint64, b.values)
			}
			u64 = u64[:b.values]
			readBits(u64, body[1:], uint(body[0]))
			for _, x := range u64 {
				if x > math.MaxInt32 {
					return dst, corruptf("id %d out of range", x)
				}
				dst = append(dst, int32(x))
			}
			continue
		}
		if enc == encPackedMin {
			if err := p.checkSince(enc, FormatV4); err != nil {
				return dst, err
			}
			if dst, err = decodePackedMin(dst, body, b.values); err != nil {
				return dst, err
			}
			continue
		}
		if enc == encHot {
			if err := p.checkSince(enc, FormatV5); err != nil {
				return dst, err
			}
			if dst, err = decodeHot(dst, body, b.values); err != nil {
				return dst, err
			}
			continue
		}
		if enc != encRaw || len(body) != w*b.values {
			return dst, corruptf("%v block: encoding %v, %d bytes for %d values", p.kind, enc, len(body), b.values)
		}
		switch w {
		case 1:
			for _, x := range body {
				dst = append(dst, int32(x))
			}
		case 2:
			for i := 0; i < len(body); i += 2 {
				dst = append(dst, int32(body[i])<<8|int32(body[i+1]))
			}
		case 3:
			for i := 0; i < len(body); i += 3 {
				dst = append(dst, int32(body[i])<<16|int32(body[i+1])<<8|int32(body[i+2]))
			}
		default:
			for i := 0; i < len(body); i += 4 {
				x := binary.BigEndian.Uint32(body[i:])
				if x > math.MaxInt32 {
					return dst, corruptf("id %d out of range", x)
				}
				dst = append(dst, int32(x))
			}
		}
	}
	return dst, nil
}

// decodeBlobs appends the part's blobs to dst. Blobs from uncompressed blocks
// alias the segment data; blobs from LZ4 blocks get fresh memory.
func (p part) decodeBlobs(dst [][]byte) ([][]byte, error) {
	for _, b := range p.blocks {
		enc, body, _, err := blockBody(b, nil)
		if err != nil {
			return dst, err
		}
		if enc == encFront {
			if err := p.checkSince(enc, FormatV4); err != nil {
				return dst, err
			}
			if dst, err = decodeFront(dst, body, b.values); err != nil {
				return dst, err
			}
			continue
		}
		if enc != encRaw {
			return dst, corruptf("blob block encoding %v", enc)
		}
		d := decbuf{b: body}
		for i := 0; i < b.values && d.err == nil; i++ {
			dst = append(dst, d.uvarintBytes("blob"))
		}
		if err := d.done("blob block"); err != nil {
			return dst, err
		}
	}
	return dst, nil
}
