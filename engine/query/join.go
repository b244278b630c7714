package query

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// Joins are Druid's JoinDataSource run as a hash join (HashJoinSegment with
// an IndexedTable on the right): the right-hand side (inline rows or a
// subquery's results, at most maxSubqueryRows rows) is held in memory and
// hashed on its key columns; each segment of the left-hand side becomes a
// joined segment whose rows are the left rows in the query intervals, each
// repeated once per matching right row (in right-hand order), or once with
// null right columns for a LEFT join when nothing matches. Right columns
// are read as rightPrefix + name and shadow left columns with that prefix,
// as in Druid. The joined segment keeps the left segment's id, interval and
// data interval, so timestamps of granularity-all results are Druid's.
//
// The condition is Druid's expression language, analysed as
// JoinConditionAnalysis does: a conjunction (&&) of equalities between an
// expression of left columns and a right column ("j0.k"), plus constant
// parts (a false one matches nothing). Null keys never match (==, not IS
// NOT DISTINCT FROM). Any other condition cannot be hashed and is refused.

// joinSpec is a parsed join datasource.
type joinSpec struct {
	left, right *dataSource
	prefix      string
	joinType    string // INNER or LEFT
	condition   string
	keys        []joinKey
	never       bool // a constant false part: no row matches
	path        string
}

// joinKey is one equality: an expression of the left side and a right
// column (without the prefix).
type joinKey struct {
	left  *expr.Expr
	right string
}

