package index

import (
	"slices"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
)

// AddResult describes what Add did with a row.
type AddResult struct {
	// NewRow is true when the row started a new in-memory row, false when
	// it was rolled up into an existing one.
	NewRow bool
	// ParseError is non-nil when some values could not be parsed (a
	// numeric dimension stored as null, a numeric aggregator input skipped).
	// The row was added; Druid counts it as processedWithError.
	ParseError *ParseError
}

// Add adds a row read at time t (epoch milliseconds; truncated here to the
// query granularity). It reads the dimension values, interns them, and with
// rollup folds the row into the existing row of equal truncated time and
// dimensions, else appends a new row; then it runs every aggregator.
//
// The only error is ErrFull, when a new row is needed while the index holds
// Options.MaxRowsInMemory rows; nothing is aggregated then. Values that do
// not parse are reported in AddResult.ParseError, not as an error.
func (ix *Index) Add(t int64, row InputRow) (AddResult, error) {
	tt := ix.truncate(t)
	ix.badCols = ix.badCols[:0]
	clear(ix.ids)
	for i := 0; i < ix.explicit; i++ {
		v, _ := row.Get(ix.dims[i].name)
		id, bad := ix.dims[i].id(v)
		ix.ids[i] = id
		if bad {
			ix.badCols = append(ix.badCols, i)
		}
	}
	if ix.schema.discover {
		row.EachDiscovered(ix.discover)
	}
	key := ix.ids
	for len(key) > 0 && key[len(key)-1] == 0 {
		key = key[:len(key)-1]
	}
	var h uint64
	r, slot := int32(-1), -1
	if ix.schema.rollup {
		h = hashKey(tt, key)
		r, slot = ix.lookup(h, tt, key)
	}
	res := AddResult{}
	if r < 0 {
		if len(ix.times) >= ix.opts.MaxRowsInMemory {
			return res, ErrFull
		}
		r = ix.appendRow(h, slot, tt, key)
		res.NewRow = true
	}
	for i, a := range ix.aggs {
		if a.add(r, t, row) {
			ix.badCols = append(ix.badCols, ^i)
		}
	}
	if len(ix.badCols) > 0 {
		res.ParseError = ix.parseError(row)
	}
	return res, nil
}

// truncate applies the query granularity, remembering the last bucket:
// consecutive rows mostly fall in the same one.
func (ix *Index) truncate(t int64) int64 {
	if t >= ix.bucketStart && t < ix.bucketEnd {
		return ix.bucketStart
	}
	g := ix.schema.gran
	if g.Kind == spec.GranularityNone {
		return t
	}
	ix.bucketStart, ix.bucketEnd = g.Bucket(t)
	return ix.bucketStart
}

// discovered handles one field of schemaless discovery: a new name becomes a
// string dimension appended to the schema.
func (ix *Index) discovered(name string, v expr.Value) {
	i, ok := ix.dimByName[name]
	if !ok {
		i = ix.addDim(DimensionSpec{Name: cloneString(name), Type: stringType})
	} else if i < ix.explicit {
		return // read by name already
	}
	id, _ := ix.dims[i].id(v)
	ix.ids[i] = id
}

// parseError describes the unparseable values of the row just added.
func (ix *Index) parseError(row InputRow) *ParseError {
	pe := &ParseError{}
	for _, c := range ix.badCols {
		var name string
		if c >= 0 {
			name = ix.dims[c].name
		} else {
			m := &ix.schema.metrics[^c]
			for m.Type == "filtered" && m.Aggregator != nil {
				m = m.Aggregator
			}
			name = m.FieldName
			if name == "" {
				name = m.Expression
			}
		}
		v, _ := row.Get(name)
		pe.Columns = append(pe.Columns, name)
		pe.Values = append(pe.Values, v.String())
	}
	return pe
}

// appendRow stores a new row and returns its number. With rollup, h is the key's hash and slot
// the empty table slot lookup ended at (-1: none).
func (ix *Index) appendRow(h uint64, slot int, t int64, key []int32) int32 {
	r := int32(len(ix.times))
	ix.times = append(ix.times, t)
	var off int32
	if ix.schema.rollup {
		// The probe record: everything lookup compares, in one place.
		off = int32(len(ix.probe))
		ix.probe = append(ix.probe, int32(len(key)), int32(uint32(t)), int32(uint64(t)>>32), r)
		ix.probe = append(ix.probe, key...)
	}
	ix.keys = append(ix.keys, key...)
	ix.keyOff = append(ix.keyOff, int32(len(ix.keys)))
	ix.minTime, ix.maxTime = min(ix.minTime, t), max(ix.maxTime, t)
	ix.bytes += rowOverhead + 4*int64(len(key))
	ix.slab.grow()
	for _, a := range ix.aggs {
		a.grow()
		ix.bytes += a.rowBytes()
	}
	if ix.schema.rollup {
		ix.bytes += tableBytes + probeHeader*4 + 4*int64(len(key))
		ix.insert(tableEntry(h, off), h, slot)
	}
	return r
}

