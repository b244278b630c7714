package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var (
	base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hour = time.Hour

	fixOnce sync.Once
	fix     *fixture
	fixDir  string
)

// fixture is the shared test cluster: datasource "wiki" (three hourly
// chunks, hour 1 in two partitions) and "events" (one day segment).
type fixture struct {
	c      *cluster
	wiki   []mrow // all wiki rows
	events []mrow
	ids    []string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		fix.c.close()
	}
	if fixDir != "" {
		os.RemoveAll(fixDir)
	}
	// After the shared fixture is closed: no test may leave a goroutine behind (the loader's
	// Run, realtime listings, query workers).
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

func getFixture(t testing.TB) *fixture {
	t.Helper()
	fixOnce.Do(func() {
		var err error
		if fixDir, err = os.MkdirTemp("", "query-test-*"); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		f := &fixture{c: newCluster(t, fixDir)}
		ms := hour.Milliseconds()
		for h := 0; h < 3; h++ {
			st := base.Add(time.Duration(h) * hour)
			parts := 1
			if h == 1 {
				parts = 2
			}
			for p := 0; p < parts; p++ {
				rows := genRows(rng, 300+h*50, st.UnixMilli(), ms, 150)
				f.wiki = append(f.wiki, rows...)
				f.ids = append(f.ids, f.c.publish(t, "wiki", st, st.Add(hour), "v1", p, rows))
			}
		}
		f.events = genRows(rng, 200, base.UnixMilli(), 24*ms, 20)
		f.ids = append(f.ids, f.c.publish(t, "events", base, base.Add(24*hour), "v1", 0, f.events))
		if err := f.c.loader.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		sort.SliceStable(f.wiki, func(i, j int) bool { return f.wiki[i].t < f.wiki[j].t })
		fix = f
	})
	if fix == nil {
		t.Fatal("fixture setup failed")
	}
	return fix
}

