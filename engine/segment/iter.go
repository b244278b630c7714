package segment

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
)

// RowIterator yields a segment's rows in stored order.
//
//	it := r.Rows()
//	for it.Next() { use(it.Row()) }
//	if err := it.Err(); err != nil { … }
type RowIterator interface {
	// Next advances to the next row; it returns false at the end or on error.
	Next() bool
	// Row returns the current row. It is overwritten by the next call to
	// Next; use Row.Clone to keep it.
	Row() *Row
	// Err returns the error that stopped iteration, if any.
	Err() error
}

// Rows returns an iterator over all rows in stored order (the order they were
// added to the Writer, which is non-decreasing by time). It reads the
// dictionaries and null bitmaps up front and then one block per column at a
// time from the data file, so its memory does not grow with the row count.
func (r *Reader) Rows() RowIterator { return &rowIter{r: r, pos: -1} }

// rowsByID is Rows, except that the single-value string dimensions marked in
// idOnly (by position in the segment's dimensions) yield only their
// dictionary id, sparing the decoding of their strings.
func (r *Reader) rowsByID(idOnly []bool) RowIterator {
	return &rowIter{r: r, pos: -1, idOnly: idOnly}
}

type rowIter struct {
	r    *Reader
	pos  int
	err  error
	init bool
	row  Row
	// idOnly marks single-value string dimensions whose rows get ID alone
	// (Str stays ""): Merge maps ids and needs no string (see rowsByID).
	idOnly []bool

	times cursor
	dims  []iterDim
	mets  []iterMetric
}

type iterDim struct {
	typ   ColumnType
	multi bool
	// A small dictionary is held as strings. A larger one is held as the
	// payload offset of each value (voff[id-1]…voff[id] holds value id,
	// length prefix included) plus, up to rawDictBytes, the raw dictionary
	// bytes; beyond that values are read from the file on use, so that
	// merging many inputs does not hold all their dictionaries.
	dict []string
	voff []uint32
	raw  []byte // dictionary bytes from payload offset voff[0], if held
	// v2: a dictionary larger than rawDictBytes stays a blocked part; the
	// values of each ids block are resolved in one pass over it (see
	// resolveBlocks).
	dblocks []fileBlock
	dfirst  []int32 // first id of each block
	dlen    int     // ids, null included
	// Values of the loaded ids block, when read from the file: value of
	// position i is blkBuf[blkOff[2i]:blkOff[2i+1]].
	blkBuf []byte
	blkOff []uint32
	ord    []int32
	col    *column
	vbuf   []byte
	ids    cursor
	counts cursor
	vals   cursor
	nulls  *roaring.Bitmap
	strs   []string // reused Strs buffer
}

type iterMetric struct {
	vals cursor
}

// cursor reads one blocked part of a column block by block.
type cursor struct {
	r       *Reader
	name    string
	kind    partKind
	blocks  []fileBlock
	next    int // next block to load
	i, n    int // position in, and values of, the loaded block
	longs   []int64
	floats  []float32
	doubles []float64
	ints    []int32
	blobs   [][]byte
	buf     []byte
	scratch []byte
}

type fileBlock struct {
	values int
	off    int64
	n      int
}

// parseAt runs parse over the column's payload from pos, reading a window
// that grows until parse succeeds or the window reaches the end of the
// payload. It returns the payload offset after what parse consumed.
func (r *Reader) parseAt(c *column, pos int64, parse func(d *decbuf)) (int64, error) {
	for win := int64(4096); ; win *= 8 {
		n := min(win, c.n-pos)
		if n < 0 {
			return 0, corruptf("column %q: offset %d beyond payload", c.name, pos)
		}
		b := make([]byte, n)
		if err := r.readAt(b, c.off+pos); err != nil {
			return 0, err
		}
		d := decbuf{b: b, from: r.version}
		parse(&d)
		if d.err == nil {
			return pos + n - int64(len(d.b)), nil
		}
		if n == c.n-pos {
			return 0, d.err
		}
	}
}

