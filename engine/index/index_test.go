package index

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// fakeRow is a minimal InputRow: fields in order; disc marks the ones
// schemaless discovery reports.
type fakeRow struct {
	names []string
	vals  []expr.Value
	disc  []bool
}

func (r *fakeRow) set(name string, v expr.Value, discovered bool) {
	r.names, r.vals, r.disc = append(r.names, name), append(r.vals, v), append(r.disc, discovered)
}

func (r *fakeRow) Get(name string) (expr.Value, bool) {
	for i, n := range r.names {
		if n == name {
			return r.vals[i], true
		}
	}
	return expr.Value{}, false
}

func (r *fakeRow) EachDiscovered(fn func(string, expr.Value)) {
	for i, n := range r.names {
		if r.disc[i] && !r.vals[i].IsNull() {
			fn(n, r.vals[i])
		}
	}
}

func row(kv ...any) *fakeRow {
	r := &fakeRow{}
	for i := 0; i < len(kv); i += 2 {
		r.set(kv[i].(string), toValue(kv[i+1]), true)
	}
	return r
}

func toValue(v any) expr.Value {
	switch x := v.(type) {
	case nil:
		return expr.Null()
	case int:
		return expr.Long(int64(x))
	case int64:
		return expr.Long(x)
	case float64:
		return expr.Double(x)
	case string:
		return expr.String(x)
	case []string:
		return expr.Strings(x)
	case expr.Value:
		return x
	}
	panic(fmt.Sprintf("toValue %T", v))
}

func granularity(name string) *spec.Granularity {
	g := spec.MustGranularity(name)
	return &g
}

func boolp(b bool) *bool { return &b }

// modelTest describes one randomized rollup scenario.
type modelTest struct {
	name       string
	rollup     bool
	schemaless bool
	mvh        string // multiValueHandling of d3 (explicit dims only)
}

var modelMetrics = []spec.Aggregator{
	{Type: "count", Name: "cnt"},
	{Type: "longSum", Name: "vsum", FieldName: "v"},
	{Type: "doubleSum", Name: "xsum", FieldName: "x"},
	{Type: "longMin", Name: "vmin", FieldName: "v"},
	{Type: "longMax", Name: "vmax", FieldName: "v"},
	{Type: "doubleMax", Name: "xmax", FieldName: "x"},
	{Type: "longLast", Name: "vlast", FieldName: "v"},
	{Type: "stringFirst", Name: "sfirst", FieldName: "s"},
}

func (mt modelTest) dataSchema() *spec.DataSchema {
	ds := &spec.DataSchema{DataSource: "ds", MetricsSpec: modelMetrics,
		GranularitySpec: &spec.GranularitySpec{QueryGranularity: granularity("minute"), Rollup: boolp(mt.rollup)},
		DimensionsSpec:  &spec.DimensionsSpec{}}
	if !mt.schemaless {
		ds.DimensionsSpec.Dimensions = []spec.Dimension{
			{Type: "string", Name: "d1"}, {Type: "string", Name: "d2"},
			{Type: "string", Name: "d3", MultiValueHandling: mt.mvh},
			{Type: "long", Name: "n"}, {Type: "string", Name: "d5"},
		}
	}
	return ds
}