// run runs a query and returns its JSON round-tripped result.
func run(t *testing.T, e *Engine, q string) []any {
	t.Helper()
	res, err := e.Run(context.Background(), []byte(q))
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var out []any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func obj(v any) map[string]any { return v.(map[string]any) }

func num(v any) float64 {
	if v == nil {
		return math.NaN()
	}
	return v.(float64)
}

func iso(ms int64) string { return formatMillis(ms) }

const wikiIv = `"2026-01-01T00:00:00Z/2026-01-01T03:00:00Z"`

func TestTimeseriesHourly(t *testing.T) {
	f := getFixture(t)
	out := run(t, f.c.engine, `{"queryType":"timeseries","dataSource":"wiki","intervals":[`+wikiIv+`],"granularity":"hour",
		"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"added","fieldName":"added"},
		{"type":"doubleSum","name":"delta","fieldName":"delta"},{"type":"longMax","name":"maxAdded","fieldName":"added"},
		{"type":"doubleMin","name":"minScore","fieldName":"score"}],
		"postAggregations":[{"type":"arithmetic","name":"avg","fn":"/","fields":[{"type":"fieldAccess","fieldName":"added"},{"type":"fieldAccess","fieldName":"rows"}]}]}`)
	if len(out) != 3 {
		t.Fatalf("got %d buckets, want 3: %v", len(out), out)
	}
	for h, r := range out {
		start := base.Add(time.Duration(h) * hour).UnixMilli()
		var rows, added, maxAdded int64
		var delta float64
		minScore := math.Inf(1)
		maxAdded = math.MinInt64
		for _, m := range f.wiki {
			if m.t >= start && m.t < start+hour.Milliseconds() {
				rows++
				added += m.added
				delta += m.delta
				maxAdded = max(maxAdded, m.added)
				if m.score != nil {
					minScore = math.Min(minScore, *m.score)
				}
			}
		}
		o := obj(r)
		if o["timestamp"] != iso(start) {
			t.Errorf("bucket %d timestamp %v, want %s", h, o["timestamp"], iso(start))
		}
		res := obj(o["result"])
		if num(res["rows"]) != float64(rows) || num(res["added"]) != float64(added) || num(res["maxAdded"]) != float64(maxAdded) {
			t.Errorf("bucket %d: %v, want rows %d added %d max %d", h, res, rows, added, maxAdded)
		}
		if math.Abs(num(res["delta"])-delta) > 1e-6 || num(res["minScore"]) != minScore {
			t.Errorf("bucket %d: delta %v minScore %v, want %v %v", h, res["delta"], res["minScore"], delta, minScore)
		}
		if math.Abs(num(res["avg"])-float64(added)/float64(rows)) > 1e-9 {
			t.Errorf("bucket %d: avg %v", h, res["avg"])
		}
	}
}

func TestTimeseriesAllSketchesAndFirstLast(t *testing.T) {
	f := getFixture(t)
	out := run(t, f.c.engine, `{"queryType":"timeseries","dataSource":{"type":"table","name":"wiki"},"intervals":`+wikiIv+`,"granularity":"all",
		"filter":{"type":"selector","dimension":"country","value":"US"},
		"aggregations":[{"type":"hyperUnique","name":"uniq","fieldName":"uniq"},{"type":"cardinality","name":"card","fields":["user"]},
		{"type":"stringLast","name":"lastPage","fieldName":"lastPage"},{"type":"longFirst","name":"firstAdded","fieldName":"firstAdded"},
		{"type":"stringFirst","name":"firstPage","fieldName":"page"},{"type":"longLast","name":"lastAdded","fieldName":"added"},
		{"type":"filtered","name":"frRows","filter":{"type":"selector","dimension":"page","value":"Main"},"aggregator":{"type":"count","name":"x"}}],
		"postAggregations":[{"type":"hyperUniqueCardinality","name":"uc","fieldName":"uniq"},{"type":"constant","name":"k","value":7}]}`)
	if len(out) != 1 {
		t.Fatalf("got %v", out)
	}
	users := map[string]bool{}
	var us []mrow
	for _, m := range f.wiki {
		if m.country == "US" {
			users[m.user] = true
			us = append(us, m)
		}
	}
	main := 0
	for _, m := range us {
		if m.page == "Main" {
			main++
		}
	}
	o := obj(out[0])
	if o["timestamp"] != iso(f.wiki[0].t) {
		t.Errorf("timestamp %v, want first row %s", o["timestamp"], iso(f.wiki[0].t))
	}
	res := obj(o["result"])
	for _, k := range []string{"uniq", "card", "uc"} {
		if got := num(res[k]); math.Abs(got-float64(len(users))) > 0.03*float64(len(users)) {
			t.Errorf("%s = %v, want ≈ %d", k, got, len(users))
		}
	}
	// first and last by time; ties between rows with equal times are not
	// compared.
	first, last := us[0], us[len(us)-1]
	if len(us) > 1 && us[0].t != us[1].t && (res["firstAdded"] != float64(first.added) || res["firstPage"] != first.page) {
		t.Errorf("first: %v %v, want %d %s", res["firstAdded"], res["firstPage"], first.added, first.page)
	}
	if us[len(us)-2].t != last.t && (res["lastPage"] != last.page || res["lastAdded"] != float64(last.added)) {
		t.Errorf("last: %v %v, want %s %d", res["lastPage"], res["lastAdded"], last.page, last.added)
	}
	if res["frRows"] != float64(main) || res["k"] != float64(7) {
		t.Errorf("filtered %v constant %v, want %d 7", res["frRows"], res["k"], main)
	}
}

func TestTimeseriesEmptyBucketsAndGrandTotal(t *testing.T) {
	f := getFixture(t)
	// events spans a day; only rows with page Main in a 15-minute grid
	q := `{"queryType":"timeseries","dataSource":"events","intervals":["2026-01-01/2026-01-02"],"granularity":"hour",
		"filter":{"type":"selector","dimension":"page","value":"Main"},"aggregations":[{"type":"count","name":"n"},{"type":"longSum","name":"s","fieldName":"added"}],
		"context":{"grandTotal":true%s}}`
	withEmpty := run(t, f.c.engine, fmt.Sprintf(q, ""))
	skip := run(t, f.c.engine, fmt.Sprintf(q, `,"skipEmptyBuckets":true`))
	byHour := map[string]int64{}
	total := int64(0)
	first, last := f.events[0].t, f.events[len(f.events)-1].t
	for _, m := range f.events {
		if m.page == "Main" {
			byHour[iso(m.t-m.t%hour.Milliseconds())]++
			total++
		}
	}
	wantBuckets := int((last-last%hour.Milliseconds()-(first-first%hour.Milliseconds()))/hour.Milliseconds()) + 1
	if len(withEmpty) != wantBuckets+1 {
		t.Errorf("with empty buckets: %d rows, want %d + grand total", len(withEmpty), wantBuckets)
	}
	if len(skip) != len(byHour)+1 {
		t.Errorf("skipEmptyBuckets: %d rows, want %d + grand total", len(skip), len(byHour))
	}
	for _, r := range withEmpty[:len(withEmpty)-1] {
		o := obj(r)
		res := obj(o["result"])
		n := byHour[o["timestamp"].(string)]
		if res["n"] != float64(n) {
			t.Errorf("%v: n %v, want %d", o["timestamp"], res["n"], n)
		}
		if n == 0 && res["s"] != nil {
			t.Errorf("%v: empty bucket sum %v, want null", o["timestamp"], res["s"])
		}
	}
	gt := obj(skip[len(skip)-1])
	if gt["timestamp"] != nil || obj(gt["result"])["n"] != float64(total) {
		t.Errorf("grand total %v, want n %d", gt, total)
	}
}

func TestTopN(t *testing.T) {
	f := getFixture(t)
	for _, tc := range []struct {
		name, metric string
		less         func(a, b pageAgg) bool
	}{
		{"numeric", `"added"`, func(a, b pageAgg) bool {
			if a.added != b.added {
				return a.added > b.added
			}
			return a.page < b.page
		}},
		{"inverted", `{"type":"inverted","metric":{"type":"numeric","metric":"rows"}}`, func(a, b pageAgg) bool {
			if a.rows != b.rows {
				return a.rows < b.rows
			}
			return a.page > b.page
		}},
		{"dimension", `{"type":"dimension","ordering":"lexicographic"}`, func(a, b pageAgg) bool { return a.page < b.page }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := run(t, f.c.engine, `{"queryType":"topN","dataSource":"wiki","intervals":[`+wikiIv+`],"granularity":"all",
				"dimension":{"type":"default","dimension":"page","outputName":"p"},"metric":`+tc.metric+`,"threshold":4,
				"filter":{"type":"not","field":{"type":"selector","dimension":"country","value":"FR"}},
				"aggregations":[{"type":"longSum","name":"added","fieldName":"added"},{"type":"count","name":"rows"}]}`)
			agg := map[string]*pageAgg{}
			for _, m := range f.wiki {
				if m.country == "FR" || m.country == "" { // not(= FR) is unknown on null
					continue
				}
				a := agg[m.page]
				if a == nil {
					a = &pageAgg{page: m.page}
					agg[m.page] = a
				}
				a.added += m.added
				a.rows++
			}
			var want []pageAgg
			for _, a := range agg {
				want = append(want, *a)
			}
			sort.Slice(want, func(i, j int) bool { return tc.less(want[i], want[j]) })
			want = want[:4]
			res := obj(out[0])["result"].([]any)
			if len(res) != 4 {
				t.Fatalf("got %d rows", len(res))
			}
			for i, r := range res {
				o := obj(r)
				if o["p"] != want[i].page || o["added"] != float64(want[i].added) || o["rows"] != float64(want[i].rows) {
					t.Errorf("row %d: %v, want %+v", i, o, want[i])
				}
			}
		})
	}
}

