package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// rawQuery is a query object by field, decoded field by field so that
// errors name the field.
type rawQuery map[string]json.RawMessage

func (q rawQuery) has(f string) bool {
	v, ok := q[f]
	return ok && string(v) != "null"
}

func (q rawQuery) decode(f string, dst any) error {
	if !q.has(f) {
		return nil
	}
	if err := json.Unmarshal(q[f], dst); err != nil {
		return badQuery(f, "%v", err)
	}
	return nil
}

// common holds the parts every native query shares (Druid's BaseQuery).
type common struct {
	queryType   string
	ds          *dataSource
	virtual     *virtualColumns // nil: none
	intervals   []Interval
	granularity spec.Granularity
	filter      *spec.Filter
	aggs        []*aggregator
	postAggs    []*postAgg
	descending  bool
	ctx         queryContext
	fc          *filterCache
}

// queryContext is the subset of Druid's query context that is honoured.
type queryContext struct {
	queryID          string
	timeout          time.Duration // 0: none
	skipEmptyBuckets bool
	grandTotal       bool
	maxSubqueryRows  int // rows a subquery or a join's right-hand side may have
}

// defaultTimeout is druid.server.http.defaultQueryTimeout.
const defaultTimeout = 300 * time.Second

func parseCommon(q rawQuery, needIntervals bool) (*common, error) {
	c := &common{granularity: spec.MustGranularity("all"), fc: &filterCache{}}
	_ = q.decode("queryType", &c.queryType)
	ds, err := parseDataSource(q["dataSource"], "dataSource")
	if err != nil {
		return nil, err
	}
	c.ds = ds
	if c.virtual, err = parseVirtualColumns(q); err != nil {
		return nil, err
	}
	if q.has("intervals") {
		if c.intervals, err = parseIntervals(q["intervals"]); err != nil {
			return nil, err
		}
	} else if needIntervals {
		return nil, badQuery("intervals", "missing")
	} else {
		c.intervals = []Interval{Eternity}
	}
	if q.has("granularity") {
		if err := json.Unmarshal(q["granularity"], &c.granularity); err != nil {
			return nil, badQuery("granularity", "%v", err)
		}
	}
	if q.has("filter") {
		c.filter = &spec.Filter{}
		if err := json.Unmarshal(q["filter"], c.filter); err != nil {
			return nil, badQuery("filter", "%v", err)
		}
		if err := checkFilter(c.filter, "filter"); err != nil {
			return nil, err
		}
	}
	if err := q.decode("descending", &c.descending); err != nil {
		return nil, err
	}
	if c.ctx, err = parseContext(q); err != nil {
		return nil, err
	}
	return c, nil
}

// parseIntervals accepts ["a/b", …], the legacy "a/b" and
// {"type":"intervals","intervals":[…]}.
func parseIntervals(raw json.RawMessage) ([]Interval, error) {
	var list []string
	var one string
	var obj struct {
		Type      string   `json:"type"`
		Intervals []string `json:"intervals"`
	}
	switch {
	case json.Unmarshal(raw, &list) == nil:
	case json.Unmarshal(raw, &one) == nil:
		list = []string{one}
	case json.Unmarshal(raw, &obj) == nil && obj.Type == "intervals":
		list = obj.Intervals
	default:
		return nil, badQuery("intervals", "must be a list of ISO-8601 intervals")
	}
	if len(list) == 0 {
		return nil, badQuery("intervals", "must not be empty")
	}
	out := make([]Interval, 0, len(list))
	for i, s := range list {
		iv, err := parseInterval(s)
		if err != nil {
			return nil, badQuery(fmt.Sprintf("intervals[%d]", i), "%v", err)
		}
		out = append(out, iv)
	}
	return normalize(out), nil
}

