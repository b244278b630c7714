package segment

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
)

// Reader gives read access to one segment. Open verifies every checksum of
// the data file, streaming it, and keeps the file open; accessors then read
// the sections they need (re-checking their CRC), and Rows reads one block
// per column at a time, so a Reader's memory does not grow with the segment.
// Later accessors fail only on structural faults inside a section (or if the
// file changed under the reader). A Reader is safe for concurrent use.
type Reader struct {
	dir     string
	version FormatVersion
	meta    Metadata
	spec    IndexSpec
	size    int64 // bytes of all files in the directory
	f       *os.File
	dataLen int64
	cols    map[string]*column
	order   []string // column names in TOC order, __time first
}

// column is one column section of the data file, read on demand.
type column struct {
	name  string
	typ   ColumnType
	flags byte
	multi bool
	off   int64 // payload offset in the data file
	n     int64 // payload length
	crc   uint32
}

// ColumnInfo describes a stored column.
type ColumnInfo struct {
	Name       string
	Type       ColumnType
	MultiValue bool  // string columns only
	Size       int64 // bytes of the column's section, framing included
}

// Open verifies the segment in dir and keeps its data file open until
// Close. Any inconsistency of magic, version, checksums, lengths or
// meta.json wraps ErrCorrupt.
func Open(dir string) (_ *Reader, err error) {
	r := &Reader{dir: dir, cols: map[string]*column{}}
	vb, err := os.ReadFile(filepath.Join(dir, VersionFile))
	if err != nil {
		return nil, fmt.Errorf("segment: open %s: %w", dir, err)
	}
	if r.version, err = parseHeader(vb, true); err != nil {
		return nil, fmt.Errorf("segment: open %s: %s: %w", dir, VersionFile, err)
	}
	mj, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return nil, fmt.Errorf("segment: open %s: %w", dir, err)
	}
	var mf metaJSON
	if err := json.Unmarshal(mj, &mf); err != nil {
		return nil, fmt.Errorf("segment: open %s: %s: %w", dir, MetaFile, corruptf("%v", err))
	}
	if mf.Version != metaJSONVersion {
		return nil, fmt.Errorf("segment: open %s: %s: %w", dir, MetaFile, corruptf("version %d, want %d", mf.Version, metaJSONVersion))
	}
	f, err := os.Open(filepath.Join(dir, DataFile))
	if err != nil {
		return nil, fmt.Errorf("segment: open %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("segment: open %s: %w", dir, err)
	}
	r.f, r.dataLen = f, st.Size()
	if err := r.parse(); err != nil {
		return nil, fmt.Errorf("segment: open %s: %s: %w", dir, DataFile, err)
	}
	m := &r.meta
	if mf.FormatVersion != r.version || mf.DataFileSize != r.dataLen || mf.NumRows != m.NumRows ||
		mf.DataSource != m.DataSource || !mf.Interval.Start.Equal(m.Interval.Start) || !mf.Interval.End.Equal(m.Interval.End) ||
		mf.SegmentVersion != m.Version || mf.Partition != m.Partition {
		return nil, fmt.Errorf("segment: open %s: %w", dir, corruptf("%s (format %v, %d bytes, %d rows) disagrees with data file (format %v, %d bytes, %d rows)",
			MetaFile, mf.FormatVersion, mf.DataFileSize, mf.NumRows, r.version, r.dataLen, r.meta.NumRows))
	}
	r.size = int64(len(vb)+len(mj)) + r.dataLen
	return r, nil
}

// parseHeader checks magic and version; exact requires nothing to follow.
func parseHeader(b []byte, exact bool) (FormatVersion, error) {
	if len(b) < 5 || (exact && len(b) != 5) {
		return 0, corruptf("header of %d bytes", len(b))
	}
	if m := binary.BigEndian.Uint32(b); m != MagicSegment {
		return 0, corruptf("bad magic %#08x", m)
	}
	v := FormatVersion(b[4])
	if !v.Supported() {
		return 0, corruptf("unsupported format version %d (this build reads %v to %v)", uint8(v), MinSupportedFormat, CurrentFormat)
	}
	return v, nil
}