type pageAgg struct {
	page        string
	added, rows int64
}

func TestGroupBy(t *testing.T) {
	f := getFixture(t)
	out := run(t, f.c.engine, `{"queryType":"groupBy","dataSource":"wiki","intervals":[`+wikiIv+`],"granularity":"all",
		"dimensions":["country",{"type":"default","dimension":"page","outputName":"pg"}],
		"filter":{"type":"in","dimension":"page","values":["Main","Apple","Fig","Kiwi"]},
		"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"added","fieldName":"added"}],
		"postAggregations":[{"type":"arithmetic","name":"twice","fn":"*","fields":[{"type":"fieldAccess","fieldName":"added"},{"type":"constant","value":2}]}],
		"having":{"type":"and","havingSpecs":[{"type":"greaterThan","aggregation":"rows","value":3},{"type":"not","havingSpec":{"type":"equalTo","aggregation":"rows","value":10}}]},
		"limitSpec":{"type":"default","limit":7,"columns":[{"dimension":"added","direction":"descending"},{"dimension":"pg","direction":"ascending"}]}}`)
	type key struct{ country, page string }
	type val struct{ rows, added int64 }
	agg := map[key]*val{}
	for _, m := range f.wiki {
		if !slices.Contains([]string{"Main", "Apple", "Fig", "Kiwi"}, m.page) {
			continue
		}
		k := key{m.country, m.page}
		if agg[k] == nil {
			agg[k] = &val{}
		}
		agg[k].rows++
		agg[k].added += m.added
	}
	type kv struct {
		k key
		v val
	}
	var want []kv
	for k, v := range agg {
		if v.rows > 3 && v.rows != 10 {
			want = append(want, kv{k, *v})
		}
	}
	sort.Slice(want, func(i, j int) bool {
		if want[i].v.added != want[j].v.added {
			return want[i].v.added > want[j].v.added
		}
		return want[i].k.page < want[j].k.page
	})
	want = want[:7]
	if len(out) != 7 {
		t.Fatalf("got %d rows", len(out))
	}
	for i, r := range out {
		o := obj(r)
		ev := obj(o["event"])
		w := want[i]
		var country any = w.k.country
		if w.k.country == "" {
			country = nil
		}
		if o["version"] != "v1" || o["timestamp"] != "2026-01-01T00:00:00.000Z" || ev["country"] != country || ev["pg"] != w.k.page ||
			ev["rows"] != float64(w.v.rows) || ev["added"] != float64(w.v.added) || ev["twice"] != float64(2*w.v.added) {
			t.Errorf("row %d: %v, want %+v", i, o, w)
		}
	}
}

