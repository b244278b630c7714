package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// table is rows held in memory, column by column: an inline datasource, the
// results of a subquery, or the right-hand side of a join (Druid's
// InlineDataSource and the RowBasedSegment its rows are read through).
type table struct {
	names []string
	kinds []colKind // colString, colLong, colFloat, colDouble or colComplex (JSON values)
	cols  [][]expr.Value
	n     int
	// times are the row times when the table has a __time column; nil means
	// every row is at 0, as Druid reads a missing __time.
	times []int64

	segOnce sync.Once
	seg     *memSegment
}

// inlineSegmentID is the id Druid's InlineSegmentWrangler gives every inline
// datasource (SegmentId.dummy("inline")); scan results name it.
var inlineSegmentID = "inline_" + formatMillis(Eternity.Start) + "_" + formatMillis(Eternity.End) + "_dummy_version"

// column returns the index of a column, or -1.
func (t *table) column(name string) int { return slices.Index(t.names, name) }

// parseColumnType reads one of Druid's ColumnType names; ok is false for
// types kafka-indexer cannot hold.
func parseColumnType(s string) (kind colKind, multi, ok bool) {
	u := strings.ToUpper(s)
	switch {
	case u == "STRING":
		return colString, false, true
	case u == "ARRAY<STRING>":
		return colString, true, true
	case u == "LONG":
		return colLong, false, true
	case u == "DOUBLE":
		return colDouble, false, true
	case u == "FLOAT":
		return colFloat, false, true
	case u == "COMPLEX" || strings.HasPrefix(u, "COMPLEX<"):
		return colComplex, false, true
	}
	return colMissing, false, false
}

// parseInline decodes {"type":"inline","columnNames","columnTypes","rows"}
// at path (Druid's InlineDataSource.fromJson).
func parseInline(raw json.RawMessage, path string) (*table, error) {
	var o struct {
		ColumnNames []string            `json:"columnNames"`
		ColumnTypes []*string           `json:"columnTypes"`
		Rows        [][]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, badQuery(path, "not an inline datasource: %v", err)
	}
	if o.ColumnNames == nil {
		return nil, badQuery(path+".columnNames", "missing")
	}
	if o.ColumnTypes != nil && len(o.ColumnTypes) != len(o.ColumnNames) {
		return nil, badQuery(path+".columnTypes", "has %d types for %d columnNames; they must be the same length", len(o.ColumnTypes), len(o.ColumnNames))
	}
	seen := map[string]bool{}
	for i, n := range o.ColumnNames {
		if n == "" {
			return nil, badQuery(fmt.Sprintf("%s.columnNames[%d]", path, i), "must not be empty")
		}
		if seen[n] {
			return nil, badQuery(fmt.Sprintf("%s.columnNames[%d]", path, i), "duplicate column %q", n)
		}
		seen[n] = true
	}
	rows := make([][]any, len(o.Rows))
	for r, row := range o.Rows {
		if len(row) != len(o.ColumnNames) {
			return nil, badQuery(fmt.Sprintf("%s.rows[%d]", path, r), "has %d values for %d columnNames", len(row), len(o.ColumnNames))
		}
		rows[r] = make([]any, len(row))
		for c, cell := range row {
			d := json.NewDecoder(bytes.NewReader(cell))
			d.UseNumber()
			if err := d.Decode(&rows[r][c]); err != nil {
				return nil, badQuery(fmt.Sprintf("%s.rows[%d][%d]", path, r, c), "%v", err)
			}
			if _, isObj := rows[r][c].(map[string]any); isObj {
				rows[r][c] = json.RawMessage(cell) // a complex value, kept as written
			}
		}
	}
	t := &table{names: o.ColumnNames, n: len(rows)}
	for c, name := range o.ColumnNames {
		vals := make([]expr.Value, len(rows))
		for r := range rows {
			vals[r] = jsonValue(rows[r][c])
		}
		var kind colKind
		switch {
		case o.ColumnTypes != nil && o.ColumnTypes[c] != nil:
			k, _, ok := parseColumnType(*o.ColumnTypes[c])
			if !ok {
				return nil, badQuery(fmt.Sprintf("%s.columnTypes[%d]", path, c), "unsupported column type %q (expected STRING, LONG, DOUBLE, FLOAT, ARRAY<STRING> or COMPLEX<…>)", *o.ColumnTypes[c])
			}
			kind = k
		default:
			kind = inferKind(vals)
		}
		if name == segment.TimeColumn {
			kind = colLong
		}
		t.kinds = append(t.kinds, kind)
		t.cols = append(t.cols, coerce(vals, kind))
		if name == segment.TimeColumn {
			t.times = make([]int64, len(rows))
			for r, v := range t.cols[c] {
				if vals[r].IsNull() {
					continue // Druid reads a null __time as 0
				}
				if !vals[r].IsNumeric() || v.IsNull() {
					return nil, badQuery(fmt.Sprintf("%s.rows[%d][%d]", path, r, c), "__time must be a number of milliseconds since the epoch, not %s", vals[r])
				}
				t.times[r], _ = v.AsLong()
			}
		}
	}
	return t, nil
}

