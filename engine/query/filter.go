package query

import (
	"errors"
	"fmt"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/transform"
)

// Filters are evaluated per segment into bitmaps of the rows that match, in
// Druid's SQL-compatible three-valued logic: every (sub)filter yields the
// rows where it is true and the rows where it is false; the rest are
// unknown (a comparison with null). not swaps them, and intersects the
// trues and unions the falses, or the reverse; so not(x = 'a') does not
// match rows where x is null, as in Druid.
//
// Leaves on string columns (and on columns the segment lacks, which read as
// all null) never scan rows: selector, in and equals look their values up in
// the sorted dictionary; bound, range, like and regex test every dictionary
// value once with the row-wise filter from engine/transform and union the
// bitmaps of the values that match (Druid's dictionary-encoded
// BitmapIndex path). Leaves on numeric columns or __time, and expression
// filters, fall back to testing each row in scope with that row-wise filter
// (Druid's ValueMatcher path).

// checkFilter validates f at path, so a bad filter is a 400 before any
// segment is touched. It is the only check: the leaves compile f without
// checking it again.
func checkFilter(f *spec.Filter, path string) error {
	if err := spec.ValidateFilter(f, path); err != nil {
		var fe *spec.FieldError
		if errors.As(err, &fe) {
			return badQuery(fe.Path, "%s", fe.Msg)
		}
		return badQuery(path, "%v", err)
	}
	return nil
}

// leaf is a compiled leaf filter and its negation, shared by all segments of
// a query.
type leaf struct {
	match, notMatch transform.Filter
}

// filterCache compiles each leaf once per query.
type filterCache struct {
	mu     sync.Mutex
	leaves map[*spec.Filter]*leaf
}

func (fc *filterCache) get(f *spec.Filter) (*leaf, error) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if l := fc.leaves[f]; l != nil {
		return l, nil
	}
	m, err := transform.CompileFilter(f)
	if err != nil {
		return nil, err
	}
	n, err := transform.CompileFilter(&spec.Filter{Type: "not", Field: f})
	if err != nil {
		return nil, err
	}
	if fc.leaves == nil {
		fc.leaves = map[*spec.Filter]*leaf{}
	}
	l := &leaf{match: m, notMatch: n}
	fc.leaves[f] = l
	return l, nil
}

// evalFilter returns the rows in scope where f is true.
func evalFilter(sc *segCtx, f *spec.Filter) (*roaring.Bitmap, error) {
	if f == nil {
		return sc.scope, nil
	}
	t, _, err := evalTF(sc, f)
	return t, err
}

// evalTF returns the rows of scope where f is true and where it is false.
// Results may be shared bitmaps: never modify them.
func evalTF(sc *segCtx, f *spec.Filter) (t, fl *roaring.Bitmap, err error) {
	switch f.Type {
	case "true":
		return sc.scope, roaring.New(), nil
	case "false":
		return roaring.New(), sc.scope, nil
	case "not":
		t, fl, err := evalTF(sc, f.Field)
		return fl, t, err
	case "and", "or":
		ts := make([]*roaring.Bitmap, len(f.Fields))
		fs := make([]*roaring.Bitmap, len(f.Fields))
		for i, sub := range f.Fields {
			if ts[i], fs[i], err = evalTF(sc, sub); err != nil {
				return nil, nil, err
			}
		}
		if f.Type == "and" {
			return andAll(ts), roaring.FastOr(fs...), nil
		}
		return roaring.FastOr(ts...), andAll(fs), nil
	}
	name := f.Dimension
	if name == "" {
		name = f.Column
	}
	switch f.Type {
	case "selector", "in", "equals", "bound", "range", "like", "regex", "null":
		if name != segment.TimeColumn {
			c, err := sc.column(name)
			if err != nil {
				return nil, nil, err
			}
			if c.kind == colString || c.kind == colMissing {
				return sc.dictFilter(f, c)
			}
		}
	}
	return sc.scanFilter(f)
}

func andAll(bms []*roaring.Bitmap) *roaring.Bitmap {
	if len(bms) == 1 {
		return bms[0]
	}
	return roaring.FastAnd(bms...)
}

