package index

import (
	"encoding/binary"
	"math"
	"unicode/utf8"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// firstLastAgg is Druid's Long/Double/Float First and Last aggregators. It
// keeps the (time, value) pair, time being the row's __time (or timeColumn),
// so combining spills picks the right value. First takes a strictly earlier
// time; Last takes a time at least as late (later rows win ties), as Druid's
// NumericFirstAggregator and NumericLastAggregator. A null input is a value
// like any other: if it is first, the result is null.
//
// The state is stored as complex bytes; see the package doc for the layout.
type firstLastAgg struct {
	slots   // 0: time, 1: null flag, 2: value (long or float64 bits)
	ms      segment.MetricSchema
	kind    numKind
	last    bool
	in      source
	timeCol string
}

// pairHeader is the size of the time and null-flag prefix of a pair.
const pairHeader = 9

func pairComplexType(k numKind) string {
	switch k {
	case kindDouble:
		return "serializablePairLongDouble"
	case kindFloat:
		return "serializablePairLongFloat"
	}
	return "serializablePairLongLong"
}

func newFirstLast(a *spec.Aggregator, k numKind, last bool) (*firstLastAgg, error) {
	in, err := newInput(a)
	if err != nil {
		return nil, err
	}
	return &firstLastAgg{ms: metricSchema(a, segment.TypeComplex, pairComplexType(k)), kind: k, last: last, in: in,
		timeCol: a.TimeColumn, slots: newSlots(3)}, nil
}

// rowTime returns the time first/last compare: the row time, or timeColumn.
func rowTime(timeCol string, t int64, r InputRow) int64 {
	if timeCol == "" || timeCol == segment.TimeColumn {
		return t
	}
	v, _ := r.Get(timeCol)
	if n, ok := v.AsLong(); ok {
		return n
	}
	return t
}

// wins reports whether a value at time t replaces one at cur.
func wins(last bool, t, cur int64) bool {
	if last {
		return t >= cur
	}
	return t < cur
}

func initTime(last bool) int64 {
	if last {
		return math.MinInt64
	}
	return math.MaxInt64
}

func (f *firstLastAgg) schema() segment.MetricSchema { return f.ms }

func (f *firstLastAgg) grow() {
	f.growSlots()
	row := int32(len(f.s.v)/f.s.stride - 1)
	*f.at(row, 0) = uint64(initTime(f.last))
	*f.at(row, 1) = 1
}

func (f *firstLastAgg) add(row int32, t int64, r InputRow) bool {
	t = rowTime(f.timeCol, t, r)
	pt := f.at(row, 0)
	if !wins(f.last, t, int64(*pt)) {
		return false
	}
	*pt = uint64(t)
	var ok, bad bool
	if f.kind == kindLong {
		var n int64
		n, ok, bad = f.in.long(r)
		*f.at(row, 2) = uint64(n)
	} else {
		var d float64
		d, ok, bad = f.in.double(r)
		*f.at(row, 2) = math.Float64bits(f.kind.narrow(d))
	}
	*f.at(row, 1) = 0
	if !ok {
		*f.at(row, 1) = 1
	}
	return bad
}

func (f *firstLastAgg) value(row int32, dst *segment.MetricValue) {
	b := appendPairHeader(dst.Bytes[:0], int64(*f.at(row, 0)), *f.at(row, 1) != 0)
	v := *f.at(row, 2)
	switch f.kind {
	case kindLong, kindDouble:
		b = binary.BigEndian.AppendUint64(b, v)
	default:
		b = binary.BigEndian.AppendUint32(b, math.Float32bits(float32(math.Float64frombits(v))))
	}
	dst.Bytes = b
}

func (f *firstLastAgg) combine(dst, src *segment.MetricValue) {
	combinePair(f.last, dst, src)
}

func (f *firstLastAgg) reset()          { f.resetSlots() }
func (f *firstLastAgg) rowBytes() int64 { return 24 }

func appendPairHeader(b []byte, t int64, null bool) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(t))
	if null {
		return append(b, 1)
	}
	return append(b, 0)
}