// openCursor parses the part at payload offset pos and returns a cursor over
// it and the offset after the part.
func (r *Reader) openCursor(c *column, pos int64, want partKind, values int) (cursor, int64, error) {
	var p part
	var lens []int
	end, err := r.parseAt(c, pos, func(d *decbuf) { p, lens = readPartIndex(d, want) })
	if err != nil {
		return cursor{}, 0, err
	}
	if values >= 0 && p.numValues != values {
		return cursor{}, 0, corruptf("%d values for %d rows", p.numValues, values)
	}
	cur := cursor{r: r, name: c.name, kind: p.kind, blocks: make([]fileBlock, len(lens))}
	for i, l := range lens {
		if end+int64(l) > c.n {
			return cursor{}, 0, corruptf("block %d overruns the column", i)
		}
		cur.blocks[i] = fileBlock{values: p.blocks[i].values, off: c.off + end, n: l}
		end += int64(l)
	}
	return cur, end, nil
}

// advance loads the next block when the current one is used up.
func (c *cursor) advance() error {
	for c.i >= c.n {
		if c.next >= len(c.blocks) {
			return corruptf("column %q: ran out of values", c.name)
		}
		b := c.blocks[c.next]
		c.next++
		if c.kind == partBlobs || cap(c.buf) < b.n {
			c.buf = make([]byte, b.n) // blobs alias the block: never reuse it
		}
		c.buf = c.buf[:b.n]
		if err := c.r.readAt(c.buf, b.off); err != nil {
			return err
		}
		p := part{kind: c.kind, numValues: b.values, blocks: []blockRef{{values: b.values, data: c.buf}}, from: c.r.version}
		var err error
		switch c.kind {
		case partLongs:
			c.longs, err = p.decodeLongs(c.longs[:0], &c.scratch)
		case partFloats:
			c.floats, err = p.decodeFloats(c.floats[:0], &c.scratch)
		case partDoubles:
			c.doubles, err = p.decodeDoubles(c.doubles[:0], &c.scratch)
		case partBlobs:
			c.blobs, err = p.decodeBlobs(c.blobs[:0])
		default:
			c.ints, err = p.decodeInts(c.ints[:0], &c.scratch)
		}
		if err != nil {
			return fmt.Errorf("column %q: %w", c.name, err)
		}
		c.i, c.n = 0, b.values
	}
	return nil
}

// number returns the current value of a long, float or double part.
func (c *cursor) number() (int64, float64) {
	switch c.kind {
	case partLongs:
		return c.longs[c.i], 0
	case partFloats:
		return 0, float64(c.floats[c.i])
	}
	return 0, c.doubles[c.i]
}

// done reports whether every value was consumed.
func (c *cursor) done() bool { return c.i >= c.n && c.next == len(c.blocks) }

func (it *rowIter) load() error {
	r := it.r
	if r.f == nil || r.cols == nil {
		return fmt.Errorf("segment: %s: reader closed", r.dir)
	}
	n := r.NumRows()
	var err error
	if it.times, err = r.numericCursor(TimeColumn, TypeLong, nil); err != nil {
		return err
	}
	it.dims = make([]iterDim, len(r.meta.Dimensions))
	for i, ds := range r.meta.Dimensions {
		d := &it.dims[i]
		d.typ, d.multi = ds.Type, ds.MultiValue
		if ds.Type != TypeString {
			d.nulls = roaring.New()
			if d.vals, err = r.numericCursor(ds.Name, ds.Type, d.nulls); err != nil {
				return err
			}
			continue
		}
		c := r.cols[ds.Name]
		d.col = c
		var pos int64
		switch {
		case r.version.PartsForStrings() && !ds.MultiValue && it.idOnly != nil && it.idOnly[i]:
			pos, err = d.openDictIndex(r, n)
		case r.version.PartsForStrings():
			pos, err = d.openDictPart(r, n)
		default:
			pos, err = r.parseAt(c, 2, func(db *decbuf) { d.parseDict(db, n) })
		}
		if err == nil && ds.MultiValue {
			d.counts, pos, err = r.openCursor(c, pos, partInts1, n)
		}
		if err == nil {
			want := n
			if ds.MultiValue {
				want = -1
			}
			d.ids, _, err = r.openCursor(c, pos, partInts1, want)
		}
		if err != nil {
			return fmt.Errorf("segment: column %q: %w", ds.Name, err)
		}
	}
	it.mets = make([]iterMetric, len(r.meta.Metrics))
	for i, ms := range r.meta.Metrics {
		m := &it.mets[i]
		if ms.Type != TypeComplex {
			if m.vals, err = r.numericCursor(ms.Name, ms.Type, nil); err != nil {
				return err
			}
			continue
		}
		c, ok := r.cols[ms.Name]
		if !ok || c.typ != TypeComplex {
			return fmt.Errorf("segment: column %q: %w", ms.Name, ErrNoColumn)
		}
		pos, err := r.parseAt(c, 2, func(db *decbuf) {
			if rows := db.count("rows", n); db.err == nil && rows != n {
				db.err = corruptf("%d rows, segment has %d", rows, n)
			}
			db.uvarintBytes("complex type")
		})
		if err == nil {
			m.vals, _, err = r.openCursor(c, pos, partBlobs, n)
		}
		if err != nil {
			return fmt.Errorf("segment: column %q: %w", ms.Name, err)
		}
	}
	it.row.Dims = make([]DimValue, len(it.dims))
	it.row.Metrics = make([]MetricValue, len(it.mets))
	return nil
}

