package query

import (
	"context"
	"slices"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// timeseriesResult is one row of a timeseries result.
type timeseriesResult struct {
	Timestamp any        `json:"timestamp"`
	Result    *resultRow `json:"result"`
}

// runTimeseries is Druid's TimeseriesQueryEngine and toolchest: one row per
// granularity bucket of the data (empty buckets between data included
// unless context.skipEmptyBuckets), ascending unless descending, optional
// limit and grandTotal.
func runTimeseries(ctx context.Context, e *Engine, q rawQuery) (any, error) {
	gs, err := parseGroupQuery("timeseries", q)
	if err != nil {
		return nil, err
	}
	c := gs.c
	var limit int
	if err := q.decode("limit", &limit); err != nil {
		return nil, err
	}
	out := []timeseriesResult{}
	g, release, err := e.groupAll(ctx, q, gs)
	if err != nil {
		return nil, err
	}
	defer release()
	if g == nil {
		return out, nil
	}
	byBucket := map[int64]*group{}
	for _, gr := range g.order {
		byBucket[gr.bucket] = gr
	}
	var buckets []int64
	if c.granularity.Kind == spec.GranularityAll {
		if g.allStart == int64(^uint64(0)>>1) && len(byBucket) == 0 {
			return out, nil
		}
		buckets = []int64{allBucket}
	} else {
		for b := range byBucket {
			buckets = append(buckets, b)
		}
		for b := range g.buckets {
			if byBucket[b] == nil {
				buckets = append(buckets, b)
			}
		}
		slices.Sort(buckets)
	}
	if c.descending {
		slices.Reverse(buckets)
	}
	total := make([]aggValue, len(c.aggs))
	for _, b := range buckets {
		gr := byBucket[b]
		if gr == nil {
			if c.ctx.skipEmptyBuckets && c.granularity.Kind != spec.GranularityAll {
				continue
			}
			gr = &group{bucket: b, states: make([]aggValue, len(c.aggs))}
		}
		ts := b
		if b == allBucket {
			ts = g.allStart
		}
		r := &resultRow{}
		finish(r, c.aggs, c.postAggs, gr.states)
		out = append(out, timeseriesResult{Timestamp: formatMillis(ts), Result: r})
		for k, a := range c.aggs {
			a.combine(&total[k], &gr.states[k])
		}
		if limit > 0 && len(out) == limit {
			break
		}
	}
	if c.ctx.grandTotal {
		r := &resultRow{}
		finish(r, c.aggs, c.postAggs, total)
		out = append(out, timeseriesResult{Timestamp: nil, Result: r})
	}
	return out, nil
}
