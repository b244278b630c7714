package index

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// Run with:
//
//	go test ./engine/index/ -run '^$' -bench BenchmarkAdd -benchtime 3000000x -count 3
//
// Each op adds one row: 5 string dimensions, count + longSum + doubleMax,
// minute query granularity, all rows in one minute so rows map onto
// `groups` distinct keys. A fresh index is started every 1e6 rows, so
// dictionary and table growth are included (performance-anchors §6(c)).

// benchRow is an allocation-free InputRow over pregenerated ids.
type benchRow struct {
	combo []int32 // dim value ids
	vals  *[5][]string
	v     int64
	x     float64
}

var benchDims = [5]string{"d0", "d1", "d2", "d3", "d4"}

func (r *benchRow) Get(name string) (expr.Value, bool) {
	switch name {
	case "v":
		return expr.Long(r.v), true
	case "x":
		return expr.Double(r.x), true
	}
	if len(name) == 2 && name[0] == 'd' {
		i := name[1] - '0'
		return expr.String(r.vals[i][r.combo[i]]), true
	}
	return expr.Value{}, false
}

func (r *benchRow) EachDiscovered(func(string, expr.Value)) {}

type benchData struct {
	vals   [5][]string
	combos [][]int32 // distinct 5-tuples
	pick   []int32   // row → combo
	flat   []int32   // row i's dim ids at [5i, 5i+5)
	v      []int64
	x      []float64
}

func newBenchData(rows, groups int) *benchData {
	rng := rand.New(rand.NewPCG(1, uint64(groups)))
	d := &benchData{}
	card := []int{10, 20, 50, 100, 1000}
	for i := range d.vals {
		for j := range card[i] {
			d.vals[i] = append(d.vals[i], benchDims[i]+"-value-"+strconv.Itoa(j))
		}
	}
	seen := map[[5]int32]bool{}
	for len(d.combos) < groups {
		var c [5]int32
		for i := range c {
			c[i] = int32(rng.IntN(card[i]))
		}
		if !seen[c] {
			seen[c] = true
			d.combos = append(d.combos, c[:])
		}
	}
	for i := range rows {
		// Every group appears in each 1e6-row cycle; the rest are random.
		g := i
		if g >= groups {
			g = rng.IntN(groups)
		}
		d.pick = append(d.pick, int32(g))
		d.v = append(d.v, int64(rng.IntN(1000)))
		d.x = append(d.x, rng.Float64())
	}
	rng.Shuffle(len(d.pick), func(i, j int) { d.pick[i], d.pick[j] = d.pick[j], d.pick[i] })
	// Rows are read sequentially, like a parser's output, so the harness
	// itself does not add cache misses.
	for _, g := range d.pick {
		d.flat = append(d.flat, d.combos[g]...)
	}
	return d
}

