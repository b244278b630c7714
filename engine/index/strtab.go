package index

import (
	"hash/maphash"
	"unsafe"
)

// strTable is a string dimension's dictionary lookup: value → id, for ids 1..n (0, null, is
// never stored). It replaces a map[string]int32, which was the largest single cost of Add
// (~1.7 s of CPU per 2M rows with 5 string dimensions, mostly cache misses on the map's
// control words, slots and key bytes).
//
// It is open addressing with linear probing over slots that hold the value's string header,
// 32 bits of its hash and its id: a hit reads one slot and the value's bytes, nothing else, and a
// probe past another value compares a 32-bit tag, not bytes. Values live in the table's own
// arena chunks instead of one allocation each, so interning a new value costs a copy, not a
// malloc, and values added together lie together. The table is at most 3/4 full.
//
// Not safe for concurrent mutation; get may run concurrently with other gets (buildRank).
type strTable struct {
	slots []strSlot // len is a power of two, or 0
	n     int       // values stored
	seed  maphash.Seed
	arena []byte // the current chunk: values are appended, never moved
}

type strSlot struct {
	s   string
	tag uint32
	id  int32 // 0: empty
}

// arenaChunk is the size of one arena chunk. A value longer than a quarter of it gets a chunk
// of its own, so little is wasted at chunk ends.
const arenaChunk = 64 << 10

func newStrTable(hint int) strTable {
	t := strTable{seed: maphash.MakeSeed()}
	if hint > 0 {
		t.slots = make([]strSlot, tableSize(hint))
	}
	return t
}

// tableSize is the smallest power of two (at least 16) that holds n values at most 3/4 full.
func tableSize(n int) int {
	size := 16
	for size*3 < n*4 {
		size *= 2
	}
	return size
}

// hash is the hash the table uses for s.
func (t *strTable) hash(s string) uint64 { return maphash.String(t.seed, s) }

// get returns the id of s, or 0 when s is not stored.
func (t *strTable) get(s string) int32 {
	if len(t.slots) == 0 {
		return 0
	}
	id, _ := t.find(s, t.hash(s))
	return id
}

// find returns the id of s (hash h), or 0 and the empty slot where s would go.
func (t *strTable) find(s string, h uint64) (int32, int) {
	mask := uint64(len(t.slots) - 1)
	tag := uint32(h >> 32)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.id == 0 {
			return 0, int(i)
		}
		if sl.tag == tag && sl.s == s {
			return sl.id, int(i)
		}
	}
}

// intern returns the id of s, or stores a copy of s under id next and returns next with
// added set. stored is the table's copy, which the caller keeps in its id → value list.
func (t *strTable) intern(s string, next int32) (id int32, stored string, added bool) {
	if len(t.slots) == 0 {
		t.slots = make([]strSlot, tableSize(1))
	}
	h := t.hash(s)
	id, i := t.find(s, h)
	if id != 0 {
		return id, "", false
	}
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
		_, i = t.find(s, h)
	}
	stored = t.clone(s)
	t.slots[i] = strSlot{s: stored, tag: uint32(h >> 32), id: next}
	t.n++
	return next, stored, true
}

// grow doubles the table, re-placing every value by its hash.
func (t *strTable) grow() {
	old := t.slots
	t.slots = make([]strSlot, 2*len(old))
	mask := uint64(len(t.slots) - 1)
	for _, sl := range old {
		if sl.id == 0 {
			continue
		}
		i := t.hash(sl.s) & mask
		for t.slots[i].id != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = sl
	}
}

// clone copies s into the arena.
func (t *strTable) clone(s string) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > arenaChunk/4 {
		b := make([]byte, len(s))
		copy(b, s)
		return unsafe.String(&b[0], len(b))
	}
	if cap(t.arena)-len(t.arena) < len(s) {
		t.arena = make([]byte, 0, arenaChunk)
	}
	start := len(t.arena)
	t.arena = append(t.arena, s...)
	return unsafe.String(&t.arena[start], len(s))
}

// len returns the number of values stored.
func (t *strTable) len() int { return t.n }
