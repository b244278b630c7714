package segment

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"slices"
)

// Merge writes the rows of inputs into a new segment at dst, as Druid's
// IndexMergerV9 merges persisted spills. Each input must be sorted by time
// and then by dimension values in schema order (as spills are); the output
// is sorted by (time, dimensions in meta's order), ties broken by input
// position.
//
// Columns are matched by name: a dimension missing from an input reads as
// null; a metric must exist in every input with the same type. When combine
// is non-nil, adjacent output rows with equal time and equal dimension
// values are folded into one by combine(dst, src), which must update
// dst.Metrics from src (rollup across spills); dst is owned by Merge and may
// be modified freely. When combine is nil every input row is kept.
//
// meta.NumRows is ignored and set from the output.
func Merge(dst string, meta Metadata, spec IndexSpec, inputs []*Reader, combine func(dst *Row, src *Row)) (err error) {
	w, err := NewWriter(dst, meta, spec)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, w.Abort())
		}
	}()
	h := &mergeHeap{dims: meta.Dimensions}
	for i, in := range inputs {
		src, err := newMergeSource(i, in, &meta)
		if err != nil {
			return err
		}
		ok, err := src.next()
		if err != nil {
			return err
		}
		if ok {
			h.srcs = append(h.srcs, src)
		}
	}
	heap.Init(h)
	var pending *Row
	for h.Len() > 0 {
		src := h.srcs[0]
		row := &src.row
		switch {
		case combine == nil:
			err = w.Add(row)
		case pending != nil && compareRows(meta.Dimensions, pending, row) == 0:
			combine(pending, row)
		default:
			if pending != nil {
				err = w.Add(pending)
			} else {
				pending = &Row{}
			}
			copyRow(pending, row)
		}
		if err != nil {
			return fmt.Errorf("segment: merge into %s: %w", dst, err)
		}
		ok, err := src.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	if pending != nil {
		if err := w.Add(pending); err != nil {
			return fmt.Errorf("segment: merge into %s: %w", dst, err)
		}
	}
	return w.Close()
}

// mergeSource projects one input's rows onto the output schema.
type mergeSource struct {
	idx  int
	in   *Reader
	it   RowIterator
	dimM []int // output dimension → input dimension, -1 = absent
	metM []int // output metric → input metric
	row  Row
}

func newMergeSource(i int, in *Reader, meta *Metadata) (*mergeSource, error) {
	s := &mergeSource{idx: i, in: in, it: in.Rows()}
	im := in.Metadata()
	for _, d := range meta.Dimensions {
		j := slices.IndexFunc(im.Dimensions, func(x DimensionSchema) bool { return x.Name == d.Name })
		if j >= 0 && im.Dimensions[j].Type != d.Type {
			return nil, fmt.Errorf("segment: merge input %d (%s): dimension %q is %v, want %v", i, in.Dir(), d.Name, im.Dimensions[j].Type, d.Type)
		}
		s.dimM = append(s.dimM, j)
	}
	for _, m := range meta.Metrics {
		j := slices.IndexFunc(im.Metrics, func(x MetricSchema) bool { return x.Name == m.Name })
		if j < 0 || im.Metrics[j].Type != m.Type {
			return nil, fmt.Errorf("segment: merge input %d (%s): metric %q missing or not %v", i, in.Dir(), m.Name, m.Type)
		}
		s.metM = append(s.metM, j)
	}
	s.row.Dims = make([]DimValue, len(s.dimM))
	s.row.Metrics = make([]MetricValue, len(s.metM))
	return s, nil
}

func (s *mergeSource) next() (bool, error) {
	if !s.it.Next() {
		if err := s.it.Err(); err != nil {
			return false, fmt.Errorf("segment: merge input %d (%s): %w", s.idx, s.in.Dir(), err)
		}
		return false, nil
	}
	src := s.it.Row()
	s.row.Time = src.Time
	for k, j := range s.dimM {
		if j < 0 {
			s.row.Dims[k] = DimValue{Null: true}
		} else {
			s.row.Dims[k] = src.Dims[j]
		}
	}
	for k, j := range s.metM {
		s.row.Metrics[k] = src.Metrics[j]
	}
	return true, nil
}

