package index

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// intern adds s (or finds it) the way dim.stringID does, keeping the id → value list.
type strTableModel struct {
	t    strTable
	strs []string
}

func (m *strTableModel) intern(s string) int32 {
	id, stored, added := m.t.intern(s, int32(len(m.strs)))
	if added {
		if stored != s {
			panic(fmt.Sprintf("stored %q for %q", stored, s))
		}
		m.strs = append(m.strs, stored)
	}
	return id
}

func TestStrTableBasics(t *testing.T) {
	m := &strTableModel{t: newStrTable(0), strs: []string{"<null>"}}
	if got := m.t.get("a"); got != 0 {
		t.Fatalf("get on an empty table = %d, want 0", got)
	}
	a := m.intern("a")
	b := m.intern("b")
	empty := m.intern("") // the table itself stores "" like any value; dim maps it to null first
	if a != 1 || b != 2 || empty != 3 {
		t.Fatalf("ids a=%d b=%d empty=%d, want 1 2 3", a, b, empty)
	}
	if m.intern("a") != 1 || m.intern("") != 3 || m.t.get("b") != 2 || m.t.get("c") != 0 {
		t.Fatal("second lookups disagree with the first")
	}
	if m.t.len() != 3 {
		t.Fatalf("len = %d, want 3", m.t.len())
	}
	// The table copies what it keeps: the caller's bytes may be reused.
	buf := []byte("xyz")
	id := m.intern(b2s(buf))
	copy(buf, "qqq")
	if m.strs[id] != "xyz" || m.t.get("xyz") != id || m.t.get("qqq") != 0 {
		t.Fatalf("value changed with the caller's buffer: %q", m.strs[id])
	}
	// Values at the short/long boundary, with NUL bytes (short values are zero-padded).
	for _, s := range []string{"\x00", "\x00\x00", "a\x00", strings.Repeat("s", 15), strings.Repeat("s", 16), strings.Repeat("s", 17),
		strings.Repeat("\x00", 16), strings.Repeat("\x00", 17)} {
		id := m.intern(s)
		if m.t.get(s) != id || m.strs[id] != s || m.intern(s) != id {
			t.Fatalf("%q: id %d not found again", s, id)
		}
	}
	// Values too long for a shared arena chunk, between small ones that share chunks.
	var ids []int32
	var vals []string
	for i := range 2000 {
		s := "small-" + strconv.Itoa(i) + strings.Repeat("y", 30)
		if i%500 == 0 {
			s = strings.Repeat("L", arenaChunk) + strconv.Itoa(i)
		}
		vals, ids = append(vals, s), append(ids, m.intern(s))
	}
	for i, s := range vals {
		if m.t.get(s) != ids[i] || m.strs[ids[i]] != s {
			t.Fatalf("value %d (%d bytes) not found after growth and new chunks", i, len(s))
		}
	}
}

// TestStrTableCollisions forces every value onto one tag and one home slot: the table must still
// tell them apart by their bytes.
func TestStrTableCollisions(t *testing.T) {
	m := &strTableModel{t: newStrTable(0), strs: []string{""}}
	// Fill the slots by hand with a constant hash, as a worst-case hash function would: short
	// values of equal length (one tag), and long ones with a shared prefix.
	m.t.slots = make([]strSlot, 128)
	val := func(i int) string {
		if i%2 == 0 {
			return fmt.Sprintf("v%03d", i)
		}
		return fmt.Sprintf("%s%03d", strings.Repeat("long-", 10), i)
	}
	for i := range 90 {
		s := val(i)
		id, slot := m.t.find(s, 7)
		if id != 0 {
			t.Fatalf("%q found before it was added", s)
		}
		if got := m.t.insertAt(slot, 7, s, int32(i+1)); got != s {
			t.Fatalf("stored %q for %q", got, s)
		}
	}
	for i := range 90 {
		if id, _ := m.t.find(val(i), 7); id != int32(i+1) {
			t.Fatalf("find(%q) = %d, want %d", val(i), id, i+1)
		}
	}
	for _, s := range []string{val(90), val(91), "v00", "v0000", val(1)[:len(val(1))-1]} {
		if id, _ := m.t.find(s, 7); id != 0 {
			t.Fatalf("find of missing %q = %d", s, id)
		}
	}
}

// TestStrTableGrowth adds values one by one from an empty table and from a pre-sized one,
// checking after every growth that every earlier value keeps its id.
func TestStrTableGrowth(t *testing.T) {
	for _, hint := range []int{0, 1, 100, 5000} {
		m := &strTableModel{t: newStrTable(hint), strs: []string{""}}
		size := len(m.t.slots)
		for i := range 20000 {
			m.intern("value-" + strconv.Itoa(i))
			if len(m.t.slots) != size {
				size = len(m.t.slots)
				if m.t.n*4 > size*3 {
					t.Fatalf("hint %d: %d values in %d slots: more than 3/4 full", hint, m.t.n, size)
				}
				for j := 0; j <= i; j++ {
					if got := m.t.get("value-" + strconv.Itoa(j)); got != int32(j+1) {
						t.Fatalf("hint %d: after growing to %d slots, value-%d has id %d, want %d", hint, size, j, got, j+1)
					}
				}
			}
		}
		if m.t.len() != 20000 {
			t.Fatalf("hint %d: len %d", hint, m.t.len())
		}
	}
}

