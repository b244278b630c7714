package query

import (
	"context"
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
	"sync"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// The grouping engine behind timeseries, topN and groupBy: per segment,
// rows in scope that pass the filter are grouped by time bucket and
// dimension values (multi-value rows contribute to each of their values, as
// Druid's groupBy and topN explode them) and aggregated; partial results are
// then merged by (bucket, values).

// allBucket is the bucket key of granularity "all" during aggregation.
const allBucket = math.MinInt64

// dimValue is one group key value: a string or null.
type dimValue struct {
	s    string
	null bool
}

func (v dimValue) json() any {
	if v.null {
		return nil
	}
	return v.s
}

// group is one merged group.
type group struct {
	bucket int64
	dims   []dimValue
	states []aggValue
}

// grouping is the merged result of all segments.
type grouping struct {
	mu       sync.Mutex
	groups   map[string]*group
	order    []*group
	allStart int64          // first data-bounded instant, for granularity all
	buckets  map[int64]bool // buckets of the scanned data, for filling empty ones
}

type groupSpec struct {
	c    *common
	dims []dimSpec
	fill bool // record empty buckets (timeseries)
}

// aggregateAll runs gs over every segment.
func aggregateAll(ctx context.Context, gs *groupSpec, refs []SegmentRef) (*grouping, error) {
	out := newGrouping()
	err := forEachSegment(ctx, refs, gs.c, func(_ int, sc *segCtx) error { return aggregateSegment(sc, gs, out) })
	return out, err
}

func newGrouping() *grouping {
	return &grouping{groups: map[string]*group{}, allStart: math.MaxInt64, buckets: map[int64]bool{}}
}

// dimReader yields the dictionary ids of one grouping dimension in a
// segment; non-string columns get a dictionary built from their values.
type dimReader struct {
	c    *column
	dict []string // id → value; 0 is null
	ids  []int32
	offs []int32
}

func newDimReader(c *column, n int) *dimReader {
	switch c.kind {
	case colString:
		return &dimReader{c: c, dict: c.dict, ids: c.ids, offs: c.offs}
	case colMissing, colComplex:
		return &dimReader{c: c, dict: []string{""}, ids: make([]int32, n)}
	}
	// numeric: Druid's default dimension spec outputs strings
	d := &dimReader{c: c, dict: []string{""}, ids: make([]int32, n)}
	idx := map[string]int32{}
	for i := 0; i < n; i++ {
		if c.isNull(i) {
			continue
		}
		var s string
		if c.kind == colLong {
			s = strconv.FormatInt(c.longs[i], 10)
		} else {
			s, _ = expr.Double(c.doubles[i]).AsString()
		}
		id, ok := idx[s]
		if !ok {
			id = int32(len(d.dict))
			d.dict = append(d.dict, s)
			idx[s] = id
		}
		d.ids[i] = id
	}
	return d
}

func (d *dimReader) row(i int) []int32 {
	if d.offs != nil {
		return d.ids[d.offs[i]:d.offs[i+1]]
	}
	return d.ids[i : i+1]
}

// segGroups is one segment's groups, keyed by bucket and dictionary ids.
// One dimension uses a dense slot array per bucket; several dimensions pack
// their ids into one integer when the product of their cardinalities fits,
// and fall back to a byte-string key otherwise.
type segGroups struct {
	nAggs, nDims int

	dense     map[int64][]int32 // one dimension: bucket → slot+1 by id
	denseCur  []int32
	denseB    int64
	denseSize int

	radix    []uint64 // several dimensions: id multipliers, nil when they overflow
	numIndex map[packedKey]int32
	strIndex map[string]int32
	key      []byte

	bucket []int64
	ids    []int32 // flat, nDims per slot
	states []aggValue
}

type packedKey struct {
	bucket int64
	ids    uint64
}

func newSegGroups(dims []*dimReader, nAggs, nRows int) *segGroups {
	g := &segGroups{nAggs: nAggs, nDims: len(dims)}
	switch len(dims) {
	case 0:
		g.numIndex = map[packedKey]int32{}
	case 1:
		g.dense, g.denseSize, g.denseB = map[int64][]int32{}, len(dims[0].dict), 1
		// expect about one group per value: no regrowing for high cardinality
		n := min(len(dims[0].dict), nRows)
		g.states = make([]aggValue, 0, n*nAggs)
		g.ids = make([]int32, 0, n)
		g.bucket = make([]int64, 0, n)
	default:
		g.radix = make([]uint64, len(dims))
		m := uint64(1)
		for i, d := range dims {
			g.radix[i] = m
			hi, lo := bits.Mul64(m, uint64(len(d.dict)))
			if hi != 0 || lo > 1<<62 {
				g.radix = nil
				break
			}
			m = lo
		}
		if g.radix != nil {
			g.numIndex = map[packedKey]int32{}
		} else {
			g.strIndex = map[string]int32{}
		}
	}
	return g
}

// slot returns the slot of (bucket, ids), creating it.
func (g *segGroups) slot(bucket int64, ids []int32) int32 {
	switch {
	case g.dense != nil:
		if bucket != g.denseB || g.denseCur == nil {
			g.denseCur = g.dense[bucket]
			if g.denseCur == nil {
				g.denseCur = make([]int32, g.denseSize)
				g.dense[bucket] = g.denseCur
			}
			g.denseB = bucket
		}
		if s := g.denseCur[ids[0]]; s > 0 {
			return s - 1
		}
		s := g.newSlot(bucket, ids)
		g.denseCur[ids[0]] = s + 1
		return s
	case g.numIndex != nil:
		k := packedKey{bucket: bucket}
		for i, id := range ids {
			k.ids += uint64(id) * g.radix[i]
		}
		if s, ok := g.numIndex[k]; ok {
			return s
		}
		s := g.newSlot(bucket, ids)
		g.numIndex[k] = s
		return s
	}
	g.key = binary.LittleEndian.AppendUint64(g.key[:0], uint64(bucket))
	for _, id := range ids {
		g.key = binary.LittleEndian.AppendUint32(g.key, uint32(id))
	}
	if s, ok := g.strIndex[string(g.key)]; ok {
		return s
	}
	s := g.newSlot(bucket, ids)
	g.strIndex[string(g.key)] = s
	return s
}

func (g *segGroups) newSlot(bucket int64, ids []int32) int32 {
	s := int32(len(g.bucket))
	g.bucket = append(g.bucket, bucket)
	g.ids = append(g.ids, ids...)
	for range g.nAggs {
		g.states = append(g.states, aggValue{})
	}
	return s
}

// aggregateSegment groups and aggregates one segment and merges the result
// into out.
func aggregateSegment(sc *segCtx, gs *groupSpec, out *grouping) error {
	c := gs.c
	gran := c.granularity
	isAll := gran.Kind == spec.GranularityAll
	n := sc.cols.NumRows()
	// data-bounded buckets, as Druid's cursors iterate the query interval
	// clipped to the segment's data interval
	allStart := int64(math.MaxInt64)
	var buckets []int64
	if data, ok := sc.cols.dataInterval(); ok && n > 0 {
		for _, iv := range sc.ref.Intervals {
			a, ok := iv.intersect(data)
			if !ok {
				continue
			}
			allStart = min(allStart, a.Start)
			if a == Eternity && !isAll {
				// Druid's RowBasedStorageAdapter refuses this rather than create
				// that many time buckets.
				return badQuery("granularity", "cannot support interval [ETERNITY] with granularity [%s] over inline rows; narrow the intervals", gran.String())
			}
			if gs.fill && !isAll && gran.Kind != spec.GranularityNone {
				for b := gran.Truncate(a.Start); b < a.End && len(buckets) < 1<<20; b = gran.Next(b) {
					buckets = append(buckets, b)
				}
			}
		}
	}
	rows, err := evalFilter(sc, c.filter)
	if err != nil {
		return err
	}
	bound := make([]rowAgg, len(c.aggs))
	for i, a := range c.aggs {
		if bound[i], err = a.bind(sc); err != nil {
			return err
		}
	}
	dims := make([]*dimReader, len(gs.dims))
	for i, d := range gs.dims {
		col, err := sc.column(d.dimension)
		if err != nil {
			return err
		}
		dims[i] = newDimReader(col, n)
	}
	nAggs := len(bound)
	g := newSegGroups(dims, nAggs, int(rows.GetCardinality()))
	curStart, curEnd := int64(1), int64(0) // empty
	bucket := int64(allBucket)
	ids := make([]int32, len(dims))
	lastSlot := int32(-1) // no-dims fast path: slot of the current bucket
	addRow := func(slot int32, row int) {
		st := g.states[int(slot)*nAggs : int(slot)*nAggs+nAggs]
		for k, a := range bound {
			a.add(&st[k], row)
		}
	}
	var explode func(row, d int)
	explode = func(row, d int) {
		if d == len(dims) {
			addRow(g.slot(bucket, ids), row)
			return
		}
		for _, id := range dims[d].row(row) {
			ids[d] = id
			explode(row, d+1)
		}
	}
	err = forRows(sc.ctx, rows, func(row int) {
		if !isAll {
			if t := sc.times[row]; t < curStart || t >= curEnd {
				curStart, curEnd = gran.Bucket(t)
				bucket = curStart
				lastSlot = -1
			}
		}
		switch {
		case len(dims) == 0:
			if lastSlot < 0 {
				lastSlot = g.slot(bucket, nil)
			}
			addRow(lastSlot, row)
		case len(dims) == 1 && dims[0].offs == nil:
			ids[0] = dims[0].ids[row]
			addRow(g.slot(bucket, ids), row)
		default:
			explode(row, 0)
		}
	})
	if err != nil {
		return err
	}
	// Merge into the shared result.
	out.mu.Lock()
	defer out.mu.Unlock()
	out.allStart = min(out.allStart, allStart)
	for _, b := range buckets {
		out.buckets[b] = true
	}
	var mk []byte // groupKey's layout, built from the dictionaries without a dimValue per group
	for s := range g.bucket {
		mk = binary.LittleEndian.AppendUint64(mk[:0], uint64(g.bucket[s]))
		sids := g.ids[s*len(dims) : (s+1)*len(dims)]
		for d, id := range sids {
			mk = appendDimKey(mk, dims[d].dict[id], id == 0)
		}
		st := g.states[s*nAggs : s*nAggs+nAggs]
		gr := out.groups[string(mk)]
		if gr == nil {
			gr = &group{bucket: g.bucket[s], dims: make([]dimValue, len(dims)), states: make([]aggValue, nAggs)}
			for d, id := range sids {
				gr.dims[d] = dimValue{s: dims[d].dict[id], null: id == 0}
			}
			copy(gr.states, st)
			out.groups[string(mk)] = gr
			out.order = append(out.order, gr)
			continue
		}
		for k, a := range c.aggs {
			a.combine(&gr.states[k], &st[k])
		}
	}
	return nil
}