// jsonValue converts a JSON value decoded with UseNumber.
func jsonValue(v any) expr.Value {
	switch x := v.(type) {
	case nil:
		return expr.Null()
	case json.Number:
		if n, err := x.Int64(); err == nil && !strings.ContainsAny(x.String(), ".eE") {
			return expr.Long(n)
		}
		f, _ := x.Float64()
		return expr.Double(f)
	case string:
		return expr.String(x)
	case bool:
		return expr.Bool(x)
	case []any:
		ss := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := jsonValue(e).AsString(); ok {
				ss = append(ss, s)
			} else {
				ss = append(ss, "")
			}
		}
		return expr.Strings(ss)
	case json.RawMessage:
		return expr.String(string(x))
	}
	return expr.Null()
}

// inferKind picks a column type from the values when none is declared: long
// when every value is a long, double when every value is a number, string
// otherwise (Druid reads such columns as whatever objects they hold; strings
// are how kafka-indexer groups and filters them).
func inferKind(vals []expr.Value) colKind {
	kind := colMissing
	for _, v := range vals {
		switch v.Kind() {
		case expr.KindNull:
			continue
		case expr.KindLong:
			if kind == colMissing {
				kind = colLong
			}
		case expr.KindDouble:
			if kind == colMissing || kind == colLong {
				kind = colDouble
			}
		default:
			return colString
		}
	}
	if kind == colMissing {
		return colString
	}
	return kind
}

// coerce converts every value to kind, null where it does not convert.
func coerce(vals []expr.Value, kind colKind) []expr.Value {
	out := make([]expr.Value, len(vals))
	for i, v := range vals {
		out[i] = coerceValue(v, kind)
	}
	return out
}

func coerceValue(v expr.Value, kind colKind) expr.Value {
	if v.IsNull() {
		return v
	}
	switch kind {
	case colLong:
		if l, ok := v.Scalar().AsLong(); ok {
			return expr.Long(l)
		}
		return expr.Null()
	case colDouble, colFloat:
		if d, ok := v.Scalar().AsDouble(); ok {
			if kind == colFloat {
				d = float64(float32(d))
			}
			return expr.Double(d)
		}
		return expr.Null()
	case colString:
		if v.Kind() == expr.KindStrings || v.Kind() == expr.KindString {
			return v
		}
		s, _ := v.AsString()
		return expr.String(s)
	}
	return v
}

// memSegment is a table as a Queryable.
type memSegment struct {
	id   string
	cols *Columns
}

func (m *memSegment) ID() string         { return m.id }
func (m *memSegment) Interval() Interval { return Eternity }
func (m *memSegment) Columns() *Columns  { return m.cols }

