package query

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// topNMetric is a TopNMetricSpec.
type topNMetric struct {
	metric    string           // numeric: the aggregator or post-aggregator
	dimension stringComparator // dimension ordering, when metric is ""
	inverted  bool
}

func parseTopNMetric(raw json.RawMessage, path string) (*topNMetric, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil, badQuery(path, "must not be empty")
		}
		return &topNMetric{metric: s}, nil
	}
	var o struct {
		Type     string          `json:"type"`
		Metric   json.RawMessage `json:"metric"`
		Ordering string          `json:"ordering"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, badQuery(path, "must be a metric name or a metric spec object")
	}
	switch o.Type {
	case "numeric":
		if err := json.Unmarshal(o.Metric, &s); err != nil || s == "" {
			return nil, badQuery(path+".metric", "missing")
		}
		return &topNMetric{metric: s}, nil
	case "inverted":
		if len(o.Metric) == 0 {
			return nil, badQuery(path+".metric", "missing")
		}
		m, err := parseTopNMetric(o.Metric, path+".metric")
		if err != nil {
			return nil, err
		}
		m.inverted = !m.inverted
		return m, nil
	case "dimension", "lexicographic", "alphaNumeric":
		ord := o.Ordering
		if o.Type == "alphaNumeric" {
			ord = "alphanumeric"
		}
		c, ok := comparatorByName(ord)
		if !ok {
			return nil, badQuery(path+".ordering", "unknown ordering %q (expected lexicographic, alphanumeric, numeric or strlen)", o.Ordering)
		}
		return &topNMetric{dimension: c}, nil
	case "":
		return nil, badQuery(path+".type", "missing")
	}
	return nil, badQuery(path+".type", "unknown metric spec type %q (expected numeric, inverted or dimension)", o.Type)
}

type topNResult struct {
	Timestamp string       `json:"timestamp"`
	Result    []*resultRow `json:"result"`
}

// runTopN is Druid's TopNQueryEngine: per bucket, the threshold groups of
// one dimension with the best metric (exact: every segment's groups are
// merged before ranking, so no approximation across segments).
func runTopN(ctx context.Context, e *Engine, q rawQuery) (any, error) {
	gs, err := parseGroupQuery("topN", q)
	if err != nil {
		return nil, err
	}
	c, dim := gs.c, gs.dims[0]
	if !q.has("metric") {
		return nil, badQuery("metric", "missing")
	}
	metric, err := parseTopNMetric(q["metric"], "metric")
	if err != nil {
		return nil, err
	}
	if metric.metric != "" && !hasOutput(c, metric.metric) {
		return nil, badQuery("metric", "%q is not an aggregator or post-aggregator of the query", metric.metric)
	}
	var threshold int
	if err := q.decode("threshold", &threshold); err != nil {
		return nil, err
	}
	if !q.has("threshold") || threshold <= 0 {
		return nil, badQuery("threshold", "must be a positive number")
	}
	out := []topNResult{}
	g, release, err := e.groupAll(ctx, q, gs)
	if err != nil {
		return nil, err
	}
	defer release()
	if g == nil {
		return out, nil
	}
	byBucket := map[int64][]*group{}
	var buckets []int64
	for _, gr := range g.order {
		if _, ok := byBucket[gr.bucket]; !ok {
			buckets = append(buckets, gr.bucket)
		}
		byBucket[gr.bucket] = append(byBucket[gr.bucket], gr)
	}
	slices.Sort(buckets)
	if c.descending {
		slices.Reverse(buckets)
	}
	aggIdx := slices.IndexFunc(c.aggs, func(a *aggregator) bool { return a.name == metric.metric })
	for _, b := range buckets {
		rows := rankTopN(byBucket[b], c, dim, metric, aggIdx, threshold)
		ts := b
		if c.granularity.Kind == spec.GranularityAll {
			ts = g.allStart
		}
		out = append(out, topNResult{Timestamp: formatMillis(ts), Result: rows})
	}
	return out, nil
}

// topNEntry is a group with its precomputed sort keys.
type topNEntry struct {
	gr     *group
	row    *resultRow // built up front only when the metric is a post-aggregator
	val    float64
	isNull bool
}

// rankTopN orders one bucket's groups by the metric spec (ties by dimension
// value) and returns the first threshold as result rows. Only those rows
// are finalised, unless the metric is a post-aggregator.
func rankTopN(groups []*group, c *common, dim dimSpec, metric *topNMetric, aggIdx, threshold int) []*resultRow {
	build := func(gr *group) *resultRow {
		r := &resultRow{}
		r.set(dim.outputName, gr.dims[0].json())
		finish(r, c.aggs, c.postAggs, gr.states)
		return r
	}
	es := make([]topNEntry, len(groups))
	for i, gr := range groups {
		e := topNEntry{gr: gr}
		if metric.metric != "" {
			var v any
			if aggIdx >= 0 {
				v = c.aggs[aggIdx].finalize(&gr.states[aggIdx])
			} else {
				e.row = build(gr)
				v, _ = e.row.get(metric.metric)
			}
			e.val, e.isNull = toFloatOrNull(v)
		}
		es[i] = e
	}
	cmpDim := func(a, b dimValue, f stringComparator) int {
		switch {
		case a.null && b.null:
			return 0
		case a.null:
			return -1
		case b.null:
			return 1
		}
		return f(a.s, b.s)
	}
	slices.SortFunc(es, func(x, y topNEntry) int {
		var r int
		if metric.metric != "" {
			switch {
			case x.isNull != y.isNull: // nulls rank last in descending order
				r = 1
				if y.isNull {
					r = -1
				}
			case x.val > y.val:
				r = -1
			case x.val < y.val:
				r = 1
			}
			if r == 0 {
				r = cmpDim(x.gr.dims[0], y.gr.dims[0], strings.Compare)
			}
		} else {
			r = cmpDim(x.gr.dims[0], y.gr.dims[0], metric.dimension)
		}
		if metric.inverted {
			r = -r
		}
		return r
	})
	if len(es) > threshold {
		es = es[:threshold]
	}
	rows := make([]*resultRow, len(es))
	for i, e := range es {
		if e.row == nil {
			e.row = build(e.gr)
		}
		rows[i] = e.row
	}
	return rows
}

func toFloatOrNull(v any) (float64, bool) {
	f, ok := toFloat(v)
	return f, !ok
}

// hasOutput reports whether name is an aggregator or post-aggregator.
func hasOutput(c *common, name string) bool {
	for _, a := range c.aggs {
		if a.name == name {
			return true
		}
	}
	for _, p := range c.postAggs {
		if p.name == name {
			return true
		}
	}
	return false
}