// genRows makes n seeded rows. d5 only appears in the second half, so
// schemaless discovery finds it late.
func genRows(seed uint64, n int) ([]int64, []*fakeRow) {
	rng := rand.New(rand.NewPCG(seed, 1))
	pick := func(prefix string, card int) expr.Value {
		k := rng.IntN(card + 1)
		if k == card {
			return expr.Null()
		}
		return expr.String(prefix + strconv.Itoa(k))
	}
	times := make([]int64, n)
	rows := make([]*fakeRow, n)
	for i := range rows {
		times[i] = 1_700_000_000_000 + int64(rng.IntN(5*60_000))
		r := &fakeRow{}
		r.set("d1", pick("a", 3), true)
		r.set("d2", pick("b", 4), true)
		switch rng.IntN(4) {
		case 0:
			vals := []string{}
			for range 1 + rng.IntN(3) {
				vals = append(vals, "m"+strconv.Itoa(rng.IntN(3)))
			}
			r.set("d3", expr.Strings(vals), true)
		default:
			r.set("d3", pick("m", 3), true)
		}
		switch rng.IntN(5) {
		case 0:
			r.set("n", expr.String("bad"), true)
		case 1:
			r.set("n", expr.String(strconv.Itoa(rng.IntN(3))), true)
		default:
			r.set("n", expr.Long(int64(rng.IntN(3))), true)
		}
		if i >= n/2 {
			r.set("d5", pick("e", 2), true)
		}
		r.set("v", expr.Long(int64(rng.IntN(100)-50)), false)
		r.set("x", expr.Double(rng.Float64()), false)
		r.set("s", expr.String("s"+strconv.Itoa(rng.IntN(1000))), false)
		rows[i] = r
	}
	return times, rows
}

// agg is the model's aggregate of one group.
type agg struct {
	cnt, vsum, vmin, vmax int64
	xsum, xmax            float64
	vlastT, sfirstT       int64
	vlast                 int64
	sfirst                string
}

func newModelAgg() *agg {
	return &agg{vmin: math.MaxInt64, vmax: math.MinInt64, xmax: math.Inf(-1), vlastT: math.MinInt64, sfirstT: math.MaxInt64}
}

func (a *agg) fold(b *agg) {
	a.cnt += b.cnt
	a.vsum += b.vsum
	a.xsum += b.xsum
	a.vmin, a.vmax, a.xmax = min(a.vmin, b.vmin), max(a.vmax, b.vmax), max(a.xmax, b.xmax)
	if b.vlastT >= a.vlastT {
		a.vlastT, a.vlast = b.vlastT, b.vlast
	}
	if b.sfirstT < a.sfirstT {
		a.sfirstT, a.sfirst = b.sfirstT, b.sfirst
	}
}

// modelKey renders dimension values canonically: null and empty are "∅".
func modelKey(t int64, dims []string) string {
	return strconv.FormatInt(t, 10) + "|" + strings.Join(dims, "|")
}

func canonMulti(vals []string, mvh string) string {
	if len(vals) == 0 {
		return "∅"
	}
	v := slices.Clone(vals)
	if mvh != "ARRAY" {
		slices.Sort(v)
		if mvh == "SORTED_SET" {
			v = slices.Compact(v)
		}
	}
	if len(v) == 1 {
		return v[0]
	}
	return "[" + strings.Join(v, ",") + "]"
}

// model aggregates rows directly.
func model(mt modelTest, times []int64, rows []*fakeRow) map[string]*agg {
	m := map[string]*agg{}
	for i, r := range rows {
		var dims []string
		for _, name := range []string{"d1", "d2", "d3", "n", "d5"} {
			v, _ := r.Get(name)
			switch {
			case v.IsNull():
				dims = append(dims, "∅")
			case v.Kind() == expr.KindStrings:
				dims = append(dims, canonMulti(v.Array(), mt.mvh))
			case name == "n" && !mt.schemaless:
				if n, ok := v.AsLong(); ok {
					dims = append(dims, strconv.FormatInt(n, 10))
				} else {
					dims = append(dims, "∅")
				}
			default:
				s, _ := v.AsString()
				dims = append(dims, s)
			}
		}
		t := (times[i] / 60_000) * 60_000
		k := modelKey(t, dims)
		a := m[k]
		if a == nil {
			a = newModelAgg()
			m[k] = a
		}
		v, _ := r.Get("v")
		x, _ := r.Get("x")
		s, _ := r.Get("s")
		a.fold(&agg{cnt: 1, vsum: v.RawLong(), xsum: x.RawDouble(), vmin: v.RawLong(), vmax: v.RawLong(),
			xmax: x.RawDouble(), vlastT: times[i], vlast: v.RawLong(), sfirstT: times[i], sfirst: s.RawString()})
	}
	return m
}