// ref returns the table as the one segment of a query over intervals. Rows
// are ordered by __time (stably), as the engine's segments are; Druid reads
// an inline datasource in its given order, which differs only for scans of
// rows with unordered times. The segment's data interval is all time, as
// Druid's RowBasedStorageAdapter reports for inline rows.
func (t *table) ref(intervals []Interval) SegmentRef {
	t.segOnce.Do(func() {
		perm := make([]int32, t.n)
		for i := range perm {
			perm[i] = int32(i)
		}
		times := make([]int64, t.n)
		if t.times != nil {
			sort.SliceStable(perm, func(a, b int) bool { return t.times[perm[a]] < t.times[perm[b]] })
			for i, p := range perm {
				times[i] = t.times[p]
			}
		}
		meta := segment.Metadata{DataSource: "inline"}
		for i, name := range t.names {
			if name != segment.TimeColumn {
				meta.Dimensions = append(meta.Dimensions, segment.DimensionSchema{Name: name, Type: segmentType(t.kinds[i])})
			}
		}
		bounds := Eternity
		cols := derivedColumns(meta, times, &bounds, func(name string) (*column, error) {
			if name == segment.TimeColumn {
				return &column{name: name, kind: colLong, longs: times}, nil
			}
			c := t.column(name)
			if c < 0 {
				return &column{name: name, kind: colMissing}, nil
			}
			return memColumnGather(name, t.kinds[c], t.cols[c], perm), nil
		})
		t.seg = &memSegment{id: inlineSegmentID, cols: cols}
	})
	ivs := make([]Interval, 0, len(intervals))
	for _, iv := range intervals {
		if c, ok := iv.intersect(Eternity); ok {
			ivs = append(ivs, c)
		}
	}
	return SegmentRef{Segment: t.seg, Intervals: ivs}
}

func segmentType(k colKind) segment.ColumnType {
	switch k {
	case colLong:
		return segment.TypeLong
	case colFloat:
		return segment.TypeFloat
	case colDouble:
		return segment.TypeDouble
	case colComplex:
		return segment.TypeComplex
	}
	return segment.TypeString
}

// jsonComplexType marks complex columns of inline rows: their values are
// the JSON the query carried, returned as is.
const jsonComplexType = "json"

// emptyBitmap is shared by dictionary ids no row holds; never modify it.
var emptyBitmap = roaring.New()

// memColumn builds a decoded column of n rows from val, which is called
// twice per row for strings. String columns get a sorted dictionary with
// null at id 0 and one bitmap per id, like a stored segment's ("" reads as
// null there too); arrays make a multi-value column.
func memColumn(name string, kind colKind, n int, val func(i int) expr.Value) *column {
	c := &column{name: name, kind: kind}
	switch kind {
	case colString:
		seen := map[string]bool{}
		for i := range n {
			v := val(i)
			switch v.Kind() {
			case expr.KindNull:
			case expr.KindStrings:
				if len(v.Array()) > 1 {
					c.multi = true
				}
				for _, s := range v.Array() {
					seen[s] = true
				}
			default:
				s, _ := v.AsString()
				seen[s] = true
			}
		}
		idOf := c.buildDict(seen)
		bms := make([]*roaring.Bitmap, len(c.dict))
		if c.multi {
			c.offs = make([]int32, 0, n+1)
		}
		c.ids = make([]int32, 0, n)
		for i := range n {
			if c.multi {
				c.offs = append(c.offs, int32(len(c.ids)))
			}
			v := val(i)
			switch v.Kind() {
			case expr.KindNull:
				c.ids = append(c.ids, 0)
				addRow(bms, 0, i)
			case expr.KindStrings:
				arr := v.Array()
				if len(arr) == 0 || (len(arr) == 1 && arr[0] == "") {
					c.ids = append(c.ids, 0)
					addRow(bms, 0, i)
					continue
				}
				for _, s := range arr {
					id := idOf[s]
					c.ids = append(c.ids, id)
					addRow(bms, id, i)
				}
			default:
				s, _ := v.AsString()
				id := idOf[s]
				c.ids = append(c.ids, id)
				addRow(bms, id, i)
			}
		}
		if c.multi {
			c.offs = append(c.offs, int32(len(c.ids)))
		}
		c.setBitmaps(bms)
	case colLong:
		c.longs = make([]int64, n)
		for i := range n {
			if l, ok := val(i).AsLong(); ok {
				c.longs[i] = l
			} else {
				c.setNull(i)
			}
		}
	case colFloat, colDouble:
		c.doubles = make([]float64, n)
		for i := range n {
			if d, ok := val(i).AsDouble(); ok {
				c.doubles[i] = d
			} else {
				c.setNull(i)
			}
		}
	case colComplex:
		c.complexType = jsonComplexType
		c.blobs = make([][]byte, n)
		for i := range n {
			if s, ok := val(i).AsString(); ok {
				c.blobs[i] = []byte(s)
			}
		}
	}
	return c
}

