package segment

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
)

// RowIterator yields a segment's rows in stored order.
//
//	it := r.Rows()
//	for it.Next() { use(it.Row()) }
//	if err := it.Err(); err != nil { … }
type RowIterator interface {
	// Next advances to the next row; it returns false at the end or on error.
	Next() bool
	// Row returns the current row. It is overwritten by the next call to
	// Next; use Row.Clone to keep it.
	Row() *Row
	// Err returns the error that stopped iteration, if any.
	Err() error
}

// Rows returns an iterator over all rows in stored order (the order they were
// added to the Writer, which is non-decreasing by time). The first Next
// decodes every column.
func (r *Reader) Rows() RowIterator { return &rowIter{r: r, pos: -1} }

type rowIter struct {
	r    *Reader
	pos  int
	err  error
	init bool
	row  Row

	times []int64
	dims  []iterDim
	mets  []iterMetric
}

type iterDim struct {
	typ     ColumnType
	multi   bool
	dict    []string
	ids     []int32
	offs    []int32
	longs   []int64
	doubles []float64
	nulls   *roaring.Bitmap
	strs    []string // reused Strs buffer
}

type iterMetric struct {
	typ     ColumnType
	longs   []int64
	doubles []float64
	blobs   [][]byte
}

func (it *rowIter) load() error {
	r := it.r
	var err error
	if it.times, err = r.Times(); err != nil {
		return err
	}
	it.dims = make([]iterDim, len(r.meta.Dimensions))
	for i, ds := range r.meta.Dimensions {
		d := &it.dims[i]
		d.typ, d.multi = ds.Type, ds.MultiValue
		if ds.Type == TypeString {
			c, s, err := r.stringCol(ds.Name)
			if err != nil {
				return err
			}
			d.dict = s.dict
			if d.ids, err = r.decodeIDs(ds.Name, s, nil); err != nil {
				return err
			}
			if d.offs, err = r.decodeOffsets(ds.Name, c, s, nil); err != nil {
				return err
			}
			continue
		}
		if d.nulls, err = r.Nulls(ds.Name); err != nil {
			return err
		}
		if d.longs, d.doubles, err = r.numericValues(ds.Name, ds.Type); err != nil {
			return err
		}
	}
	it.mets = make([]iterMetric, len(r.meta.Metrics))
	for i, ms := range r.meta.Metrics {
		m := &it.mets[i]
		m.typ = ms.Type
		if ms.Type == TypeComplex {
			if m.blobs, err = r.Complex(ms.Name, nil); err != nil {
				return err
			}
			continue
		}
		if m.longs, m.doubles, err = r.numericValues(ms.Name, ms.Type); err != nil {
			return err
		}
	}
	it.row.Dims = make([]DimValue, len(it.dims))
	it.row.Metrics = make([]MetricValue, len(it.mets))
	return nil
}

// numericValues decodes a long column into longs or a float/double column
// into doubles.
func (r *Reader) numericValues(name string, t ColumnType) ([]int64, []float64, error) {
	switch t {
	case TypeLong:
		l, err := r.Longs(name, make([]int64, 0, r.NumRows()))
		return l, nil, err
	case TypeFloat:
		f, err := r.Floats(name, make([]float32, 0, r.NumRows()))
		d := make([]float64, len(f))
		for i, x := range f {
			d[i] = float64(x)
		}
		return nil, d, err
	case TypeDouble:
		d, err := r.Doubles(name, make([]float64, 0, r.NumRows()))
		return nil, d, err
	}
	return nil, nil, fmt.Errorf("segment: column %q: type %v is not numeric", name, t)
}

func (it *rowIter) Next() bool {
	if it.err != nil {
		return false
	}
	if !it.init {
		it.init = true
		if it.err = it.load(); it.err != nil {
			return false
		}
	}
	if it.pos+1 >= len(it.times) {
		return false
	}
	it.pos++
	i := it.pos
	row := &it.row
	row.Time = it.times[i]
	for k := range it.dims {
		d, v := &it.dims[k], &row.Dims[k]
		*v = DimValue{}
		switch {
		case d.typ != TypeString:
			if d.nulls.Contains(uint32(i)) {
				v.Null = true
			} else if d.longs != nil {
				v.Long = d.longs[i]
			} else {
				v.Double = d.doubles[i]
			}
		case !d.multi:
			id := d.ids[i]
			v.Null, v.Str = id == 0, d.dict[id]
		default:
			ids := d.ids[d.offs[i]:d.offs[i+1]]
			if len(ids) == 1 && ids[0] == 0 {
				v.Null = true
				continue
			}
			d.strs = d.strs[:0]
			for _, id := range ids {
				d.strs = append(d.strs, d.dict[id])
			}
			v.Strs = d.strs
		}
	}
	for k := range it.mets {
		m, v := &it.mets[k], &row.Metrics[k]
		*v = MetricValue{}
		switch {
		case m.blobs != nil:
			v.Bytes = m.blobs[i]
		case m.longs != nil:
			v.Long = m.longs[i]
		default:
			v.Double = m.doubles[i]
		}
	}
	return true
}

func (it *rowIter) Row() *Row  { return &it.row }
func (it *rowIter) Err() error { return it.err }
