package query

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/transform"
)

// orderBy is one OrderByColumnSpec of a default limitSpec.
type orderBy struct {
	column     string
	descending bool
	cmp        stringComparator
	numeric    bool // an aggregator or post-aggregator: compare as numbers
}

// limitSpec is Druid's DefaultLimitSpec.
type limitSpec struct {
	limit   int // 0: none
	offset  int
	columns []orderBy
}

func parseLimitSpec(raw json.RawMessage, c *common) (*limitSpec, error) {
	var o struct {
		Type    string            `json:"type"`
		Limit   *int              `json:"limit"`
		Offset  int               `json:"offset"`
		Columns []json.RawMessage `json:"columns"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, badQuery("limitSpec", "%v", err)
	}
	if o.Type != "" && o.Type != "default" && o.Type != "NoopLimitSpec" {
		return nil, badQuery("limitSpec.type", "unknown limitSpec type %q (expected default)", o.Type)
	}
	ls := &limitSpec{offset: o.Offset}
	if o.Limit != nil {
		if *o.Limit <= 0 {
			return nil, badQuery("limitSpec.limit", "must be positive")
		}
		ls.limit = *o.Limit
	}
	if o.Offset < 0 {
		return nil, badQuery("limitSpec.offset", "must not be negative")
	}
	for i, raw := range o.Columns {
		p := fmt.Sprintf("limitSpec.columns[%d]", i)
		var ob orderBy
		var name string
		var col struct {
			Dimension      string `json:"dimension"`
			Direction      string `json:"direction"`
			DimensionOrder any    `json:"dimensionOrder"`
		}
		if json.Unmarshal(raw, &name) == nil {
			col.Dimension = name
		} else if err := json.Unmarshal(raw, &col); err != nil {
			return nil, badQuery(p, "must be a column name or an orderBy object")
		}
		if col.Dimension == "" {
			return nil, badQuery(p+".dimension", "missing")
		}
		ob.column = col.Dimension
		switch strings.ToLower(col.Direction) {
		case "", "ascending", "asc":
		case "descending", "desc":
			ob.descending = true
		default:
			return nil, badQuery(p+".direction", "unknown direction %q (expected ascending or descending)", col.Direction)
		}
		ord := ""
		switch d := col.DimensionOrder.(type) {
		case string:
			ord = d
		case map[string]any:
			ord, _ = d["type"].(string)
		}
		cmpf, ok := comparatorByName(ord)
		if !ok {
			return nil, badQuery(p+".dimensionOrder", "unknown ordering %q (expected lexicographic, alphanumeric, numeric or strlen)", ord)
		}
		ob.cmp = cmpf
		ob.numeric = ord == "" && hasOutput(c, ob.column)
		ls.columns = append(ls.columns, ob)
	}
	return ls, nil
}

// having is a HavingSpec.
type having struct {
	typ    string
	agg    string
	value  float64
	subs   []*having
	filter transform.Filter
	dim    string
	dimVal any
}

func parseHaving(raw json.RawMessage, path string) (*having, error) {
	var o struct {
		Type        string            `json:"type"`
		Aggregation string            `json:"aggregation"`
		Value       json.RawMessage   `json:"value"`
		HavingSpecs []json.RawMessage `json:"havingSpecs"`
		HavingSpec  json.RawMessage   `json:"havingSpec"`
		Filter      *spec.Filter      `json:"filter"`
		Dimension   string            `json:"dimension"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, badQuery(path, "%v", err)
	}
	h := &having{typ: o.Type, agg: o.Aggregation, dim: o.Dimension}
	switch o.Type {
	case "greaterThan", "lessThan", "equalTo":
		if o.Aggregation == "" {
			return nil, badQuery(path+".aggregation", "missing")
		}
		if err := json.Unmarshal(o.Value, &h.value); err != nil {
			return nil, badQuery(path+".value", "must be a number")
		}
	case "and", "or":
		if len(o.HavingSpecs) == 0 {
			return nil, badQuery(path+".havingSpecs", "missing")
		}
		for i, r := range o.HavingSpecs {
			s, err := parseHaving(r, fmt.Sprintf("%s.havingSpecs[%d]", path, i))
			if err != nil {
				return nil, err
			}
			h.subs = append(h.subs, s)
		}
	case "not":
		if len(o.HavingSpec) == 0 {
			return nil, badQuery(path+".havingSpec", "missing")
		}
		s, err := parseHaving(o.HavingSpec, path+".havingSpec")
		if err != nil {
			return nil, err
		}
		h.subs = []*having{s}
	case "filter":
		if o.Filter == nil {
			return nil, badQuery(path+".filter", "missing")
		}
		if err := checkFilter(o.Filter, path+".filter"); err != nil {
			return nil, err
		}
		var err error
		if h.filter, err = transform.CompileFilter(o.Filter); err != nil {
			return nil, internalError(err)
		}
	case "dimSelector":
		if o.Dimension == "" {
			return nil, badQuery(path+".dimension", "missing")
		}
		_ = json.Unmarshal(o.Value, &h.dimVal)
	case "":
		return nil, badQuery(path+".type", "missing")
	default:
		return nil, badQuery(path+".type", "unknown having type %q (expected greaterThan, lessThan, equalTo, and, or, not, filter or dimSelector)", o.Type)
	}
	return h, nil
}