// TestStrTableRandomAgainstMap interns random strings (short, long, empty, with shared
// prefixes, binary) against a plain map and compares every id.
func TestStrTableRandomAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 20))
	for round := range 20 {
		m := &strTableModel{t: newStrTable(rng.IntN(100)), strs: []string{""}}
		want := map[string]int32{}
		card := 1 + rng.IntN(3000)
		pool := make([]string, card)
		for i := range pool {
			switch rng.IntN(5) {
			case 0:
				pool[i] = ""
			case 1:
				pool[i] = strings.Repeat("p", 1+rng.IntN(300)) + strconv.Itoa(i)
			case 2:
				b := make([]byte, rng.IntN(40))
				for j := range b {
					b[j] = byte(rng.IntN(256))
				}
				pool[i] = string(b)
			default:
				pool[i] = strconv.Itoa(rng.IntN(card))
			}
		}
		for range 20000 {
			s := pool[rng.IntN(card)]
			id := m.intern(s)
			w, ok := want[s]
			if !ok {
				w = int32(len(want) + 1)
				want[s] = w
			}
			if id != w {
				t.Fatalf("round %d: intern(%q) = %d, want %d", round, s, id, w)
			}
		}
		if m.t.len() != len(want) {
			t.Fatalf("round %d: len %d, want %d", round, m.t.len(), len(want))
		}
		for s, w := range want {
			if got := m.t.get(s); got != w || m.strs[w] != s {
				t.Fatalf("round %d: get(%q) = %d, want %d", round, s, got, w)
			}
		}
	}
}

// TestDimStringIDs checks the dimension's use of the table: "" and null are id 0, values get
// dense ids in first-seen order, the dictionary estimate grows once per new value, and a reset
// starts over.
func TestDimStringIDs(t *testing.T) {
	var bytes int64
	d := newDim(DimensionSpec{Name: "d", Type: stringType}, &bytes)
	if d.stringID("") != 0 {
		t.Fatal(`"" is not null`)
	}
	if d.stringID("x") != 1 || d.stringID("y") != 2 || d.stringID("x") != 1 {
		t.Fatal("ids not dense in first-seen order")
	}
	if want := int64(2 + 2*dictOverhead); bytes != want {
		t.Fatalf("estimated bytes %d, want %d", bytes, want)
	}
	if d.strs[1] != "x" || d.strs[2] != "y" || d.size() != 3 {
		t.Fatalf("dictionary %q", d.strs)
	}
	d.reset()
	if d.stringID("y") != 1 || d.size() != 2 {
		t.Fatal("reset did not start a new dictionary")
	}
}

// The map the table replaced, for comparison: go test -bench 'StrTable|StringMap' -benchmem.
// Each op builds a value in a reused buffer (hot in cache, as a value just parsed is) and looks
// it up among n values picked uniformly: 10 or 20,000 short ones (the bench's user dimension),
// or 50,000 of about 100 bytes (its page dimension).
type benchKey struct {
	buf []byte
	rng *rand.Rand
	n   int
	pre int
}

func newBenchKey(n int) *benchKey {
	prefix := "https://en.wikipedia.org/wiki/" + strings.Repeat("x", 60) + "_"
	if n < 50000 {
		prefix = "user_" // short values, as the bench's user dimension
	}
	return &benchKey{buf: []byte(prefix), rng: rand.New(rand.NewPCG(1, 2)), n: n, pre: len(prefix)}
}

func (k *benchKey) next() string {
	k.buf = strconv.AppendInt(k.buf[:k.pre], int64(k.rng.IntN(k.n)), 10)
	return b2s(k.buf)
}

func BenchmarkStrTable(b *testing.B) {
	for _, n := range []int{10, 20000, 50000} {
		b.Run("values="+strconv.Itoa(n), func(b *testing.B) {
			k := newBenchKey(n)
			m := &strTableModel{t: newStrTable(0), strs: []string{""}}
			b.ReportAllocs()
			for b.Loop() {
				m.intern(k.next())
			}
		})
	}
}

func BenchmarkStringMap(b *testing.B) {
	for _, n := range []int{10, 20000, 50000} {
		b.Run("values="+strconv.Itoa(n), func(b *testing.B) {
			k := newBenchKey(n)
			m := map[string]int32{}
			var strs []string
			b.ReportAllocs()
			for b.Loop() {
				s := k.next()
				if _, ok := m[s]; !ok {
					s = strings.Clone(s)
					m[s] = int32(len(strs))
					strs = append(strs, s)
				}
			}
		})
	}
}
