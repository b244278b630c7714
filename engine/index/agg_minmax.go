package index

import (
	"math"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// minMaxAgg is Druid's Long/Double/Float Min and Max aggregators. A row that
// saw no value keeps Druid's identity value (Long.MAX_VALUE / MIN_VALUE for
// longs, ±Infinity for doubles and floats), as in Druid's default-value null
// handling: segment metric columns have no nulls.
type minMaxAgg struct {
	slots
	ms   segment.MetricSchema
	kind numKind
	max  bool
	in   source
}

func newMinMax(a *spec.Aggregator, k numKind, max bool) (*minMaxAgg, error) {
	in, err := newInput(a)
	if err != nil {
		return nil, err
	}
	return &minMaxAgg{ms: metricSchema(a, k.column(), ""), kind: k, max: max, in: in, slots: newSlots(1)}, nil
}

func (m *minMaxAgg) schema() segment.MetricSchema { return m.ms }

func (m *minMaxAgg) grow() {
	m.growSlots()
	p := m.at(int32(len(m.s.v)/m.s.stride-1), 0)
	switch {
	case m.kind == kindLong && m.max:
		*p = 1 << 63 // math.MinInt64
	case m.kind == kindLong:
		*p = math.MaxInt64
	case m.max:
		*p = math.Float64bits(math.Inf(-1))
	default:
		*p = math.Float64bits(math.Inf(1))
	}
}

func (m *minMaxAgg) add(row int32, _ int64, r InputRow) bool {
	p := m.at(row, 0)
	if m.kind == kindLong {
		n, ok, bad := m.in.long(r)
		if ok {
			*p = uint64(m.pickLong(int64(*p), n))
		}
		return bad
	}
	d, ok, bad := m.in.double(r)
	if ok {
		*p = math.Float64bits(m.pickDouble(math.Float64frombits(*p), m.kind.narrow(d)))
	}
	return bad
}

func (m *minMaxAgg) pickLong(a, b int64) int64 {
	if m.max {
		return max(a, b)
	}
	return min(a, b)
}

func (m *minMaxAgg) pickDouble(a, b float64) float64 {
	if m.max {
		return max(a, b)
	}
	return min(a, b)
}

func (m *minMaxAgg) value(row int32, dst *segment.MetricValue) {
	p := m.at(row, 0)
	if m.kind == kindLong {
		dst.Long = int64(*p)
	} else {
		dst.Double = math.Float64frombits(*p)
	}
}

func (m *minMaxAgg) combine(dst, src *segment.MetricValue) {
	if m.kind == kindLong {
		dst.Long = m.pickLong(dst.Long, src.Long)
	} else {
		dst.Double = m.pickDouble(dst.Double, src.Double)
	}
}

func (m *minMaxAgg) reset()          { m.resetSlots() }
func (m *minMaxAgg) rowBytes() int64 { return 8 }
