package query

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

type timeBoundaryResult struct {
	Timestamp string            `json:"timestamp"`
	Result    map[string]string `json:"result"`
}

// runTimeBoundary is Druid's TimeBoundaryQuery: the earliest and latest row
// times in the intervals (all time by default) passing the filter.
func runTimeBoundary(ctx context.Context, e *Engine, q rawQuery) (any, error) {
	c, err := parseCommon(q, false)
	if err != nil {
		return nil, err
	}
	var bound string
	if err := q.decode("bound", &bound); err != nil {
		return nil, err
	}
	if bound != "" && bound != "minTime" && bound != "maxTime" {
		return nil, badQuery("bound", "unknown bound %q (expected minTime or maxTime)", bound)
	}
	refs, err := e.lookup(ctx, c)
	if err != nil {
		return nil, err
	}
	defer releaseRefs(refs)
	lo, hi, ok, err := timeRange(ctx, refs, c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return []timeBoundaryResult{}, nil
	}
	res := map[string]string{}
	ts := lo
	switch bound {
	case "minTime":
		res["minTime"] = formatMillis(lo)
	case "maxTime":
		res["maxTime"] = formatMillis(hi)
		ts = hi
	default:
		res["minTime"], res["maxTime"] = formatMillis(lo), formatMillis(hi)
	}
	return []timeBoundaryResult{{Timestamp: formatMillis(ts), Result: res}}, nil
}

// timeRange returns the smallest and largest row time in scope passing the
// query filter.
func timeRange(ctx context.Context, refs []SegmentRef, c *common) (lo, hi int64, ok bool, err error) {
	for _, ref := range refs {
		sc, err := newSegCtx(ctx, ref, c)
		if err != nil {
			return 0, 0, false, err
		}
		rows, err := evalFilter(sc, c.filter)
		if err != nil {
			return 0, 0, false, err
		}
		if rows.IsEmpty() {
			continue
		}
		a, b := sc.times[rows.Minimum()], sc.times[rows.Maximum()]
		if !ok {
			lo, hi, ok = a, b, true
			continue
		}
		lo, hi = min(lo, a), max(hi, b)
	}
	return lo, hi, ok, nil
}

type dataSourceMetadataResult struct {
	Timestamp string            `json:"timestamp"`
	Result    map[string]string `json:"result"`
}

// runDataSourceMetadata is Druid's DataSourceMetadataQuery: the time of the
// latest row of the datasource.
func runDataSourceMetadata(ctx context.Context, e *Engine, q rawQuery) (any, error) {
	c, err := parseCommon(q, false)
	if err != nil {
		return nil, err
	}
	c.filter = nil
	refs, err := e.lookupTable(ctx, c)
	if err != nil {
		return nil, err
	}
	defer releaseRefs(refs)
	_, hi, ok, err := timeRange(ctx, refs, c)
	if err != nil || !ok {
		return []dataSourceMetadataResult{}, err
	}
	t := formatMillis(hi)
	return []dataSourceMetadataResult{{Timestamp: t, Result: map[string]string{"maxIngestedEventTime": t}}}, nil
}

// columnAnalysis is Druid's ColumnAnalysis.
type columnAnalysis struct {
	TypeSignature     string  `json:"typeSignature"`
	Type              string  `json:"type"`
	HasMultipleValues bool    `json:"hasMultipleValues"`
	HasNulls          bool    `json:"hasNulls"`
	Size              int64   `json:"size"`
	Cardinality       *int    `json:"cardinality"`
	MinValue          any     `json:"minValue"`
	MaxValue          any     `json:"maxValue"`
	ErrorMessage      *string `json:"errorMessage"`
}

// segmentAnalysis is Druid's SegmentAnalysis.
type segmentAnalysis struct {
	ID               string                     `json:"id"`
	Intervals        []string                   `json:"intervals"`
	Columns          map[string]*columnAnalysis `json:"columns"`
	Size             int64                      `json:"size"`
	NumRows          int64                      `json:"numRows"`
	Aggregators      map[string]json.RawMessage `json:"aggregators"`
	TimestampSpec    any                        `json:"timestampSpec"`
	QueryGranularity any                        `json:"queryGranularity"`
	Rollup           *bool                      `json:"rollup"`
}

