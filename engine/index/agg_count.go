package index

import (
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// countAgg is Druid's CountAggregator: the number of input rows rolled into
// a row. Across spills counts combine by summing (Druid's count combines as
// longSum).
type countAgg struct {
	slots
	ms segment.MetricSchema
}

func newCount(a *spec.Aggregator) *countAgg {
	return &countAgg{ms: metricSchema(a, segment.TypeLong, ""), slots: newSlots(1)}
}

func (c *countAgg) schema() segment.MetricSchema { return c.ms }
func (c *countAgg) grow()                        { c.growSlots() }
func (c *countAgg) add(row int32, _ int64, _ InputRow) bool {
	*c.at(row, 0)++
	return false
}
func (c *countAgg) value(row int32, dst *segment.MetricValue) { dst.Long = int64(*c.at(row, 0)) }
func (c *countAgg) combine(dst, src *segment.MetricValue)     { dst.Long += src.Long }
func (c *countAgg) reset()                                    { c.resetSlots() }
func (c *countAgg) rowBytes() int64                           { return 8 }