// foldOutput aggregates segment rows the same way, by dimension name.
func foldOutput(t *testing.T, dims []segment.DimensionSchema, rows []*segment.Row) map[string]*agg {
	t.Helper()
	m := map[string]*agg{}
	for _, r := range rows {
		var key []string
		for _, name := range []string{"d1", "d2", "d3", "n", "d5"} {
			i := slices.IndexFunc(dims, func(d segment.DimensionSchema) bool { return d.Name == name })
			if i < 0 || r.Dims[i].Null {
				key = append(key, "∅")
				continue
			}
			v := r.Dims[i]
			switch {
			case dims[i].Type == segment.TypeLong:
				key = append(key, strconv.FormatInt(v.Long, 10))
			case dims[i].MultiValue:
				key = append(key, canonMulti(v.Strs, "ARRAY"))
			default:
				key = append(key, v.Str)
			}
		}
		k := modelKey(r.Time, key)
		a := m[k]
		if a == nil {
			a = newModelAgg()
			m[k] = a
		}
		vt, vl := decodePair(r.Metrics[6].Bytes, kindLong)
		st := int64(0)
		var sf string
		if b := r.Metrics[7].Bytes; len(b) >= pairHeader {
			st, _ = decodePair(b, kindLong)
			sf = string(b[pairHeader:])
		}
		a.fold(&agg{cnt: r.Metrics[0].Long, vsum: r.Metrics[1].Long, xsum: r.Metrics[2].Double, vmin: r.Metrics[3].Long,
			vmax: r.Metrics[4].Long, xmax: r.Metrics[5].Double, vlastT: vt, vlast: vl.RawLong(), sfirstT: st, sfirst: sf})
	}
	return m
}

func compareModels(t *testing.T, want, got map[string]*agg) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("groups: got %d, want %d", len(got), len(want))
	}
	for k, w := range want {
		g := got[k]
		if g == nil {
			t.Fatalf("group %s missing", k)
		}
		if math.Abs(g.xsum-w.xsum) > 1e-9*max(1, math.Abs(w.xsum)) {
			t.Fatalf("group %s xsum: got %v, want %v", k, g.xsum, w.xsum)
		}
		g.xsum = w.xsum
		if *g != *w {
			t.Fatalf("group %s:\n got %+v\nwant %+v", k, *g, *w)
		}
	}
}

// collect reads every row of it, checking the order segment.Merge expects.
func collect(t *testing.T, dims []segment.DimensionSchema, next func() bool, cur func() *segment.Row) []*segment.Row {
	t.Helper()
	var out []*segment.Row
	for next() {
		r := cur().Clone()
		if n := len(out); n > 0 {
			if c := compareSegRows(dims, out[n-1], r); c > 0 {
				t.Fatalf("row %d out of order: %+v after %+v", n, r, out[n-1])
			}
		}
		out = append(out, r)
	}
	return out
}

func compareSegRows(dims []segment.DimensionSchema, a, b *segment.Row) int {
	if a.Time != b.Time {
		if a.Time < b.Time {
			return -1
		}
		return 1
	}
	for i, d := range dims {
		if c := segment.CompareDims(d, &a.Dims[i], &b.Dims[i]); c != 0 {
			return c
		}
	}
	return 0
}

func modelTests() []modelTest {
	return []modelTest{
		{name: "rollup=true/dims=explicit", rollup: true},
		{name: "rollup=true/dims=explicit/mvh=sorted_set", rollup: true, mvh: "SORTED_SET"},
		{name: "rollup=true/dims=explicit/mvh=array", rollup: true, mvh: "ARRAY"},
		{name: "rollup=false/dims=explicit", rollup: false},
		{name: "rollup=true/dims=schemaless", rollup: true, schemaless: true},
		{name: "rollup=false/dims=schemaless", rollup: false, schemaless: true},
	}
}

