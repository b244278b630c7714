package index

import (
	"cmp"
	"math/bits"
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
	// idsOnly leaves Str and Strs empty: a segment.Writer given the
	// index's dictionaries reads only the ids (loading each row's strings
	// is a cache miss per value).
	idsOnly bool
}

// Iter returns an iterator over the current rows. Adding to the index
// while iterating is not allowed.
func (ix *Index) Iter() *Iterator {
	ix.buildRanks()
	perm := ix.sortedRows()
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
		// Only the fields of the dimension's type are set (id 0, null,
		// reads as the zero value in every dictionary), the others stay
		// zero from Iter: no whole DimValue is cleared per row.
		v := &it.row.Dims[i]
		v.Null = id == 0
		switch {
		case d.typ == segment.TypeLong:
			v.Long = d.longs[id]
		case d.typ != segment.TypeString:
			v.Double = d.dbls[id]
		case !d.multi:
			v.ID = id
			if !it.idsOnly {
				v.Str = d.strs[id]
			}
		case id == 0:
			v.Strs, v.IDs = nil, nil
		default:
			var one [1]int32
			s, ids := it.strs[i][:0], it.ids[i][:0]
			for _, e := range d.elemsOf(id, &one) {
				ids = append(ids, e)
				if !it.idsOnly {
					s = append(s, d.strs[e])
				}
			}
			it.ids[i], v.IDs = ids, ids
			if !it.idsOnly {
				it.strs[i], v.Strs = s, s
			}
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

// sortedRows returns the row numbers in iteration order: by time, then
// dimensions (compareRows), equal rows in insertion order. It is the order
// of a stable sort by compareRows, computed in O(n log n) rather than
// slices.SortStableFunc's O(n log² n) (which took ~1.1 s of CPU per 2M
// rows with rollup): a stable radix sort on time, then each run of equal
// times sorted by dimensions with the row number breaking ties, so the
// order is total and the unstable sort gives the stable order.
func (ix *Index) sortedRows() []int32 { return ix.sortedRowsBy(true) }

// sortedRowsBy is sortedRows; packed false always sorts with the
// comparator (tests check that both give the same order).
func (ix *Index) sortedRowsBy(packed bool) []int32 {
	n := len(ix.times)
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	if !slices.IsSorted(ix.times) { // rows mostly arrive in time order
		perm = ix.radixByTime(perm)
	}
	if packed && ix.sortPacked(perm, false) {
		return perm
	}
	cmpKeys := ix.keyComparator()
	for lo := 0; lo < n; {
		t, hi := ix.times[perm[lo]], lo+1
		for hi < n && ix.times[perm[hi]] == t {
			hi++
		}
		if hi-lo > 1 {
			slices.SortFunc(perm[lo:hi], func(a, b int32) int {
				if c := cmpKeys(a, b); c != 0 {
					return c
				}
				return cmp.Compare(a, b)
			})
		}
		lo = hi
	}
	return perm
}

// radixByTime sorts perm stably by row time: least significant digit
// first, 11 bits per pass over time − minTime (two passes for an hour of
// milliseconds). It may return its scratch slice instead of perm.
func (ix *Index) radixByTime(perm []int32) []int32 {
	const bits = 11
	span := uint64(ix.maxTime - ix.minTime)
	tmp := make([]int32, len(perm))
	var count [1 << bits]int
	for shift := uint(0); shift < 64 && (shift == 0 || span>>shift != 0); shift += bits {
		clear(count[:])
		for _, r := range perm {
			count[(uint64(ix.times[r]-ix.minTime)>>shift)&(1<<bits-1)]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, r := range perm {
			d := (uint64(ix.times[r]-ix.minTime) >> shift) & (1<<bits - 1)
			tmp[count[d]] = r
			count[d]++
		}
		perm, tmp = tmp, perm
	}
	return perm
}

// sortPacked sorts each run of equal times of perm (sorted by time, equal
// times in row order) by dimensions, row number breaking ties, when every
// row's key is single-valued and the ranks of all dimensions and a
// position in the run fit in 128 bits: each row of a run becomes one
// integer key (ranks from the first dimension down, then its position in
// the run, which orders as its row number), a uint64 when 64 bits do, so
// the sort compares integers instead of calling a comparator over two key
// slices (about half of a persist's sort CPU). wide forces the 128-bit
// keys (tests). It reports false when the keys do not fit; the runs it
// sorted before finding a multi-value key are in their final order.
func (ix *Index) sortPacked(perm []int32, wide bool) bool {
	n := len(perm)
	maxRun := 0
	for lo := 0; lo < n; {
		t, hi := ix.times[perm[lo]], lo+1
		for hi < n && ix.times[perm[hi]] == t {
			hi++
		}
		maxRun = max(maxRun, hi-lo)
		lo = hi
	}
	if maxRun <= 1 {
		return true
	}
	posBits := uint(bits.Len32(uint32(maxRun - 1)))
	widths := make([]uint, len(ix.dims))
	total := posBits
	for i, d := range ix.dims {
		widths[i] = uint(bits.Len32(uint32(d.size() - 1)))
		total += widths[i]
	}
	if total > 128 {
		return false
	}
	wide = wide || total > 64
	mask := uint64(1)<<posBits - 1
	var (
		pk  []uint64
		pk2 []key128
		run []int32
	)
	for lo := 0; lo < n; {
		t, hi := ix.times[perm[lo]], lo+1
		for hi < n && ix.times[perm[hi]] == t {
			hi++
		}
		if hi-lo == 1 {
			lo = hi
			continue
		}
		run = append(run[:0], perm[lo:hi]...)
		pk, pk2 = pk[:0], pk2[:0]
		for j, r := range run {
			var k key128
			rk := ix.rowKey(r)
			for i, w := range widths {
				rank := int32(0) // trimmed trailing nulls: rank 0, as null
				if i < len(rk) {
					id := rk[i]
					if id < 0 { // a multi-value combination
						return false
					}
					rank = ix.dims[i].rank[id]
				}
				k = k.push(uint64(rank), w)
			}
			k = k.push(uint64(j), posBits)
			if wide {
				pk2 = append(pk2, k)
			} else {
				pk = append(pk, k.lo)
			}
		}
		if wide {
			slices.SortFunc(pk2, func(a, b key128) int {
				if c := cmp.Compare(a.hi, b.hi); c != 0 {
					return c
				}
				return cmp.Compare(a.lo, b.lo)
			})
			for j, k := range pk2 {
				perm[lo+j] = run[k.lo&mask]
			}
		} else {
			slices.Sort(pk)
			for j, key := range pk {
				perm[lo+j] = run[key&mask]
			}
		}
		lo = hi
	}
	return true
}

// key128 is a 128-bit sort key, hi the most significant half.
type key128 struct{ hi, lo uint64 }

// push shifts k left by w bits (w < 64) and puts v (below 1<<w) in the
// low bits. Go's shifts by 64 give 0, so w = 0 leaves k as it is.
func (k key128) push(v uint64, w uint) key128 {
	return key128{hi: k.hi<<w | k.lo>>(64-w), lo: k.lo<<w | v}
}

// keyComparator returns a function ordering two rows of equal time by
// dimensions, as compareRows. Without multi-value rows it compares keys of
// ranks, computed once per row slot (no rank lookup per comparison).
func (ix *Index) keyComparator() func(a, b int32) int {
	ranked := make([]int32, len(ix.keys))
	for r := range len(ix.times) {
		lo, hi := ix.keyOff[r], ix.keyOff[r+1]
		for i, id := range ix.keys[lo:hi] {
			if id < 0 { // a multi-value combination: element by element
				return func(a, b int32) int { return ix.compareRows(a, b) }
			}
			ranked[int(lo)+i] = ix.dims[i].rank[id]
		}
	}
	// Trailing nulls are trimmed from keys and only null has rank 0, so
	// comparing the ranked keys as sequences (a prefix first) is the order
	// of compareRows.
	return func(a, b int32) int {
		return slices.Compare(ranked[ix.keyOff[a]:ix.keyOff[a+1]], ranked[ix.keyOff[b]:ix.keyOff[b+1]])
	}
}

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
