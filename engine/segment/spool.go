package segment

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The Writer keeps its memory independent of the row count by spooling:
// every column's encoded blocks (and, for string columns, the provisional
// dictionary ids) go to temporary files in the .tmp-for-creation directory
// as they fill, and Finish assembles the data file by copying them in file
// order. Only block indexes, dictionaries, bitmaps and one block of values
// per column stay in memory. An intermediate persist, whose rows
// maxRowsInMemory bounds, keeps its spools in memory instead (newSpool).

// spoolBufSize is the write buffer of a spool and the read buffer used to
// read one back.
const spoolBufSize = 64 << 10

// spool is a temporary file written sequentially and read back later, or,
// for an intermediate persist (WriterOptions.Intermediate), the same bytes
// kept in memory.
type spool struct {
	f   *os.File
	mem bool // no file: buf holds everything written
	buf []byte
	n   int64 // bytes written, buffered included
}

// newSpool creates a spool file in the writer's temporary directory, or an
// in-memory spool for an intermediate persist: its rows are bounded by
// maxRowsInMemory, so its spools are too, and the files' create, write,
// read back and remove cost a spill more CPU than encoding one of its
// columns.
func (w *Writer) newSpool() (*spool, error) {
	w.spoolMu.Lock()
	defer w.spoolMu.Unlock()
	if w.opts.Intermediate {
		s := &spool{mem: true}
		w.spools = append(w.spools, s)
		return s, nil
	}
	w.spoolSeq++
	f, err := os.Create(filepath.Join(w.tmp, fmt.Sprintf("spool-%d.tmp", w.spoolSeq)))
	if err != nil {
		return nil, fmt.Errorf("segment: create spool: %w", err)
	}
	s := &spool{f: f, buf: make([]byte, 0, spoolBufSize)}
	w.spools = append(w.spools, s)
	return s, nil
}

func (s *spool) write(b []byte) error {
	s.n += int64(len(b))
	if s.mem || len(s.buf)+len(b) <= cap(s.buf) {
		s.buf = append(s.buf, b...)
		return nil
	}
	if err := s.flush(); err != nil {
		return err
	}
	if len(b) >= cap(s.buf) {
		if _, err := s.f.Write(b); err != nil {
			return fmt.Errorf("segment: write spool: %w", err)
		}
		return nil
	}
	s.buf = append(s.buf, b...)
	return nil
}

// u32 appends v as 4 little-endian bytes.
func (s *spool) u32(v uint32) error {
	if !s.mem && len(s.buf)+4 > cap(s.buf) {
		if err := s.flush(); err != nil {
			return err
		}
	}
	s.buf = binary.LittleEndian.AppendUint32(s.buf, v)
	s.n += 4
	return nil
}

func (s *spool) flush() error {
	if s.mem || len(s.buf) == 0 {
		return nil
	}
	_, err := s.f.Write(s.buf)
	s.buf = s.buf[:0]
	if err != nil {
		return fmt.Errorf("segment: write spool: %w", err)
	}
	return nil
}

// section returns a reader over everything written so far.
func (s *spool) section() (*io.SectionReader, error) {
	if s.mem {
		return io.NewSectionReader(bytes.NewReader(s.buf), 0, s.n), nil
	}
	if err := s.flush(); err != nil {
		return nil, err
	}
	return io.NewSectionReader(s.f, 0, s.n), nil
}

// u32Reader reads back a spool of u32 values.
type u32Reader struct {
	br  *bufio.Reader
	buf []byte
}

func (s *spool) u32Reader(br *bufio.Reader) (*u32Reader, error) {
	sr, err := s.section()
	if err != nil {
		return nil, err
	}
	if br == nil {
		br = bufio.NewReaderSize(sr, spoolBufSize)
	} else {
		br.Reset(sr)
	}
	return &u32Reader{br: br}, nil
}

