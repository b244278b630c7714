package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// Datasources are Druid's DataSource JSON, dispatched on "type":
//
//	"name" or {"type":"table","name"}            TableDataSource: published and realtime segments
//	{"type":"inline","columnNames","columnTypes","rows"}  InlineDataSource: rows in the query
//	{"type":"query","query":{…}}                 QueryDataSource: a subquery's results, inlined
//	{"type":"join","left","right","rightPrefix","condition","joinType"}  JoinDataSource
//
// Every kind resolves to SegmentRefs, so the query types run unchanged over
// them: a table to its segments, inline rows and subquery results to one
// in-memory segment (interval ETERNITY, every row at __time 0 unless the rows
// carry __time, as Druid's InlineSegmentWrangler reads them), and a join to
// one joined segment per segment of its left side (Druid's HashJoinSegment).
// A subquery is run when the query runs, and its results are inlined the way
// Druid's Broker inlines them (ClientQuerySegmentWalker), bounded by
// context.maxSubqueryRows.

// dataSource is one parsed datasource.
type dataSource struct {
	typ  string // table, inline, query, join
	path string // JSON path, for errors found while running

	name   string   // table
	inline *table   // inline
	query  rawQuery // query

	join *joinSpec
}

// defaultMaxSubqueryRows is Druid's druid.server.http.maxSubqueryRows: the
// most rows a subquery may give, and the most rows the right-hand side of a
// join may hold (it is kept in memory, hashed on the join keys).
const defaultMaxSubqueryRows = 100000