func parseJoin(raw json.RawMessage, path string) (*joinSpec, error) {
	var o struct {
		Left        json.RawMessage `json:"left"`
		Right       json.RawMessage `json:"right"`
		RightPrefix *string         `json:"rightPrefix"`
		Condition   *string         `json:"condition"`
		JoinType    *string         `json:"joinType"`
		LeftFilter  json.RawMessage `json:"leftFilter"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, badQuery(path, "not a join datasource: %v", err)
	}
	j := &joinSpec{path: path}
	var err error
	if j.left, err = parseDataSource(o.Left, path+".left"); err != nil {
		return nil, err
	}
	if j.right, err = parseDataSource(o.Right, path+".right"); err != nil {
		return nil, err
	}
	if len(o.LeftFilter) > 0 && string(o.LeftFilter) != "null" {
		return nil, badQuery(path+".leftFilter", "not supported; put the filter in the query")
	}
	// Druid's JoinPrefixUtils.validatePrefix.
	switch {
	case o.RightPrefix == nil:
		return nil, badQuery(path+".rightPrefix", "missing")
	case *o.RightPrefix == "":
		return nil, badQuery(path+".rightPrefix", "must not be empty")
	case strings.HasPrefix(segment.TimeColumn, *o.RightPrefix):
		return nil, badQuery(path+".rightPrefix", "%q cannot be a prefix of the time column %s", *o.RightPrefix, segment.TimeColumn)
	}
	j.prefix = *o.RightPrefix
	// Druid's JoinPrefixUtils.checkPrefixesForDuplicatesAndShadowing, over
	// the clauses of nested joins.
	for l := j.left; l.typ == "join"; l = l.join.left {
		p := l.join.prefix
		switch {
		case p == j.prefix:
			return nil, badQuery(path+".rightPrefix", "duplicate prefix %q: %s.rightPrefix has it too", j.prefix, l.path)
		case strings.HasPrefix(p, j.prefix) || strings.HasPrefix(j.prefix, p):
			return nil, badQuery(path+".rightPrefix", "prefix %q conflicts with %q of %s.rightPrefix: one is a prefix of the other", j.prefix, p, l.path)
		}
	}
	jt := "INNER"
	if o.JoinType != nil {
		jt = strings.ToUpper(*o.JoinType)
	}
	switch jt {
	case "INNER", "LEFT":
		j.joinType = jt
	case "RIGHT", "FULL":
		return nil, badQuery(path+".joinType", "%s joins are not supported (expected INNER or LEFT)", jt)
	default:
		return nil, badQuery(path+".joinType", "unknown join type %q (expected INNER or LEFT)", *o.JoinType)
	}
	if o.Condition == nil {
		return nil, badQuery(path+".condition", "missing")
	}
	j.condition = *o.Condition
	cond, err := expr.Parse(j.condition)
	if err != nil {
		return nil, badQuery(path+".condition", "%v", err)
	}
	for _, part := range cond.Conjuncts() {
		if k, ok := j.equality(part); ok {
			j.keys = append(j.keys, k)
			continue
		}
		if !part.IsConstant() {
			return nil, badQuery(path+".condition", "%q is not an equi-join condition: it must be one equality, or several joined by and, each between an expression of left-hand columns and a right-hand column (%s…); Druid cannot hash-join on anything else", j.condition, j.prefix)
		}
		if !part.Eval(nil).Truthy() {
			j.never = true
		}
	}
	return j, nil
}

// equality recognises left-expression == right-column, either way round
// (JoinConditionAnalysis.isLeftExprAndRightColumn).
func (j *joinSpec) equality(part *expr.Expr) (joinKey, bool) {
	l, r, ok := part.Equality()
	if !ok {
		return joinKey{}, false
	}
	leftOnly := func(e *expr.Expr) bool {
		for _, id := range e.Identifiers() {
			if strings.HasPrefix(id, j.prefix) {
				return false
			}
		}
		return true
	}
	rightCol := func(e *expr.Expr) (string, bool) {
		id, ok := e.Identifier()
		if !ok || !strings.HasPrefix(id, j.prefix) {
			return "", false
		}
		return id[len(j.prefix):], true
	}
	if c, ok := rightCol(r); ok && leftOnly(l) {
		return joinKey{left: l, right: c}, true
	}
	if c, ok := rightCol(l); ok && leftOnly(r) {
		return joinKey{left: r, right: c}, true
	}
	return joinKey{}, false
}

// joinIndex is the right-hand side hashed on the join keys.
type joinIndex struct {
	t     *table
	cols  []int     // table column of each key
	kinds []colKind // its kind, which left values are converted to
	rows  map[string][]int32
	all   []int32 // no keys: every row matches (a cross join)
}

func (e *Engine) resolveJoin(ctx context.Context, ds *dataSource, c *common) ([]SegmentRef, error) {
	j := ds.join
	right, err := e.rightTable(ctx, j.right, c)
	if err != nil {
		return nil, err
	}
	ix := &joinIndex{t: right}
	for _, k := range j.keys {
		col := right.column(k.right)
		if col < 0 {
			return nil, badQuery(j.path+".condition", "the right-hand side has no column %q (it has %s)", k.right, strings.Join(right.names, ", "))
		}
		if right.kinds[col] == colComplex {
			return nil, badQuery(j.path+".condition", "cannot join on the complex column %q", k.right)
		}
		ix.cols = append(ix.cols, col)
		ix.kinds = append(ix.kinds, right.kinds[col])
	}
	if len(j.keys) == 0 {
		ix.all = make([]int32, right.n)
		for i := range ix.all {
			ix.all[i] = int32(i)
		}
	} else {
		ix.rows = map[string][]int32{}
		var key []byte
	rows:
		for r := 0; r < right.n; r++ {
			key = key[:0]
			for k, col := range ix.cols {
				s, ok := joinKeyString(right.cols[col][r], ix.kinds[k])
				if !ok {
					continue rows // a null key matches nothing
				}
				key = binary.AppendUvarint(key, uint64(len(s)))
				key = append(key, s...)
			}
			ix.rows[string(key)] = append(ix.rows[string(key)], int32(r))
		}
	}
	left, err := e.resolve(ctx, j.left, c)
	if err != nil {
		return nil, err
	}
	// Segments are joined in parallel, like the per-segment work of the query.
	out := make([]SegmentRef, len(left))
	errs := make([]error, len(left))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(left)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = joinSegment(ctx, left[i], ix, j)
			}
		}()
	}
	for i := range left {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for i, ref := range left {
			if errs[i] == nil {
				ref = out[i] // carries the left ref's release
			}
			releaseRefs([]SegmentRef{ref})
		}
		for _, e := range errs {
			if e != nil {
				return nil, e // the first, which may be a *Error
			}
		}
	}
	return out, nil
}

// joinKeyString renders a key value as the right column's type reads it
// (Druid converts the left value to the key column's type); ok is false
// for null, which never matches.
func joinKeyString(v expr.Value, kind colKind) (string, bool) {
	switch kind {
	case colLong:
		l, ok := v.AsLong()
		return strconv.FormatInt(l, 10), ok
	case colDouble, colFloat:
		d, ok := v.AsDouble()
		if kind == colFloat {
			d = float64(float32(d))
		}
		return strconv.FormatFloat(d, 'g', -1, 64), ok
	}
	s, ok := v.AsString()
	return s, ok && s != "" // "" is null in string columns
}

// joinedSegment is a left segment joined with the right-hand side.
type joinedSegment struct {
	id   string
	iv   Interval
	cols *Columns
}

func (s *joinedSegment) ID() string         { return s.id }
func (s *joinedSegment) Interval() Interval { return s.iv }
func (s *joinedSegment) Columns() *Columns  { return s.cols }

// joinSegment joins the rows of ref in its intervals. The returned ref
// takes over releasing ref.
func joinSegment(ctx context.Context, ref SegmentRef, ix *joinIndex, j *joinSpec) (SegmentRef, error) {
	lc := ref.Segment.Columns()
	times, err := lc.Times()
	if err != nil {
		return SegmentRef{}, fmt.Errorf("segment %s: %w", ref.Segment.ID(), err)
	}
	match, err := ix.matcher(lc, j)
	if err != nil {
		return SegmentRef{}, err
	}
	var leftRows, rightRows []int32
	n := 0
	for _, iv := range ref.Intervals {
		lo := sort.Search(len(times), func(i int) bool { return times[i] >= iv.Start })
		hi := sort.Search(len(times), func(i int) bool { return times[i] >= iv.End })
		for r := lo; r < hi; r++ {
			if n++; n&4095 == 0 {
				if err := ctx.Err(); err != nil {
					return SegmentRef{}, err
				}
			}
			ms, err := match(r)
			if err != nil {
				return SegmentRef{}, err
			}
			if j.never {
				ms = nil
			}
			if len(ms) == 0 {
				if j.joinType == "LEFT" {
					leftRows, rightRows = append(leftRows, int32(r)), append(rightRows, -1)
				}
				continue
			}
			for _, m := range ms {
				leftRows, rightRows = append(leftRows, int32(r)), append(rightRows, m)
			}
		}
	}
	jt := make([]int64, len(leftRows))
	for i, r := range leftRows {
		jt[i] = times[r]
	}
	var bounds *Interval
	if b, ok := lc.dataInterval(); ok {
		bounds = &b
	}
	lm := lc.Metadata()
	meta := segment.Metadata{DataSource: lm.DataSource, Interval: lm.Interval, Version: lm.Version, Partition: lm.Partition,
		QueryGranularity: lm.QueryGranularity}
	for _, d := range lm.Dimensions {
		if !strings.HasPrefix(d.Name, j.prefix) {
			meta.Dimensions = append(meta.Dimensions, d)
		}
	}
	for _, m := range lm.Metrics {
		if !strings.HasPrefix(m.Name, j.prefix) {
			meta.Metrics = append(meta.Metrics, m)
		}
	}
	t := ix.t
	for i, name := range t.names {
		meta.Dimensions = append(meta.Dimensions, segment.DimensionSchema{Name: j.prefix + name, Type: segmentType(t.kinds[i])})
	}
	cols := derivedColumns(meta, jt, bounds, func(name string) (*column, error) {
		if name == segment.TimeColumn {
			return &column{name: name, kind: colLong, longs: jt}, nil
		}
		if strings.HasPrefix(name, j.prefix) {
			c := t.column(name[len(j.prefix):])
			if c < 0 {
				return &column{name: name, kind: colMissing}, nil
			}
			return memColumnGather(name, t.kinds[c], t.cols[c], rightRows), nil
		}
		src, err := lc.column(name)
		if err != nil {
			return nil, err
		}
		return gatherColumn(src, leftRows), nil
	})
	seg := &joinedSegment{id: ref.Segment.ID(), iv: ref.Segment.Interval(), cols: cols}
	return SegmentRef{Segment: seg, Intervals: ref.Intervals, release: ref.release}, nil
}

// matcher returns the right rows matching a left row of lc.
func (ix *joinIndex) matcher(lc *Columns, j *joinSpec) (func(row int) ([]int32, error), error) {
	if ix.all != nil {
		return func(int) ([]int32, error) { return ix.all, nil }, nil
	}
	// One key that is a plain single-valued string column: look each
	// dictionary value up once.
	if len(j.keys) == 1 {
		if name, ok := j.keys[0].left.Identifier(); ok {
			c, err := lc.column(name)
			if err != nil {
				return nil, err
			}
			if c.kind == colString && !c.multi {
				byID := make([][]int32, len(c.dict))
				var key []byte
				for id := 1; id < len(c.dict); id++ {
					s, ok := joinKeyString(expr.String(c.dict[id]), ix.kinds[0])
					if !ok {
						continue
					}
					key = binary.AppendUvarint(key[:0], uint64(len(s)))
					key = append(key, s...)
					byID[id] = ix.rows[string(key)]
				}
				return func(row int) ([]int32, error) { return byID[c.ids[row]], nil }, nil
			}
		}
	}
	rb := newRowBinding(lc.column)
	var key []byte
	return func(row int) ([]int32, error) {
		rb.row = row
		key = key[:0]
		for k, jk := range j.keys {
			v := jk.left.Eval(rb)
			if rb.err != nil {
				return nil, rb.err
			}
			if v.Kind() == expr.KindStrings && len(v.Array()) > 1 {
				return nil, badQuery(j.path+".condition", "joining on a multi-value dimension is not supported (a row of %q has %d values)", jk.left, len(v.Array()))
			}
			s, ok := joinKeyString(v.Scalar(), ix.kinds[k])
			if !ok {
				return nil, nil
			}
			key = binary.AppendUvarint(key, uint64(len(s)))
			key = append(key, s...)
		}
		return ix.rows[string(key)], nil
	}, nil
}
