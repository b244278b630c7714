package index

import (
	"math"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// anyAgg is Druid's LongAnyAggregator, DoubleAnyAggregator and
// FloatAnyAggregator: the first non-null value seen. A row that saw none
// stores 0 (segment metric columns have no nulls). Combining keeps dst unless
// it is 0, the best a null-less column allows.
type anyAgg struct {
	slots // 0: found flag, 1: value (long or float64 bits)
	ms    segment.MetricSchema
	kind  numKind
	in    source
}

func newAny(a *spec.Aggregator, k numKind) (*anyAgg, error) {
	in, err := newInput(a)
	if err != nil {
		return nil, err
	}
	return &anyAgg{ms: metricSchema(a, k.column(), ""), kind: k, in: in, slots: newSlots(2)}, nil
}

func (a *anyAgg) schema() segment.MetricSchema { return a.ms }
func (a *anyAgg) grow()                        { a.growSlots() }

func (a *anyAgg) add(row int32, _ int64, r InputRow) bool {
	found := a.at(row, 0)
	if *found != 0 {
		return false
	}
	var ok, bad bool
	if a.kind == kindLong {
		var n int64
		n, ok, bad = a.in.long(r)
		*a.at(row, 1) = uint64(n)
	} else {
		var d float64
		d, ok, bad = a.in.double(r)
		*a.at(row, 1) = math.Float64bits(a.kind.narrow(d))
	}
	if ok {
		*found = 1
	}
	return bad
}

func (a *anyAgg) value(row int32, dst *segment.MetricValue) {
	v := *a.at(row, 1)
	if a.kind == kindLong {
		dst.Long = int64(v)
	} else {
		dst.Double = math.Float64frombits(v)
	}
}

func (a *anyAgg) combine(dst, src *segment.MetricValue) {
	if a.kind == kindLong && dst.Long == 0 {
		dst.Long = src.Long
	} else if a.kind != kindLong && dst.Double == 0 {
		dst.Double = src.Double
	}
}

func (a *anyAgg) reset()          { a.resetSlots() }
func (a *anyAgg) rowBytes() int64 { return 16 }

// stringAnyAgg is Druid's StringAnyAggregator: the first non-null value,
// cut to maxStringBytes. Stored as ComplexType "string" (null byte, then
// UTF-8) so that null survives; combining keeps dst unless it is null.
type stringAnyAgg struct {
	ms       segment.MetricSchema
	in       source
	maxBytes int
	found    []bool
	vals     []string
}

func newStringAny(a *spec.Aggregator) (*stringAnyAgg, error) {
	in, err := newInput(a)
	if err != nil {
		return nil, err
	}
	return &stringAnyAgg{ms: metricSchema(a, segment.TypeComplex, "string"), in: in, maxBytes: maxStringBytes(a)}, nil
}

func (a *stringAnyAgg) schema() segment.MetricSchema { return a.ms }

func (a *stringAnyAgg) grow() {
	a.found = append(a.found, false)
	a.vals = append(a.vals, "")
}

func (a *stringAnyAgg) add(row int32, _ int64, r InputRow) bool {
	if a.found[row] {
		return false
	}
	if s, ok := a.in.get(r).AsString(); ok {
		a.vals[row], a.found[row] = cloneString(truncateUTF8(s, a.maxBytes)), true
	}
	return false
}

func (a *stringAnyAgg) value(row int32, dst *segment.MetricValue) {
	if !a.found[row] {
		dst.Bytes = append(dst.Bytes[:0], 1)
		return
	}
	dst.Bytes = append(append(dst.Bytes[:0], 0), a.vals[row]...)
}

func (a *stringAnyAgg) combine(dst, src *segment.MetricValue) {
	if (len(dst.Bytes) == 0 || dst.Bytes[0] == 1) && len(src.Bytes) > 0 && src.Bytes[0] == 0 {
		dst.Bytes = append(dst.Bytes[:0], src.Bytes...)
	}
}

func (a *stringAnyAgg) reset() {
	clear(a.vals)
	a.found, a.vals = a.found[:0], a.vals[:0]
}

func (a *stringAnyAgg) rowBytes() int64 { return int64(1 + 16 + a.maxBytes) }
