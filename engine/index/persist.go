package index

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// Spill is one intermediate persist: a segment directory holding the sorted
// rows an Index had when it was persisted (Druid's FireHydrant).
type Spill struct {
	Dir      string
	Rows     int
	MinTime  int64 // smallest row time
	MaxTime  int64 // largest row time
	Metadata segment.Metadata
}

// Persist writes the index's rows, sorted, as a segment at dir and empties
// the index, keeping its schema (discovered dimensions included) so that
// later spills list the same dimensions first. meta supplies the identity
// (DataSource, Interval, Version, Partition); its Dimensions, Metrics,
// Rollup and QueryGranularity are replaced by the index's own. An empty
// index returns ErrEmpty.
func (ix *Index) Persist(dir string, meta segment.Metadata, spec segment.IndexSpec) (_ *Spill, err error) {
	if len(ix.times) == 0 {
		return nil, ErrEmpty
	}
	meta.Rollup, meta.QueryGranularity = ix.schema.rollup, ix.schema.granularityName()
	// A spill is read once, by the merge at publish, and deleted: its
	// dictionaries are compressed for speed, not size.
	meta, err = ix.writeSegment(dir, meta, spec, segment.WriterOptions{Intermediate: true})
	if err != nil {
		return nil, fmt.Errorf("index: persist to %s: %w", dir, err)
	}
	s := &Spill{Dir: dir, Rows: int(meta.NumRows), MinTime: ix.minTime, MaxTime: ix.maxTime, Metadata: meta}
	ix.reset()
	return s, nil
}

// WriteSegment writes the index's rows, sorted, as a segment at dir,
// leaving the index as it is, and returns the metadata written: meta with
// the index's Dimensions and Metrics and the row count. The writer is given
// the index's dictionaries and their sort order (segment.Writer.SetDictionary),
// so strings are interned once, when rows are added, and not again here.
func (ix *Index) WriteSegment(dir string, meta segment.Metadata, spec segment.IndexSpec) (segment.Metadata, error) {
	return ix.writeSegment(dir, meta, spec, segment.DefaultWriterOptions())
}

func (ix *Index) writeSegment(dir string, meta segment.Metadata, spec segment.IndexSpec, opts segment.WriterOptions) (segment.Metadata, error) {
	meta.Dimensions, meta.Metrics = ix.Dimensions(), ix.Metrics()
	it := ix.Iter()   // builds every dimension's rank
	it.idsOnly = true // the writer is given every string dictionary below
	w, err := segment.NewWriterWithOptions(dir, meta, spec, opts)
	if err != nil {
		return meta, err
	}
	for i, d := range ix.dims {
		if d.typ != segment.TypeString {
			continue
		}
		if err := w.SetDictionary(i, d.strs, d.rank); err != nil {
			return meta, errors.Join(err, w.Abort())
		}
	}
	for it.Next() {
		if err := w.Add(it.Row()); err != nil {
			return meta, errors.Join(err, w.Abort())
		}
	}
	if err := w.Finish(); err != nil {
		return meta, err
	}
	meta.NumRows = int64(it.Len())
	return meta, nil
}

// OpenSpill describes a spill persisted earlier (after a restart).
func OpenSpill(dir string) (*Spill, error) {
	r, err := segment.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("index: open spill %s: %w", dir, err)
	}
	defer r.Close()
	s := &Spill{Dir: dir, Rows: r.NumRows(), Metadata: r.Metadata()}
	if s.Rows > 0 {
		ts, err := r.Times()
		if err != nil {
			return nil, fmt.Errorf("index: open spill %s: %w", dir, err)
		}
		s.MinTime, s.MaxTime = ts[0], ts[len(ts)-1]
	}
	return s, nil
}