// rowKey returns row r's key.
func (ix *Index) rowKey(r int32) []int32 { return ix.keys[ix.keyOff[r]:ix.keyOff[r+1]] }

// The rollup table is open addressing over uint64 entries: the high 32 bits
// of the key's hash, then the offset+1 of the row's probe record (0 is an
// empty slot). A probe record is [len(key), time low, time high, row, key…]
// so that a lookup touches the table slot and one record, nothing else.
const probeHeader = 4

func tableEntry(h uint64, off int32) uint64 { return h&^0xFFFFFFFF | uint64(uint32(off+1)) }

// lookup finds the row with time t and key (hash h), or returns -1 and the empty slot where
// the key would go (-1 when the table is empty).
func (ix *Index) lookup(h uint64, t int64, key []int32) (int32, int) {
	if len(ix.table) == 0 {
		return -1, -1
	}
	mask := uint64(len(ix.table) - 1)
	tag := h &^ 0xFFFFFFFF
	for i := h & mask; ; i = (i + 1) & mask {
		e := ix.table[i]
		if e == 0 {
			return -1, int(i)
		}
		if e&^0xFFFFFFFF != tag {
			continue
		}
		off := int(uint32(e)) - 1
		rec := ix.probe[off:]
		n := int(rec[0])
		if n == len(key) && int64(uint32(rec[1]))|int64(rec[2])<<32 == t && slices.Equal(rec[probeHeader:probeHeader+n], key) {
			return rec[3], int(i)
		}
	}
}

// rollupTableSize is the table size insert grows to for n entries: a power of two, at least
// 1024, at most 3/4 full. Not half full: with rollup, nearly every row probes one random slot,
// and in kafka-indexer bench the table is then the largest thing a row misses in the cache (at
// half full, 4 MiB per task at 150,000 rows; at 3/4, 2 MiB). A probe for an absent key then reads
// on average ~3 adjacent slots at 150,000 rows in 262,144, ~8.5 at 3/4 full: mostly one cache
// line either way.
func rollupTableSize(n int) int { return pow2TableSize(n, 1024) }

// insert adds entry (hash h) to the table, growing it to stay at most 3/4 full (see
// rollupTableSize). slot is the empty slot lookup found for it, or -1; without growth the
// entry goes there, with no second probe.
func (ix *Index) insert(entry, h uint64, slot int) {
	if 4*(ix.entries+1) > 3*len(ix.table) {
		old := ix.table
		ix.table = make([]uint64, max(1024, 2*len(old)))
		for _, e := range old {
			if e != 0 {
				// The slot comes from the hash's low bits, which the entry does not
				// keep; rehashing re-derives it from the probe record.
				ix.place(e, ix.hashOf(e))
			}
		}
		slot = -1
	}
	if slot >= 0 {
		ix.table[slot] = entry
	} else {
		ix.place(entry, h)
	}
	ix.entries++
}

// place puts entry e (hash h) in the first empty slot from h's.
func (ix *Index) place(e, h uint64) {
	mask := uint64(len(ix.table) - 1)
	i := h & mask
	for ix.table[i] != 0 {
		i = (i + 1) & mask
	}
	ix.table[i] = e
}

// hashOf recomputes the full hash of a table entry's record.
func (ix *Index) hashOf(e uint64) uint64 {
	rec := ix.probe[int(uint32(e))-1:]
	n := int(rec[0])
	return hashKey(int64(uint32(rec[1]))|int64(rec[2])<<32, rec[probeHeader:probeHeader+n])
}

// hashKey mixes the time and ids (a multiply-xorshift in the style of
// wyhash/murmur finalisers: fast, and good enough for a power-of-two table).
func hashKey(t int64, key []int32) uint64 {
	const m = 0x9E3779B97F4A7C15
	h := uint64(t)*m ^ uint64(len(key))
	for _, id := range key {
		h = (h ^ uint64(uint32(id))) * m
		h ^= h >> 29
	}
	h ^= h >> 32
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 31
	return h
}