// buildDict sets the dictionary of a string column to the sorted values
// (without "", which is null at id 0) and returns each value's id.
func (c *column) buildDict(values map[string]bool) map[string]int32 {
	delete(values, "")
	c.dict = make([]string, 1, len(values)+1)
	for s := range values {
		c.dict = append(c.dict, s)
	}
	slices.Sort(c.dict[1:])
	idOf := make(map[string]int32, len(c.dict))
	for id, s := range c.dict[1:] {
		idOf[s] = int32(id + 1)
	}
	return idOf
}

func addRow(bms []*roaring.Bitmap, id int32, row int) {
	if bms[id] == nil {
		bms[id] = roaring.New()
	}
	bms[id].Add(uint32(row))
}

// memColumnGather builds the column whose row i is vals[rows[i]], or null
// where rows[i] is -1. Strings are looked up in the dictionary once per
// value rather than once per row: the right-hand columns of a join (a few
// values, many rows), a virtual column computed per dictionary value, an
// inline table in time order.
func memColumnGather(name string, kind colKind, vals []expr.Value, rows []int32) *column {
	multi := false
	for _, v := range vals {
		if v.Kind() == expr.KindStrings && len(v.Array()) > 1 {
			multi = true
			break
		}
	}
	if kind != colString || multi {
		return memColumn(name, kind, len(rows), func(i int) expr.Value {
			if r := rows[i]; r >= 0 {
				return vals[r]
			}
			return expr.Null()
		})
	}
	c := &column{name: name, kind: kind}
	seen := map[string]bool{}
	strs := make([]string, len(vals))
	for j, v := range vals {
		strs[j], _ = v.Scalar().AsString()
		seen[strs[j]] = true
	}
	idOf := c.buildDict(seen)
	valID := make([]int32, len(vals))
	for j, s := range strs {
		valID[j] = idOf[s]
	}
	bms := make([]*roaring.Bitmap, len(c.dict))
	c.ids = make([]int32, len(rows))
	for i, r := range rows {
		var id int32
		if r >= 0 {
			id = valID[r]
		}
		c.ids[i] = id
		addRow(bms, id, i)
	}
	c.setBitmaps(bms)
	return c
}

func (c *column) setNull(i int) {
	if c.nulls == nil {
		c.nulls = roaring.New()
	}
	c.nulls.Add(uint32(i))
}

// setBitmaps stores already built bitmaps (nil: no row) as the decoded
// bitmaps of a string column.
func (c *column) setBitmaps(bms []*roaring.Bitmap) {
	c.bms = make([]atomic.Pointer[roaring.Bitmap], len(bms))
	for id, bm := range bms {
		if bm == nil {
			bm = emptyBitmap
		}
		c.bms[id].Store(bm)
	}
}

// gatherColumn returns the column whose row i is row rows[i] of src, or null
// where rows[i] is -1: a join's output rows read from its left segment.
func gatherColumn(src *column, rows []int32) *column {
	c := &column{name: src.name, kind: src.kind, multi: src.multi, complexType: src.complexType}
	n := len(rows)
	switch src.kind {
	case colMissing:
		return c
	case colString:
		c.dict = src.dict
		bms := make([]*roaring.Bitmap, len(src.dict))
		add := func(id int32, row int) { addRow(bms, id, row) }
		c.ids = make([]int32, 0, n)
		if src.multi {
			c.offs = make([]int32, 0, n+1)
		}
		for i, r := range rows {
			if src.multi {
				c.offs = append(c.offs, int32(len(c.ids)))
			}
			if r < 0 {
				c.ids = append(c.ids, 0)
				add(0, i)
				continue
			}
			for _, id := range src.rowIDs(int(r)) {
				c.ids = append(c.ids, id)
				add(id, i)
			}
		}
		if src.multi {
			c.offs = append(c.offs, int32(len(c.ids)))
		}
		c.setBitmaps(bms)
	case colLong:
		c.longs = make([]int64, n)
		for i, r := range rows {
			if r < 0 || src.isNull(int(r)) {
				c.setNull(i)
				continue
			}
			c.longs[i] = src.longs[r]
		}
	case colFloat, colDouble:
		c.doubles = make([]float64, n)
		for i, r := range rows {
			if r < 0 || src.isNull(int(r)) {
				c.setNull(i)
				continue
			}
			c.doubles[i] = src.doubles[r]
		}
	case colComplex:
		c.blobs = make([][]byte, n)
		for i, r := range rows {
			if r >= 0 {
				c.blobs[i] = src.blobs[r]
			}
		}
	}
	return c
}
