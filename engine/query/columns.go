package query

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// ColumnReader is the read side of a segment that queries need; a
// *segment.Reader satisfies it, and so can a realtime snapshot.
type ColumnReader interface {
	Metadata() segment.Metadata
	NumRows() int
	Size() int64
	Columns() []segment.ColumnInfo
	Times() ([]int64, error)
	Dictionary(col string) ([]string, error)
	IDs(col string, dst []int32) ([]int32, error)
	Offsets(col string, dst []int32) ([]int32, error)
	RawBitmaps(col string) ([][]byte, error)
	Longs(col string, dst []int64) ([]int64, error)
	Floats(col string, dst []float32) ([]float32, error)
	Doubles(col string, dst []float64) ([]float64, error)
	Nulls(col string) (*roaring.Bitmap, error)
	Complex(col string, dst [][]byte) ([][]byte, error)
}

var _ ColumnReader = (*segment.Reader)(nil)

// colKind is how a column is stored.
type colKind uint8

const (
	colMissing colKind = iota // no such column: every row is null
	colString
	colLong
	colFloat
	colDouble
	colComplex
)

// column is one decoded column. Everything in it is read-only once built
// and shared by concurrent queries.
type column struct {
	name  string
	kind  colKind
	multi bool // string: rows may hold several values

	// string columns
	dict []string // id → value, dict[0] is null
	ids  []int32  // flattened ids
	offs []int32  // multi only: row i is ids[offs[i]:offs[i+1]]
	raw  [][]byte // serialized bitmap per id
	bms  []atomic.Pointer[roaring.Bitmap]

	// numeric columns (float widened to float64)
	longs   []int64
	doubles []float64
	nulls   *roaring.Bitmap // nil when no row is null

	// complex columns
	blobs       [][]byte
	complexType string
}

// rowIDs returns the dictionary ids of row i.
func (c *column) rowIDs(i int) []int32 {
	if c.multi {
		return c.ids[c.offs[i]:c.offs[i+1]]
	}
	return c.ids[i : i+1]
}

// isNull reports whether numeric row i is null.
func (c *column) isNull(i int) bool { return c.nulls != nil && c.nulls.Contains(uint32(i)) }

// bitmap returns the rows holding dictionary id, decoding it on first use.
// The bitmap is shared: never modify it.
func (c *column) bitmap(id int32) (*roaring.Bitmap, error) {
	if bm := c.bms[id].Load(); bm != nil {
		return bm, nil
	}
	bm := roaring.New()
	if _, err := bm.FromUnsafeBytes(c.raw[id]); err != nil {
		return nil, fmt.Errorf("column %q bitmap %d: %w", c.name, id, err)
	}
	bm = bm.Clone() // detach from the segment's buffer
	c.bms[id].Store(bm)
	return bm, nil
}

// lookup returns the id of value in a string column, or -1.
func (c *column) lookup(value string) int32 {
	if value == "" {
		return 0
	}
	i := sort.SearchStrings(c.dict[1:], value) + 1
	if i < len(c.dict) && c.dict[i] == value {
		return int32(i)
	}
	return -1
}

// Columns is a segment's rows with their columns decoded on first use and
// kept: queries on a loaded segment decode each column once. It is safe for
// concurrent use.
type Columns struct {
	r    ColumnReader
	meta segment.Metadata
	n    int

	timesOnce sync.Once
	times     []int64
	timesErr  error

	colsMu sync.Mutex
	cols   map[string]*colEntry

	// derive, when set, builds every column instead of r (rows that are not a
	// stored segment: inline data, subquery results, join output; see
	// derivedColumns). r is nil then.
	derive func(name string) (*column, error)
	// bounds, when set, is the data interval cursors clip the query intervals
	// to, instead of the first and last row times (Druid's
	// StorageAdapter.getMinTime/getMaxTime: all time for inline rows, the
	// base segment's for a join).
	bounds *Interval
}

type colEntry struct {
	once sync.Once
	c    *column
	err  error
}

// NewColumns wraps r.
func NewColumns(r ColumnReader) *Columns {
	return &Columns{r: r, meta: r.Metadata(), n: r.NumRows(), cols: map[string]*colEntry{}}
}

// Metadata returns the segment's metadata.
func (c *Columns) Metadata() segment.Metadata { return c.meta }

// NumRows returns the number of rows.
func (c *Columns) NumRows() int { return c.n }

