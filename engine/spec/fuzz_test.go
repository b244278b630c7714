package spec

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeSupervisorSpec feeds arbitrary bytes to Decode, the entry point of every supervisor
// spec the API receives. Invariants: Decode never panics; a spec it accepts echoes (Echo) and
// re-serialises (Raw) to JSON that decodes again to the same canonical spec, since clients post
// Druid's echo back and expect the same supervisor.
//
// Seeds are the golden specs under testdata/specs (added here, so new golden specs seed it
// too) and the committed corpus under testdata/fuzz/FuzzDecodeSupervisorSpec: the same specs
// plus the bounds edge cases of issue 13 (replicas 1000000, PT2562048H, PT0.001S); crashers
// found by fuzzing belong there as regression seeds. `go test` runs the corpus; fuzz with
//
//	go test -run '^$' -fuzz '^FuzzDecodeSupervisorSpec$' -fuzztime 60s ./engine/spec/
func FuzzDecodeSupervisorSpec(f *testing.F) {
	files, err := filepath.Glob("testdata/specs/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed specs under testdata/specs: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := Decode(raw)
		if err != nil {
			return
		}
		echo := s.Echo()
		again, err := Decode(echo)
		if err != nil {
			t.Fatalf("echo of an accepted spec is refused: %v\nspec: %s\necho: %s", err, raw, echo)
		}
		if got := again.Echo(); !bytes.Equal(got, echo) {
			t.Fatalf("echo is not stable under decode\nfirst:  %s\nsecond: %s", echo, got)
		}
		rawAgain, err := Decode(s.Raw())
		if err != nil {
			t.Fatalf("raw form of an accepted spec is refused: %v\nraw: %s", err, s.Raw())
		}
		if got := rawAgain.Echo(); !bytes.Equal(got, echo) {
			t.Fatalf("raw form decodes to a different spec\nwant: %s\ngot:  %s", echo, got)
		}
	})
}