// parseDataSource decodes the datasource at path.
func parseDataSource(raw json.RawMessage, path string) (*dataSource, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, badQuery(path, "missing")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil, badQuery(path, "must not be empty")
		}
		return &dataSource{typ: "table", path: path, name: s}, nil
	}
	var o struct {
		Type   string          `json:"type"`
		Name   string          `json:"name"`
		Query  json.RawMessage `json:"query"`
		Lookup string          `json:"lookup"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, badQuery(path, "must be a name or a datasource object")
	}
	ds := &dataSource{typ: o.Type, path: path}
	switch o.Type {
	case "table":
		if o.Name == "" {
			return nil, badQuery(path+".name", "missing")
		}
		ds.name = o.Name
	case "inline":
		t, err := parseInline(raw, path)
		if err != nil {
			return nil, err
		}
		ds.inline = t
	case "query":
		if len(o.Query) == 0 || string(o.Query) == "null" {
			return nil, badQuery(path+".query", "missing")
		}
		var q rawQuery
		if err := json.Unmarshal(o.Query, &q); err != nil {
			return nil, badQuery(path+".query", "not a query object: %v", err)
		}
		var qt string
		if err := q.decode("queryType", &qt); err != nil {
			return nil, badQuery(path+".query.queryType", "%v", err)
		}
		switch qt {
		case "timeseries", "topN", "groupBy", "scan":
		case "":
			return nil, badQuery(path+".query.queryType", "missing (expected timeseries, topN, groupBy or scan)")
		default:
			return nil, badQuery(path+".query.queryType", "a %s query cannot be a query datasource (expected timeseries, topN, groupBy or scan)", qt)
		}
		ds.query = q
	case "join":
		j, err := parseJoin(raw, path)
		if err != nil {
			return nil, err
		}
		ds.join = j
	case "lookup":
		// kafka-indexer has no lookups (no druid-lookups-cached-global, no
		// lookup coordinator): every name is unknown.
		return nil, badQuery(path+".lookup", "unknown lookup %q: kafka-indexer has no lookups; join an inline datasource instead", o.Lookup)
	case "":
		return nil, badQuery(path+".type", "missing (expected table, inline, query or join)")
	default:
		return nil, badQuery(path+".type", "unsupported datasource type %q (expected table, inline, query or join)", o.Type)
	}
	return ds, nil
}

// resolve returns the segments of ds in the query intervals; the caller
// releases them (releaseRefs).
func (e *Engine) resolve(ctx context.Context, ds *dataSource, c *common) ([]SegmentRef, error) {
	switch ds.typ {
	case "table":
		refs, known, err := e.segments(ctx, ds.name, c.intervals)
		if err != nil {
			return nil, err
		}
		if !known {
			releaseRefs(refs)
			return nil, unknownDataSource(ds.name)
		}
		return refs, nil
	case "inline":
		return []SegmentRef{ds.inline.ref(c.intervals)}, nil
	case "query":
		t, err := e.subquery(ctx, ds, c)
		if err != nil {
			return nil, err
		}
		return []SegmentRef{t.ref(c.intervals)}, nil
	case "join":
		return e.resolveJoin(ctx, ds, c)
	}
	return nil, badQuery(ds.path+".type", "unsupported datasource type %q", ds.typ)
}

// rightTable materialises the right-hand side of a join.
func (e *Engine) rightTable(ctx context.Context, ds *dataSource, c *common) (*table, error) {
	var t *table
	switch ds.typ {
	case "inline":
		t = ds.inline
	case "query":
		var err error
		if t, err = e.subquery(ctx, ds, c); err != nil {
			return nil, err
		}
	default:
		// Druid joins only "global" datasources on the right: rows every
		// server holds whole (inline, lookup, broadcast tables, subquery
		// results), never a partitioned table.
		return nil, badQuery(ds.path, "a %s datasource cannot be the right-hand side of a join (expected inline or query)", ds.typ)
	}
	if t.n > c.ctx.maxSubqueryRows {
		return nil, resourceLimit("%s: the right-hand side of the join has %d rows, beyond maxSubqueryRows[%d]", ds.path, t.n, c.ctx.maxSubqueryRows)
	}
	return t, nil
}

// subquery runs a query datasource and returns its results as a table.
func (e *Engine) subquery(ctx context.Context, ds *dataSource, c *common) (*table, error) {
	var qt string
	_ = ds.query.decode("queryType", &qt)
	res, err := queryTypes[qt](ctx, e, ds.query)
	if err != nil {
		var qe *Error
		if errors.As(err, &qe) && qe.Status == 400 && qe.Code == CodeBadQuery {
			cp := *qe
			cp.Message = ds.path + ".query." + qe.Message
			return nil, &cp
		}
		return nil, err
	}
	t, err := resultTable(res, c.ctx.maxSubqueryRows)
	if err != nil {
		return nil, resourceLimit("%s: %v", ds.path, err)
	}
	return t, nil
}

// resultTable turns a query result into a table (Druid's
// QueryToolChest.resultsAsArrays with resultArraySignature): __time from the
// result timestamps (absent for a groupBy over granularity all, whose rows
// carry no time), then the result columns in order.
func resultTable(res any, limit int) (*table, error) {
	var names []string
	idx := map[string]int{}
	var rows []map[int]expr.Value
	var times []int64
	hasTime := false
	add := func(ts *int64, keys []string, vals []any) error {
		if len(rows) == limit {
			return errTooManyRows(limit)
		}
		row := make(map[int]expr.Value, len(keys))
		for i, k := range keys {
			if k == segment.TimeColumn {
				if l, ok := toExprValue(vals[i]).AsLong(); ok {
					ts, hasTime = &l, true
				}
				continue
			}
			j, ok := idx[k]
			if !ok {
				j = len(names)
				idx[k] = j
				names = append(names, k)
			}
			row[j] = resultValue(vals[i])
		}
		var t int64
		if ts != nil {
			t, hasTime = *ts, true
		}
		rows = append(rows, row)
		times = append(times, t)
		return nil
	}
	parseTS := func(s any) *int64 {
		str, ok := s.(string)
		if !ok {
			return nil
		}
		ms, err := parseInstant(str)
		if err != nil {
			return nil
		}
		return &ms
	}
	switch r := res.(type) {
	case []timeseriesResult:
		for _, x := range r {
			if err := add(parseTS(x.Timestamp), x.Result.keys, x.Result.vals); err != nil {
				return nil, err
			}
		}
	case []topNResult:
		for _, x := range r {
			ts := parseTS(x.Timestamp)
			for _, row := range x.Result {
				if err := add(ts, row.keys, row.vals); err != nil {
					return nil, err
				}
			}
		}
	case []*groupByResult:
		for _, x := range r {
			var ts *int64
			if x.bucket != allBucket {
				b := x.bucket
				ts = &b
			}
			if err := add(ts, x.Event.keys, x.Event.vals); err != nil {
				return nil, err
			}
		}
	case []scanResult:
		for _, batch := range r {
			for _, ev := range batch.Events {
				var vals []any
				switch v := ev.(type) {
				case *resultRow:
					vals = v.vals
				case []any:
					vals = v
				}
				if err := add(nil, batch.Columns, vals); err != nil {
					return nil, err
				}
			}
		}
	}
	t := &table{names: names, n: len(rows)}
	for j := range names {
		vals := make([]expr.Value, len(rows))
		for i, row := range rows {
			vals[i] = row[j]
		}
		kind := inferKind(vals)
		for _, v := range vals {
			if v.Kind() == expr.KindString && isComplexJSON(v) {
				kind = colComplex
				break
			}
		}
		if kind == colComplex {
			for i, v := range vals {
				switch {
				case v.IsNull():
				case isComplexJSON(v):
					vals[i] = expr.String(strings.TrimPrefix(v.RawString(), complexMarker))
				default:
					var b []byte
					if v.IsNumeric() {
						b = []byte(v.String())
					} else {
						str, _ := v.AsString()
						b, _ = json.Marshal(str)
					}
					vals[i] = expr.String(string(b))
				}
			}
		} else {
			vals = coerce(vals, kind)
		}
		t.kinds = append(t.kinds, kind)
		t.cols = append(t.cols, vals)
	}
	if hasTime {
		t.names = append(t.names, segment.TimeColumn)
		t.kinds = append(t.kinds, colLong)
		tc := make([]expr.Value, len(times))
		for i, ts := range times {
			tc[i] = expr.Long(ts)
		}
		t.cols = append(t.cols, tc)
		t.times = times
	}
	return t, nil
}

// complexMarker prefixes the JSON of a non-scalar result value while a
// result is turned into a table, so the column becomes a complex one.
const complexMarker = "\x00json:"

func isComplexJSON(v expr.Value) bool { return strings.HasPrefix(v.RawString(), complexMarker) }

// resultValue converts one result value: scalars as themselves, anything
// else (sketch estimates are numbers already; pairs, arrays of mixed
// values) as its JSON.
func resultValue(v any) expr.Value {
	switch x := v.(type) {
	case nil, int64, float64, string, []string:
		return toExprValue(x)
	case int:
		return expr.Long(int64(x))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return expr.Null()
	}
	return expr.String(complexMarker + string(b))
}

func errTooManyRows(limit int) error {
	return fmt.Errorf("subquery generated results beyond maximum[%d] rows (context.maxSubqueryRows)", limit)
}