// numericCursor opens a long, float or double column, reading its null
// bitmap into nulls if it has one.
func (r *Reader) numericCursor(name string, t ColumnType, nulls *roaring.Bitmap) (cursor, error) {
	c, ok := r.cols[name]
	if !ok || c.typ != t {
		return cursor{}, fmt.Errorf("segment: column %q: %w", name, ErrNoColumn)
	}
	n := r.NumRows()
	pos, err := r.parseAt(c, 2, func(d *decbuf) {
		if rows := d.count("rows", n); d.err == nil && rows != n {
			d.err = corruptf("%d rows, segment has %d", rows, n)
		}
		if c.flags&flagNulls != 0 {
			bm := roaring.New()
			if err := readBitmap(d, bm); err != nil && d.err == nil {
				d.err = err
			} else if d.err == nil && nulls != nil {
				nulls.Or(bm)
			}
		}
	})
	var cur cursor
	if err == nil {
		kind := map[ColumnType]partKind{TypeLong: partLongs, TypeFloat: partFloats, TypeDouble: partDoubles}[t]
		var end int64
		cur, end, err = r.openCursor(c, pos, kind, n)
		if err == nil && end != c.n {
			err = corruptf("%d trailing bytes after column", c.n-end)
		}
	}
	if err != nil {
		return cursor{}, fmt.Errorf("segment: column %q: %w", name, err)
	}
	return cur, nil
}

func (it *rowIter) Next() bool {
	if it.err != nil {
		return false
	}
	if !it.init {
		it.init = true
		if it.err = it.load(); it.err != nil {
			return false
		}
	}
	if it.pos+1 >= it.r.NumRows() {
		it.err = it.finish()
		return false
	}
	it.pos++
	if it.err = it.next(); it.err != nil {
		return false
	}
	return true
}

// finish checks that every part was consumed.
func (it *rowIter) finish() error {
	for k := range it.dims {
		if d := &it.dims[k]; d.typ == TypeString && !d.ids.done() {
			return fmt.Errorf("segment: column %q: %w", d.ids.name, corruptf("counts do not add up to the ids"))
		}
	}
	return nil
}

func (it *rowIter) next() error {
	i := it.pos
	row := &it.row
	if err := it.times.advance(); err != nil {
		return err
	}
	row.Time = it.times.longs[it.times.i]
	it.times.i++
	for k := range it.dims {
		d, v := &it.dims[k], &row.Dims[k]
		*v = DimValue{}
		switch {
		case d.typ != TypeString:
			c := &d.vals
			if err := c.advance(); err != nil {
				return err
			}
			if d.nulls.Contains(uint32(i)) {
				v.Null = true
			} else {
				v.Long, v.Double = c.number()
			}
			c.i++
		case !d.multi && it.idOnly != nil && it.idOnly[k]:
			id, err := d.nextID()
			if err != nil {
				return err
			}
			v.Null, v.ID = id == 0, id
		case !d.multi:
			id, str, err := d.next(it.r)
			if err != nil {
				return err
			}
			v.Null, v.Str, v.ID = id == 0, str, id
		default:
			c := &d.counts
			if err := c.advance(); err != nil {
				return err
			}
			cnt := c.ints[c.i]
			c.i++
			if cnt < 1 {
				return corruptf("column %q: row %d has %d values", c.name, i, cnt)
			}
			d.strs = d.strs[:0]
			null := false
			for j := int32(0); j < cnt; j++ {
				id, str, err := d.next(it.r)
				if err != nil {
					return err
				}
				null = cnt == 1 && id == 0
				d.strs = append(d.strs, str)
			}
			if null {
				v.Null = true
				continue
			}
			v.Strs = d.strs
		}
	}
	for k := range it.mets {
		c, v := &it.mets[k].vals, &row.Metrics[k]
		*v = MetricValue{}
		if err := c.advance(); err != nil {
			return err
		}
		if c.kind == partBlobs {
			v.Bytes = c.blobs[c.i]
		} else {
			v.Long, v.Double = c.number()
		}
		c.i++
	}
	return nil
}