const footerLen = 16 // <8b TOC offset> <4b CRC32C> <4b magic>

// readAt reads len(b) bytes of the data file at off.
func (r *Reader) readAt(b []byte, off int64) error {
	if _, err := r.f.ReadAt(b, off); err != nil {
		if errors.Is(err, io.EOF) {
			return corruptf("data file shrank under the reader")
		}
		return fmt.Errorf("segment: read %s: %w", r.dir, err)
	}
	return nil
}

// parse verifies the data file and indexes its sections.
func (r *Reader) parse() error {
	size := r.dataLen
	hdr := make([]byte, min(size, 5))
	if err := r.readAt(hdr, 0); err != nil {
		return err
	}
	v, err := parseHeader(hdr, false)
	if err != nil {
		return err
	}
	if v != r.version {
		return corruptf("format %v, %s says %v", v, VersionFile, r.version)
	}
	if size < 5+footerLen {
		return corruptf("file of %d bytes", size)
	}
	ft := make([]byte, footerLen)
	if err := r.readAt(ft, size-footerLen); err != nil {
		return err
	}
	if binary.BigEndian.Uint32(ft[12:]) != MagicSegment {
		return corruptf("bad footer magic")
	}
	if crc32.Checksum(ft[:8], castagnoli) != binary.BigEndian.Uint32(ft[8:]) {
		return corruptf("footer checksum mismatch")
	}
	tocOff := binary.BigEndian.Uint64(ft)
	end := uint64(size - footerLen)
	if tocOff < 5 || tocOff > end {
		return corruptf("toc offset %d outside file", tocOff)
	}
	toc, _, next, err := r.readSection(tocOff, "toc", true, nil)
	if err != nil {
		return err
	}
	if next != end {
		return corruptf("%d bytes between toc and footer", end-next)
	}
	d := decbuf{b: toc}
	n := d.count("toc entries", len(toc))
	pos := uint64(5)
	buf := make([]byte, 64<<10)
	for i := 0; i < n && d.err == nil; i++ {
		kind := sectionKind(d.byte1("toc kind"))
		name := string(d.uvarintBytes("toc name"))
		off := d.be64("toc offset")
		if d.err != nil {
			break
		}
		if off != pos {
			return corruptf("toc entry %d at offset %d, want %d", i, off, pos)
		}
		payload, crc, nxt, err := r.readSection(off, name, i == 0, buf)
		if err != nil {
			return err
		}
		pos = nxt
		switch {
		case i == 0 && kind == sectionMetadata:
			var ms metadataSection
			if err := json.Unmarshal(payload, &ms); err != nil {
				return corruptf("metadata section: %v", err)
			}
			r.meta, r.spec = ms.Metadata, ms.IndexSpec
		case i > 0 && kind == sectionColumn:
			plen := int64(nxt-off) - 8
			if plen < 2 || r.cols[name] != nil {
				return corruptf("column %q: short or duplicate", name)
			}
			var tf [2]byte
			if err := r.readAt(tf[:], int64(off)+4); err != nil {
				return err
			}
			c := &column{name: name, typ: ColumnType(tf[0]), flags: tf[1], multi: tf[1]&flagMultiValue != 0,
				off: int64(off) + 4, n: plen, crc: crc}
			r.cols[name] = c
			r.order = append(r.order, name)
		default:
			return corruptf("toc entry %d: unexpected %v section %q", i, kind, name)
		}
	}
	if err := d.done("toc"); err != nil {
		return err
	}
	if pos != tocOff {
		return corruptf("%d unaccounted bytes before toc", tocOff-pos)
	}
	return r.checkSchema()
}

