package segment

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"sync"
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
//
// Memory does not grow with the row count: each input is read one block per
// column at a time, the writer spools every column as it goes, and a
// single-value string dimension is merged by dictionary ids. Its output
// dictionary is the sorted union of the inputs' dictionaries, built before
// the first row, and each input id is mapped to its output id, so rows
// compare by integers and the writer interns no string (SetDictionary).
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
	byID, remaps, err := mergeDictionaries(w, &meta, inputs)
	if err != nil {
		return err
	}
	h := &mergeHeap{dims: meta.Dimensions, byID: byID}
	for i, in := range inputs {
		src, err := newMergeSource(i, in, &meta, remaps[i])
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
		case pending != nil && compareMergeRows(meta.Dimensions, byID, pending, row) == 0:
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

// mergeDictionaries gives the writer, for every single-value string
// dimension of meta that no input stores as multi-value, the sorted union of
// the inputs' dictionaries. It returns which output dimensions are merged by
// id and, per input and output dimension, the input id → output id table
// (nil where the input lacks the column or the dimension is not by id).
//
// The union grows one input at a time, so only the output dictionary and
// one input's are held at once; each step also moves the earlier inputs'
// tables to the grown union's ids (integer work, no string comparison).
//
// Dimensions are independent, so up to the writer's Workers of them are
// merged at once, each on its own goroutine with its own scratch; the writer
// gets the dictionaries in schema order afterwards.
func mergeDictionaries(w *Writer, meta *Metadata, inputs []*Reader) ([]bool, [][][]int32, error) {
	byID := make([]bool, len(meta.Dimensions))
	remaps := make([][][]int32, len(inputs))
	for i := range remaps {
		remaps[i] = make([][]int32, len(meta.Dimensions))
	}
	var todo []int
	for k, d := range meta.Dimensions {
		if d.Type == TypeString && !d.MultiValue && singleValueIn(d.Name, inputs) {
			todo = append(todo, k)
		}
	}
	merged := make([][]string, len(meta.Dimensions))
	errs := make([]error, len(meta.Dimensions))
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if next == len(todo) {
			return -1
		}
		next++
		return todo[next-1]
	}
	for range min(w.opts.Workers, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var spare []string
			var moved []int32
			for k := take(); k >= 0; k = take() {
				merged[k], spare, moved, errs[k] = mergeDictionary(meta.Dimensions[k].Name, k, inputs, remaps, spare, moved)
			}
		}()
	}
	wg.Wait()
	for _, k := range todo {
		if errs[k] != nil {
			return nil, nil, errs[k]
		}
	}
	for _, k := range todo {
		if err := w.SetDictionary(k, merged[k], nil); err != nil {
			return nil, nil, err
		}
		byID[k] = true
	}
	return byID, remaps, nil
}

// mergeDictionary builds output dimension k's dictionary (named name), the
// sorted union of the inputs', and sets remaps[i][k] for every input i
// holding the column. spare and moved are scratch, returned for reuse.
func mergeDictionary(name string, k int, inputs []*Reader, remaps [][][]int32, spare []string, moved []int32) ([]string, []string, []int32, error) {
	merged := []string{""}
	for i, in := range inputs {
		if !hasColumn(in, name) {
			continue
		}
		dict, err := in.Dictionary(name)
		if err != nil {
			return nil, spare, moved, fmt.Errorf("segment: merge input %s: %w", in.Dir(), err)
		}
		remap := make([]int32, len(dict))
		moved = slices.Grow(moved[:0], len(merged))[:len(merged)]
		spare = unionSorted(spare[:0], merged, dict, moved, remap)
		merged, spare = spare, merged
		for _, r := range remaps[:i] {
			for j, id := range r[k] {
				r[k][j] = moved[id]
			}
		}
		remaps[i][k] = remap
	}
	clear(spare) // let the replaced strings go
	return merged, spare, moved, nil
}

