package index

import (
	"encoding/binary"
	"hash/maphash"
	"unsafe"
)

// strTable is a string dimension's dictionary lookup: value → id, for ids 1..n (0, null, is
// never stored). It replaces a map[string]int32, which was the largest single cost of Add
// (~1.7 s of CPU per 2M rows with 5 string dimensions, mostly cache misses on the map's
// control words, slots and key bytes).
//
// It is open addressing with linear probing, at most 3/4 full, over 24-byte slots without
// pointers (the garbage collector does not scan them). A slot holds 27 bits of the value's hash
// with its length class, its id, and either the value itself when it has at most 16 bytes, or
// where its bytes are in the table's arena. So a lookup of a short value reads one slot, and of
// a long one a slot and the value's bytes; a probe past another value compares the tag, not
// bytes. Values are copied into arena chunks, never moved, instead of one allocation each:
// interning a new value costs a copy, not a malloc, and the strings the dimension keeps
// (dim.strs) point into the chunks.
//
// Not safe for concurrent mutation; get may run concurrently with other gets (buildRank).
type strTable struct {
	slots  []strSlot // len is a power of two, or 0
	n      int       // values stored
	seed   maphash.Seed
	chunks [][]byte // the arena
	cur    int      // 1 + the index of the chunk small values are appended to; 0: none yet
}

type strSlot struct {
	// A short value's bytes (see words); for a long one, chunk<<32|offset and the length.
	a, b uint64
	tag  uint32 // hash bits &^ classMask | length class: 0–16 a short value's length, longClass
	id   int32  // 0: empty
}

const (
	shortMax  = 16
	classMask = 31
	longClass = 31
)

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
func tableSize(n int) int { return pow2TableSize(n, 16) }

// pow2TableSize is the smallest power of two from minSize up that holds n entries at most 3/4
// full: the sizing rule of the index's open-addressing tables (strTable, the rollup table).
func pow2TableSize(n, minSize int) int {
	size := minSize
	for 4*n > 3*size {
		size *= 2
	}
	return size
}

// hash is the hash the table uses for s.
func (t *strTable) hash(s string) uint64 { return maphash.String(t.seed, s) }

// words packs a short value (at most 16 bytes) into two words: from 8 bytes on, its first 8
// and its last 8 (overlapping), else its bytes zero-padded in a. With the length in the tag,
// equal words mean equal values.
func words(s string) (a, b uint64) {
	n := len(s)
	if n >= 8 {
		p := unsafe.StringData(s)
		return binary.LittleEndian.Uint64(unsafe.Slice(p, 8)), binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(p), n-8)), 8))
	}
	for i := n - 1; i >= 0; i-- {
		a = a<<8 | uint64(s[i])
	}
	return a, 0
}

// tagOf is the tag of a value of length n with hash h.
func tagOf(h uint64, n int) uint32 {
	c := uint32(longClass)
	if n <= shortMax {
		c = uint32(n)
	}
	return uint32(h>>32)&^classMask | c
}

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
	tag := tagOf(h, len(s))
	if len(s) <= shortMax {
		a, b := words(s)
		for i := h & mask; ; i = (i + 1) & mask {
			sl := &t.slots[i]
			if sl.id == 0 {
				return 0, int(i)
			}
			if sl.tag == tag && sl.a == a && sl.b == b {
				return sl.id, int(i)
			}
		}
	}
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.id == 0 {
			return 0, int(i)
		}
		if sl.tag == tag && t.long(sl) == s {
			return sl.id, int(i)
		}
	}
}

// long returns the bytes of a long value's slot.
func (t *strTable) long(sl *strSlot) string {
	c := t.chunks[sl.a>>32]
	return unsafe.String(&c[uint32(sl.a)], int(sl.b))
}

// value returns the value of a slot; buf holds a short one.
func (t *strTable) value(sl *strSlot, buf *[shortMax]byte) []byte {
	if n := sl.tag & classMask; n != longClass {
		binary.LittleEndian.PutUint64(buf[:8], sl.a)
		if n >= 8 {
			binary.LittleEndian.PutUint64(buf[n-8:n], sl.b)
		}
		return buf[:n]
	}
	c := t.chunks[sl.a>>32]
	off := uint32(sl.a)
	return c[off : off+uint32(sl.b)]
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
	return next, t.insertAt(i, h, s, next), true
}

// insertAt stores a copy of s (hash h) with id in the empty slot i and returns the copy.
func (t *strTable) insertAt(i int, h uint64, s string, id int32) string {
	stored, ref := t.clone(s)
	sl := strSlot{tag: tagOf(h, len(s)), id: id}
	if len(s) <= shortMax {
		sl.a, sl.b = words(s)
	} else {
		sl.a, sl.b = ref, uint64(len(s))
	}
	t.slots[i] = sl
	t.n++
	return stored
}

// grow doubles the table, re-placing every value by its hash.
func (t *strTable) grow() {
	old := t.slots
	t.slots = make([]strSlot, 2*len(old))
	mask := uint64(len(t.slots) - 1)
	var buf [shortMax]byte
	for k := range old {
		sl := &old[k]
		if sl.id == 0 {
			continue
		}
		i := maphash.Bytes(t.seed, t.value(sl, &buf)) & mask
		for t.slots[i].id != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = *sl
	}
}

// clone copies s into the arena and returns the copy and where it is (chunk<<32|offset).
func (t *strTable) clone(s string) (string, uint64) {
	if len(s) == 0 {
		return "", 0
	}
	if len(s) > arenaChunk/4 {
		// A chunk of its own, full: small values go on in the current chunk.
		b := make([]byte, len(s))
		copy(b, s)
		t.chunks = append(t.chunks, b)
		return unsafe.String(&b[0], len(b)), uint64(len(t.chunks)-1) << 32
	}
	if t.cur == 0 || cap(t.chunks[t.cur-1])-len(t.chunks[t.cur-1]) < len(s) {
		t.chunks = append(t.chunks, make([]byte, 0, arenaChunk))
		t.cur = len(t.chunks)
	}
	c := t.chunks[t.cur-1]
	off := len(c)
	c = append(c, s...)
	t.chunks[t.cur-1] = c
	return unsafe.String(&c[off], len(s)), uint64(t.cur-1)<<32 | uint64(off)
}

// len returns the number of values stored.
func (t *strTable) len() int { return t.n }