// Dictionary sizes (bytes) above which the row iterator stops holding a
// dictionary as strings, and stops holding its bytes at all.
const (
	stringDictBytes = 64 << 10
	rawDictBytes    = 1 << 20
)

// parseDict reads the dictionary of a string column from d, which starts at
// payload offset 2, checking its order.
func (d *iterDim) parseDict(db *decbuf, numRows int) {
	d.dict, d.voff, d.raw = nil, nil, nil
	n0 := db.Len()
	if rows := db.count("rows", numRows); db.err == nil && rows != numRows {
		db.err = corruptf("%d rows, segment has %d", rows, numRows)
	}
	if bt := db.byte1("bitmap type"); db.err == nil && bt != bitmapRoaring {
		db.err = corruptf("bitmap type %d", bt)
	}
	k := db.count("dictionary size", db.Len())
	if db.err != nil {
		return
	}
	raw, start := db.b, 2+n0-db.Len()
	voff := make([]uint32, 1, k+1)
	voff[0] = uint32(start)
	var prev []byte
	for j := 0; j < k && db.err == nil; j++ {
		v := db.uvarintBytes("dictionary value")
		if db.err == nil && j > 0 && string(v) <= string(prev) {
			db.err = corruptf("dictionary not sorted at id %d", j+1)
		}
		if db.err == nil && len(v) == 0 {
			db.err = corruptf("empty dictionary value at id %d", j+1)
		}
		prev = v
		voff = append(voff, uint32(2+n0-db.Len()))
	}
	if db.err != nil {
		return
	}
	if size := int(voff[k] - voff[0]); size > stringDictBytes {
		d.voff = voff
		if size <= rawDictBytes {
			d.raw = bytes.Clone(raw[:size])
		}
		return
	}
	d.dict = make([]string, 1, k+1)
	rd := decbuf{b: raw}
	for j := 0; j < k; j++ {
		d.dict = append(d.dict, string(rd.uvarintBytes("dictionary value")))
	}
}

// openDictCursor resets d, checks a v2 string column's header against the
// segment and opens the cursor over its dictionary blocks; end is the payload
// offset after the dictionary.
func (d *iterDim) openDictCursor(r *Reader, numRows int) (cur cursor, end int64, err error) {
	d.dict, d.voff, d.raw, d.dblocks, d.dfirst = nil, nil, nil, nil, nil
	pos, err := r.parseAt(d.col, 2, func(db *decbuf) {
		if rows := db.count("rows", numRows); db.err == nil && rows != numRows {
			db.err = corruptf("%d rows, segment has %d", rows, numRows)
		}
		if bt := db.byte1("bitmap type"); db.err == nil && bt != bitmapRoaring {
			db.err = corruptf("bitmap type %d", bt)
		}
	})
	if err != nil {
		return cursor{}, 0, err
	}
	cur, end, err = r.openCursor(d.col, pos, partBlobs, -1)
	if err != nil {
		return cursor{}, 0, fmt.Errorf("dictionary: %w", err)
	}
	return cur, end, nil
}

// openDictPart reads a v2 string column's header and dictionary part,
// checking the dictionary's order block by block; it returns the payload
// offset after the dictionary. A dictionary of at most rawDictBytes is kept
// as strings, a larger one as its block index.
func (d *iterDim) openDictPart(r *Reader, numRows int) (int64, error) {
	cur, end, err := d.openDictCursor(r, numRows)
	if err != nil {
		return 0, err
	}
	d.dlen = 1
	var prev string
	size := 0
	var all []string
	for _, b := range cur.blocks {
		vals, err := d.decodeDictBlock(r, b)
		if err != nil {
			return 0, err
		}
		d.dfirst = append(d.dfirst, int32(d.dlen))
		for _, v := range vals {
			if v <= prev {
				return 0, corruptf("dictionary not sorted at id %d", d.dlen)
			}
			prev = v
			d.dlen++
			size += len(v)
		}
		if size <= rawDictBytes {
			all = append(all, vals...)
		} else {
			all = nil
		}
	}
	if size <= rawDictBytes {
		d.dict = append([]string{""}, all...)
		return end, nil
	}
	d.dblocks = cur.blocks
	return end, nil
}