// read fills dst with the next len(dst) values.
func (r *u32Reader) read(dst []int32) error {
	if cap(r.buf) < 4*len(dst) {
		r.buf = make([]byte, 4*len(dst))
	}
	b := r.buf[:4*len(dst)]
	if _, err := io.ReadFull(r.br, b); err != nil {
		return fmt.Errorf("segment: read spool: %w", err)
	}
	for i := range dst {
		dst[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return nil
}

// close closes and deletes the spool file.
func (s *spool) close() error {
	if s != nil && s.mem {
		s.buf = nil
		return nil
	}
	if s == nil || s.f == nil {
		return nil
	}
	name := s.f.Name()
	err := s.f.Close()
	s.f, s.buf = nil, nil
	if rerr := os.Remove(name); err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("segment: remove spool: %w", err)
	}
	return nil
}

// streamPart is a blocked part whose blocks are spooled as they are encoded;
// only its block index stays in memory.
type streamPart struct {
	kind   partKind
	bits   uint8 // ids parts: packed width; 0 writes raw fixed-width ids
	values int
	blocks int
	index  []byte
	data   *spool
}

// header returns the part's kind, counts and block index; the blocks follow
// in data.
func (sp *streamPart) header(dst []byte) []byte {
	dst = append(dst, byte(sp.kind))
	dst = appendUvarint(dst, uint64(sp.values))
	dst = appendUvarint(dst, uint64(sp.blocks))
	return append(dst, sp.index...)
}

// emit compresses one encoded block and spools it.
func (pw *partWriter) emit(sp *streamPart, raw []byte, values int, enc encoding) error {
	pw.index, pw.blocks = pw.index[:0], pw.blocks[:0]
	pw.addRawBlock(raw, values, enc)
	sp.index = append(sp.index, pw.index...)
	sp.values += values
	sp.blocks++
	return sp.data.write(pw.blocks)
}

func (pw *partWriter) emitLongs(sp *streamPart, blk []int64) error {
	var enc encoding
	enc, pw.raw = pw.encodeLongs(pw.raw[:0], blk)
	if !pw.delta && !pw.spill && enc != encConstant {
		// v4: small skewed values (counts, sizes, deltas) are cheaper as
		// varbits; repetitive ones may still compress better raw. A spill
		// skips it: planning, encoding and compressing a second block
		// cost more CPU, written and again read in the merge, than the
		// bytes it saves on a temporary file.
		pw.alt = appendVarbits(pw.alt[:0], blk)
		return pw.emitSmaller(sp, len(blk), pw.raw, enc, pw.alt, encVarbits)
	}
	return pw.emit(sp, pw.raw, len(blk), enc)
}

// emitInts encodes one block of ids (or counts), bit-packed to the part's
// width.
func (pw *partWriter) emitInts(sp *streamPart, blk []int32) error {
	if sp.bits == 0 {
		pw.raw = appendInts(pw.raw[:0], blk, sp.kind.width())
		return pw.emit(sp, pw.raw, len(blk), encRaw)
	}
	enc := encPacked
	size, lo, w := packedMinLen(blk)
	if w < uint(sp.bits) {
		// v4: the block's ids span fewer bits above its smallest id than
		// the column's (a boolean without nulls: 1 bit, not 2).
		enc, pw.raw = encPackedMin, appendPackedMin(pw.raw[:0], blk, lo, w)
	} else {
		size = 1 + (len(blk)*int(sp.bits)+7)/8
		pw.u64 = pw.u64[:0]
		for _, x := range blk {
			pw.u64 = append(pw.u64, uint64(x))
		}
		pw.raw = append(pw.raw[:0], sp.bits)
		pw.raw = appendBits(pw.raw, pw.u64, uint(sp.bits))
	}
	if !pw.spill && pw.comp != compZstd {
		// v5: one id dominating the block (null, "Main", "") costs one
		// bit as hot; LZ4 may still shrink the packed form more (long runs
		// of one id), so the smaller after compression is kept. Spills skip
		// it, as they skip varbits.
		if hot, count, ok := hotCandidate(blk); ok {
			if hsize, hlo, hw := hotLen(blk, hot, count); hsize < size {
				pw.alt = appendHot(pw.alt[:0], blk, hot, hlo, hw)
				return pw.emitSmaller(sp, len(blk), pw.raw, enc, pw.alt, encHot)
			}
		}
	}
	if pw.comp == compZstd && int(sp.bits) < 8*sp.kind.width() {
		// zstd finds repeats in byte-aligned ids that bit-packing hides
		// (null-heavy or clustered columns); keep the smaller block.
		pw.alt = appendInts(pw.alt[:0], blk, sp.kind.width())
		return pw.emitSmaller(sp, len(blk), pw.raw, enc, pw.alt, encRaw)
	}
	return pw.emit(sp, pw.raw, len(blk), enc)
}

// emitSmaller compresses the same values encoded two ways and spools the
// smaller block (the first on a tie).
func (pw *partWriter) emitSmaller(sp *streamPart, values int, a []byte, ea encoding, b []byte, eb encoding) error {
	pw.index, pw.blocks = pw.index[:0], pw.blocks[:0]
	pw.addRawBlock(a, values, ea)
	na := len(pw.blocks)
	pw.addRawBlock(b, values, eb)
	blk := pw.blocks[:na]
	if len(pw.blocks)-na < na {
		blk = pw.blocks[na:]
	}
	pw.index = appendUvarint(pw.index[:0], uint64(values))
	pw.index = appendUvarint(pw.index, uint64(len(blk)))
	sp.index = append(sp.index, pw.index...)
	sp.values += values
	sp.blocks++
	return sp.data.write(blk)
}

// newIDsPart starts an ids or counts part whose values are at most maxID:
// the narrowest kind, bit-packed to the bits maxID needs.
func newIDsPart(maxID int32) streamPart {
	return streamPart{kind: intsKind(maxID), bits: idBits(maxID)}
}

// numStream encodes a long, float or double column block by block.
type numStream struct {
	typ     ColumnType
	pw      *partWriter
	part    streamPart
	longs   []int64
	floats  []float32
	doubles []float64
}

func (w *Writer) newNumStream(t ColumnType, pw *partWriter) (*numStream, error) {
	sp, err := w.newSpool()
	if err != nil {
		return nil, err
	}
	kind := map[ColumnType]partKind{TypeLong: partLongs, TypeFloat: partFloats, TypeDouble: partDoubles}[t]
	return &numStream{typ: t, pw: pw, part: streamPart{kind: kind, data: sp}}, nil
}

func (c *numStream) add(l int64, d float64) error {
	per := c.part.kind.valuesPerBlock()
	switch c.typ {
	case TypeLong:
		if c.longs = append(c.longs, l); len(c.longs) == per {
			return c.flush()
		}
	case TypeFloat:
		if c.floats = append(c.floats, float32(d)); len(c.floats) == per {
			return c.flush()
		}
	case TypeDouble:
		if c.doubles = append(c.doubles, d); len(c.doubles) == per {
			return c.flush()
		}
	}
	return nil
}

// flush encodes the buffered values, if any, as one block.
func (c *numStream) flush() error {
	pw := c.pw
	var err error
	switch {
	case len(c.longs) > 0:
		err = pw.emitLongs(&c.part, c.longs)
		c.longs = c.longs[:0]
	case len(c.floats) > 0:
		pw.raw = appendFloats(pw.raw[:0], c.floats)
		err = pw.emit(&c.part, pw.raw, len(c.floats), encRaw)
		c.floats = c.floats[:0]
	case len(c.doubles) > 0:
		pw.raw = appendDoubles(pw.raw[:0], c.doubles)
		err = pw.emit(&c.part, pw.raw, len(c.doubles), encRaw)
		c.doubles = c.doubles[:0]
	}
	return err
}

// blobStream encodes a complex column block by block.
type blobStream struct {
	pw    *partWriter
	part  streamPart
	raw   []byte
	n     int  // blobs in raw
	limit int  // raw bytes that close a block
	front bool // v4 dictionaries: blocks are front coded
	fbuf  []byte
}

func (c *blobStream) add(b []byte) error {
	c.raw = appendUvarint(c.raw, uint64(len(b)))
	c.raw = append(c.raw, b...)
	c.n++
	if len(c.raw) >= c.limit {
		return c.flush()
	}
	return nil
}

// newBlobStream starts a blobs part spooled to a new file.
func (w *Writer) newBlobStream(pw *partWriter) (*blobStream, error) {
	sp, err := w.newSpool()
	if err != nil {
		return nil, err
	}
	return &blobStream{pw: pw, part: streamPart{kind: partBlobs, data: sp}, limit: blobBlockBytes}, nil
}

// newDictStream starts a string dictionary part: blobs in blocks of
// dictBlockBytes (v3).
func (w *Writer) newDictStream(pw *partWriter) (*blobStream, error) {
	s, err := w.newBlobStream(pw)
	if s != nil {
		s.limit, s.front = dictBlockBytes, true
	}
	return s, err
}

// addString adds s as a blob.
func (c *blobStream) addString(s string) error {
	c.raw = appendString(c.raw, s)
	c.n++
	if len(c.raw) >= c.limit {
		return c.flush()
	}
	return nil
}

func (c *blobStream) flush() error {
	if c.n == 0 {
		return nil
	}
	var err error
	if c.front {
		c.fbuf = appendFront(c.fbuf[:0], c.raw, c.n)
		err = c.pw.emit(&c.part, c.fbuf, c.n, encFront)
	} else {
		err = c.pw.emit(&c.part, c.raw, c.n, encRaw)
	}
	c.raw, c.n = c.raw[:0], 0
	return err
}
