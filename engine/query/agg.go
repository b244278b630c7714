package query

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/axiomhq/hyperloglog"
	metro "github.com/dgryski/go-metro"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// aggKind is an aggregator family.
type aggKind uint8

const (
	aggCount aggKind = iota
	aggSum
	aggMin
	aggMax
	aggFirst
	aggLast
	aggHyperUnique
	aggCardinality
	aggFiltered
)

// valType is an aggregator's value type.
type valType uint8

const (
	valLong valType = iota
	valDouble
	valFloat
	valString
)

// aggValue is the state of one aggregator for one group; which fields are
// used depends on the aggregator.
type aggValue struct {
	l    int64
	d    float64
	t    int64  // first/last: time of the value
	s    string // stringFirst/Last
	set  bool   // some non-null value (sum/min/max) or some row (first/last) was seen
	null bool   // first/last: the chosen value is null
	hll  *hyperloglog.Sketch
}

// aggregator is a parsed aggregation (Druid's AggregatorFactory).
type aggregator struct {
	typ        string
	name       string
	field      string
	kind       aggKind
	vt         valType
	fields     []dimSpec // cardinality
	byRow      bool
	round      bool
	filter     *spec.Filter // filtered
	inner      *aggregator  // filtered
	maxStrings int
	raw        json.RawMessage
}

// rowAgg adds rows of one segment to a state.
type rowAgg interface {
	add(v *aggValue, row int)
}

var aggTypes = map[string]struct {
	kind aggKind
	vt   valType
}{
	"count":       {aggCount, valLong},
	"longSum":     {aggSum, valLong},
	"doubleSum":   {aggSum, valDouble},
	"floatSum":    {aggSum, valFloat},
	"longMin":     {aggMin, valLong},
	"doubleMin":   {aggMin, valDouble},
	"floatMin":    {aggMin, valFloat},
	"longMax":     {aggMax, valLong},
	"doubleMax":   {aggMax, valDouble},
	"floatMax":    {aggMax, valFloat},
	"longFirst":   {aggFirst, valLong},
	"doubleFirst": {aggFirst, valDouble},
	"floatFirst":  {aggFirst, valFloat},
	"stringFirst": {aggFirst, valString},
	"longLast":    {aggLast, valLong},
	"doubleLast":  {aggLast, valDouble},
	"floatLast":   {aggLast, valFloat},
	"stringLast":  {aggLast, valString},
	"hyperUnique": {aggHyperUnique, valDouble},
	"cardinality": {aggCardinality, valDouble},
	"filtered":    {aggFiltered, valDouble},
}