// Merge merges spills into one segment at dst, as Druid's IndexMergerV9
// does when a Sink is pushed. meta supplies the identity; the schema comes
// from the spills: the dimensions are the union of the spills' dimensions
// (an earlier spill's list is a prefix of a later one's, since an Index only
// appends discovered dimensions; a dimension missing from a spill reads as
// null, which segment.Merge supports), multi-value when any spill has it
// multi-value; metrics, rollup and query granularity are the first spill's.
// With rollup, rows of equal time and dimensions are combined with each
// aggregator's combine (rebuilt from the aggregator JSON in the metric
// schema); without, rows are interleaved in order.
//
// A spill whose string dimension is single-value while another spill's is
// multi-value is first rewritten as multi-value next to dst
// (<dst>.mv-<n>, removed afterwards), since segment.Merge copies values as
// stored. The spills themselves are left in place.
func Merge(dst string, meta segment.Metadata, spec segment.IndexSpec, spills []*Spill) (err error) {
	if len(spills) == 0 {
		return fmt.Errorf("index: merge into %s: no spills", dst)
	}
	first := spills[0].Metadata
	meta.Metrics, meta.Rollup, meta.QueryGranularity = first.Metrics, first.Rollup, first.QueryGranularity
	meta.Dimensions = nil
	for _, s := range spills {
		for _, d := range s.Metadata.Dimensions {
			i := slices.IndexFunc(meta.Dimensions, func(x segment.DimensionSchema) bool { return x.Name == d.Name })
			if i < 0 {
				meta.Dimensions = append(meta.Dimensions, d)
			} else {
				meta.Dimensions[i].MultiValue = meta.Dimensions[i].MultiValue || d.MultiValue
			}
		}
	}
	var combine func(dst, src *segment.Row)
	if meta.Rollup {
		if combine, err = combiner(meta.Metrics); err != nil {
			return fmt.Errorf("index: merge into %s: %w", dst, err)
		}
	}
	var readers []*segment.Reader
	var tmp []string
	defer func() {
		for _, r := range readers {
			r.Close()
		}
		for _, d := range tmp {
			err = errors.Join(err, segment.Remove(d))
		}
	}()
	for i, s := range spills {
		dir := s.Dir
		if needsMultiValue(s.Metadata, meta.Dimensions) {
			dir = fmt.Sprintf("%s.mv-%d", dst, i)
			if err := rewriteMultiValue(s.Dir, dir, meta.Dimensions, spec); err != nil {
				return fmt.Errorf("index: merge into %s: %w", dst, err)
			}
			tmp = append(tmp, dir)
		}
		r, err := segment.Open(dir)
		if err != nil {
			return fmt.Errorf("index: merge into %s: open spill %s: %w", dst, s.Dir, err)
		}
		readers = append(readers, r)
	}
	if err := segment.Merge(dst, meta, spec, readers, combine); err != nil {
		return fmt.Errorf("index: merge into %s: %w", dst, err)
	}
	return nil
}

// combiner returns segment.Merge's combine callback for metrics.
func combiner(metrics []segment.MetricSchema) (func(dst, src *segment.Row), error) {
	aggs := make([]aggregator, len(metrics))
	for i, m := range metrics {
		var a spec.Aggregator
		if err := json.Unmarshal(m.Aggregator, &a); err != nil {
			return nil, fmt.Errorf("metric %s: aggregator: %w", m.Name, err)
		}
		agg, err := newAggregator(&a, combineOnly)
		if err != nil {
			return nil, fmt.Errorf("metric %s: %w", m.Name, err)
		}
		aggs[i] = agg
	}
	return func(dst, src *segment.Row) {
		for i, a := range aggs {
			a.combine(&dst.Metrics[i], &src.Metrics[i])
		}
	}, nil
}

// needsMultiValue reports whether m stores as single-value a dimension dims
// wants multi-value.
func needsMultiValue(m segment.Metadata, dims []segment.DimensionSchema) bool {
	for _, d := range m.Dimensions {
		if !d.MultiValue && d.Type == segment.TypeString {
			i := slices.IndexFunc(dims, func(x segment.DimensionSchema) bool { return x.Name == d.Name })
			if i >= 0 && dims[i].MultiValue {
				return true
			}
		}
	}
	return false
}

// rewriteMultiValue copies the segment at src to dst with every dimension
// that dims marks multi-value stored as multi-value.
func rewriteMultiValue(src, dst string, dims []segment.DimensionSchema, spec segment.IndexSpec) (err error) {
	r, err := segment.Open(src)
	if err != nil {
		return err
	}
	defer r.Close()
	meta := r.Metadata()
	meta.Dimensions = slices.Clone(meta.Dimensions) // the reader's own slice
	var conv []int
	for i := range meta.Dimensions {
		d := &meta.Dimensions[i]
		j := slices.IndexFunc(dims, func(x segment.DimensionSchema) bool { return x.Name == d.Name })
		if j >= 0 && dims[j].MultiValue && !d.MultiValue {
			d.MultiValue = true
			conv = append(conv, i)
		}
	}
	_ = os.RemoveAll(dst) // a leftover of an interrupted merge
	w, err := segment.NewWriter(dst, meta, spec)
	if err != nil {
		return err
	}
	it := r.Rows()
	one := make([][1]string, len(meta.Dimensions))
	for it.Next() {
		row := it.Row()
		for _, i := range conv {
			if v := &row.Dims[i]; !v.Null {
				one[i][0] = v.Str
				v.Strs = one[i][:]
			}
		}
		if err := w.Add(row); err != nil {
			return errors.Join(err, w.Abort())
		}
	}
	if err := it.Err(); err != nil {
		return errors.Join(err, w.Abort())
	}
	return w.Finish()
}
