package index

import (
	"math"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// sumAgg is Druid's LongSumAggregator, DoubleSumAggregator and
// FloatSumAggregator. Null inputs add nothing; unparseable ones add nothing
// and flag the row (Druid aggregates them as 0 and counts processedWithError).
// floatSum accumulates in double precision and is narrowed to float32 when
// read, so the sum of a group does not depend on how it was split by spills
// more than float32 storage forces.
type sumAgg struct {
	slots
	ms   segment.MetricSchema
	kind numKind
	in   source
}

func newSum(a *spec.Aggregator, k numKind) (*sumAgg, error) {
	in, err := newInput(a)
	if err != nil {
		return nil, err
	}
	return &sumAgg{ms: metricSchema(a, k.column(), ""), kind: k, in: in, slots: newSlots(1)}, nil
}

func (s *sumAgg) schema() segment.MetricSchema { return s.ms }
func (s *sumAgg) grow()                        { s.growSlots() } // 0 is 0 and 0.0

func (s *sumAgg) add(row int32, _ int64, r InputRow) bool {
	p := s.at(row, 0)
	if s.kind == kindLong {
		n, ok, bad := s.in.long(r)
		if ok {
			*p += uint64(n)
		}
		return bad
	}
	d, ok, bad := s.in.double(r)
	if ok {
		*p = math.Float64bits(math.Float64frombits(*p) + d)
	}
	return bad
}

func (s *sumAgg) value(row int32, dst *segment.MetricValue) {
	p := s.at(row, 0)
	if s.kind == kindLong {
		dst.Long = int64(*p)
	} else {
		dst.Double = s.kind.narrow(math.Float64frombits(*p))
	}
}

func (s *sumAgg) combine(dst, src *segment.MetricValue) {
	if s.kind == kindLong {
		dst.Long += src.Long
	} else {
		dst.Double = s.kind.narrow(dst.Double + src.Double)
	}
}

func (s *sumAgg) reset()          { s.resetSlots() }
func (s *sumAgg) rowBytes() int64 { return 8 }