func TestRollupAgainstModel(t *testing.T) {
	for _, mt := range modelTests() {
		t.Run(mt.name, func(t *testing.T) {
			s, err := NewSchema(mt.dataSchema())
			if err != nil {
				t.Fatal(err)
			}
			times, rows := genRows(42, 5000)
			ix := New(s, Options{MaxRowsInMemory: 1 << 20, MaxBytesInMemory: -1})
			parseErrs := 0
			for i, r := range rows {
				res, err := ix.Add(times[i], r)
				if err != nil {
					t.Fatal(err)
				}
				if res.ParseError != nil {
					parseErrs++
				}
			}
			if !mt.schemaless && parseErrs == 0 {
				t.Errorf("no parse errors for non-numeric long dimension values")
			}
			want := model(mt, times, rows)
			if mt.rollup && ix.Rows() != len(want) {
				t.Errorf("Rows() = %d, want %d groups", ix.Rows(), len(want))
			}
			if !mt.rollup && ix.Rows() != len(rows) {
				t.Errorf("Rows() = %d, want %d", ix.Rows(), len(rows))
			}
			dims := ix.Dimensions()
			if mt.schemaless {
				var names []string
				for _, d := range dims {
					names = append(names, d.Name)
				}
				// First-seen order: d1 is null in the first row; d5 comes last.
				if !slices.Equal(names, []string{"d2", "d3", "n", "d1", "d5"}) {
					t.Fatalf("discovered dimensions %v", names)
				}
			}
			it := ix.Iter()
			got := collect(t, dims, it.Next, it.Row)
			compareModels(t, want, foldOutput(t, dims, got))
			if ix.MinTime() > ix.MaxTime() || ix.MinTime()%60_000 != 0 {
				t.Errorf("MinTime/MaxTime %d/%d", ix.MinTime(), ix.MaxTime())
			}
		})
	}
}