// derivedColumns returns Columns over n rows that are not a stored segment:
// times are the row times (sorted), meta lists the columns (all as
// dimensions), and derive builds a column by name (colMissing for names it
// does not know).
func derivedColumns(meta segment.Metadata, times []int64, bounds *Interval, derive func(name string) (*column, error)) *Columns {
	c := &Columns{meta: meta, n: len(times), times: times, cols: map[string]*colEntry{}, derive: derive, bounds: bounds}
	c.timesOnce.Do(func() {})
	return c
}

// dataInterval is the interval the rows are known to lie in; ok is false
// when there are no rows.
func (c *Columns) dataInterval() (iv Interval, ok bool) {
	if c.bounds != nil {
		return *c.bounds, true
	}
	if c.n == 0 || len(c.times) < c.n {
		return Interval{}, false
	}
	return Interval{Start: c.times[0], End: c.times[c.n-1] + 1}, true
}

// Times returns the __time column.
func (c *Columns) Times() ([]int64, error) {
	c.timesOnce.Do(func() { c.times, c.timesErr = c.r.Times() })
	return c.times, c.timesErr
}

// kindOf returns the stored kind of a column from the metadata.
func (c *Columns) kindOf(name string) (colKind, bool, string) {
	if name == segment.TimeColumn {
		return colLong, false, ""
	}
	for _, d := range c.meta.Dimensions {
		if d.Name == name {
			return kindOfType(d.Type), d.MultiValue, ""
		}
	}
	for _, m := range c.meta.Metrics {
		if m.Name == name {
			return kindOfType(m.Type), false, m.ComplexType
		}
	}
	return colMissing, false, ""
}

func kindOfType(t segment.ColumnType) colKind {
	switch t {
	case segment.TypeString:
		return colString
	case segment.TypeLong:
		return colLong
	case segment.TypeFloat:
		return colFloat
	case segment.TypeDouble:
		return colDouble
	case segment.TypeComplex:
		return colComplex
	}
	return colMissing
}

// column returns the decoded column; a missing column is colMissing, not an
// error.
func (c *Columns) column(name string) (*column, error) {
	c.colsMu.Lock()
	e := c.cols[name]
	if e == nil {
		e = &colEntry{}
		c.cols[name] = e
	}
	c.colsMu.Unlock()
	e.once.Do(func() { e.c, e.err = c.load(name) })
	return e.c, e.err
}

func (c *Columns) load(name string) (*column, error) {
	if c.derive != nil {
		return c.derive(name)
	}
	kind, multi, ctype := c.kindOf(name)
	col := &column{name: name, kind: kind, multi: multi, complexType: ctype}
	var err error
	switch kind {
	case colMissing:
		return col, nil
	case colString:
		if col.dict, err = c.r.Dictionary(name); err != nil {
			return nil, err
		}
		if col.ids, err = c.r.IDs(name, make([]int32, 0, c.n)); err != nil {
			return nil, err
		}
		if multi {
			if col.offs, err = c.r.Offsets(name, make([]int32, 0, c.n+1)); err != nil {
				return nil, err
			}
		}
		if col.raw, err = c.r.RawBitmaps(name); err != nil {
			return nil, err
		}
		col.bms = make([]atomic.Pointer[roaring.Bitmap], len(col.raw))
		return col, nil
	case colLong:
		if name == segment.TimeColumn {
			col.longs, err = c.Times()
			return col, err
		}
		if col.longs, err = c.r.Longs(name, make([]int64, 0, c.n)); err != nil {
			return nil, err
		}
	case colFloat:
		f, err := c.r.Floats(name, make([]float32, 0, c.n))
		if err != nil {
			return nil, err
		}
		col.doubles = make([]float64, len(f))
		for i, x := range f {
			col.doubles[i] = float64(x)
		}
	case colDouble:
		if col.doubles, err = c.r.Doubles(name, make([]float64, 0, c.n)); err != nil {
			return nil, err
		}
	case colComplex:
		col.blobs, err = c.r.Complex(name, make([][]byte, 0, c.n))
		return col, err
	}
	nulls, err := c.r.Nulls(name)
	if err != nil && !errors.Is(err, segment.ErrNoColumn) {
		return nil, err
	}
	if nulls != nil && !nulls.IsEmpty() {
		col.nulls = nulls
	}
	return col, nil
}