func TestGroupByMultiValueAndHourly(t *testing.T) {
	f := getFixture(t)
	out := run(t, f.c.engine, `{"queryType":"groupBy","dataSource":"wiki","intervals":[`+wikiIv+`],"granularity":"hour",
		"dimensions":["tags"],"aggregations":[{"type":"count","name":"rows"}],
		"having":{"type":"filter","filter":{"type":"bound","dimension":"rows","lower":"0","ordering":"numeric","lowerStrict":true}}}`)
	want := map[string]map[string]int64{}
	for _, m := range f.wiki {
		b := iso(m.t - m.t%hour.Milliseconds())
		if want[b] == nil {
			want[b] = map[string]int64{}
		}
		if m.tags == nil {
			want[b]["<null>"]++
		}
		for _, tg := range m.tags {
			want[b][tg]++
		}
	}
	got := map[string]map[string]int64{}
	prev := ""
	for _, r := range out {
		o := obj(r)
		ts := o["timestamp"].(string)
		if ts < prev {
			t.Errorf("results not ordered by time: %s after %s", ts, prev)
		}
		prev = ts
		ev := obj(o["event"])
		tag := "<null>"
		if ev["tags"] != nil {
			tag = ev["tags"].(string)
		}
		if got[ts] == nil {
			got[ts] = map[string]int64{}
		}
		got[ts][tag] = int64(ev["rows"].(float64))
	}
	if !maps.EqualFunc(got, want, func(a, b map[string]int64) bool { return maps.Equal(a, b) }) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestScan(t *testing.T) {
	f := getFixture(t)
	out := run(t, f.c.engine, `{"queryType":"scan","dataSource":"wiki","intervals":[`+wikiIv+`],"columns":["__time","page","tags","num","lastPage"],
		"filter":{"type":"selector","dimension":"country","value":"JP"},"limit":5,"offset":2,"resultFormat":"list","legacy":false,"order":"none"}`)
	var jp []mrow
	for _, m := range f.wiki {
		if m.country == "JP" {
			jp = append(jp, m)
		}
	}
	if len(out) != 1 {
		t.Fatalf("got %d batches", len(out))
	}
	b := obj(out[0])
	if b["segmentId"] != f.ids[0] || fmt.Sprint(b["columns"]) != "[__time page tags num lastPage]" {
		t.Errorf("batch header %v %v", b["segmentId"], b["columns"])
	}
	evs := b["events"].([]any)
	if len(evs) != 5 {
		t.Fatalf("got %d events", len(evs))
	}
	// rows within one segment are in stored (time) order; compare by time
	// and page since generated times may tie.
	for i, ev := range evs {
		e, m := obj(ev), jp[2+i]
		if e["__time"] != float64(m.t) || e["page"] != m.page {
			t.Errorf("event %d: %v, want t=%d page=%s", i, e, m.t, m.page)
		}
		lp := obj(e["lastPage"])
		if lp["lhs"] != float64(m.t) || lp["rhs"] != m.page {
			t.Errorf("event %d: lastPage %v", i, lp)
		}
	}
	compact := run(t, f.c.engine, `{"queryType":"scan","dataSource":"wiki","intervals":[`+wikiIv+`],"columns":["page","num"],"limit":3,"resultFormat":"compactedList"}`)
	evs = obj(compact[0])["events"].([]any)
	if len(evs) != 3 {
		t.Fatalf("compactedList: %d events", len(evs))
	}
	for i, ev := range evs {
		arr := ev.([]any)
		var n any
		if f.wiki[i].num != nil {
			n = float64(*f.wiki[i].num)
		}
		if arr[0] != f.wiki[i].page || arr[1] != n {
			t.Errorf("compact event %d: %v, want [%s %v]", i, arr, f.wiki[i].page, n)
		}
	}
	// a limit spanning segments
	all := run(t, f.c.engine, `{"queryType":"scan","dataSource":"wiki","intervals":[`+wikiIv+`],"columns":["page"],"limit":400,"batchSize":100}`)
	n := 0
	for _, b := range all {
		n += len(obj(b)["events"].([]any))
	}
	if n != 400 || len(all) < 4 {
		t.Errorf("scan across segments: %d events in %d batches", n, len(all))
	}
}

func TestTimeBoundaryAndDataSourceMetadata(t *testing.T) {
	f := getFixture(t)
	out := run(t, f.c.engine, `{"queryType":"timeBoundary","dataSource":"wiki"}`)
	lo, hi := f.wiki[0].t, f.wiki[len(f.wiki)-1].t
	res := obj(obj(out[0])["result"])
	if obj(out[0])["timestamp"] != iso(lo) || res["minTime"] != iso(lo) || res["maxTime"] != iso(hi) {
		t.Errorf("timeBoundary %v, want %s..%s", out, iso(lo), iso(hi))
	}
	out = run(t, f.c.engine, `{"queryType":"timeBoundary","dataSource":"wiki","bound":"maxTime","filter":{"type":"selector","dimension":"page","value":"Main"}}`)
	var mainMax int64
	for _, m := range f.wiki {
		if m.page == "Main" {
			mainMax = m.t
		}
	}
	res = obj(obj(out[0])["result"])
	if res["maxTime"] != iso(mainMax) || res["minTime"] != nil {
		t.Errorf("timeBoundary maxTime %v, want %s", res, iso(mainMax))
	}
	out = run(t, f.c.engine, `{"queryType":"dataSourceMetadata","dataSource":"wiki"}`)
	if obj(obj(out[0])["result"])["maxIngestedEventTime"] != iso(hi) {
		t.Errorf("dataSourceMetadata %v, want %s", out, iso(hi))
	}
	out = run(t, f.c.engine, `{"queryType":"timeBoundary","dataSource":"wiki","intervals":["2030-01-01/2031-01-01"]}`)
	if len(out) != 0 {
		t.Errorf("timeBoundary outside data: %v, want []", out)
	}
}

func TestSegmentMetadata(t *testing.T) {
	f := getFixture(t)
	out := run(t, f.c.engine, `{"queryType":"segmentMetadata","dataSource":"wiki","intervals":["2026-01-01T01:00Z/2026-01-01T02:00Z"],
		"analysisTypes":["cardinality","interval","minmax","aggregators","size"],"merge":false}`)
	if len(out) != 2 {
		t.Fatalf("got %d analyses, want the 2 partitions of hour 1", len(out))
	}
	var rows []mrow
	for _, m := range f.wiki {
		if m.t >= base.Add(hour).UnixMilli() && m.t < base.Add(2*hour).UnixMilli() {
			rows = append(rows, m)
		}
	}
	total := 0.0
	for i, a := range out {
		o := obj(a)
		if o["id"] != f.ids[1+i] || fmt.Sprint(o["intervals"]) != "[2026-01-01T01:00:00.000Z/2026-01-01T02:00:00.000Z]" {
			t.Errorf("analysis %d: id %v intervals %v", i, o["id"], o["intervals"])
		}
		total += num(o["numRows"])
		cols := obj(o["columns"])
		if c := obj(cols["tags"]); c["type"] != "STRING" || c["hasMultipleValues"] != true || c["hasNulls"] != true {
			t.Errorf("tags analysis %v", c)
		}
		if c := obj(cols["num"]); c["type"] != "LONG" || c["cardinality"] != nil {
			t.Errorf("num analysis %v", c)
		}
		if c := obj(cols["uniq"]); c["type"] != "hyperUnique" || c["typeSignature"] != "COMPLEX<hyperUnique>" {
			t.Errorf("uniq analysis %v", c)
		}
		if c := obj(cols["page"]); c["cardinality"] == nil || num(c["cardinality"]) > float64(len(pages)) || c["minValue"] == nil {
			t.Errorf("page analysis %v", c)
		}
		if obj(obj(o["aggregators"])["added"])["type"] != "longSum" || num(o["size"]) <= 0 {
			t.Errorf("aggregators %v size %v", o["aggregators"], o["size"])
		}
	}
	if total != float64(len(rows)) {
		t.Errorf("numRows sum %v, want %d", total, len(rows))
	}
}

// TestFilters checks every filter type against a Go predicate over the
// model, through a count timeseries.
func TestFilters(t *testing.T) {
	f := getFixture(t)
	isNum := func(p func(int64) bool) func(m mrow) bool {
		return func(m mrow) bool { return m.num != nil && p(*m.num) }
	}
	for _, tc := range []struct {
		name, filter string
		want         func(m mrow) bool
	}{
		{"selector", `{"type":"selector","dimension":"page","value":"Main"}`, func(m mrow) bool { return m.page == "Main" }},
		{"selector null", `{"type":"selector","dimension":"country","value":null}`, func(m mrow) bool { return m.country == "" }},
		{"selector missing column", `{"type":"selector","dimension":"nope","value":null}`, func(mrow) bool { return true }},
		{"selector multi-value", `{"type":"selector","dimension":"tags","value":"b"}`, func(m mrow) bool { return slices.Contains(m.tags, "b") }},
		{"selector long dim", `{"type":"selector","dimension":"num","value":"7"}`, isNum(func(n int64) bool { return n == 7 })},
		{"equals", `{"type":"equals","column":"country","matchValueType":"STRING","matchValue":"DE"}`, func(m mrow) bool { return m.country == "DE" }},
		{"equals long", `{"type":"equals","column":"num","matchValueType":"LONG","matchValue":12}`, isNum(func(n int64) bool { return n == 12 })},
		{"in", `{"type":"in","dimension":"country","values":["US","JP","XX"]}`, func(m mrow) bool { return m.country == "US" || m.country == "JP" }},
		{"in with null", `{"type":"in","dimension":"country","values":["US",null]}`, func(m mrow) bool { return m.country == "US" || m.country == "" }},
		{"bound lexicographic", `{"type":"bound","dimension":"page","lower":"B","upper":"F","upperStrict":true}`, func(m mrow) bool { return m.page >= "B" && m.page < "F" }},
		{"bound numeric long dim", `{"type":"bound","dimension":"num","lower":"10","upper":"20","lowerStrict":true,"ordering":"numeric"}`, isNum(func(n int64) bool { return n > 10 && n <= 20 })},
		{"bound numeric string", `{"type":"bound","dimension":"user","lower":"5","ordering":"numeric"}`, func(mrow) bool { return false }},
		{"range", `{"type":"range","column":"score","matchValueType":"DOUBLE","lower":5,"upper":10,"upperOpen":true}`, func(m mrow) bool { return m.score != nil && *m.score >= 5 && *m.score < 10 }},
		{"range string", `{"type":"range","column":"country","matchValueType":"STRING","lower":"DE","upper":"JP"}`, func(m mrow) bool { return m.country != "" && m.country >= "DE" && m.country <= "JP" }},
		{"like", `{"type":"like","dimension":"page","pattern":"%an%"}`, func(m mrow) bool { return strings.Contains(m.page, "an") }},
		{"regex", `{"type":"regex","dimension":"user","pattern":"^u00[0-4]"}`, func(m mrow) bool { return m.user < "u005" }},
		{"null", `{"type":"null","column":"tags"}`, func(m mrow) bool { return m.tags == nil }},
		{"null numeric", `{"type":"null","column":"score"}`, func(m mrow) bool { return m.score == nil }},
		{"and", `{"type":"and","fields":[{"type":"selector","dimension":"country","value":"US"},{"type":"like","dimension":"page","pattern":"M%"}]}`, func(m mrow) bool { return m.country == "US" && strings.HasPrefix(m.page, "M") }},
		{"or", `{"type":"or","fields":[{"type":"selector","dimension":"country","value":"US"},{"type":"bound","dimension":"num","upper":"3","ordering":"numeric"}]}`, func(m mrow) bool { return m.country == "US" || (m.num != nil && *m.num <= 3) }},
		{"not null-aware", `{"type":"not","field":{"type":"selector","dimension":"country","value":"US"}}`, func(m mrow) bool { return m.country != "US" && m.country != "" }},
		{"not not", `{"type":"not","field":{"type":"not","field":{"type":"in","dimension":"tags","values":["a"]}}}`, func(m mrow) bool { return slices.Contains(m.tags, "a") }},
		{"not on numeric", `{"type":"not","field":{"type":"bound","dimension":"num","lower":"25","ordering":"numeric"}}`, isNum(func(n int64) bool { return n < 25 })},
		{"true", `{"type":"true"}`, func(mrow) bool { return true }},
		{"false", `{"type":"false"}`, func(mrow) bool { return false }},
		{"expression", `{"type":"expression","expression":"added > 500 && num < 10"}`, func(m mrow) bool { return m.added > 500 && m.num != nil && *m.num < 10 }},
		{"time bound", `{"type":"bound","dimension":"__time","lower":"` + fmt.Sprint(base.Add(90*time.Minute).UnixMilli()) + `","ordering":"numeric"}`, func(m mrow) bool { return m.t >= base.Add(90*time.Minute).UnixMilli() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := run(t, f.c.engine, `{"queryType":"timeseries","dataSource":"wiki","intervals":[`+wikiIv+`],"granularity":"all",
				"filter":`+tc.filter+`,"aggregations":[{"type":"count","name":"n"}]}`)
			want := 0
			for _, m := range f.wiki {
				if tc.want(m) {
					want++
				}
			}
			if got := obj(obj(out[0])["result"])["n"]; got != float64(want) {
				t.Errorf("count %v, want %d", got, want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	f := getFixture(t)
	for _, tc := range []struct {
		name, query string
		status      int
		msg         string
	}{
		{"unknown queryType", `{"queryType":"select","dataSource":"wiki"}`, 400, `queryType: unknown query type "select"`},
		{"missing fieldName", `{"queryType":"timeseries","dataSource":"wiki","intervals":["2026/2027"],"aggregations":[{"type":"count","name":"n"},{"type":"longSum","name":"s"}]}`, 400, "aggregations[1].fieldName: missing"},
		{"bad filter", `{"queryType":"timeseries","dataSource":"wiki","intervals":["2026/2027"],"filter":{"type":"and","fields":[{"type":"sometimes"}]}}`, 400, "filter.fields[0].type: unknown filter type"},
		{"missing intervals", `{"queryType":"groupBy","dataSource":"wiki","dimensions":[]}`, 400, "intervals: missing"},
		{"bad interval", `{"queryType":"scan","dataSource":"wiki","intervals":["yesterday"]}`, 400, "intervals[0]:"},
		{"topN metric", `{"queryType":"topN","dataSource":"wiki","intervals":["2026/2027"],"dimension":"page","metric":"nope","threshold":3}`, 400, `metric: "nope"`},
		{"not json", `{"queryType":`, 400, "not a JSON object"},
		{"unknown datasource", `{"queryType":"timeseries","dataSource":"nope","intervals":["2026/2027"]}`, 404, "datasource [nope] does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.c.engine.Run(context.Background(), []byte(tc.query))
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("error %v, want *Error", err)
			}
			if qe.Status != tc.status || !strings.Contains(qe.Message, tc.msg) {
				t.Errorf("got %d %q, want %d containing %q", qe.Status, qe.Message, tc.status, tc.msg)
			}
			b, _ := json.Marshal(qe)
			var body map[string]any
			_ = json.Unmarshal(b, &body)
			if _, ok := body["host"]; !ok || body["error"] == "" || body["errorClass"] == "" {
				t.Errorf("error body %s", b)
			}
		})
	}
	// a known datasource without segments in the intervals is Druid's []
	out := run(t, f.c.engine, `{"queryType":"timeseries","dataSource":"wiki","intervals":["2030/2031"],"aggregations":[{"type":"count","name":"n"}]}`)
	if len(out) != 0 {
		t.Errorf("no segments: %v, want []", out)
	}
}

func TestTimeout(t *testing.T) {
	c := newCluster(t, t.TempDir())
	defer c.close()
	rng := rand.New(rand.NewPCG(3, 4))
	rows := genRows(rng, 200_000, base.UnixMilli(), hour.Milliseconds(), 1000)
	c.publish(t, "big", base, base.Add(hour), "v1", 0, rows)
	if err := c.loader.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	q := `{"queryType":"groupBy","dataSource":"big","intervals":["2026/2027"],"granularity":"minute","dimensions":["user","page"],
		"filter":{"type":"expression","expression":"added * 2 > -1000 && concat(page, 'x') != ''"},
		"aggregations":[{"type":"count","name":"n"},{"type":"cardinality","name":"c","fields":["user"],"byRow":true}],"context":{"timeout":1}}`
	_, err := c.engine.Run(context.Background(), []byte(q))
	var qe *Error
	if !errors.As(err, &qe) || qe.Status != http.StatusGatewayTimeout || qe.Code != "Query timeout" || !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want a 504 Query timeout", err)
	}
}

func TestOvershadowAndDrop(t *testing.T) {
	c := newCluster(t, t.TempDir())
	defer c.close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	day := base.Add(24 * hour)
	ms := hour.Milliseconds()
	v1 := genRows(rng, 240, base.UnixMilli(), 24*ms, 10)         // one DAY segment
	v2a := genRows(rng, 30, base.UnixMilli(), ms, 10)            // hour 0, version v2, partition 0
	v2b := genRows(rng, 20, base.UnixMilli(), ms, 10)            // hour 0, version v2, partition 1
	v0 := genRows(rng, 50, base.Add(2*hour).UnixMilli(), ms, 10) // hour 2, older version v0: overshadowed
	c.publish(t, "ovr", base, day, "v1", 0, v1)
	id2a := c.publish(t, "ovr", base, base.Add(hour), "v2", 0, v2a)
	id2b := c.publish(t, "ovr", base, base.Add(hour), "v2", 1, v2b)
	c.publish(t, "ovr", base.Add(2*hour), base.Add(3*hour), "v0", 0, v0)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.loader.WaitLoaded(wctx, "ovr", []string{id2a, id2b}); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		out := run(t, c.engine, `{"queryType":"timeseries","dataSource":"ovr","intervals":["2026-01-01/2026-01-02"],"granularity":"all","aggregations":[{"type":"count","name":"n"}]}`)
		if len(out) == 0 {
			return 0
		}
		return int(obj(obj(out[0])["result"])["n"].(float64))
	}
	want := len(v2a) + len(v2b)
	for _, m := range v1 {
		if m.t >= base.Add(hour).UnixMilli() {
			want++
		}
	}
	if got := count(); got != want {
		t.Errorf("count %d, want %d (v2 over hour 0, v1 elsewhere, v0 hidden)", got, want)
	}
	// Drop v2: v1 shows again everywhere.
	if _, err := c.store.MarkSegmentsUnused(ctx, []string{id2a, id2b}); err != nil {
		t.Fatal(err)
	}
	if err := c.loader.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != len(v1) {
		t.Errorf("after drop: count %d, want %d", got, len(v1))
	}
	if ds := c.engine.DataSources(); fmt.Sprint(ds) != "[ovr]" {
		t.Errorf("datasources %v", ds)
	}
	// WaitLoaded gives up with ctx.
	sctx, scancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer scancel()
	if err := c.loader.WaitLoaded(sctx, "ovr", []string{"nope"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitLoaded of an unknown segment: %v", err)
	}
}

func TestLoaderRun(t *testing.T) {
	c := newCluster(t, t.TempDir())
	defer c.close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.loader.Run(ctx) }()
	rng := rand.New(rand.NewPCG(7, 8))
	id := c.publish(t, "late", base, base.Add(hour), "v1", 0, genRows(rng, 10, base.UnixMilli(), hour.Milliseconds(), 5))
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := c.loader.WaitLoaded(wctx, "late", []string{id}); err != nil {
		t.Fatal(err)
	}
	dims, metrics, ok, _ := c.engine.DataSourceColumns(context.Background(), "late")
	if !ok || len(dims) != 6 || len(metrics) != 6 {
		t.Errorf("columns %v %v %v", dims, metrics, ok)
	}
	c.loader.Close()
	c.loader.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	cancel()
}

// TestLoaderCacheRestart: a new Loader reuses the segments already in its
// cache (deep storage is not read again) and sweeps what is stale.
func TestLoaderCacheRestart(t *testing.T) {
	root := t.TempDir()
	c := newCluster(t, root)
	defer c.close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(9, 10))
	rows := genRows(rng, 25, base.UnixMilli(), hour.Milliseconds(), 5)
	c.publish(t, "re", base, base.Add(hour), "v1", 0, rows)
	if err := c.loader.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	stale := []string{filepath.Join(root, "cache", "re", "gone"), filepath.Join(root, "cache", "re", "x.tmp-for-creation")}
	for _, d := range stale {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(filepath.Join(root, "deep"), filepath.Join(root, "deep-moved")); err != nil {
		t.Fatal(err)
	}
	l2 := NewLoader(c.store, c.deep, filepath.Join(root, "cache"), LoaderOptions{})
	if err := l2.Sync(ctx); err != nil {
		t.Fatalf("restart sync without deep storage: %v", err)
	}
	out := run(t, New(l2), `{"queryType":"timeseries","dataSource":"re","intervals":["2026/2027"],"aggregations":[{"type":"count","name":"n"}]}`)
	if n := obj(obj(out[0])["result"])["n"]; n != float64(len(rows)) {
		t.Errorf("count %v, want %d", n, len(rows))
	}
	for _, d := range stale {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not swept: %v", d, err)
		}
	}
}