// pairTime returns the time of an encoded pair; a short (corrupt or empty)
// pair never wins.
func pairTime(b []byte, last bool) int64 {
	if len(b) < pairHeader {
		return initTime(last)
	}
	return int64(binary.BigEndian.Uint64(b))
}

// combinePair keeps whichever of dst and src wins by time.
func combinePair(last bool, dst, src *segment.MetricValue) {
	if len(src.Bytes) >= pairHeader && wins(last, pairTime(src.Bytes, last), pairTime(dst.Bytes, last)) {
		dst.Bytes = append(dst.Bytes[:0], src.Bytes...)
	}
}

// stringFirstLastAgg is Druid's StringFirstAggregator and
// StringLastAggregator: like firstLastAgg, with values cut to maxStringBytes
// (at a UTF-8 boundary; Druid's default 1024).
type stringFirstLastAgg struct {
	ms       segment.MetricSchema
	last     bool
	in       source
	timeCol  string
	maxBytes int
	times    []int64
	nulls    []bool
	vals     []string
}

func newStringFirstLast(a *spec.Aggregator, last bool) (*stringFirstLastAgg, error) {
	in, err := newInput(a)
	if err != nil {
		return nil, err
	}
	return &stringFirstLastAgg{ms: metricSchema(a, segment.TypeComplex, "serializablePairLongString"), last: last, in: in,
		timeCol: a.TimeColumn, maxBytes: maxStringBytes(a)}, nil
}

func (f *stringFirstLastAgg) schema() segment.MetricSchema { return f.ms }

func (f *stringFirstLastAgg) grow() {
	f.times = append(f.times, initTime(f.last))
	f.nulls = append(f.nulls, true)
	f.vals = append(f.vals, "")
}

func (f *stringFirstLastAgg) add(row int32, t int64, r InputRow) bool {
	t = rowTime(f.timeCol, t, r)
	if !wins(f.last, t, f.times[row]) {
		return false
	}
	f.times[row] = t
	s, ok := f.in.get(r).AsString()
	if ok {
		s = truncateUTF8(s, f.maxBytes)
		if s != f.vals[row] {
			f.vals[row] = cloneString(s)
		}
	} else {
		f.vals[row] = ""
	}
	f.nulls[row] = !ok
	return false
}

func (f *stringFirstLastAgg) value(row int32, dst *segment.MetricValue) {
	dst.Bytes = append(appendPairHeader(dst.Bytes[:0], f.times[row], f.nulls[row]), f.vals[row]...)
}

func (f *stringFirstLastAgg) combine(dst, src *segment.MetricValue) { combinePair(f.last, dst, src) }

func (f *stringFirstLastAgg) reset() {
	clear(f.vals)
	f.times, f.nulls, f.vals = f.times[:0], f.nulls[:0], f.vals[:0]
}

// rowBytes charges maxStringBytes, as Druid's StringFirstAggregatorFactory
// does, since the value may change on every add.
func (f *stringFirstLastAgg) rowBytes() int64 { return int64(8 + 1 + 16 + f.maxBytes) }

// truncateUTF8 cuts s to at most n bytes without splitting a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// cloneString copies s: input rows are reused, their strings alias parser
// buffers.
func cloneString(s string) string {
	if s == "" {
		return ""
	}
	return string(append([]byte(nil), s...))
}

// decodePair decodes a numeric pair for tests and tools: time, null flag and
// the value as a Value (long or double).
func decodePair(b []byte, k numKind) (int64, expr.Value) {
	if len(b) < pairHeader {
		return 0, expr.Null()
	}
	t := int64(binary.BigEndian.Uint64(b))
	if b[8] == 1 {
		return t, expr.Null()
	}
	v := b[pairHeader:]
	switch {
	case k == kindLong && len(v) == 8:
		return t, expr.Long(int64(binary.BigEndian.Uint64(v)))
	case k == kindDouble && len(v) == 8:
		return t, expr.Double(math.Float64frombits(binary.BigEndian.Uint64(v)))
	case k == kindFloat && len(v) == 4:
		return t, expr.Double(float64(math.Float32frombits(binary.BigEndian.Uint32(v))))
	}
	return t, expr.Null()
}
