package index

import (
	"cmp"
	"runtime"
	"slices"
	"sync"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// Iterator walks an Index's rows in sorted order (see the package doc),
// the order segment.Merge expects of its inputs. Rows with equal keys
// (rollup off) keep insertion order.
type Iterator struct {
	ix   *Index
	perm []int32
	pos  int
	row  segment.Row
	strs [][]string // per dimension, the reused multi-value buffer
	ids  [][]int32  // per dimension, the reused multi-value id buffer
}

// Iter returns an iterator over the current rows. Adding to the index
// while iterating is not allowed.
func (ix *Index) Iter() *Iterator {
	ix.buildRanks()
	perm := make([]int32, len(ix.times))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortStableFunc(perm, ix.compareRows)
	return &Iterator{ix: ix, perm: perm, pos: -1, strs: make([][]string, len(ix.dims)), ids: make([][]int32, len(ix.dims)),
		row: segment.Row{Dims: make([]segment.DimValue, len(ix.dims)), Metrics: make([]segment.MetricValue, len(ix.aggs))}}
}

// Next advances to the next row.
func (it *Iterator) Next() bool {
	if it.pos+1 >= len(it.perm) {
		return false
	}
	it.pos++
	ix, r := it.ix, it.perm[it.pos]
	it.row.Time = ix.times[r]
	key := ix.rowKey(r)
	for i, d := range ix.dims {
		id := int32(0)
		if i < len(key) {
			id = key[i]
		}
		v := &it.row.Dims[i]
		*v = segment.DimValue{Null: id == 0}
		switch {
		case id == 0:
		case d.typ == segment.TypeLong:
			v.Long = d.longs[id]
		case d.typ != segment.TypeString:
			v.Double = d.dbls[id]
		case !d.multi:
			v.Str, v.ID = d.strs[id], id
		default:
			var one [1]int32
			s, ids := it.strs[i][:0], it.ids[i][:0]
			for _, e := range d.elemsOf(id, &one) {
				s, ids = append(s, d.strs[e]), append(ids, e)
			}
			it.strs[i], v.Strs = s, s
			it.ids[i], v.IDs = ids, ids
		}
	}
	for i, a := range ix.aggs {
		a.value(r, &it.row.Metrics[i])
	}
	return true
}

// Row returns the current row. It and the slices in it are reused by Next.
// String values carry both the string and the index's dictionary id (ID,
// IDs), for a segment.Writer given the index's dictionaries (see
// Index.WriteSegment).
func (it *Iterator) Row() *segment.Row { return &it.row }

// Len returns the number of rows the iterator walks.
func (it *Iterator) Len() int { return len(it.perm) }

// compareRows orders rows a and b by time, then dimensions.
func (ix *Index) compareRows(a, b int32) int {
	if c := cmp.Compare(ix.times[a], ix.times[b]); c != 0 {
		return c
	}
	ka, kb := ix.rowKey(a), ix.rowKey(b)
	n := max(len(ka), len(kb))
	for i := 0; i < n; i++ {
		var x, y int32
		if i < len(ka) {
			x = ka[i]
		}
		if i < len(kb) {
			y = kb[i]
		}
		if x == y {
			continue
		}
		if c := ix.dims[i].compareIDs(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// buildRanks builds every dimension's rank. Dimensions are independent, so
// up to GOMAXPROCS of them are sorted at once; each goroutine writes only
// its dimensions' rank.
func (ix *Index) buildRanks() {
	total := 0
	for _, d := range ix.dims {
		total += d.size()
	}
	if total < 1<<14 { // small dictionaries: not worth a goroutine
		for _, d := range ix.dims {
			d.buildRank()
		}
		return
	}
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if next == len(ix.dims) {
			return -1
		}
		next++
		return next - 1
	}
	for range min(runtime.GOMAXPROCS(0), len(ix.dims)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := take(); i >= 0; i = take() {
				ix.dims[i].buildRank()
			}
		}()
	}
	wg.Wait()
}

// buildRank computes each id's position in value order (null first).
func (d *dim) buildRank() {
	n := d.size()
	d.rank = slices.Grow(d.rank[:0], n)[:n]
	d.rank[0] = 0
	if d.typ == segment.TypeString {
		// Sorting the strings themselves (no comparator call, no
		// indirection) and then finding each one's id once is several times
		// faster than sorting ids by a closure over d.strs.
		sorted := slices.Clone(d.strs[1:])
		slices.Sort(sorted)
		for i, s := range sorted {
			d.rank[d.strTab.get(s)] = int32(i + 1)
		}
		return
	}
	order := make([]int32, n-1)
	for i := range order {
		order[i] = int32(i + 1)
	}
	if d.typ == segment.TypeLong {
		slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(d.longs[a], d.longs[b]) })
	} else {
		slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(d.dbls[a], d.dbls[b]) })
	}
	for i, id := range order {
		d.rank[id] = int32(i + 1)
	}
}

// compareIDs orders two key slots of d; multi-values compare element by
// element, a prefix first (as segment.CompareDims).
func (d *dim) compareIDs(x, y int32) int {
	if x >= 0 && y >= 0 {
		return cmp.Compare(d.rank[x], d.rank[y])
	}
	var o1, o2 [1]int32
	return slices.CompareFunc(d.elemsOf(x, &o1), d.elemsOf(y, &o2), func(a, b int32) int {
		return cmp.Compare(d.rank[a], d.rank[b])
	})
}