func aggTypeNames() string {
	names := make([]string, 0, len(aggTypes))
	for n := range aggTypes {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// parseAggregator decodes one aggregation at path.
func parseAggregator(raw json.RawMessage, path string, named bool) (*aggregator, error) {
	var a struct {
		Type           string            `json:"type"`
		Name           string            `json:"name"`
		FieldName      string            `json:"fieldName"`
		Fields         []json.RawMessage `json:"fields"`
		ByRow          bool              `json:"byRow"`
		Round          bool              `json:"round"`
		Filter         *spec.Filter      `json:"filter"`
		Aggregator     json.RawMessage   `json:"aggregator"`
		MaxStringBytes int               `json:"maxStringBytes"`
		Expression     *string           `json:"expression"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, badQuery(path, "not an aggregator object: %v", err)
	}
	if a.Type == "" {
		return nil, badQuery(path+".type", "missing (expected one of %s)", aggTypeNames())
	}
	t, ok := aggTypes[a.Type]
	if !ok {
		return nil, badQuery(path+".type", "unknown aggregator type %q (expected one of %s)", a.Type, aggTypeNames())
	}
	ag := &aggregator{typ: a.Type, name: a.Name, field: a.FieldName, kind: t.kind, vt: t.vt, byRow: a.ByRow, round: a.Round,
		maxStrings: a.MaxStringBytes, raw: raw}
	if ag.maxStrings <= 0 {
		ag.maxStrings = 1024
	}
	if named && a.Name == "" {
		return nil, badQuery(path+".name", "missing")
	}
	if a.Expression != nil {
		return nil, badQuery(path+".expression", "expression inputs are not supported; use fieldName")
	}
	switch t.kind {
	case aggCount:
	case aggCardinality:
		if len(a.Fields) == 0 {
			return nil, badQuery(path+".fields", "missing")
		}
		for i, f := range a.Fields {
			d, err := parseDimSpec(f, fmt.Sprintf("%s.fields[%d]", path, i))
			if err != nil {
				return nil, err
			}
			ag.fields = append(ag.fields, d)
		}
	case aggFiltered:
		if a.Filter == nil {
			return nil, badQuery(path+".filter", "missing")
		}
		if err := checkFilter(a.Filter, path+".filter"); err != nil {
			return nil, err
		}
		if len(a.Aggregator) == 0 || string(a.Aggregator) == "null" {
			return nil, badQuery(path+".aggregator", "missing")
		}
		in, err := parseAggregator(a.Aggregator, path+".aggregator", false)
		if err != nil {
			return nil, err
		}
		ag.filter, ag.inner = a.Filter, in
		ag.vt = in.vt
		if ag.name == "" {
			ag.name = in.name
		}
		if ag.name == "" {
			return nil, badQuery(path+".name", "missing")
		}
	default:
		if a.FieldName == "" {
			return nil, badQuery(path+".fieldName", "missing")
		}
	}
	return ag, nil
}

// init resets v to the aggregator's identity.
func (a *aggregator) init(v *aggValue) { *v = aggValue{} }

// bind prepares the aggregator for the rows of one segment.
func (a *aggregator) bind(sc *segCtx) (rowAgg, error) {
	switch a.kind {
	case aggCount:
		return countAgg{}, nil
	case aggSum, aggMin, aggMax:
		c, err := sc.column(a.field)
		if err != nil {
			return nil, err
		}
		nr := newNumReader(c)
		switch a.kind {
		case aggSum:
			if a.vt == valLong {
				if c.kind == colLong && c.nulls == nil {
					return longSumFast{c.longs}, nil
				}
				return longSum{nr}, nil
			}
			if (c.kind == colDouble || c.kind == colFloat) && c.nulls == nil {
				return doubleSumFast{c.doubles}, nil
			}
			return doubleSum{nr}, nil
		case aggMin:
			return minMax{nr, a.vt == valLong, false}, nil
		default:
			return minMax{nr, a.vt == valLong, true}, nil
		}
	case aggFirst, aggLast:
		c, err := sc.column(a.field)
		if err != nil {
			return nil, err
		}
		return &firstLast{c: c, nr: newNumReader(c), times: sc.times, last: a.kind == aggLast, vt: a.vt, maxBytes: a.maxStrings}, nil
	case aggHyperUnique:
		c, err := sc.column(a.field)
		if err != nil {
			return nil, err
		}
		if c.kind == colComplex {
			return hllMerge{c}, nil
		}
		return newCardinality([]*column{c}, false), nil
	case aggCardinality:
		cs := make([]*column, len(a.fields))
		for i, f := range a.fields {
			c, err := sc.column(f.dimension)
			if err != nil {
				return nil, err
			}
			cs[i] = c
		}
		return newCardinality(cs, a.byRow), nil
	case aggFiltered:
		rows, err := evalFilter(sc, a.filter)
		if err != nil {
			return nil, err
		}
		in, err := a.inner.bind(sc)
		if err != nil {
			return nil, err
		}
		return filteredAgg{in: in, rows: toBitset(rows, sc.cols.NumRows())}, nil
	}
	return nil, fmt.Errorf("aggregator %s: unsupported", a.typ)
}

// combine merges src into dst (Druid's AggregatorFactory.combine).
func (a *aggregator) combine(dst, src *aggValue) {
	switch a.kind {
	case aggFiltered:
		a.inner.combine(dst, src)
	case aggCount:
		dst.l += src.l
	case aggSum:
		if src.set {
			dst.l += src.l
			dst.d += src.d
			dst.set = true
		}
	case aggMin, aggMax:
		if !src.set {
			return
		}
		if !dst.set {
			*dst = *src
			return
		}
		if a.kind == aggMin {
			dst.l, dst.d = min(dst.l, src.l), math.Min(dst.d, src.d)
		} else {
			dst.l, dst.d = max(dst.l, src.l), math.Max(dst.d, src.d)
		}
	case aggFirst, aggLast:
		if src.set && (!dst.set || (a.kind == aggFirst && src.t < dst.t) || (a.kind == aggLast && src.t >= dst.t)) {
			*dst = *src
		}
	case aggHyperUnique, aggCardinality:
		if src.hll == nil {
			return
		}
		if dst.hll == nil {
			dst.hll = src.hll.Clone()
			return
		}
		_ = dst.hll.Merge(src.hll)
	}
}

// finalize returns the value Druid puts in results
// (AggregatorFactory.finalizeComputation).
func (a *aggregator) finalize(v *aggValue) any {
	switch a.kind {
	case aggFiltered:
		return a.inner.finalize(v)
	case aggCount:
		return v.l
	case aggSum, aggMin, aggMax:
		if !v.set {
			return nil
		}
		switch a.vt {
		case valLong:
			return v.l
		case valFloat:
			return float64(float32(v.d))
		}
		return v.d
	case aggFirst, aggLast:
		if !v.set || v.null {
			return nil
		}
		switch a.vt {
		case valLong:
			return v.l
		case valString:
			return v.s
		case valFloat:
			return float64(float32(v.d))
		}
		return v.d
	case aggHyperUnique, aggCardinality:
		var est uint64
		if v.hll != nil {
			est = v.hll.Estimate()
		}
		if a.round {
			return int64(est)
		}
		return float64(est)
	}
	return nil
}

// countAgg is Druid's CountAggregator.
type countAgg struct{}

func (countAgg) add(v *aggValue, _ int) { v.l++ }

// numReader reads one column as numbers: numeric columns directly, string
// columns by parsing each dictionary value once, anything else as null.
type numReader struct {
	longs   []int64
	doubles []float64
	nulls   *roaring.Bitmap
	// string columns
	ids   []int32
	offs  []int32
	dictD []float64
	dictL []int64
	dictN []bool // true when the value is not a number
	null  bool   // missing or complex column
}

func newNumReader(c *column) numReader {
	switch c.kind {
	case colLong:
		return numReader{longs: c.longs, nulls: c.nulls}
	case colFloat, colDouble:
		return numReader{doubles: c.doubles, nulls: c.nulls}
	case colString:
		r := numReader{ids: c.ids, offs: c.offs, dictD: make([]float64, len(c.dict)), dictL: make([]int64, len(c.dict)), dictN: make([]bool, len(c.dict))}
		r.dictN[0] = true
		for i := 1; i < len(c.dict); i++ {
			n, ok := expr.ParseNumber(c.dict[i])
			r.dictN[i] = !ok
			r.dictD[i], _ = n.AsDouble()
			r.dictL[i], _ = n.AsLong()
		}
		return r
	}
	return numReader{null: true}
}

func (r *numReader) id(i int) int32 {
	if r.offs != nil {
		return r.ids[r.offs[i]]
	}
	return r.ids[i]
}

func (r *numReader) long(i int) (int64, bool) {
	switch {
	case r.longs != nil:
		return r.longs[i], r.nulls == nil || !r.nulls.Contains(uint32(i))
	case r.doubles != nil:
		return int64(r.doubles[i]), r.nulls == nil || !r.nulls.Contains(uint32(i))
	case r.ids != nil:
		id := r.id(i)
		return r.dictL[id], !r.dictN[id]
	}
	return 0, false
}

func (r *numReader) double(i int) (float64, bool) {
	switch {
	case r.doubles != nil:
		return r.doubles[i], r.nulls == nil || !r.nulls.Contains(uint32(i))
	case r.longs != nil:
		return float64(r.longs[i]), r.nulls == nil || !r.nulls.Contains(uint32(i))
	case r.ids != nil:
		id := r.id(i)
		return r.dictD[id], !r.dictN[id]
	}
	return 0, false
}

type longSumFast struct{ vals []int64 }

func (a longSumFast) add(v *aggValue, row int) { v.l += a.vals[row]; v.set = true }

type doubleSumFast struct{ vals []float64 }

func (a doubleSumFast) add(v *aggValue, row int) { v.d += a.vals[row]; v.set = true }

type longSum struct{ r numReader }

func (a longSum) add(v *aggValue, row int) {
	if x, ok := a.r.long(row); ok {
		v.l += x
		v.set = true
	}
}

type doubleSum struct{ r numReader }

func (a doubleSum) add(v *aggValue, row int) {
	if x, ok := a.r.double(row); ok {
		v.d += x
		v.set = true
	}
}

type minMax struct {
	r    numReader
	long bool
	max  bool
}

func (a minMax) add(v *aggValue, row int) {
	if a.long {
		x, ok := a.r.long(row)
		if !ok {
			return
		}
		if !v.set || (a.max && x > v.l) || (!a.max && x < v.l) {
			v.l = x
		}
		v.set = true
		return
	}
	x, ok := a.r.double(row)
	if !ok {
		return
	}
	if !v.set || (a.max && x > v.d) || (!a.max && x < v.d) {
		v.d = x
	}
	v.set = true
}

// firstLast is Druid's *First/*LastAggregator: over a pair column
// (serializablePairLong*) it compares the stored times, over any other
// column it uses __time.
type firstLast struct {
	c        *column
	nr       numReader
	times    []int64
	last     bool
	vt       valType
	maxBytes int
}

func (a *firstLast) add(v *aggValue, row int) {
	var t int64
	var blob []byte
	if a.c.kind == colComplex {
		blob = a.c.blobs[row]
		if len(blob) < 9 {
			return
		}
		t = int64(binary.BigEndian.Uint64(blob))
	} else {
		t = a.times[row]
	}
	if v.set && ((a.last && t < v.t) || (!a.last && t >= v.t)) {
		return
	}
	v.set, v.t = true, t
	if blob != nil {
		a.fromPair(v, blob)
		return
	}
	switch a.vt {
	case valString:
		s, ok := stringValue(a.c, row)
		v.null = !ok
		v.s = truncateUTF8(s, a.maxBytes)
	case valLong:
		x, ok := a.nr.long(row)
		v.l, v.null = x, !ok
	default:
		x, ok := a.nr.double(row)
		v.d, v.null = x, !ok
	}
}

// fromPair decodes a pair's value; the layout is engine/index's (see its
// package doc): time, null flag, value.
func (a *firstLast) fromPair(v *aggValue, b []byte) {
	v.null = b[8] == 1
	val := b[9:]
	if v.null {
		return
	}
	var num float64
	var isLong bool
	var l int64
	switch a.c.complexType {
	case "serializablePairLongString":
		v.s = truncateUTF8(string(val), a.maxBytes)
		if a.vt != valString {
			n, ok := expr.ParseNumber(v.s)
			v.null = !ok
			num, _ = n.AsDouble()
			l, _ = n.AsLong()
			v.l, v.d = l, num
		}
		return
	case "serializablePairLongLong":
		if len(val) != 8 {
			v.null = true
			return
		}
		l, isLong = int64(binary.BigEndian.Uint64(val)), true
		num = float64(l)
	case "serializablePairLongDouble":
		if len(val) != 8 {
			v.null = true
			return
		}
		num = math.Float64frombits(binary.BigEndian.Uint64(val))
		l = int64(num)
	case "serializablePairLongFloat":
		if len(val) != 4 {
			v.null = true
			return
		}
		num = float64(math.Float32frombits(binary.BigEndian.Uint32(val)))
		l = int64(num)
	default:
		v.null = true
		return
	}
	v.l, v.d = l, num
	if a.vt == valString {
		if isLong {
			v.s = strconv.FormatInt(l, 10)
		} else {
			v.s, _ = expr.Double(num).AsString()
		}
	}
}

// truncateUTF8 cuts s to at most n bytes without splitting a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}

// stringValue renders row i of c as a string; false for null. Multi-value
// rows give their first value.
func stringValue(c *column, i int) (string, bool) {
	switch c.kind {
	case colString:
		id := c.rowIDs(i)[0]
		return c.dict[id], id != 0
	case colLong:
		if c.isNull(i) {
			return "", false
		}
		return strconv.FormatInt(c.longs[i], 10), true
	case colFloat, colDouble:
		if c.isNull(i) {
			return "", false
		}
		s, _ := expr.Double(c.doubles[i]).AsString()
		return s, true
	}
	return "", false
}

// hllMerge is Druid's HyperUniquesAggregator over a stored sketch column.
type hllMerge struct{ c *column }

func (a hllMerge) add(v *aggValue, row int) {
	b := a.c.blobs[row]
	if len(b) == 0 {
		return
	}
	sk := hyperloglog.New14()
	if sk.UnmarshalBinary(b) != nil {
		return
	}
	if v.hll == nil {
		v.hll = sk
		return
	}
	_ = v.hll.Merge(sk)
}

// hashSeed is axiomhq/hyperloglog's metro hash seed; hashing here must match
// Sketch.Insert so that query-time cardinality agrees with ingestion-time
// hyperUnique (engine/index hashes the raw UTF-8 bytes of each value).
const hashSeed = 1337

func hashBytes(b []byte) uint64 { return metro.Hash64(b, hashSeed) }

// cardinality is Druid's CardinalityAggregator (and HyperUniquesAggregator
// over a raw column): every value of every field is hashed, or with byRow
// each row's combination.
type cardinality struct {
	cols  []*column
	byRow bool
	// per string column: hash of each dictionary value
	hashes [][]uint64
	buf    []byte
	strs   []string
}

func newCardinality(cols []*column, byRow bool) *cardinality {
	a := &cardinality{cols: cols, byRow: byRow, hashes: make([][]uint64, len(cols))}
	if !byRow {
		for i, c := range cols {
			if c.kind == colString {
				h := make([]uint64, len(c.dict))
				for id := 1; id < len(c.dict); id++ {
					h[id] = hashBytes([]byte(c.dict[id]))
				}
				a.hashes[i] = h
			}
		}
	}
	return a
}

func (a *cardinality) add(v *aggValue, row int) {
	if v.hll == nil {
		v.hll = hyperloglog.New14()
	}
	if a.byRow {
		a.buf = a.buf[:0]
		for i, c := range a.cols {
			if i > 0 {
				a.buf = append(a.buf, 0)
			}
			a.buf = a.appendRowValue(a.buf, c, row)
		}
		v.hll.InsertHash(hashBytes(a.buf))
		return
	}
	for i, c := range a.cols {
		switch c.kind {
		case colString:
			for _, id := range c.rowIDs(row) {
				if id != 0 {
					v.hll.InsertHash(a.hashes[i][id])
				}
			}
		case colLong, colFloat, colDouble:
			if s, ok := stringValue(c, row); ok {
				v.hll.InsertHash(hashBytes([]byte(s)))
			}
		}
	}
}

// appendRowValue renders a field for byRow hashing: multi-values sorted and
// joined by \x01, null as empty (Druid's CardinalityAggregator.hashRow).
func (a *cardinality) appendRowValue(b []byte, c *column, row int) []byte {
	if c.kind != colString {
		s, _ := stringValue(c, row)
		return append(b, s...)
	}
	ids := c.rowIDs(row)
	if len(ids) == 1 {
		return append(b, c.dict[ids[0]]...)
	}
	a.strs = a.strs[:0]
	for _, id := range ids {
		a.strs = append(a.strs, c.dict[id])
	}
	slices.Sort(a.strs)
	for i, s := range a.strs {
		if i > 0 {
			b = append(b, 1)
		}
		b = append(b, s...)
	}
	return b
}

// filteredAgg is Druid's FilteredAggregator: rows outside the filter are
// skipped.
type filteredAgg struct {
	in   rowAgg
	rows []uint64 // bitset
}

func (a filteredAgg) add(v *aggValue, row int) {
	if a.rows[row>>6]&(1<<(uint(row)&63)) != 0 {
		a.in.add(v, row)
	}
}

func toBitset(bm *roaring.Bitmap, n int) []uint64 {
	bs := make([]uint64, (n+63)/64+1)
	it := bm.Iterator()
	for it.HasNext() {
		r := it.Next()
		bs[r>>6] |= 1 << (r & 63)
	}
	return bs
}