// readSection checks the <4b len> payload <4b CRC32C> frame at off. With
// load it returns the payload; otherwise it streams the payload through the
// CRC using buf.
func (r *Reader) readSection(off uint64, name string, load bool, buf []byte) (payload []byte, crc uint32, next uint64, err error) {
	size := uint64(r.dataLen)
	if off+4 > size {
		return nil, 0, 0, corruptf("section %q: length outside file", name)
	}
	var b [4]byte
	if err := r.readAt(b[:], int64(off)); err != nil {
		return nil, 0, 0, err
	}
	n := uint64(binary.BigEndian.Uint32(b[:]))
	if off+8+n > size {
		return nil, 0, 0, corruptf("section %q: %d bytes overrun file", name, n)
	}
	if load {
		payload = make([]byte, n)
		if err := r.readAt(payload, int64(off)+4); err != nil {
			return nil, 0, 0, err
		}
		crc = crc32.Checksum(payload, castagnoli)
	} else {
		h := crc32.New(castagnoli)
		if _, err := io.CopyBuffer(h, io.NewSectionReader(r.f, int64(off)+4, int64(n)), buf); err != nil {
			return nil, 0, 0, fmt.Errorf("segment: read %s: %w", r.dir, err)
		}
		crc = h.Sum32()
	}
	if err := r.readAt(b[:], int64(off+4+n)); err != nil {
		return nil, 0, 0, err
	}
	if crc != binary.BigEndian.Uint32(b[:]) {
		return nil, 0, 0, corruptf("section %q: checksum mismatch", name)
	}
	return payload, crc, off + 8 + n, nil
}

// payload reads a column's payload, checking it against the CRC seen at
// Open.
func (r *Reader) payload(c *column) ([]byte, error) {
	if r.f == nil {
		return nil, fmt.Errorf("segment: %s: reader closed", r.dir)
	}
	b := make([]byte, c.n)
	if err := r.readAt(b, c.off); err != nil {
		return nil, fmt.Errorf("segment: column %q: %w", c.name, err)
	}
	if crc32.Checksum(b, castagnoli) != c.crc {
		return nil, fmt.Errorf("segment: column %q: %w", c.name, corruptf("section %q: checksum mismatch", c.name))
	}
	return b, nil
}

// checkSchema verifies that the stored columns are exactly the schema's.
func (r *Reader) checkSchema() error {
	if err := r.meta.validate(); err != nil {
		return corruptf("metadata: %v", err)
	}
	want := []ColumnInfo{{Name: TimeColumn, Type: TypeLong}}
	for _, d := range r.meta.Dimensions {
		want = append(want, ColumnInfo{Name: d.Name, Type: d.Type, MultiValue: d.MultiValue})
	}
	for _, m := range r.meta.Metrics {
		want = append(want, ColumnInfo{Name: m.Name, Type: m.Type})
	}
	if len(want) != len(r.order) {
		return corruptf("%d columns, schema has %d", len(r.order), len(want))
	}
	for i, w := range want {
		c := r.cols[r.order[i]]
		if c.name != w.Name || c.typ != w.Type || c.multi != w.MultiValue {
			return corruptf("column %d is %q %v, schema says %q %v", i, c.name, c.typ, w.Name, w.Type)
		}
	}
	return nil
}