func (h *having) eval(r *resultRow) bool {
	switch h.typ {
	case "greaterThan", "lessThan", "equalTo":
		v, _ := r.get(h.agg)
		x, ok := toFloat(v)
		if !ok {
			return false
		}
		switch h.typ {
		case "greaterThan":
			return x > h.value
		case "lessThan":
			return x < h.value
		}
		return x == h.value
	case "and":
		for _, s := range h.subs {
			if !s.eval(r) {
				return false
			}
		}
		return true
	case "or":
		for _, s := range h.subs {
			if s.eval(r) {
				return true
			}
		}
		return false
	case "not":
		return !h.subs[0].eval(r)
	case "filter":
		b := expr.MapBindings{}
		for i, k := range r.keys {
			b[k] = toExprValue(r.vals[i])
		}
		return h.filter.Match(b)
	case "dimSelector":
		v, _ := r.get(h.dim)
		return fmt.Sprint(v) == fmt.Sprint(h.dimVal) || (v == nil && h.dimVal == nil)
	}
	return false
}

type groupByResult struct {
	Version   string     `json:"version"`
	Timestamp string     `json:"timestamp"`
	Event     *resultRow `json:"event"`
	bucket    int64
}

// runGroupBy is Druid's groupBy v2: groups by bucket and dimensions, then
// having, ordering (limitSpec columns, after the timestamp unless the
// granularity is all; else by dimensions) and limit.
func runGroupBy(ctx context.Context, e *Engine, q rawQuery) (any, error) {
	gs, err := parseGroupQuery("groupBy", q)
	if err != nil {
		return nil, err
	}
	c, dims := gs.c, gs.dims
	ls := &limitSpec{}
	if q.has("limitSpec") {
		if ls, err = parseLimitSpec(q["limitSpec"], c); err != nil {
			return nil, err
		}
	}
	var hv *having
	if q.has("having") {
		if hv, err = parseHaving(q["having"], "having"); err != nil {
			return nil, err
		}
	}
	out := []*groupByResult{}
	g, release, err := e.groupAll(ctx, q, gs)
	if err != nil {
		return nil, err
	}
	defer release()
	if g == nil {
		return out, nil
	}
	isAll := c.granularity.Kind == spec.GranularityAll
	for _, gr := range g.order {
		r := &resultRow{}
		for i, d := range dims {
			r.set(d.outputName, gr.dims[i].json())
		}
		finish(r, c.aggs, c.postAggs, gr.states)
		if hv != nil && !hv.eval(r) {
			continue
		}
		ts := gr.bucket
		if isAll {
			ts = c.intervals[0].Start // Druid's universal timestamp
		}
		out = append(out, &groupByResult{Version: "v1", Timestamp: formatMillis(ts), Event: r, bucket: gr.bucket})
	}
	order := ls.columns
	if len(order) == 0 {
		for _, d := range dims {
			order = append(order, orderBy{column: d.outputName, cmp: strings.Compare})
		}
	}
	slices.SortStableFunc(out, func(x, y *groupByResult) int {
		if !isAll && x.bucket != y.bucket {
			if x.bucket < y.bucket {
				return -1
			}
			return 1
		}
		for _, ob := range order {
			xv, _ := x.Event.get(ob.column)
			yv, _ := y.Event.get(ob.column)
			var r int
			if ob.numeric {
				r = compareValues(xv, yv, nil)
			} else {
				r = compareValues(stringOrNil(xv), stringOrNil(yv), ob.cmp)
			}
			if ob.descending {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		return 0
	})
	if ls.offset > 0 {
		out = out[min(ls.offset, len(out)):]
	}
	if ls.limit > 0 && len(out) > ls.limit {
		out = out[:ls.limit]
	}
	return out, nil
}

// stringOrNil renders a value as a string for dimension orderings.
func stringOrNil(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return x
	}
	return fmt.Sprint(v)
}
