package segment

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSetDictionaryBytes checks that a writer given its string
// dictionaries up front (in an arbitrary id order, with ranks) writes the
// same data file as one interning the rows' strings.
func TestSetDictionaryBytes(t *testing.T) {
	meta := testMeta()
	rng := rand.New(rand.NewPCG(3, 4))
	rows := genRows(rng, 3000, 200)
	base := t.TempDir()
	writeSegment(t, filepath.Join(base, "strings"), meta, DefaultIndexSpec(), rows)

	w, err := NewWriter(filepath.Join(base, "ids"), meta, DefaultIndexSpec())
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int]map[string]int32{}
	for i, d := range meta.Dimensions {
		if d.Type != TypeString {
			continue
		}
		seen := map[string]bool{}
		for _, r := range rows {
			for _, s := range append([]string{r.Dims[i].Str}, r.Dims[i].Strs...) {
				if s != "" {
					seen[s] = true
				}
			}
		}
		vals := []string{""}
		for s := range seen { // map order: ids unsorted
			vals = append(vals, s)
		}
		vals = append(vals, "unused-value") // written with an empty bitmap
		sorted := slices.Clone(vals)
		slices.Sort(sorted)
		rank := make([]int32, len(vals))
		ids[i] = map[string]int32{}
		for id, s := range vals {
			rank[id] = int32(slices.Index(sorted, s))
			ids[i][s] = int32(id)
		}
		if err := w.SetDictionary(i, vals, rank); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rows {
		r := *r.Clone()
		for i, d := range meta.Dimensions {
			v := &r.Dims[i]
			if d.Type != TypeString {
				continue
			}
			v.ID = ids[i][v.Str]
			for _, s := range v.Strs {
				v.IDs = append(v.IDs, ids[i][s])
			}
			v.Str, v.Strs = "poison", []string{"poison"} // ignored
			if v.Null {
				v.Strs = nil
			}
		}
		if err := w.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(filepath.Join(base, "ids"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := readAll(t, r)
	for i := range rows {
		if want := normalize(meta, rows[i]); !rowsEqual(got[i], want) {
			t.Fatalf("row %d: got %+v, want %+v", i, got[i], want)
		}
	}
	dict, err := r.Dictionary("page")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(dict, "unused-value") {
		t.Errorf("dictionary lacks the unused value")
	}
}

// TestSetDictionaryExact checks byte equality when the dictionaries are
// exactly the values the rows use.
func TestSetDictionaryExact(t *testing.T) {
	meta := testMeta()
	rng := rand.New(rand.NewPCG(5, 6))
	rows := genRows(rng, 2000, 50)
	base := t.TempDir()
	writeSegment(t, filepath.Join(base, "strings"), meta, DefaultIndexSpec(), rows)
	w, err := NewWriter(filepath.Join(base, "ids"), meta, DefaultIndexSpec())
	if err != nil {
		t.Fatal(err)
	}
	dicts := map[int][]string{}
	for i, d := range meta.Dimensions {
		if d.Type != TypeString {
			continue
		}
		var vals []string
		for _, r := range rows {
			if r.Dims[i].Null {
				continue
			}
			vals = append(vals, r.Dims[i].Str)
			vals = append(vals, r.Dims[i].Strs...)
		}
		slices.Sort(vals)
		vals = slices.Compact(vals)
		if len(vals) == 0 || vals[0] != "" {
			vals = append([]string{""}, vals...)
		}
		dicts[i] = vals
		if err := w.SetDictionary(i, vals, nil); err != nil { // sorted: no rank
			t.Fatal(err)
		}
	}
	for _, r := range rows {
		r := *r.Clone()
		for i := range dicts {
			v := &r.Dims[i]
			id, _ := slices.BinarySearch(dicts[i], v.Str)
			v.ID = int32(id)
			for _, s := range v.Strs {
				id, _ := slices.BinarySearch(dicts[i], s)
				v.IDs = append(v.IDs, int32(id))
			}
		}
		if err := w.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(filepath.Join(base, "strings", DataFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(base, "ids", DataFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("data files differ: %d and %d bytes", len(a), len(b))
	}
}

func TestSetDictionaryRefused(t *testing.T) {
	meta := testMeta()
	for _, tc := range []struct {
		name string
		dim  int
		vals []string
		rank []int32
		want string
	}{
		{"numeric", 3, []string{""}, nil, "not a string column"},
		{"no null", 0, []string{"a"}, nil, "must be"},
		{"unsorted", 0, []string{"", "b", "a"}, nil, "out of order"},
		{"repeated", 0, []string{"", "a", "a"}, []int32{0, 1, 2}, "out of order"},
		{"empty value", 0, []string{"", ""}, nil, "empty"},
		{"not a permutation", 0, []string{"", "a", "b"}, []int32{0, 1, 1}, "permutation"},
		{"rank length", 0, []string{"", "a"}, []int32{0}, "ranks for"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWriter(filepath.Join(t.TempDir(), "s"), meta, DefaultIndexSpec())
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			err = w.SetDictionary(tc.dim, tc.vals, tc.rank)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SetDictionary: %v, want an error with %q", err, tc.want)
			}
		})
	}
	w, err := NewWriter(filepath.Join(t.TempDir(), "s"), meta, DefaultIndexSpec())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.SetDictionary(0, []string{"", "a"}, nil); err != nil {
		t.Fatal(err)
	}
	r := Row{Time: t0.UnixMilli(), Dims: make([]DimValue, len(meta.Dimensions)), Metrics: make([]MetricValue, len(meta.Metrics))}
	r.Dims[0].ID = 2
	if err := w.Add(&r); err == nil || !strings.Contains(err.Error(), "beyond dictionary") {
		t.Fatalf("Add with an id beyond the dictionary: %v", err)
	}
}