// Close releases the reader and closes its data file. Slices returned by
// accessors stay valid.
func (r *Reader) Close() error {
	r.cols = nil
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// Dir returns the segment directory.
func (r *Reader) Dir() string { return r.dir }

// Metadata returns the stored metadata, NumRows included.
func (r *Reader) Metadata() Metadata { return r.meta }

// IndexSpec returns the indexSpec the segment was written with.
func (r *Reader) IndexSpec() IndexSpec { return r.spec }

// FormatVersion returns the segment's format version.
func (r *Reader) FormatVersion() FormatVersion { return r.version }

// NumRows returns the number of rows.
func (r *Reader) NumRows() int { return int(r.meta.NumRows) }

// Size returns the total bytes of the segment's files.
func (r *Reader) Size() int64 { return r.size }

// Columns returns the stored columns in file order: __time, dimensions,
// metrics.
func (r *Reader) Columns() []ColumnInfo {
	out := make([]ColumnInfo, 0, len(r.order))
	for _, n := range r.order {
		c := r.cols[n]
		out = append(out, ColumnInfo{Name: n, Type: c.typ, MultiValue: c.multi, Size: c.n + 8})
	}
	return out
}

// col returns the column, checking its type.
func (r *Reader) col(name string, types ...ColumnType) (*column, decbuf, error) {
	c := r.cols[name]
	if c == nil {
		return nil, decbuf{}, fmt.Errorf("segment: column %q: %w", name, ErrNoColumn)
	}
	ok := len(types) == 0
	for _, t := range types {
		ok = ok || c.typ == t
	}
	if !ok {
		return nil, decbuf{}, fmt.Errorf("segment: column %q is %v, want %v: %w", name, c.typ, types, ErrNoColumn)
	}
	payload, err := r.payload(c)
	if err != nil {
		return nil, decbuf{}, err
	}
	d := decbuf{b: payload[2:], from: r.version}
	if n := d.count("rows", int(r.meta.NumRows)); d.err == nil && n != int(r.meta.NumRows) {
		return nil, d, fmt.Errorf("segment: column %q: %w", name, corruptf("%d rows, segment has %d", n, r.meta.NumRows))
	}
	if d.err != nil {
		return nil, d, fmt.Errorf("segment: column %q: %w", name, d.err)
	}
	return c, d, nil
}

// numeric parses a numeric column's null bitmap and values part.
func (r *Reader) numeric(name string, want ColumnType) (part, *roaring.Bitmap, error) {
	c, d, err := r.col(name, want)
	if err != nil {
		return part{}, nil, err
	}
	nulls := roaring.New()
	if c.flags&flagNulls != 0 {
		if err := readBitmap(&d, nulls); err != nil {
			return part{}, nil, fmt.Errorf("segment: column %q nulls: %w", name, err)
		}
	}
	kind := map[ColumnType]partKind{TypeLong: partLongs, TypeFloat: partFloats, TypeDouble: partDoubles}[want]
	p := readPart(&d, kind)
	if err := d.done("column"); err != nil {
		return part{}, nil, fmt.Errorf("segment: column %q: %w", name, err)
	}
	if p.numValues != r.NumRows() {
		return part{}, nil, fmt.Errorf("segment: column %q: %w", name, corruptf("%d values for %d rows", p.numValues, r.NumRows()))
	}
	return p, nulls, nil
}

func readBitmap(d *decbuf, bm *roaring.Bitmap) error {
	b := d.uvarintBytes("bitmap")
	if d.err != nil {
		return d.err
	}
	if err := bm.UnmarshalBinary(b); err != nil {
		return corruptf("bitmap: %v", err)
	}
	return nil
}

// Times returns the __time column (epoch milliseconds) in stored order.
func (r *Reader) Times() ([]int64, error) { return r.Longs(TimeColumn, nil) }

// Longs appends a long column's values to dst (nulls read as 0).
func (r *Reader) Longs(name string, dst []int64) ([]int64, error) {
	p, _, err := r.numeric(name, TypeLong)
	if err != nil {
		return dst, err
	}
	var scratch []byte
	dst, err = p.decodeLongs(dst, &scratch)
	if err != nil {
		return dst, fmt.Errorf("segment: column %q: %w", name, err)
	}
	return dst, nil
}

// Floats appends a float column's values to dst (nulls read as 0).
func (r *Reader) Floats(name string, dst []float32) ([]float32, error) {
	p, _, err := r.numeric(name, TypeFloat)
	if err != nil {
		return dst, err
	}
	var scratch []byte
	dst, err = p.decodeFloats(dst, &scratch)
	if err != nil {
		return dst, fmt.Errorf("segment: column %q: %w", name, err)
	}
	return dst, nil
}

// Doubles appends a double column's values to dst (nulls read as 0).
func (r *Reader) Doubles(name string, dst []float64) ([]float64, error) {
	p, _, err := r.numeric(name, TypeDouble)
	if err != nil {
		return dst, err
	}
	var scratch []byte
	dst, err = p.decodeDoubles(dst, &scratch)
	if err != nil {
		return dst, fmt.Errorf("segment: column %q: %w", name, err)
	}
	return dst, nil
}

// Nulls returns the null rows of a numeric column (empty for metrics).
func (r *Reader) Nulls(name string) (*roaring.Bitmap, error) {
	c := r.cols[name]
	if c == nil {
		return nil, fmt.Errorf("segment: column %q: %w", name, ErrNoColumn)
	}
	_, nulls, err := r.numeric(name, c.typ)
	return nulls, err
}

// Complex appends a complex column's blobs to dst. The blobs alias the
// segment's memory or a fresh decompression buffer; do not modify them.
func (r *Reader) Complex(name string, dst [][]byte) ([][]byte, error) {
	_, d, err := r.col(name, TypeComplex)
	if err != nil {
		return dst, err
	}
	d.uvarintBytes("complex type")
	p := readPart(&d, partBlobs)
	if err := d.done("column"); err != nil {
		return dst, fmt.Errorf("segment: column %q: %w", name, err)
	}
	if p.numValues != r.NumRows() {
		return dst, fmt.Errorf("segment: column %q: %w", name, corruptf("%d blobs for %d rows", p.numValues, r.NumRows()))
	}
	if dst, err = p.decodeBlobs(dst); err != nil {
		return dst, fmt.Errorf("segment: column %q: %w", name, err)
	}
	return dst, nil
}

// stringColumn is a parsed string column.
type stringColumn struct {
	dict    []string // id → value; dict[0] is "" (null)
	counts  part     // multi-value only
	ids     part
	bitmaps [][]byte // serialized roaring bitmap per id; v2: filled by raw()
	bmPart  part     // v2: the bitmaps part, decoded on first use
	tagged  bool     // v3: bitmaps-part blobs carry a bitmap tag
	restOK  bool     // v4 single-value column: one blob may be the rest tag
	oneOK   bool     // v5 single-value column: blobs may be the one-row tag
	numRows int
	name    string
}

// raw returns the serialized bitmaps, decoding the bitmaps part of a v2
// column first.
func (s *stringColumn) raw() ([][]byte, error) {
	if s.bitmaps != nil {
		return s.bitmaps, nil
	}
	bms, err := s.bmPart.decodeBlobs(make([][]byte, 0, len(s.dict)))
	rest := -1
	var one []bool // v5: ids stored as bitmapTagOne
	if err == nil && s.tagged {
		for i := range bms {
			if s.restOK && rest < 0 && len(bms[i]) == 1 && bms[i][0] == bitmapTagRest {
				rest = i
				continue
			}
			if s.oneOK && len(bms[i]) == 1 && bms[i][0] == bitmapTagOne {
				if one == nil {
					one = make([]bool, len(bms))
				}
				one[i], bms[i] = true, nil
				continue
			}
			if bms[i], err = untagBitmap(bms[i]); err != nil {
				break
			}
		}
	}
	if err == nil && (rest >= 0 || one != nil) {
		var ids []int32
		var scratch []byte
		if ids, err = s.ids.decodeInts(make([]int32, 0, s.numRows), &scratch); err == nil {
			err = derivedBitmaps(bms, ids, int32(rest), one)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("segment: column %q bitmaps: %w", s.name, err)
	}
	s.bitmaps = bms
	return bms, nil
}

func (r *Reader) stringCol(name string) (*column, *stringColumn, error) {
	c, d, err := r.col(name, TypeString)
	if err != nil {
		return nil, nil, err
	}
	s := &stringColumn{}
	if bt := d.byte1("bitmap type"); d.err == nil && bt != bitmapRoaring {
		return nil, nil, fmt.Errorf("segment: column %q: %w", name, corruptf("bitmap type %d", bt))
	}
	s.name = name
	s.tagged = r.version.TaggedBitmaps()
	s.restOK = r.version.V4Encodings() && !c.multi
	s.oneOK = r.version.V5Encodings() && !c.multi
	s.numRows = r.NumRows()
	if r.version.PartsForStrings() {
		if err := s.readDictPart(&d); err != nil {
			return nil, nil, fmt.Errorf("segment: column %q dictionary: %w", name, err)
		}
	} else {
		n := d.count("dictionary size", d.Len())
		s.dict = make([]string, 1, n+1)
		for i := 0; i < n && d.err == nil; i++ {
			v := string(d.uvarintBytes("dictionary value"))
			if d.err == nil && v <= s.dict[len(s.dict)-1] {
				return nil, nil, fmt.Errorf("segment: column %q: %w", name, corruptf("dictionary not sorted at id %d", i+1))
			}
			s.dict = append(s.dict, v)
		}
	}
	if c.multi {
		s.counts = readPart(&d, partInts1)
	}
	s.ids = readPart(&d, partInts1)
	if r.version.PartsForStrings() {
		s.bmPart = readPart(&d, partBlobs)
		if d.err == nil && s.bmPart.numValues != len(s.dict) {
			return nil, nil, fmt.Errorf("segment: column %q: %w", name, corruptf("%d bitmaps for %d ids", s.bmPart.numValues, len(s.dict)))
		}
	} else {
		s.bitmaps = make([][]byte, len(s.dict))
		for i := range s.bitmaps {
			s.bitmaps[i] = d.uvarintBytes("bitmap")
		}
	}
	if err := d.done("column"); err != nil {
		return nil, nil, fmt.Errorf("segment: column %q: %w", name, err)
	}
	if (c.multi && s.counts.numValues != r.NumRows()) || (!c.multi && s.ids.numValues != r.NumRows()) {
		return nil, nil, fmt.Errorf("segment: column %q: %w", name, corruptf("row count mismatch"))
	}
	return c, s, nil
}

// nullBitmap returns the serialized bitmap of id 0, decoding only the first
// block of a v2 bitmaps part.
func (s *stringColumn) nullBitmap() ([]byte, error) {
	if s.bitmaps != nil || len(s.bmPart.blocks) == 0 {
		raw, err := s.raw()
		if err != nil {
			return nil, err
		}
		if len(raw) == 0 {
			return nil, fmt.Errorf("segment: column %q: %w", s.name, corruptf("no null bitmap"))
		}
		return raw[0], nil
	}
	first := part{kind: partBlobs, numValues: s.bmPart.blocks[0].values, blocks: s.bmPart.blocks[:1], from: s.bmPart.from}
	bms, err := first.decodeBlobs(nil)
	if err != nil || len(bms) == 0 {
		return nil, fmt.Errorf("segment: column %q bitmaps: %w", s.name, corruptf("first block: %v", err))
	}
	if len(bms[0]) == 1 && (s.restOK && bms[0][0] == bitmapTagRest || s.oneOK && bms[0][0] == bitmapTagOne) {
		raw, err := s.raw()
		if err != nil {
			return nil, err
		}
		return raw[0], nil
	}
	if s.tagged {
		b, err := untagBitmap(bms[0])
		if err != nil {
			return nil, fmt.Errorf("segment: column %q bitmaps: %w", s.name, err)
		}
		return b, nil
	}
	return bms[0], nil
}

// readDictPart reads a v2 dictionary: a blobs part of the non-null values in
// increasing byte order.
func (s *stringColumn) readDictPart(d *decbuf) error {
	p := readPart(d, partBlobs)
	if d.err != nil {
		return d.err
	}
	vals, err := p.decodeBlobs(make([][]byte, 0, min(p.numValues, d.Len()+1<<16)))
	if err != nil {
		return err
	}
	s.dict = make([]string, 1, len(vals)+1)
	for i, v := range vals {
		if string(v) <= s.dict[len(s.dict)-1] {
			return corruptf("dictionary not sorted at id %d", i+1)
		}
		s.dict = append(s.dict, string(v))
	}
	return nil
}

// Dictionary returns a string column's dictionary indexed by id: entry 0 is
// "" (null), the rest sorted by UTF-8 bytes.
func (r *Reader) Dictionary(name string) ([]string, error) {
	_, s, err := r.stringCol(name)
	if err != nil {
		return nil, err
	}
	return s.dict, nil
}

// IDs appends a string column's dictionary ids to dst: one per row for a
// single-value column, the flattened values of all rows for a multi-value
// column (see Offsets).
func (r *Reader) IDs(name string, dst []int32) ([]int32, error) {
	_, s, err := r.stringCol(name)
	if err != nil {
		return dst, err
	}
	return r.decodeIDs(name, s, dst)
}

func (r *Reader) decodeIDs(name string, s *stringColumn, dst []int32) ([]int32, error) {
	var scratch []byte
	start := len(dst)
	dst, err := s.ids.decodeInts(dst, &scratch)
	if err != nil {
		return dst, fmt.Errorf("segment: column %q ids: %w", name, err)
	}
	for _, id := range dst[start:] {
		if int(id) >= len(s.dict) {
			return dst, fmt.Errorf("segment: column %q: %w", name, corruptf("id %d beyond dictionary of %d", id, len(s.dict)))
		}
	}
	return dst, nil
}

// Offsets appends NumRows()+1 offsets to dst: row i's ids are
// ids[off[i]:off[i+1]]. For single-value columns off[i] = i.
func (r *Reader) Offsets(name string, dst []int32) ([]int32, error) {
	c, s, err := r.stringCol(name)
	if err != nil {
		return dst, err
	}
	return r.decodeOffsets(name, c, s, dst)
}

func (r *Reader) decodeOffsets(name string, c *column, s *stringColumn, dst []int32) ([]int32, error) {
	if !c.multi {
		for i := 0; i <= r.NumRows(); i++ {
			dst = append(dst, int32(i))
		}
		return dst, nil
	}
	var scratch []byte
	start := len(dst)
	dst = append(dst, 0)
	dst, err := s.counts.decodeInts(dst, &scratch)
	if err != nil {
		return dst, fmt.Errorf("segment: column %q counts: %w", name, err)
	}
	off := dst[start:]
	for i := 1; i < len(off); i++ {
		if off[i] < 1 {
			return dst, fmt.Errorf("segment: column %q: %w", name, corruptf("row %d has %d values", i-1, off[i]))
		}
		off[i] += off[i-1]
	}
	if int(off[len(off)-1]) != s.ids.numValues {
		return dst, fmt.Errorf("segment: column %q: %w", name, corruptf("counts sum to %d, %d ids", off[len(off)-1], s.ids.numValues))
	}
	return dst, nil
}

// Cardinality returns the number of distinct values of a string column,
// counting null only when some row is null (as Druid's segment metadata).
func (r *Reader) Cardinality(name string) (int, error) {
	_, s, err := r.stringCol(name)
	if err != nil {
		return 0, err
	}
	nullBM, err := s.nullBitmap()
	if err != nil {
		return 0, err
	}
	bm := roaring.New()
	if err := bm.UnmarshalBinary(nullBM); err != nil {
		return 0, fmt.Errorf("segment: column %q: %w", name, corruptf("bitmap: %v", err))
	}
	if bm.IsEmpty() {
		return len(s.dict) - 1, nil
	}
	return len(s.dict), nil
}

// Bitmap returns the rows of a string column holding value ("" selects
// null rows). A value absent from the dictionary yields an empty bitmap.
func (r *Reader) Bitmap(name, value string) (*roaring.Bitmap, error) {
	_, s, err := r.stringCol(name)
	if err != nil {
		return nil, err
	}
	id := sort.SearchStrings(s.dict[1:], value) + 1
	if value == "" {
		id = 0
	} else if id >= len(s.dict) || s.dict[id] != value {
		return roaring.New(), nil
	}
	raw, err := s.raw()
	if err != nil {
		return nil, err
	}
	return decodeBitmap(name, raw[id])
}

// Bitmaps returns every bitmap of a string column, indexed by id.
func (r *Reader) Bitmaps(name string) ([]*roaring.Bitmap, error) {
	_, s, err := r.stringCol(name)
	if err != nil {
		return nil, err
	}
	raw, err := s.raw()
	if err != nil {
		return nil, err
	}
	out := make([]*roaring.Bitmap, len(raw))
	for i, b := range raw {
		if out[i], err = decodeBitmap(name, b); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RawBitmaps returns the serialized (portable roaring) bitmaps of a string
// column, indexed by id; they alias the segment's memory.
func (r *Reader) RawBitmaps(name string) ([][]byte, error) {
	_, s, err := r.stringCol(name)
	if err != nil {
		return nil, err
	}
	return s.raw()
}

func decodeBitmap(name string, b []byte) (*roaring.Bitmap, error) {
	bm := roaring.New()
	if err := bm.UnmarshalBinary(bytes.Clone(b)); err != nil {
		return nil, fmt.Errorf("segment: column %q: %w", name, corruptf("bitmap: %v", err))
	}
	return bm, nil
}