// openDictIndex is openDictPart for a dimension read by id only
// (rowsByID): it reads the dictionary's block index, for the id count, but
// neither decodes nor checks the values. Its caller has read and checked
// the dictionary already (Merge: mergeDictionaries, through
// Reader.Dictionary); decoding it again cost a spill merge about a tenth
// of its CPU.
func (d *iterDim) openDictIndex(r *Reader, numRows int) (int64, error) {
	cur, end, err := d.openDictCursor(r, numRows)
	if err != nil {
		return 0, err
	}
	if len(cur.blocks) == 0 {
		d.dict = []string{""}
		return end, nil
	}
	d.dlen = 1
	for _, b := range cur.blocks {
		d.dlen += b.values
	}
	d.dblocks = cur.blocks
	return end, nil
}

// decodeDictBlock reads and decodes one block of a v2 dictionary.
func (d *iterDim) decodeDictBlock(r *Reader, b fileBlock) ([]string, error) {
	buf := make([]byte, b.n)
	if err := r.readAt(buf, b.off); err != nil {
		return nil, err
	}
	p := part{kind: partBlobs, numValues: b.values, blocks: []blockRef{{values: b.values, data: buf}}, from: r.version}
	blobs, err := p.decodeBlobs(nil)
	if err != nil {
		return nil, fmt.Errorf("column %q dictionary: %w", d.col.name, err)
	}
	vals := make([]string, len(blobs))
	for i, v := range blobs {
		vals[i] = string(v)
	}
	return vals, nil
}

// value returns the string of a checked id from a dictionary held in
// memory.
func (d *iterDim) value(id int32) (string, error) {
	switch {
	case id == 0:
		return "", nil
	case d.dict != nil:
		return d.dict[id], nil
	}
	lo, hi := d.voff[id-1], d.voff[id]
	db := decbuf{b: d.raw[lo-d.voff[0] : hi-d.voff[0]]}
	v := db.uvarintBytes("dictionary value")
	if err := db.done("dictionary value"); err != nil {
		return "", fmt.Errorf("column %q: %w", d.col.name, err)
	}
	return string(v), nil
}

// dictLen returns the number of ids, null included.
func (d *iterDim) dictLen() int {
	if d.dict != nil {
		return len(d.dict)
	}
	if d.dblocks != nil {
		return d.dlen
	}
	return len(d.voff)
}

// next reads the next id of a string column, checking it against the
// dictionary, and returns it with its value.
func (d *iterDim) next(r *Reader) (int32, string, error) {
	c := &d.ids
	loaded := c.next
	if err := c.advance(); err != nil {
		return 0, "", err
	}
	lazy := (d.voff != nil && d.raw == nil) || d.dblocks != nil
	if lazy && c.next != loaded {
		resolve := d.resolve
		if d.dblocks != nil {
			resolve = d.resolveBlocks
		}
		if err := resolve(r); err != nil {
			return 0, "", err
		}
	}
	id := c.ints[c.i]
	c.i++
	if int(id) >= d.dictLen() {
		return 0, "", corruptf("column %q: id %d beyond dictionary of %d", c.name, id, d.dictLen())
	}
	if lazy {
		i := 2 * (c.i - 1)
		return id, string(d.blkBuf[d.blkOff[i]:d.blkOff[i+1]]), nil
	}
	v, err := d.value(id)
	return id, v, err
}

// nextID reads the next id of a single-value string column, checking it
// against the dictionary, without its value.
func (d *iterDim) nextID() (int32, error) {
	c := &d.ids
	if err := c.advance(); err != nil {
		return 0, err
	}
	id := c.ints[c.i]
	c.i++
	if int(id) >= d.dictLen() {
		return 0, corruptf("column %q: id %d beyond dictionary of %d", c.name, id, d.dictLen())
	}
	return id, nil
}

// Batched dictionary reads: values are read in id order, coalescing values
// less than resolveGap bytes apart into one read of at most resolveWindow
// bytes.
const (
	resolveGap    = 4 << 10
	resolveWindow = 256 << 10
)