type mergeHeap struct {
	dims []DimensionSchema
	srcs []*mergeSource
}

func (h *mergeHeap) Len() int { return len(h.srcs) }
func (h *mergeHeap) Less(i, j int) bool {
	if c := compareRows(h.dims, &h.srcs[i].row, &h.srcs[j].row); c != 0 {
		return c < 0
	}
	return h.srcs[i].idx < h.srcs[j].idx
}
func (h *mergeHeap) Swap(i, j int) { h.srcs[i], h.srcs[j] = h.srcs[j], h.srcs[i] }
func (h *mergeHeap) Push(x any)    { h.srcs = append(h.srcs, x.(*mergeSource)) }
func (h *mergeHeap) Pop() any {
	x := h.srcs[len(h.srcs)-1]
	h.srcs = h.srcs[:len(h.srcs)-1]
	return x
}

// compareRows orders rows by time, then by each dimension in schema order.
// Null sorts first; strings compare by UTF-8 bytes ("" equals null);
// multi-value rows compare element by element, a prefix first.
func compareRows(dims []DimensionSchema, a, b *Row) int {
	if c := cmp.Compare(a.Time, b.Time); c != 0 {
		return c
	}
	for i, d := range dims {
		if c := compareDim(d, &a.Dims[i], &b.Dims[i]); c != 0 {
			return c
		}
	}
	return 0
}

// CompareDims orders two dimension values of schema d the way Merge does.
func CompareDims(d DimensionSchema, a, b *DimValue) int { return compareDim(d, a, b) }

func compareDim(d DimensionSchema, a, b *DimValue) int {
	switch d.Type {
	case TypeString:
		if d.MultiValue {
			as, bs := normStrs(a), normStrs(b)
			return slices.Compare(as, bs)
		}
		as, bs := a.Str, b.Str
		if a.Null {
			as = ""
		}
		if b.Null {
			bs = ""
		}
		return cmp.Compare(as, bs)
	}
	if a.Null || b.Null {
		switch {
		case a.Null && b.Null:
			return 0
		case a.Null:
			return -1
		}
		return 1
	}
	if d.Type == TypeLong {
		return cmp.Compare(a.Long, b.Long)
	}
	return cmp.Compare(a.Double, b.Double)
}

// normStrs returns the stored form of a multi-value: null, nil, [] and [""]
// are all null (empty).
func normStrs(v *DimValue) []string {
	if v.Null || len(v.Strs) == 0 || (len(v.Strs) == 1 && v.Strs[0] == "") {
		return nil
	}
	return v.Strs
}

// copyRow deep-copies src into dst, reusing dst's buffers.
func copyRow(dst, src *Row) {
	dst.Time = src.Time
	if cap(dst.Dims) < len(src.Dims) {
		dst.Dims = make([]DimValue, len(src.Dims))
	}
	dst.Dims = dst.Dims[:len(src.Dims)]
	for i := range src.Dims {
		strs, ids := dst.Dims[i].Strs, dst.Dims[i].IDs
		dst.Dims[i] = src.Dims[i]
		if src.Dims[i].Strs != nil {
			dst.Dims[i].Strs = append(strs[:0], src.Dims[i].Strs...)
		}
		if src.Dims[i].IDs != nil {
			dst.Dims[i].IDs = append(ids[:0], src.Dims[i].IDs...)
		}
	}
	if cap(dst.Metrics) < len(src.Metrics) {
		dst.Metrics = make([]MetricValue, len(src.Metrics))
	}
	dst.Metrics = dst.Metrics[:len(src.Metrics)]
	for i := range src.Metrics {
		b := dst.Metrics[i].Bytes
		dst.Metrics[i] = src.Metrics[i]
		if src.Metrics[i].Bytes != nil {
			dst.Metrics[i].Bytes = append(b[:0], src.Metrics[i].Bytes...)
		}
	}
}
