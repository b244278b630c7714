package index

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// dim is one dimension and its dictionary (Druid's DimensionIndexer). Id 0
// is null; positive ids are values; a negative id -(c+1) is the multi-value
// combination c (strings only).
type dim struct {
	name  string
	typ   segment.ColumnType
	mvh   MultiValueHandling
	multi bool // saw a multi-value row; kept across resets so spills agree

	strTab strTable // value → id
	strs   []string // strs[id]; strs[0] = "" (null)
	numIDs map[uint64]int32
	longs  []int64   // long dims: longs[id]
	dbls   []float64 // float/double dims: dbls[id]

	comboIDs map[string]int32
	combos   [][]int32 // element ids, in stored order

	bytes *int64 // the index's EstimatedBytes

	// scratch
	elems []int32
	kbuf  []byte
	rank  []int32 // id → sort rank, built by iteration
}

func newDim(d DimensionSpec, bytes *int64) *dim {
	x := &dim{name: d.Name, typ: d.Type, mvh: d.MultiValueHandling, bytes: bytes}
	x.reset()
	return x
}

func (d *dim) reset() {
	// After a persist the next part usually needs a dictionary of about the same size:
	// pre-sizing the maps saves their incremental growth (rehashing was ~3% of a
	// high-cardinality ingest in BenchmarkPipeline).
	hint := d.strTab.len() + len(d.numIDs)
	d.strTab, d.strs = strTable{}, nil
	d.numIDs, d.longs, d.dbls = nil, nil, nil
	d.comboIDs, d.combos = nil, nil
	d.presize(hint)
	switch d.typ {
	case segment.TypeString:
		d.strs = []string{""}
	case segment.TypeLong:
		d.longs = []int64{0}
	default:
		d.dbls = []float64{0}
	}
}

// presize makes d's empty value→id table with room for hint values.
func (d *dim) presize(hint int) {
	if d.typ == segment.TypeString {
		d.strTab, d.numIDs = newStrTable(hint), nil
	} else {
		d.numIDs = make(map[uint64]int32, hint)
	}
}

// size returns the number of dictionary ids, null included.
func (d *dim) size() int {
	switch d.typ {
	case segment.TypeString:
		return len(d.strs)
	case segment.TypeLong:
		return len(d.longs)
	}
	return len(d.dbls)
}

// id interns v. bad reports a value a numeric dimension cannot parse (it is
// stored as null, Druid's partial parse).
func (d *dim) id(v expr.Value) (id int32, bad bool) {
	if v.Kind() == expr.KindString && d.typ == segment.TypeString {
		return d.stringID(v.RawString()), false // the common case first
	}
	if v.IsNull() {
		return 0, false
	}
	switch d.typ {
	case segment.TypeString:
		return d.stringValueID(v), false
	case segment.TypeLong:
		n, ok := v.AsLong()
		if !ok {
			return 0, isPresent(v)
		}
		return d.numID(uint64(n), float64(0), n), false
	}
	f, ok := v.AsDouble()
	if !ok {
		return 0, isPresent(v)
	}
	if d.typ == segment.TypeFloat {
		f = float64(float32(f))
	}
	return d.numID(math.Float64bits(f), f, 0), false
}

// isPresent reports whether an unparseable value is a real value rather
// than an empty one (an empty string or list is null, not an error).
func isPresent(v expr.Value) bool {
	switch v.Kind() {
	case expr.KindString:
		return v.RawString() != ""
	case expr.KindStrings:
		return len(v.Array()) > 0
	}
	return true
}

func (d *dim) numID(key uint64, f float64, n int64) int32 {
	if id, ok := d.numIDs[key]; ok {
		return id
	}
	var id int32
	if d.typ == segment.TypeLong {
		id = int32(len(d.longs))
		d.longs = append(d.longs, n)
	} else {
		id = int32(len(d.dbls))
		d.dbls = append(d.dbls, f)
	}
	d.numIDs[key] = id
	*d.bytes += 8 + dictOverhead
	return id
}

func (d *dim) stringValueID(v expr.Value) int32 {
	switch v.Kind() {
	case expr.KindString:
		return d.stringID(v.RawString())
	case expr.KindLong:
		// The table copies what it keeps, so the scratch bytes can be looked up as they are.
		d.kbuf = strconv.AppendInt(d.kbuf[:0], v.RawLong(), 10)
		return d.stringID(b2s(d.kbuf))
	case expr.KindStrings:
		return d.multiID(v.Array())
	}
	s, _ := v.AsString()
	return d.stringID(s)
}

// stringID interns s; "" is null. s may be reused after it returns: the table keeps a copy.
func (d *dim) stringID(s string) int32 {
	if s == "" {
		return 0
	}
	id, stored, added := d.strTab.intern(s, int32(len(d.strs)))
	if added {
		d.strs = append(d.strs, stored)
		*d.bytes += int64(len(s)) + dictOverhead
	}
	return id
}

// multiID interns a multi-value list after multiValueHandling: sorted (and
// deduplicated for SORTED_SET) by UTF-8 bytes, or kept as given. Lists of
// one value are that value; empty lists are null.
func (d *dim) multiID(vals []string) int32 {
	switch len(vals) {
	case 0:
		return 0
	case 1:
		return d.stringID(vals[0])
	}
	e := d.elems[:0]
	for _, s := range vals {
		e = append(e, d.stringID(s))
	}
	if d.mvh != Array {
		// Equal values have equal ids, so an unstable sort orders the list the same way.
		slices.SortFunc(e, func(a, b int32) int { return strings.Compare(d.strs[a], d.strs[b]) })
		if d.mvh == SortedSet {
			k := 1
			for i := 1; i < len(e); i++ {
				if e[i] != e[k-1] {
					e[k] = e[i]
					k++
				}
			}
			e = e[:k]
		}
	}
	d.elems = e
	if len(e) == 1 {
		return e[0]
	}
	d.kbuf = d.kbuf[:0]
	for _, id := range e {
		d.kbuf = binary.LittleEndian.AppendUint32(d.kbuf, uint32(id))
	}
	if c, ok := d.comboIDs[string(d.kbuf)]; ok {
		return -(c + 1)
	}
	if d.comboIDs == nil {
		d.comboIDs = map[string]int32{}
	}
	c := int32(len(d.combos))
	d.combos = append(d.combos, append([]int32(nil), e...))
	d.comboIDs[string(d.kbuf)] = c
	d.multi = true
	*d.bytes += int64(8*len(e)) + 2*dictOverhead
	return -(c + 1)
}

// elemsOf returns the element ids of a key slot: none for null, one for a
// value, the combination for a negative id.
func (d *dim) elemsOf(id int32, one *[1]int32) []int32 {
	switch {
	case id == 0:
		return nil
	case id > 0:
		one[0] = id
		return one[:]
	}
	return d.combos[-id-1]
}

// b2s views b as a string without copying; b must not change while the string is in use.
func b2s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