// parseInterval parses "start/end", "start/period" or "period/end". Bounds
// may be Druid's extremes (Intervals.ETERNITY, signed years of more than four
// digits); every bound is clamped to Eternity.
func parseInterval(s string) (Interval, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return Interval{}, fmt.Errorf("%q is not an ISO-8601 interval (start/end)", s)
	}
	var iv Interval
	var err error
	switch {
	case strings.HasPrefix(a, "P"):
		if iv.End, err = parseInstant(b); err != nil {
			return Interval{}, err
		}
		p, err := spec.ParsePeriod(a)
		if err != nil {
			return Interval{}, err
		}
		iv.Start = clampTime(p.AddTo(time.UnixMilli(iv.End).UTC(), -1))
	case strings.HasPrefix(b, "P"):
		if iv.Start, err = parseInstant(a); err != nil {
			return Interval{}, err
		}
		p, err := spec.ParsePeriod(b)
		if err != nil {
			return Interval{}, err
		}
		iv.End = clampTime(p.AddTo(time.UnixMilli(iv.Start).UTC(), 1))
	default:
		if iv.Start, err = parseInstant(a); err != nil {
			return Interval{}, err
		}
		if iv.End, err = parseInstant(b); err != nil {
			return Interval{}, err
		}
	}
	if iv.End < iv.Start {
		return Interval{}, fmt.Errorf("%q: end before start", s)
	}
	return iv, nil
}

// parseContext reads the honoured context keys; like Druid's QueryContext
// it accepts numbers and booleans also as strings.
func parseContext(q rawQuery) (queryContext, error) {
	qc := queryContext{timeout: defaultTimeout, maxSubqueryRows: defaultMaxSubqueryRows}
	if !q.has("context") {
		return qc, nil
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(q["context"]))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return qc, badQuery("context", "must be an object")
	}
	if v, ok := m["queryId"].(string); ok {
		qc.queryID = v
	}
	if v, ok := m["timeout"]; ok && v != nil {
		n, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
		if err != nil || n < 0 {
			return qc, badQuery("context.timeout", "must be a non-negative number of milliseconds")
		}
		qc.timeout = time.Duration(n) * time.Millisecond
	}
	if v, ok := m["maxSubqueryRows"]; ok && v != nil {
		n, err := strconv.ParseInt(fmt.Sprint(v), 10, 32)
		if err != nil || n <= 0 {
			return qc, badQuery("context.maxSubqueryRows", "must be a positive number of rows")
		}
		qc.maxSubqueryRows = int(n)
	}
	for key, dst := range map[string]*bool{"skipEmptyBuckets": &qc.skipEmptyBuckets, "grandTotal": &qc.grandTotal} {
		if v, ok := m[key]; ok && v != nil {
			b, err := strconv.ParseBool(fmt.Sprint(v))
			if err != nil {
				return qc, badQuery("context."+key, "must be a boolean")
			}
			*dst = b
		}
	}
	return qc, nil
}

// parseAggs reads "aggregations" and "postAggregations".
func (c *common) parseAggs(q rawQuery) error {
	var raws []json.RawMessage
	if err := q.decode("aggregations", &raws); err != nil {
		return err
	}
	names := map[string]bool{}
	for i, r := range raws {
		p := fmt.Sprintf("aggregations[%d]", i)
		a, err := parseAggregator(r, p, true)
		if err != nil {
			return err
		}
		if names[a.name] {
			return badQuery(p+".name", "duplicate output name %q", a.name)
		}
		names[a.name] = true
		c.aggs = append(c.aggs, a)
	}
	raws = nil
	if err := q.decode("postAggregations", &raws); err != nil {
		return err
	}
	for i, r := range raws {
		path := fmt.Sprintf("postAggregations[%d]", i)
		p, err := parsePostAgg(r, path)
		if err != nil {
			return err
		}
		if p.name == "" {
			return badQuery(path+".name", "missing")
		}
		c.postAggs = append(c.postAggs, p)
	}
	return nil
}

// dimSpec is a DimensionSpec: a column name or
// {"type":"default","dimension","outputName"}.
type dimSpec struct {
	dimension  string
	outputName string
}

func parseDimSpec(raw json.RawMessage, path string) (dimSpec, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return dimSpec{}, badQuery(path, "must not be empty")
		}
		return dimSpec{dimension: s, outputName: s}, nil
	}
	var o struct {
		Type       string `json:"type"`
		Dimension  string `json:"dimension"`
		OutputName string `json:"outputName"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return dimSpec{}, badQuery(path, "must be a column name or a dimension spec object")
	}
	if o.Type != "" && o.Type != "default" {
		return dimSpec{}, badQuery(path+".type", "unsupported dimension spec type %q (only default)", o.Type)
	}
	if o.Dimension == "" {
		return dimSpec{}, badQuery(path+".dimension", "missing")
	}
	if o.OutputName == "" {
		o.OutputName = o.Dimension
	}
	return dimSpec{dimension: o.Dimension, outputName: o.OutputName}, nil
}