// dictFilter evaluates a leaf on a string (or missing) column through its
// dictionary and bitmaps.
func (sc *segCtx) dictFilter(f *spec.Filter, c *column) (t, fl *roaring.Bitmap, err error) {
	lf, err := sc.fc.get(f)
	if err != nil {
		return nil, nil, err
	}
	// Classify null first: true, false or unknown.
	nullB := expr.MapBindings{}
	nullTrue, nullFalse := lf.match.Match(nullB), lf.notMatch.Match(nullB)
	if c.kind == colMissing {
		switch {
		case nullTrue:
			return sc.scope, roaring.New(), nil
		case nullFalse:
			return roaring.New(), sc.scope, nil
		}
		return roaring.New(), roaring.New(), nil
	}
	var ids []int32
	switch {
	case f.Type == "selector" && f.Value != nil:
		if s, ok := scalarString(f.Value); ok {
			ids = appendLookup(ids, c, s)
		} else {
			ids = sc.scanDict(c, lf, ids)
		}
	case f.Type == "in":
		exact := true
		for _, v := range f.Values {
			if v == nil {
				continue
			}
			s, ok := scalarString(v)
			if !ok {
				exact = false
				break
			}
			ids = appendLookup(ids, c, s)
		}
		if !exact {
			ids = sc.scanDict(c, lf, ids[:0])
		}
	case f.Type == "equals" && (f.MatchValueType == "STRING" || f.MatchValueType == "string"):
		if s, ok := scalarString(f.MatchValue); ok {
			ids = appendLookup(ids, c, s)
		}
	case f.Type == "null":
	default:
		ids = sc.scanDict(c, lf, ids)
	}
	if nullTrue {
		ids = append(ids, 0)
	}
	bms := make([]*roaring.Bitmap, 0, len(ids))
	for _, id := range ids {
		bm, err := c.bitmap(id)
		if err != nil {
			return nil, nil, err
		}
		bms = append(bms, bm)
	}
	t = roaring.FastOr(bms...)
	t.And(sc.scope)
	if nullFalse || nullTrue {
		return t, roaring.AndNot(sc.scope, t), nil
	}
	nulls, err := c.bitmap(0)
	if err != nil {
		return nil, nil, err
	}
	fl = roaring.AndNot(sc.scope, t)
	fl.AndNot(nulls)
	return t, fl, nil
}

// scalarString renders a JSON scalar as Druid compares it to a string
// dictionary; false for objects and arrays.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		s, _ := expr.Double(x).AsString()
		if x == float64(int64(x)) {
			s = fmt.Sprintf("%d", int64(x))
		}
		return s, true
	case bool:
		return fmt.Sprint(x), true
	}
	return "", false
}

func appendLookup(ids []int32, c *column, s string) []int32 {
	if s == "" { // "" is null in the segment; a selector on "" matches nothing here
		return ids
	}
	if id := c.lookup(s); id > 0 {
		ids = append(ids, id)
	}
	return ids
}

// scanDict tests every non-null dictionary value once.
func (sc *segCtx) scanDict(c *column, lf *leaf, ids []int32) []int32 {
	b := &valueBinding{name: c.name}
	for id := 1; id < len(c.dict); id++ {
		b.v = expr.String(c.dict[id])
		if lf.match.Match(b) {
			ids = append(ids, int32(id))
		}
	}
	return ids
}

// valueBinding binds one column to one value.
type valueBinding struct {
	name string
	v    expr.Value
}

func (b *valueBinding) Get(name string) (expr.Value, bool) {
	if name == b.name {
		return b.v, true
	}
	return expr.Null(), false
}

// scanFilter tests each row in scope with the row-wise filter.
func (sc *segCtx) scanFilter(f *spec.Filter) (t, fl *roaring.Bitmap, err error) {
	lf, err := sc.fc.get(f)
	if err != nil {
		return nil, nil, err
	}
	t, fl = roaring.New(), roaring.New()
	rb := newRowBinding(sc.column)
	it := sc.scope.Iterator()
	n := 0
	for it.HasNext() {
		r := it.Next()
		if n++; n&4095 == 0 {
			if err := sc.ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		rb.row = int(r)
		switch {
		case lf.match.Match(rb):
			t.Add(r)
		case lf.notMatch.Match(rb):
			fl.Add(r)
		}
	}
	if rb.err != nil {
		return nil, nil, rb.err
	}
	return t, fl, nil
}

// rowBinding exposes one row of a segment to expressions and row-wise
// filters.
type rowBinding struct {
	get func(name string) (*column, error) // segCtx.column or Columns.column
	row int
	byN map[string]*column
	err error
}

func newRowBinding(get func(name string) (*column, error)) *rowBinding {
	return &rowBinding{get: get, byN: map[string]*column{}}
}

func (b *rowBinding) Get(name string) (expr.Value, bool) {
	c := b.byN[name]
	if c == nil {
		var err error
		if c, err = b.get(name); err != nil {
			b.err = err
			return expr.Null(), false
		}
		b.byN[name] = c
	}
	return columnValue(c, b.row), c.kind != colMissing
}

// columnValue is row i of c as an expression value.
func columnValue(c *column, i int) expr.Value {
	switch c.kind {
	case colString:
		ids := c.rowIDs(i)
		if len(ids) == 1 {
			if ids[0] == 0 {
				return expr.Null()
			}
			return expr.String(c.dict[ids[0]])
		}
		vals := make([]string, len(ids))
		for k, id := range ids {
			vals[k] = c.dict[id]
		}
		return expr.Strings(vals)
	case colLong:
		if c.isNull(i) {
			return expr.Null()
		}
		return expr.Long(c.longs[i])
	case colFloat, colDouble:
		if c.isNull(i) {
			return expr.Null()
		}
		return expr.Double(c.doubles[i])
	}
	return expr.Null()
}
