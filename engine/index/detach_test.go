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
