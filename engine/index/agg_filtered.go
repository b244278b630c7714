package index

import (
	"fmt"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/transform"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// RowFilter decides whether a row reaches a filtered aggregator;
// transform.Filter implements it.
type RowFilter interface {
	Match(row expr.Bindings) bool
}

// FilterCompiler compiles a Druid filter into a RowFilter.
type FilterCompiler func(f *spec.Filter) (RowFilter, error)

// CompileFilter is the default FilterCompiler: engine/transform's, the one
// transformSpec.filter uses, so both accept the same filters.
func CompileFilter(f *spec.Filter) (RowFilter, error) {
	c, err := transform.CompileFilter(f)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// filteredAgg is Druid's FilteredAggregator: the wrapped aggregator sees
// only the rows the filter matches. The column is named after the filtered
// aggregator and has the wrapped aggregator's type.
type filteredAgg struct {
	aggregator
	ms     segment.MetricSchema
	filter RowFilter
}

func newFiltered(a *spec.Aggregator, fc FilterCompiler) (*filteredAgg, error) {
	if a.Aggregator == nil {
		return nil, fmt.Errorf("aggregator: required for filtered")
	}
	if a.Filter == nil {
		return nil, fmt.Errorf("filter: required for filtered")
	}
	if a.Aggregator.Type == "filtered" {
		return nil, fmt.Errorf("aggregator.type: nested filtered aggregators are not supported")
	}
	inner, err := newAggregator(a.Aggregator, fc)
	if err != nil {
		return nil, fmt.Errorf("aggregator: %w", err)
	}
	f, err := fc(a.Filter)
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	is := inner.schema()
	return &filteredAgg{aggregator: inner, ms: metricSchema(a, is.Type, is.ComplexType), filter: f}, nil
}

func (f *filteredAgg) schema() segment.MetricSchema { return f.ms }

func (f *filteredAgg) add(row int32, t int64, r InputRow) bool {
	if !f.filter.Match(r) {
		return false
	}
	return f.aggregator.add(row, t, r)
}

// matchAll is the filter used when only combine is needed (merging spills).
type matchAll struct{}

func (matchAll) Match(expr.Bindings) bool { return true }

func combineOnly(*spec.Filter) (RowFilter, error) { return matchAll{}, nil }

// slotsOf shares the wrapped aggregator's slots, if it has any.
func (f *filteredAgg) slotsOf() *slots {
	if u, ok := f.aggregator.(slotUser); ok {
		return u.slotsOf()
	}
	return nil
}