// unionSorted appends to dst the sorted union of a and b, two sorted
// dictionaries that both start with "" (null), and sets amap[i] and bmap[j]
// to the positions in dst of a[i] and b[j].
func unionSorted(dst, a, b []string, amap, bmap []int32) []string {
	dst = append(dst, "")
	amap[0], bmap[0] = 0, 0
	i, j := 1, 1
	for i < len(a) && j < len(b) {
		n := int32(len(dst))
		switch {
		case a[i] < b[j]:
			dst, amap[i] = append(dst, a[i]), n
			i++
		case a[i] > b[j]:
			dst, bmap[j] = append(dst, b[j]), n
			j++
		default:
			dst, amap[i], bmap[j] = append(dst, a[i]), n, n
			i++
			j++
		}
	}
	for ; i < len(a); i++ {
		dst, amap[i] = append(dst, a[i]), int32(len(dst))
	}
	for ; j < len(b); j++ {
		dst, bmap[j] = append(dst, b[j]), int32(len(dst))
	}
	return dst
}

// singleValueIn reports whether no input stores dimension name as a
// multi-value or non-string column.
func singleValueIn(name string, inputs []*Reader) bool {
	for _, in := range inputs {
		for _, d := range in.Metadata().Dimensions {
			if d.Name == name && (d.MultiValue || d.Type != TypeString) {
				return false
			}
		}
	}
	return true
}

func hasColumn(in *Reader, name string) bool {
	return slices.ContainsFunc(in.Metadata().Dimensions, func(d DimensionSchema) bool { return d.Name == name })
}

// mergeSource projects one input's rows onto the output schema.
type mergeSource struct {
	idx    int
	in     *Reader
	it     RowIterator
	dimM   []int     // output dimension → input dimension, -1 = absent
	metM   []int     // output metric → input metric
	remaps [][]int32 // per output dimension merged by id: input id → output id
	row    Row
}

func newMergeSource(i int, in *Reader, meta *Metadata, remaps [][]int32) (*mergeSource, error) {
	s := &mergeSource{idx: i, in: in, remaps: remaps}
	im := in.Metadata()
	idOnly := make([]bool, len(im.Dimensions))
	for _, d := range meta.Dimensions {
		j := slices.IndexFunc(im.Dimensions, func(x DimensionSchema) bool { return x.Name == d.Name })
		if j >= 0 && im.Dimensions[j].Type != d.Type {
			return nil, fmt.Errorf("segment: merge input %d (%s): dimension %q is %v, want %v", i, in.Dir(), d.Name, im.Dimensions[j].Type, d.Type)
		}
		s.dimM = append(s.dimM, j)
		if j >= 0 && remaps[len(s.dimM)-1] != nil {
			idOnly[j] = true
		}
	}
	s.it = in.rowsByID(idOnly)
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
		switch {
		case j < 0:
			s.row.Dims[k] = DimValue{Null: true}
		case s.remaps[k] != nil:
			v := src.Dims[j]
			if uint32(v.ID) >= uint32(len(s.remaps[k])) {
				return false, fmt.Errorf("segment: merge input %d (%s): %w", s.idx, s.in.Dir(), corruptf("dimension %d: id %d beyond dictionary", j, v.ID))
			}
			v.ID = s.remaps[k][v.ID]
			s.row.Dims[k] = v
		default:
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
	byID []bool // per dimension: compare output dictionary ids
	srcs []*mergeSource
}

func (h *mergeHeap) Len() int { return len(h.srcs) }
func (h *mergeHeap) Less(i, j int) bool {
	if c := compareMergeRows(h.dims, h.byID, &h.srcs[i].row, &h.srcs[j].row); c != 0 {
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

// compareMergeRows is compareRows, comparing the dimensions marked in byID
// by their output dictionary ids (ordered as their values, null being 0).
func compareMergeRows(dims []DimensionSchema, byID []bool, a, b *Row) int {
	if c := cmp.Compare(a.Time, b.Time); c != 0 {
		return c
	}
	for i, d := range dims {
		if byID[i] {
			if c := cmp.Compare(a.Dims[i].ID, b.Dims[i].ID); c != 0 {
				return c
			}
			continue
		}
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