// runSegmentMetadata is Druid's SegmentMetadataQuery with merge=false: one
// analysis per visible segment. analysisTypes default to cardinality,
// interval and minmax; size, aggregators, queryGranularity and rollup are
// filled only when asked for.
func runSegmentMetadata(ctx context.Context, e *Engine, q rawQuery) (any, error) {
	c, err := parseCommon(q, false)
	if err != nil {
		return nil, err
	}
	var merge bool
	if err := q.decode("merge", &merge); err != nil {
		return nil, err
	}
	if merge {
		return nil, badQuery("merge", "merge=true is not supported")
	}
	types := []string{"cardinality", "interval", "minmax"}
	if q.has("analysisTypes") {
		types = nil
		if err := q.decode("analysisTypes", &types); err != nil {
			return nil, err
		}
		for i, t := range types {
			switch strings.ToLower(t) {
			case "cardinality", "interval", "minmax", "size", "aggregators", "querygranularity", "rollup", "timestampspec":
			default:
				return nil, badQuery("analysisTypes", "[%d]: unknown analysis type %q", i, t)
			}
		}
	}
	want := func(t string) bool {
		return slices.ContainsFunc(types, func(s string) bool { return strings.EqualFold(s, t) })
	}
	var filter []string
	if q.has("toInclude") {
		var ti struct {
			Type    string   `json:"type"`
			Columns []string `json:"columns"`
		}
		if err := q.decode("toInclude", &ti); err != nil {
			return nil, err
		}
		if ti.Type == "list" {
			filter = ti.Columns
			if filter == nil {
				filter = []string{}
			}
		}
	}
	refs, err := e.lookupTable(ctx, c)
	if err != nil {
		return nil, err
	}
	defer releaseRefs(refs)
	out := []*segmentAnalysis{}
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cols := ref.Segment.Columns()
		m := cols.Metadata()
		sa := &segmentAnalysis{ID: ref.Segment.ID(), Columns: map[string]*columnAnalysis{}, NumRows: int64(cols.NumRows())}
		if want("interval") {
			sa.Intervals = []string{ref.Segment.Interval().String()}
		}
		sizes := map[string]int64{}
		if want("size") {
			sa.Size = cols.r.Size()
			for _, ci := range cols.r.Columns() {
				sizes[ci.Name] = ci.Size
			}
		}
		for _, name := range allColumns(m) {
			if filter != nil && !slices.Contains(filter, name) {
				continue
			}
			col, err := cols.column(name)
			if err != nil {
				return nil, err
			}
			ca, err := analyzeColumn(col, sizes[name], want("cardinality"), want("minmax"))
			if err != nil {
				return nil, err
			}
			sa.Columns[name] = ca
		}
		if want("aggregators") {
			sa.Aggregators = map[string]json.RawMessage{}
			for _, mt := range m.Metrics {
				if len(mt.Aggregator) > 0 {
					sa.Aggregators[mt.Name] = mt.Aggregator
				}
			}
		}
		if want("querygranularity") {
			g := m.QueryGranularity
			if g == "" {
				g = "NONE"
			}
			sa.QueryGranularity = map[string]string{"type": strings.ToLower(g)}
		}
		if want("rollup") {
			r := m.Rollup
			sa.Rollup = &r
		}
		out = append(out, sa)
	}
	return out, nil
}

func analyzeColumn(c *column, size int64, card, minmax bool) (*columnAnalysis, error) {
	ca := &columnAnalysis{Size: size}
	switch c.kind {
	case colString:
		ca.Type, ca.TypeSignature, ca.HasMultipleValues = "STRING", "STRING", c.multi
		nulls, err := c.bitmap(0)
		if err != nil {
			return nil, err
		}
		ca.HasNulls = !nulls.IsEmpty()
		if card {
			n := len(c.dict) - 1
			if ca.HasNulls {
				n++
			}
			ca.Cardinality = &n
		}
		if minmax && len(c.dict) > 1 {
			ca.MinValue, ca.MaxValue = c.dict[1], c.dict[len(c.dict)-1]
		}
	case colLong:
		ca.Type, ca.TypeSignature, ca.HasNulls = "LONG", "LONG", c.nulls != nil
	case colFloat:
		ca.Type, ca.TypeSignature, ca.HasNulls = "FLOAT", "FLOAT", c.nulls != nil
	case colDouble:
		ca.Type, ca.TypeSignature, ca.HasNulls = "DOUBLE", "DOUBLE", c.nulls != nil
	case colComplex:
		ca.Type, ca.TypeSignature = c.complexType, "COMPLEX<"+c.complexType+">"
	}
	if c.name == segment.TimeColumn {
		ca.HasNulls = false
	}
	return ca, nil
}
