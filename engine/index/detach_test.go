package index

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// TestDetachPersistMatchesSync persists the same rows twice: synchronously
// (Persist, which resets the index), and in the background (Detach, then
// Persist of the detached index on another goroutine while rows go on into
// the fresh one). Every spill must be byte for byte the same. Run with
// -race, it also checks that the two indexes share nothing mutable.
func TestDetachPersistMatchesSync(t *testing.T) {
	for _, mt := range modelTests() {
		t.Run(mt.name, func(t *testing.T) {
			s, err := NewSchema(mt.dataSchema())
			if err != nil {
				t.Fatal(err)
			}
			meta, err := Metadata(mt.dataSchema(), segment.Interval{}, "v1", 0)
			if err != nil {
				t.Fatal(err)
			}
			times, rows := genRows(11, 4000)
			dir := t.TempDir()
			run := func(name string, background bool) []string {
				ix := New(s, Options{MaxRowsInMemory: 600, MaxBytesInMemory: -1})
				var dirs []string
				done := make(chan error, 64)
				pending := 0
				persist := func() {
					d := filepath.Join(dir, name, fmt.Sprint(len(dirs)))
					dirs = append(dirs, d)
					if !background {
						if _, err := ix.Persist(d, meta, segment.DefaultIndexSpec()); err != nil {
							t.Fatal(err)
						}
						return
					}
					old := ix
					ix = old.Detach()
					pending++
					go func() {
						_, err := old.Persist(d, meta, segment.DefaultIndexSpec())
						done <- err
					}()
				}
				for i, r := range rows {
					_, err := ix.Add(times[i], r)
					if errors.Is(err, ErrFull) {
						persist()
						_, err = ix.Add(times[i], r)
					}
					if err != nil {
						t.Fatal(err)
					}
					if ix.Full() {
						persist()
					}
				}
				if ix.Rows() > 0 {
					persist()
				}
				for ; pending > 0; pending-- {
					if err := <-done; err != nil {
						t.Fatal(err)
					}
				}
				return dirs
			}
			sync, bg := run("sync", false), run("background", true)
			if len(sync) != len(bg) || len(sync) < 3 {
				t.Fatalf("%d synchronous spills, %d background ones", len(sync), len(bg))
			}
			for i := range sync {
				a, err := os.ReadFile(filepath.Join(sync[i], segment.DataFile))
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(filepath.Join(bg[i], segment.DataFile))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a, b) {
					t.Errorf("spill %d: data files differ (%d and %d bytes)", i, len(a), len(b))
				}
			}
		})
	}
}

// TestDetachPresizes: the index Detach returns has room for as many rows, rollup table entries,
// and dictionary values as the one it carries on from, so refilling it to the same size grows
// nothing (growth was measurable CPU on the read path).
func TestDetachPresizes(t *testing.T) {
	for _, mt := range modelTests() {
		t.Run(mt.name, func(t *testing.T) {
			s, err := NewSchema(mt.dataSchema())
			if err != nil {
				t.Fatal(err)
			}
			times, rows := genRows(5, 3000)
			ix := New(s, Options{MaxRowsInMemory: 1 << 20, MaxBytesInMemory: -1})
			for i, r := range rows {
				if _, err := ix.Add(times[i], r); err != nil {
					t.Fatal(err)
				}
			}
			nx := ix.Detach()
			if nx.Rows() != 0 || nx.entries != 0 {
				t.Fatalf("detached index not empty: %d rows", nx.Rows())
			}
			table, timesCap, keysCap := len(nx.table), cap(nx.times), cap(nx.keys)
			if timesCap < ix.Rows() || keysCap < len(ix.keys) || cap(nx.slab.v) < len(ix.slab.v) {
				t.Fatalf("row buffers not pre-sized: times %d < %d or keys %d < %d", timesCap, ix.Rows(), keysCap, len(ix.keys))
			}
			if mt.rollup && table != rollupTableSize(ix.entries) {
				t.Fatalf("rollup table %d slots, want %d", table, rollupTableSize(ix.entries))
			}
			for i, r := range rows {
				if _, err := nx.Add(times[i], r); err != nil {
					t.Fatal(err)
				}
			}
			if nx.Rows() != ix.Rows() {
				t.Fatalf("%d rows after refilling, want %d", nx.Rows(), ix.Rows())
			}
			if len(nx.table) != table || cap(nx.times) != timesCap || cap(nx.keys) != keysCap {
				t.Errorf("refilling grew the table (%d → %d) or rows (%d → %d, %d → %d)", table, len(nx.table), timesCap, cap(nx.times), keysCap, cap(nx.keys))
			}
			for i, d := range ix.dims {
				if d.typ == segment.TypeString && len(nx.dims[i].strTab.slots) < tableSize(d.strTab.len()) {
					t.Errorf("dimension %s: %d dictionary slots for %d values", d.name, len(nx.dims[i].strTab.slots), d.strTab.len())
				}
			}
		})
	}
}