func benchSchema(b *testing.B, rollup bool) *Schema {
	ds := &spec.DataSchema{DataSource: "bench",
		DimensionsSpec: &spec.DimensionsSpec{Dimensions: []spec.Dimension{
			{Type: "string", Name: "d0"}, {Type: "string", Name: "d1"}, {Type: "string", Name: "d2"},
			{Type: "string", Name: "d3"}, {Type: "string", Name: "d4"}}},
		MetricsSpec: []spec.Aggregator{{Type: "count", Name: "count"}, {Type: "longSum", Name: "vsum", FieldName: "v"},
			{Type: "doubleMax", Name: "xmax", FieldName: "x"}},
		GranularitySpec: &spec.GranularitySpec{QueryGranularity: granularity("minute"), Rollup: &rollup}}
	s, err := NewSchema(ds)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkAdd(b *testing.B) {
	const rows = 1_000_000
	const t0 = 1_700_000_040_000
	for _, bc := range []struct {
		name   string
		groups int
		rollup bool
	}{
		{"rows=1e6/groups=224/rollup=true", 224, true},
		{"rows=1e6/groups=44800/rollup=true", 44800, true},
		{"rows=1e6/groups=150000/rollup=true", 150000, true},
		{"rows=1e6/groups=150000/rollup=false", 150000, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := newBenchData(rows, bc.groups)
			s := benchSchema(b, bc.rollup)
			opts := Options{MaxRowsInMemory: rows, MaxBytesInMemory: -1}
			r := &benchRow{vals: &d.vals}
			fill := func(ix *Index, i int) {
				r.combo, r.v, r.x = d.flat[5*i:5*i+5], d.v[i], d.x[i]
				if _, err := ix.Add(t0+int64(i%1000), r); err != nil {
					b.Fatal(err)
				}
			}
			// Verify before timing.
			ix := New(s, opts)
			for i := range rows {
				fill(ix, i)
			}
			want := rows
			if bc.rollup {
				want = bc.groups
			}
			if ix.Rows() != want {
				b.Fatalf("Rows() = %d, want %d", ix.Rows(), want)
			}
			bytesPerRow := float64(ix.EstimatedBytes()) / float64(ix.Rows())

			b.ReportAllocs()
			b.ResetTimer()
			ix = New(s, opts)
			for i := 0; i < b.N; i++ {
				if i > 0 && i%rows == 0 {
					ix = New(s, opts)
				}
				fill(ix, i%rows)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(bytesPerRow, "estbytes/row")
		})
	}
}

// BenchmarkPersist measures sorting and writing a full index as a spill.
//
//	go test ./engine/index/ -run '^$' -bench BenchmarkPersist -benchtime 5x
func BenchmarkPersist(b *testing.B) {
	const rows = 150000
	d := newBenchData(rows, rows)
	s := benchSchema(b, true)
	r := &benchRow{vals: &d.vals}
	b.ReportAllocs()
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		ix := New(s, Options{MaxRowsInMemory: rows, MaxBytesInMemory: -1})
		for i := range rows {
			r.combo, r.v, r.x = d.flat[5*i:5*i+5], d.v[i], d.x[i]
			if _, err := ix.Add(1_700_000_040_000, r); err != nil {
				b.Fatal(err)
			}
		}
		dir := b.TempDir()
		meta := ix.Metadata(spliceInterval(), "v", 0)
		b.StartTimer()
		if _, err := ix.Persist(dir+"/s", meta, defaultSpec()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}

func spliceInterval() segment.Interval { return segment.Interval{} }
func defaultSpec() segment.IndexSpec   { return segment.DefaultIndexSpec() }

// wideData is BenchmarkPipeline's no-rollup shape for the index alone: 5 string dimensions
// with 4, 6, 1,000, 50,000 and ~1M possible values (page, the last, nearly unique per spill).
func newWideData(rows int) *benchData {
	rng := rand.New(rand.NewPCG(7, 7))
	d := &benchData{}
	card := []int{4, 6, 1000, 50_000, 1_000_000}
	for i := range d.vals {
		for j := range card[i] {
			d.vals[i] = append(d.vals[i], benchDims[i]+"/"+strconv.Itoa(j*7919%card[i]))
		}
	}
	for range rows {
		for i := range card {
			d.flat = append(d.flat, int32(rng.IntN(card[i])))
		}
		d.v = append(d.v, int64(rng.IntN(1000)))
		d.x = append(d.x, rng.Float64())
	}
	return d
}

// BenchmarkPersistMerge persists spills of 150,000 high-cardinality rows without rollup and
// merges them into one segment: the two steps of a task's publish that re-encode every row.
//
//	go test ./engine/index/ -run '^$' -bench BenchmarkPersistMerge -benchtime 3x
func BenchmarkPersistMerge(b *testing.B) {
	const rows, spills = 150_000, 4
	d := newWideData(rows * spills)
	s := benchSchema(b, false)
	r := &benchRow{vals: &d.vals}
	fill := func(ix *Index, part int) {
		for i := part * rows; i < (part+1)*rows; i++ {
			r.combo, r.v, r.x = d.flat[5*i:5*i+5], d.v[i], d.x[i]
			if _, err := ix.Add(1_700_000_040_000+int64(i), r); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("op=persist", func(b *testing.B) {
		b.ReportAllocs()
		for n := 0; n < b.N; n++ {
			b.StopTimer()
			ix := New(s, Options{MaxRowsInMemory: rows, MaxBytesInMemory: -1})
			fill(ix, n%spills)
			dir := b.TempDir()
			meta := ix.Metadata(spliceInterval(), "v", 0)
			b.StartTimer()
			if _, err := ix.Persist(dir+"/s", meta, defaultSpec()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("op=merge", func(b *testing.B) {
		dir := b.TempDir()
		ix := New(s, Options{MaxRowsInMemory: rows, MaxBytesInMemory: -1})
		meta := ix.Metadata(spliceInterval(), "v", 0)
		var sps []*Spill
		for p := range spills {
			fill(ix, p)
			sp, err := ix.Persist(dir+"/s"+strconv.Itoa(p), meta, defaultSpec())
			if err != nil {
				b.Fatal(err)
			}
			sps = append(sps, sp)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for n := 0; n < b.N; n++ {
			if err := Merge(dir+"/m"+strconv.Itoa(n), meta, defaultSpec(), sps); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*rows*spills)/b.Elapsed().Seconds(), "rows/s")
	})
}

// wikiRow is an allocation-free InputRow over one row's values, laid out sequentially like a
// parser's output, so the harness itself does not add cache misses.
type wikiRow struct {
	strs []string // d0..d4
	v    int64
	x    float64
}

func (r *wikiRow) Get(name string) (expr.Value, bool) {
	switch name {
	case "v":
		return expr.Long(r.v), true
	case "x":
		return expr.Double(r.x), true
	}
	if len(name) == 2 && name[0] == 'd' {
		return expr.String(r.strs[name[1]-'0']), true
	}
	return expr.Value{}, false
}

func (r *wikiRow) EachDiscovered(func(string, expr.Value)) {}

// BenchmarkAddWiki is kafka-indexer bench's shape for the index alone: 5 string dimensions with
// 50,000, 20,000, 10, 3 and 2 possible values drawn at random, so nearly every row is new even
// with rollup, and the dictionaries of the first two and the rollup table outgrow the L2 cache.
// The index is detached every 150,000 rows (maxRowsInMemory), as the task does.
//
//	go test ./engine/index/ -run '^$' -bench BenchmarkAddWiki -benchtime 3000000x -count 3
func BenchmarkAddWiki(b *testing.B) {
	const rows, perIndex = 600_000, 150_000
	const t0 = 1_700_000_040_000
	rng := rand.New(rand.NewPCG(3, 3))
	card := []int{50_000, 20_000, 10, 3, 2}
	var arena []byte
	var offs []int
	var v []int64
	var x []float64
	for range rows {
		for i := range card {
			offs = append(offs, len(arena))
			arena = append(arena, benchDims[i]+"_"+strconv.Itoa(rng.IntN(card[i]))...)
		}
		v = append(v, int64(rng.IntN(1000)))
		x = append(x, rng.Float64())
	}
	offs = append(offs, len(arena))
	all := string(arena)
	strs := make([]string, 5*rows)
	for k := range strs {
		strs[k] = all[offs[k]:offs[k+1]]
	}
	s := benchSchema(b, true)
	opts := Options{MaxRowsInMemory: perIndex, MaxBytesInMemory: -1}
	r := &wikiRow{}
	ix := New(s, opts)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ix.Rows() == perIndex {
			ix = ix.Detach()
		}
		j := i % rows
		r.strs, r.v, r.x = strs[5*j:5*j+5], v[j], x[j]
		if _, err := ix.Add(t0+int64(j%1000), r); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