// resolve reads the values of every id of the ids block just loaded into
// d.blkBuf, in one pass over the dictionary in id order.
func (d *iterDim) resolve(r *Reader) error {
	ids := d.ids.ints
	if cap(d.ord) < len(ids) {
		d.blkOff = make([]uint32, 2*len(ids))
		d.ord = make([]int32, len(ids))
	}
	d.blkOff, d.ord, d.blkBuf = d.blkOff[:2*len(ids)], d.ord[:len(ids)], d.blkBuf[:0]
	for i, id := range ids {
		if int(id) >= len(d.voff) {
			return corruptf("column %q: id %d beyond dictionary of %d", d.col.name, id, len(d.voff))
		}
		d.ord[i] = int32(i)
	}
	slices.SortFunc(d.ord, func(a, b int32) int { return cmp.Compare(ids[a], ids[b]) })
	var wlo, whi uint32 // payload range held in d.vbuf
	prev, plo, phi := int32(-1), uint32(0), uint32(0)
	for k, i := range d.ord {
		id := ids[i]
		if id == prev {
			d.blkOff[2*i], d.blkOff[2*i+1] = plo, phi
			continue
		}
		prev = id
		if id == 0 {
			plo, phi = 0, 0
			d.blkOff[2*i], d.blkOff[2*i+1] = 0, 0
			continue
		}
		lo, hi := d.voff[id-1], d.voff[id]
		if lo < wlo || hi > whi {
			// Extend the read over the next needed values while they are
			// close.
			end := hi
			for _, j := range d.ord[k+1:] {
				nid := ids[j]
				if nid == 0 || d.voff[nid] <= end {
					continue
				}
				if d.voff[nid-1] > end+resolveGap || d.voff[nid]-lo > resolveWindow {
					break
				}
				end = d.voff[nid]
			}
			if cap(d.vbuf) < int(end-lo) {
				d.vbuf = make([]byte, end-lo)
			}
			d.vbuf = d.vbuf[:end-lo]
			if err := r.readAt(d.vbuf, d.col.off+int64(lo)); err != nil {
				return err
			}
			wlo, whi = lo, end
		}
		db := decbuf{b: d.vbuf[lo-wlo : hi-wlo]}
		v := db.uvarintBytes("dictionary value")
		if err := db.done("dictionary value"); err != nil {
			return fmt.Errorf("column %q: %w", d.col.name, err)
		}
		plo = uint32(len(d.blkBuf))
		d.blkBuf = append(d.blkBuf, v...)
		phi = uint32(len(d.blkBuf))
		d.blkOff[2*i], d.blkOff[2*i+1] = plo, phi
	}
	return nil
}

// resolveBlocks is resolve for a v2 dictionary held as blocks: it decodes
// each dictionary block that the ids block just loaded needs, once, in id
// order.
func (d *iterDim) resolveBlocks(r *Reader) error {
	ids := d.ids.ints
	if cap(d.ord) < len(ids) {
		d.blkOff = make([]uint32, 2*len(ids))
		d.ord = make([]int32, len(ids))
	}
	d.blkOff, d.ord, d.blkBuf = d.blkOff[:2*len(ids)], d.ord[:len(ids)], d.blkBuf[:0]
	for i, id := range ids {
		if int(id) >= d.dlen {
			return corruptf("column %q: id %d beyond dictionary of %d", d.col.name, id, d.dlen)
		}
		d.ord[i] = int32(i)
	}
	slices.SortFunc(d.ord, func(a, b int32) int { return cmp.Compare(ids[a], ids[b]) })
	var vals []string
	bi := -1
	prev, plo, phi := int32(-1), uint32(0), uint32(0)
	for _, i := range d.ord {
		id := ids[i]
		if id != prev {
			prev = id
			plo, phi = 0, 0
			if id != 0 {
				if nb := sort.Search(len(d.dfirst), func(k int) bool { return d.dfirst[k] > id }) - 1; nb != bi {
					var err error
					if vals, err = d.decodeDictBlock(r, d.dblocks[nb]); err != nil {
						return err
					}
					bi = nb
				}
				k := int(id - d.dfirst[bi])
				if k >= len(vals) {
					return corruptf("column %q: id %d beyond its dictionary block", d.col.name, id)
				}
				plo = uint32(len(d.blkBuf))
				d.blkBuf = append(d.blkBuf, vals[k]...)
				phi = uint32(len(d.blkBuf))
			}
		}
		d.blkOff[2*i], d.blkOff[2*i+1] = plo, phi
	}
	return nil
}

func (it *rowIter) Row() *Row  { return &it.row }
func (it *rowIter) Err() error { return it.err }