func TestPersistMergeAgainstModel(t *testing.T) {
	for _, mt := range modelTests() {
		t.Run(mt.name, func(t *testing.T) {
			s, err := NewSchema(mt.dataSchema())
			if err != nil {
				t.Fatal(err)
			}
			times, rows := genRows(7, 6000)
			ix := New(s, Options{MaxRowsInMemory: 700, MaxBytesInMemory: -1})
			dir := t.TempDir()
			meta, err := Metadata(mt.dataSchema(), segment.Interval{}, "v1", 0)
			if err != nil {
				t.Fatal(err)
			}
			var spills []*Spill
			persist := func() {
				sp, err := ix.Persist(fmt.Sprintf("%s/spill-%d", dir, len(spills)), meta, segment.DefaultIndexSpec())
				if err != nil {
					t.Fatal(err)
				}
				if ix.Rows() != 0 || ix.EstimatedBytes() != 0 {
					t.Fatalf("after persist: %d rows, %d bytes", ix.Rows(), ix.EstimatedBytes())
				}
				spills = append(spills, sp)
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
			if len(spills) < 3 {
				t.Fatalf("only %d spills", len(spills))
			}
			dst := dir + "/merged"
			if err := Merge(dst, meta, segment.DefaultIndexSpec(), spills); err != nil {
				t.Fatal(err)
			}
			rd, err := segment.Open(dst)
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			m := rd.Metadata()
			want := model(mt, times, rows)
			if mt.rollup && rd.NumRows() != len(want) {
				t.Errorf("merged rows %d, want %d groups", rd.NumRows(), len(want))
			}
			if !mt.rollup && rd.NumRows() != len(rows) {
				t.Errorf("merged rows %d, want %d", rd.NumRows(), len(rows))
			}
			it := rd.Rows()
			got := collect(t, m.Dimensions, it.Next, it.Row)
			if err := it.Err(); err != nil {
				t.Fatal(err)
			}
			compareModels(t, want, foldOutput(t, m.Dimensions, got))
		})
	}
}

func TestLimits(t *testing.T) {
	s, err := NewSchema(&spec.DataSchema{DataSource: "ds", MetricsSpec: []spec.Aggregator{{Type: "count", Name: "c"}}})
	if err != nil {
		t.Fatal(err)
	}
	ix := New(s, Options{MaxRowsInMemory: 10, MaxBytesInMemory: -1})
	var last int64
	for i := range 10 {
		if ix.Full() {
			t.Fatalf("Full after %d rows", i)
		}
		if _, err := ix.Add(int64(i), row("d", strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
		if b := ix.EstimatedBytes(); b <= last {
			t.Fatalf("EstimatedBytes did not grow: %d after %d", b, last)
		} else {
			last = b
		}
	}
	if !ix.Full() {
		t.Fatal("not Full after MaxRowsInMemory rows")
	}
	if _, err := ix.Add(100, row("d", "new")); !errors.Is(err, ErrFull) {
		t.Fatalf("Add beyond limit: %v, want ErrFull", err)
	}
	if res, err := ix.Add(3, row("d", "3")); err != nil || res.NewRow {
		t.Fatalf("rollup into existing row when full: %+v %v", res, err)
	}
	if _, err := ix.Persist(t.TempDir()+"/s", segment.Metadata{DataSource: "ds"}, segment.DefaultIndexSpec()); err != nil {
		t.Fatal(err)
	}
	if ix.Full() || ix.Rows() != 0 || ix.EstimatedBytes() != 0 {
		t.Fatalf("after Persist: full=%v rows=%d bytes=%d", ix.Full(), ix.Rows(), ix.EstimatedBytes())
	}
	if _, err := ix.Persist(t.TempDir()+"/e", segment.Metadata{}, segment.DefaultIndexSpec()); !errors.Is(err, ErrEmpty) {
		t.Fatalf("Persist empty: %v", err)
	}

	byBytes := New(s, Options{MaxBytesInMemory: 2000})
	for i := 0; !byBytes.Full(); i++ {
		if i > 1000 {
			t.Fatal("never Full by bytes")
		}
		byBytes.Add(int64(i), row("d", strconv.Itoa(i)))
	}
	if d := DefaultOptions(); d.MaxRowsInMemory != 150000 || d.MaxBytesInMemory <= 0 || d.MaxBytesInMemory > 256<<20 {
		t.Errorf("DefaultOptions() = %+v", d)
	}
}

func TestDimensionValues(t *testing.T) {
	ds := &spec.DataSchema{DataSource: "ds",
		DimensionsSpec: &spec.DimensionsSpec{Dimensions: []spec.Dimension{
			{Type: "long", Name: "l"}, {Type: "float", Name: "f"}, {Type: "double", Name: "d"},
			{Type: "string", Name: "s"}, {Type: "string", Name: "m", MultiValueHandling: "sorted_set"}},
			IncludeAllDimensions: true},
		MetricsSpec: []spec.Aggregator{{Type: "count", Name: "c"}}}
	s, err := NewSchema(ds)
	if err != nil {
		t.Fatal(err)
	}
	ix := New(s, Options{})
	add := func(r *fakeRow) AddResult {
		t.Helper()
		res, err := ix.Add(0, r)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := add(row("l", "12", "f", 1.1, "d", "2.5", "s", 7, "m", []string{"b", "a", "b"}, "z", "disc")); res.ParseError != nil || !res.NewRow {
		t.Fatalf("first row: %+v", res)
	}
	// Same row, differently spelled: rolls up.
	if res := add(row("l", 12, "f", "1.1", "d", 2.5, "s", "7", "m", []string{"a", "b"}, "z", "disc")); !res.NewRow == false {
		t.Fatalf("equal row did not roll up: %+v", res)
	}
	res := add(row("l", "x1", "s", "", "m", []string{}))
	if res.ParseError == nil || !slices.Equal(res.ParseError.Columns, []string{"l"}) || !res.NewRow {
		t.Fatalf("bad long: %+v", res)
	}
	if !strings.Contains(res.ParseError.Error(), `value["x1"] for field[l]`) {
		t.Errorf("message %q", res.ParseError.Error())
	}
	dims := ix.Dimensions()
	if len(dims) != 6 || dims[5].Name != "z" || !dims[4].MultiValue {
		t.Fatalf("dimensions %+v", dims)
	}
	it := ix.Iter()
	rows := collect(t, dims, it.Next, it.Row)
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	// The all-null row sorts first.
	for i, v := range rows[0].Dims {
		if !v.Null {
			t.Errorf("row 0 dim %d not null: %+v", i, v)
		}
	}
	r := rows[1]
	if r.Dims[0].Long != 12 || r.Dims[1].Double != float64(float32(1.1)) || r.Dims[2].Double != 2.5 || r.Dims[3].Str != "7" ||
		!slices.Equal(r.Dims[4].Strs, []string{"a", "b"}) || r.Dims[5].Str != "disc" || r.Metrics[0].Long != 2 {
		t.Fatalf("row %+v", r)
	}
}

func TestSchemaErrors(t *testing.T) {
	tests := []struct {
		name string
		ds   spec.DataSchema
		want string
	}{
		{"unknown aggregator", spec.DataSchema{MetricsSpec: []spec.Aggregator{{Type: "javascript", Name: "j"}}}, "metricsSpec[0]"},
		{"missing field", spec.DataSchema{MetricsSpec: []spec.Aggregator{{Type: "longSum", Name: "j"}}}, "fieldName"},
		{"bad expression", spec.DataSchema{MetricsSpec: []spec.Aggregator{{Type: "longSum", Name: "j", Expression: "1 +"}}}, "expression"},
		{"json dim", spec.DataSchema{DimensionsSpec: &spec.DimensionsSpec{Dimensions: []spec.Dimension{{Type: "json", Name: "j"}}}}, "dimensions[0].type"},
		{"duplicate", spec.DataSchema{DimensionsSpec: &spec.DimensionsSpec{Dimensions: []spec.Dimension{{Type: "string", Name: "a"}}},
			MetricsSpec: []spec.Aggregator{{Type: "count", Name: "a"}}}, "clashes"},
		{"bad mvh", spec.DataSchema{DimensionsSpec: &spec.DimensionsSpec{Dimensions: []spec.Dimension{{Type: "string", Name: "a", MultiValueHandling: "x"}}}}, "multiValueHandling"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSchema(&tc.ds)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want it to mention %q", err, tc.want)
			}
		})
	}
	for _, typ := range spec.AggregatorTypes() {
		a := spec.Aggregator{Type: typ, Name: "m", FieldName: "f", Fields: []string{"f"},
			Filter: &spec.Filter{Type: "true"}, Aggregator: &spec.Aggregator{Type: "count", Name: "c"}}
		if _, err := NewSchema(&spec.DataSchema{MetricsSpec: []spec.Aggregator{a}}); err != nil {
			t.Errorf("aggregator type %s: %v", typ, err)
		}
	}
}

// TestMergeMultiValueLate persists a spill whose string dimension is
// single-value, then one where it became multi-value.
func TestMergeMultiValueLate(t *testing.T) {
	s, err := NewSchema(&spec.DataSchema{DataSource: "ds", MetricsSpec: []spec.Aggregator{{Type: "count", Name: "c"}}})
	if err != nil {
		t.Fatal(err)
	}
	ix := New(s, Options{})
	dir := t.TempDir()
	var spills []*Spill
	for i, r := range []*fakeRow{row("a", "x"), row("a", []string{"y", "x"}), row("a", "x")} {
		if _, err := ix.Add(0, r); err != nil {
			t.Fatal(err)
		}
		sp, err := ix.Persist(fmt.Sprintf("%s/s%d", dir, i), segment.Metadata{DataSource: "ds"}, segment.DefaultIndexSpec())
		if err != nil {
			t.Fatal(err)
		}
		spills = append(spills, sp)
	}
	if spills[0].Metadata.Dimensions[0].MultiValue || !spills[2].Metadata.Dimensions[0].MultiValue {
		t.Fatalf("multi-value flags %+v %+v", spills[0].Metadata.Dimensions, spills[2].Metadata.Dimensions)
	}
	if err := Merge(dir+"/m", segment.Metadata{DataSource: "ds"}, segment.DefaultIndexSpec(), spills); err != nil {
		t.Fatal(err)
	}
	rd, err := segment.Open(dir + "/m")
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	it := rd.Rows()
	var got []string
	for it.Next() {
		r := it.Row()
		got = append(got, fmt.Sprint(r.Dims[0].Strs, r.Metrics[0].Long))
	}
	if want := []string{"[x] 2", "[x y] 1"}; !slices.Equal(got, want) {
		t.Fatalf("merged %v, want %v", got, want)
	}
	reopened, err := OpenSpill(spills[1].Dir)
	if err != nil || reopened.Rows != 1 {
		t.Fatalf("OpenSpill: %+v %v", reopened, err)
	}
}

// TestSortedRowsIsStableSort checks Iter's order against a stable sort by compareRows: the
// same permutation, ties (rollup off) in insertion order, with multi-value rows, numeric
// dimensions, rows out of time order, and times already sorted; with keys packed into integers
// (sortPacked) and with the comparator.
func TestSortedRowsIsStableSort(t *testing.T) {
	paths := map[bool]bool{} // sortPacked applied, or not
	defer func() {
		if !paths[true] || !paths[false] {
			t.Errorf("packed keys applied in %v of the cases, want some of each", paths)
		}
	}()
	for _, mt := range modelTests() {
		for _, order := range []string{"random", "sorted", "wide", "single"} {
			t.Run(mt.name+"/times="+order, func(t *testing.T) {
				s, err := NewSchema(mt.dataSchema())
				if err != nil {
					t.Fatal(err)
				}
				times, rows := genRows(7, 4000)
				switch order {
				case "sorted":
					slices.Sort(times)
				case "wide": // a span of centuries: every radix pass
					for i := range times {
						times[i] += int64(i%7-3) * 1_000_000_000_000
					}
				case "single": // no multi-value row: keys are packed into integers
					for _, r := range rows {
						for i, n := range r.names {
							if v := r.vals[i]; n == "d3" && v.Kind() == expr.KindStrings {
								r.vals[i] = expr.String(v.Array()[0])
							}
						}
					}
				}
				ix := New(s, Options{MaxRowsInMemory: 1 << 20, MaxBytesInMemory: -1})
				for i, r := range rows {
					if _, err := ix.Add(times[i], r); err != nil {
						t.Fatal(err)
					}
				}
				ix.buildRanks()
				want := make([]int32, ix.Rows())
				for i := range want {
					want[i] = int32(i)
				}
				slices.SortStableFunc(want, ix.compareRows)
				if got := ix.sortedRowsBy(false); !slices.Equal(got, want) {
					t.Fatalf("sortedRows (comparator) differs from the stable sort")
				}
				if got := ix.sortedRows(); !slices.Equal(got, want) {
					t.Fatalf("sortedRows (packed keys: %v) differs from the stable sort", ix.sortPacked(slices.Clone(want), false))
				}
				paths[ix.sortPacked(slices.Clone(want), false)] = true
				// The 128-bit keys, on the time-sorted rows (runs in row order).
				byTime := make([]int32, len(want))
				for i := range byTime {
					byTime[i] = int32(i)
				}
				slices.SortStableFunc(byTime, func(a, b int32) int { return cmp.Compare(ix.times[a], ix.times[b]) })
				if ix.sortPacked(byTime, true) && !slices.Equal(byTime, want) {
					t.Fatalf("sortPacked with 128-bit keys differs from the stable sort")
				}
			})
		}
	}
}
