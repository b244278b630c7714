package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// eternity is Druid's Intervals.ETERNITY as its clients write it.
const eternity = `"-146136543-09-08T08:23:32.096Z/146140482-04-24T15:36:27.903Z"`

// runJSON runs a query and returns its answer as compact JSON.
func runJSON(t *testing.T, e *Engine, q string) string {
	t.Helper()
	res, err := e.Run(context.Background(), []byte(q))
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameJSON fails unless got and want are the same JSON (whitespace aside).
func sameJSON(t *testing.T, got, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %s: %v", want, err)
	}
	wb, _ := json.Marshal(w)
	var g any
	_ = json.Unmarshal([]byte(got), &g)
	gb, _ := json.Marshal(g)
	if string(gb) != string(wb) {
		t.Errorf("answer\n got %s\nwant %s", gb, wb)
	}
}

// badRequest runs q and checks for a 400 whose message contains msg.
func badRequest(t *testing.T, e *Engine, q, msg string) {
	t.Helper()
	_, err := e.Run(context.Background(), []byte(q))
	var qe *Error
	if !errors.As(err, &qe) {
		t.Fatalf("query %s: error %v, want *Error", q, err)
	}
	if qe.Status != 400 || !strings.Contains(qe.Message, msg) {
		t.Errorf("got %d %q, want 400 containing %q", qe.Status, qe.Message, msg)
	}
}

const (
	// leftRows: page a twice, b, c; n a number per row.
	leftInline = `{"type":"inline","columnNames":["page","n"],"columnTypes":["STRING","LONG"],"rows":[["a",1],["b",2],["c",3],["a",4]]}`
	// rightRows: a matches twice, b once, c never; d matches nothing on the left.
	rightInline = `{"type":"inline","columnNames":["k","v"],"columnTypes":["STRING","STRING"],"rows":[["a","x"],["a","y"],["b","z"],["d","w"]]}`
)

func joinDS(left, right, joinType string) string {
	return `{"type":"join","left":` + left + `,"right":` + right + `,"rightPrefix":"j0.","condition":"(\"page\" == \"j0.k\")","joinType":"` + joinType + `"}`
}

func TestInlineDataSource(t *testing.T) {
	e := New()
	t.Run("scan", func(t *testing.T) {
		// No __time column: every row is at 0; Druid names the one segment of an
		// inline datasource SegmentId.dummy("inline").
		got := runJSON(t, e, `{"queryType":"scan","dataSource":`+leftInline+`,"intervals":[`+eternity+`],"columns":["__time","page","n"]}`)
		sameJSON(t, got, `[{"segmentId":"inline_-146136543-09-08T08:23:32.096Z_146140482-04-24T15:36:27.903Z_dummy_version","columns":["__time","page","n"],
			"events":[{"__time":0,"page":"a","n":1},{"__time":0,"page":"b","n":2},{"__time":0,"page":"c","n":3},{"__time":0,"page":"a","n":4}]}]`)
	})
	t.Run("timeseries over eternity", func(t *testing.T) {
		// The data interval of inline rows is all time (RowBasedStorageAdapter), so
		// the granularity-all timestamp is ETERNITY's start.
		got := runJSON(t, e, `{"queryType":"timeseries","dataSource":`+leftInline+`,"intervals":[`+eternity+`],"granularity":"all",
			"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"n","fieldName":"n"}]}`)
		sameJSON(t, got, `[{"timestamp":"-146136543-09-08T08:23:32.096Z","result":{"rows":4,"n":10}}]`)
	})
	t.Run("intervals clip the rows at 0", func(t *testing.T) {
		// The one inline segment covers every interval: a timeseries over it has a
		// (zero) row even where no row lies, as Druid's has over a segment whose
		// rows are all filtered out.
		got := runJSON(t, e, `{"queryType":"timeseries","dataSource":`+leftInline+`,"intervals":["2020/2021"],"granularity":"all",
			"aggregations":[{"type":"count","name":"rows"}]}`)
		sameJSON(t, got, `[{"timestamp":"2020-01-01T00:00:00.000Z","result":{"rows":0}}]`)
		got = runJSON(t, e, `{"queryType":"timeseries","dataSource":`+leftInline+`,"intervals":["1970/1971"],"granularity":"all",
			"aggregations":[{"type":"count","name":"rows"}]}`)
		sameJSON(t, got, `[{"timestamp":"1970-01-01T00:00:00.000Z","result":{"rows":4}}]`)
	})
	t.Run("groupBy with __time and untyped columns", func(t *testing.T) {
		q := `{"queryType":"groupBy","dataSource":{"type":"inline","columnNames":["__time","k","x"],
			"rows":[[1704067200000,"p",1.5],[1704067200000,"q",2],[1704153600000,"p",null],[1704067200000,null,4]]},
			"intervals":["2024-01-01/2024-01-03"],"granularity":"day","dimensions":["k"],
			"aggregations":[{"type":"doubleSum","name":"x","fieldName":"x"},{"type":"count","name":"rows"}]}`
		got := runJSON(t, e, q)
		sameJSON(t, got, `[
			{"version":"v1","timestamp":"2024-01-01T00:00:00.000Z","event":{"k":null,"x":4,"rows":1}},
			{"version":"v1","timestamp":"2024-01-01T00:00:00.000Z","event":{"k":"p","x":1.5,"rows":1}},
			{"version":"v1","timestamp":"2024-01-01T00:00:00.000Z","event":{"k":"q","x":2,"rows":1}},
			{"version":"v1","timestamp":"2024-01-02T00:00:00.000Z","event":{"k":"p","x":null,"rows":1}}]`)
	})
	t.Run("timeBoundary", func(t *testing.T) {
		got := runJSON(t, e, `{"queryType":"timeBoundary","dataSource":{"type":"inline","columnNames":["__time","k"],
			"rows":[[1704153600000,"b"],[1704067200000,"a"]]}}`)
		sameJSON(t, got, `[{"timestamp":"2024-01-01T00:00:00.000Z","result":{"minTime":"2024-01-01T00:00:00.000Z","maxTime":"2024-01-02T00:00:00.000Z"}}]`)
		badRequest(t, e, `{"queryType":"segmentMetadata","dataSource":`+leftInline+`}`, "dataSource: a segmentMetadata query needs a table datasource, not inline")
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct{ name, ds, msg string }{
			{"no columnNames", `{"type":"inline","rows":[]}`, "dataSource.columnNames: missing"},
			{"types length", `{"type":"inline","columnNames":["a"],"columnTypes":["STRING","LONG"],"rows":[]}`, "dataSource.columnTypes: has 2 types for 1 columnNames"},
			{"row length", `{"type":"inline","columnNames":["a","b"],"rows":[["x"]]}`, "dataSource.rows[0]: has 1 values for 2 columnNames"},
			{"bad type", `{"type":"inline","columnNames":["a"],"columnTypes":["ARRAY<LONG>"],"rows":[]}`, "dataSource.columnTypes[0]: unsupported column type"},
			{"string time", `{"type":"inline","columnNames":["__time"],"rows":[["yesterday"]]}`, "dataSource.rows[0][0]: __time must be a number"},
			{"unknown type", `{"type":"union","dataSources":["a"]}`, `dataSource.type: unsupported datasource type "union"`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				badRequest(t, e, `{"queryType":"scan","dataSource":`+tc.ds+`,"intervals":[`+eternity+`]}`, tc.msg)
			})
		}
		// Druid's RowBasedStorageAdapter refuses ETERNITY with a granularity other than all.
		badRequest(t, e, `{"queryType":"timeseries","dataSource":`+leftInline+`,"intervals":[`+eternity+`],"granularity":"day",
			"aggregations":[{"type":"count","name":"rows"}]}`, "granularity: cannot support interval [ETERNITY]")
	})
}

func TestJoinInlineInnerLeftMultiMatch(t *testing.T) {
	e := New()
	groupBy := func(joinType string) string {
		return `{"queryType":"groupBy","dataSource":` + joinDS(leftInline, rightInline, joinType) + `,"intervals":[` + eternity + `],
			"granularity":"all","dimensions":["page","j0.v"],"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"n","fieldName":"n"}]}`
	}
	ts := `"-146136543-09-08T08:23:32.096Z"`
	// a (n 1 and 4) matches x and y: each a row is repeated per match.
	sameJSON(t, runJSON(t, e, groupBy("INNER")), `[
		{"version":"v1","timestamp":`+ts+`,"event":{"page":"a","j0.v":"x","rows":2,"n":5}},
		{"version":"v1","timestamp":`+ts+`,"event":{"page":"a","j0.v":"y","rows":2,"n":5}},
		{"version":"v1","timestamp":`+ts+`,"event":{"page":"b","j0.v":"z","rows":1,"n":2}}]`)
	// LEFT keeps c with null right columns; joinType is case-insensitive.
	sameJSON(t, runJSON(t, e, groupBy("left")), `[
		{"version":"v1","timestamp":`+ts+`,"event":{"page":"a","j0.v":"x","rows":2,"n":5}},
		{"version":"v1","timestamp":`+ts+`,"event":{"page":"a","j0.v":"y","rows":2,"n":5}},
		{"version":"v1","timestamp":`+ts+`,"event":{"page":"b","j0.v":"z","rows":1,"n":2}},
		{"version":"v1","timestamp":`+ts+`,"event":{"page":"c","j0.v":null,"rows":1,"n":3}}]`)
	// The scan shows the repeated rows in left order, matches in right order.
	got := runJSON(t, e, `{"queryType":"scan","dataSource":`+joinDS(leftInline, rightInline, "LEFT")+`,"intervals":[`+eternity+`],
		"columns":["page","n","j0.k","j0.v"],"resultFormat":"compactedList"}`)
	sameJSON(t, got, `[{"segmentId":"inline_-146136543-09-08T08:23:32.096Z_146140482-04-24T15:36:27.903Z_dummy_version","columns":["page","n","j0.k","j0.v"],
		"events":[["a",1,"a","x"],["a",1,"a","y"],["b",2,"b","z"],["c",3,null,null],["a",4,"a","x"],["a",4,"a","y"]]}]`)
	// A constant false part matches nothing; a LEFT join still keeps every left row.
	never := strings.Replace(joinDS(leftInline, rightInline, "LEFT"), `(\"page\" == \"j0.k\")`, `\"page\" == \"j0.k\" && 0`, 1)
	got = runJSON(t, e, `{"queryType":"timeseries","dataSource":`+never+`,"intervals":[`+eternity+`],"granularity":"all",
		"aggregations":[{"type":"count","name":"rows"},{"type":"count","name":"matched","filter":null},
		{"type":"filtered","name":"withV","filter":{"type":"not","field":{"type":"null","column":"j0.v"}},"aggregator":{"type":"count","name":"withV"}}]}`)
	sameJSON(t, got, `[{"timestamp":`+ts+`,"result":{"rows":4,"matched":4,"withV":0}}]`)
	// A key expression over left columns, numeric right keys, and the sides swapped.
	got = runJSON(t, e, `{"queryType":"scan","dataSource":{"type":"join","left":`+leftInline+`,
		"right":{"type":"inline","columnNames":["twice","label"],"columnTypes":["LONG","STRING"],"rows":[[2,"two"],[8,"eight"]]},
		"rightPrefix":"r.","condition":"\"r.twice\" == (n * 2)","joinType":"INNER"},"intervals":[`+eternity+`],"columns":["n","r.label"],"resultFormat":"compactedList"}`)
	sameJSON(t, got, `[{"segmentId":"inline_-146136543-09-08T08:23:32.096Z_146140482-04-24T15:36:27.903Z_dummy_version","columns":["n","r.label"],
		"events":[[1,"two"],[4,"eight"]]}]`)
}

// TestTopNJoinVirtualColumn is the done-when in miniature: a topN over
// a join with an inline right side and an nvl virtual column, over ETERNITY.
func TestTopNJoinVirtualColumn(t *testing.T) {
	e := New()
	got := runJSON(t, e, `{"queryType":"topN","dataSource":`+joinDS(leftInline, rightInline, "LEFT")+`,
		"virtualColumns":[{"type":"expression","name":"v0","expression":"nvl(\"j0.v\", 'none')","outputType":"STRING"}],
		"dimension":{"type":"default","dimension":"v0","outputName":"d0"},"metric":{"type":"numeric","metric":"a0"},"threshold":10,
		"intervals":{"type":"intervals","intervals":[`+eternity+`]},"granularity":{"type":"all"},
		"aggregations":[{"type":"longSum","name":"a0","fieldName":"n"}]}`)
	// x: 1+4, y: 1+4, none: c's 3, z: 2; ties rank by dimension value.
	sameJSON(t, got, `[{"timestamp":"-146136543-09-08T08:23:32.096Z","result":[
		{"d0":"x","a0":5},{"d0":"y","a0":5},{"d0":"none","a0":3},{"d0":"z","a0":2}]}]`)
}

func TestJoinTableLeft(t *testing.T) {
	f := getFixture(t)
	right := `{"type":"inline","columnNames":["k","cat"],"rows":[["Main","home"],["Main","portal"],["Apple","fruit"],["Nope","none"]]}`
	q := func(joinType string) string {
		return `{"queryType":"groupBy","dataSource":{"type":"join","left":"wiki","right":` + right + `,"rightPrefix":"c.",
			"condition":"page == \"c.k\"","joinType":"` + joinType + `"},"intervals":[` + wikiIv + `],"granularity":"all",
			"dimensions":["c.cat"],"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"added","fieldName":"added"}]}`
	}
	type agg struct{ rows, added int64 }
	want := map[any]agg{}
	for _, r := range f.wiki {
		var cats []any
		switch r.page {
		case "Main":
			cats = []any{"home", "portal"}
		case "Apple":
			cats = []any{"fruit"}
		default:
			cats = []any{nil}
		}
		for _, c := range cats {
			a := want[c]
			want[c] = agg{a.rows + 1, a.added + r.added}
		}
	}
	check := func(out []any, keep func(any) bool) {
		t.Helper()
		n := 0
		for k := range want {
			if keep(k) {
				n++
			}
		}
		if len(out) != n {
			t.Fatalf("%d groups, want %d: %v", len(out), n, out)
		}
		for _, r := range out {
			ev := obj(obj(r)["event"])
			w := want[ev["c.cat"]]
			if got := (agg{int64(num(ev["rows"])), int64(num(ev["added"]))}); got != w {
				t.Errorf("%v: %+v, want %+v", ev["c.cat"], got, w)
			}
		}
	}
	check(run(t, f.c.engine, q("INNER")), func(k any) bool { return k != nil })
	check(run(t, f.c.engine, q("LEFT")), func(any) bool { return true })
}

func TestJoinErrors(t *testing.T) {
	e := New()
	join := func(fields string) string {
		return `{"queryType":"scan","intervals":[` + eternity + `],"dataSource":{"type":"join","left":` + leftInline + `,"right":` + rightInline + fields + `}}`
	}
	for _, tc := range []struct{ name, fields, msg string }{
		{"no prefix", `,"condition":"page == \"j0.k\""`, "dataSource.rightPrefix: missing"},
		{"empty prefix", `,"rightPrefix":"","condition":"page == \"k\""`, "dataSource.rightPrefix: must not be empty"},
		{"prefix of __time", `,"rightPrefix":"__t","condition":"page == \"__tk\""`, `dataSource.rightPrefix: "__t" cannot be a prefix of the time column __time`},
		{"no condition", `,"rightPrefix":"j0."`, "dataSource.condition: missing"},
		{"bad syntax", `,"rightPrefix":"j0.","condition":"page == "`, "dataSource.condition: expr:"},
		{"non-equi", `,"rightPrefix":"j0.","condition":"page != \"j0.k\""`, "dataSource.condition:"},
		{"or", `,"rightPrefix":"j0.","condition":"page == \"j0.k\" || n == 1"`, "is not an equi-join condition"},
		{"right expression", `,"rightPrefix":"j0.","condition":"page == concat(\"j0.k\", 'x')"`, "is not an equi-join condition"},
		{"both sides right", `,"rightPrefix":"j0.","condition":"\"j0.v\" == \"j0.k\""`, "is not an equi-join condition"},
		{"unknown right column", `,"rightPrefix":"j0.","condition":"page == \"j0.nope\""`, `dataSource.condition: the right-hand side has no column "nope"`},
		{"right join", `,"rightPrefix":"j0.","condition":"page == \"j0.k\"","joinType":"RIGHT"`, "dataSource.joinType: RIGHT joins are not supported"},
		{"unknown join type", `,"rightPrefix":"j0.","condition":"page == \"j0.k\"","joinType":"SIDEWAYS"`, `dataSource.joinType: unknown join type "SIDEWAYS"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			badRequest(t, e, join(tc.fields), tc.msg)
		})
	}
	for _, tc := range []struct{ name, ds, msg string }{
		{"lookup right", `{"type":"join","left":` + leftInline + `,"right":{"type":"lookup","lookup":"countries"},"rightPrefix":"j0.","condition":"page == \"j0.k\""}`,
			`dataSource.right.lookup: unknown lookup "countries"`},
		{"table right", `{"type":"join","left":` + leftInline + `,"right":"wiki","rightPrefix":"j0.","condition":"page == \"j0.k\""}`,
			"dataSource.right: a table datasource cannot be the right-hand side of a join"},
		{"duplicate nested prefix", `{"type":"join","left":` + joinDS(leftInline, rightInline, "LEFT") + `,"right":` + rightInline + `,"rightPrefix":"j0.","condition":"page == \"j0.k\""}`,
			`dataSource.rightPrefix: duplicate prefix "j0."`},
		{"shadowing nested prefix", `{"type":"join","left":` + joinDS(leftInline, rightInline, "LEFT") + `,"right":` + rightInline + `,"rightPrefix":"j","condition":"page == \"jk\""}`,
			`dataSource.rightPrefix: prefix "j" conflicts with "j0."`},
		{"nested bad left", `{"type":"join","left":{"type":"inline","rows":[]},"right":` + rightInline + `,"rightPrefix":"j0.","condition":"page == \"j0.k\""}`,
			"dataSource.left.columnNames: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			badRequest(t, e, `{"queryType":"scan","intervals":[`+eternity+`],"dataSource":`+tc.ds+`}`, tc.msg)
		})
	}
	t.Run("right side beyond maxSubqueryRows", func(t *testing.T) {
		_, err := e.Run(context.Background(), []byte(`{"queryType":"scan","intervals":[`+eternity+`],"dataSource":`+joinDS(leftInline, rightInline, "LEFT")+`,
			"context":{"maxSubqueryRows":3}}`))
		var qe *Error
		if !errors.As(err, &qe) || qe.Status != 400 || qe.Code != CodeResourceLimit || !strings.Contains(qe.Message, "dataSource.right: the right-hand side of the join has 4 rows, beyond maxSubqueryRows[3]") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("multi-value key", func(t *testing.T) {
		left := `{"type":"inline","columnNames":["page"],"rows":[[["a","b"]]]}`
		badRequest(t, e, `{"queryType":"scan","intervals":[`+eternity+`],"dataSource":{"type":"join","left":`+left+`,"right":`+rightInline+`,
			"rightPrefix":"j0.","condition":"concat(page, '') == \"j0.k\""}}`, "joining on a multi-value dimension is not supported")
	})
}

func TestQueryDataSource(t *testing.T) {
	f := getFixture(t)
	inner := `{"queryType":"groupBy","dataSource":"wiki","intervals":[` + wikiIv + `],"granularity":"all","dimensions":["page"],
		"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"added","fieldName":"added"}]}`
	perPage := map[string][2]int64{}
	var total int64
	for _, r := range f.wiki {
		p := perPage[r.page]
		perPage[r.page] = [2]int64{p[0] + 1, p[1] + r.added}
		total += r.added
	}
	t.Run("timeseries over groupBy", func(t *testing.T) {
		// granularity all: the inner rows have no __time, so they are all at 0.
		got := runJSON(t, f.c.engine, `{"queryType":"timeseries","dataSource":{"type":"query","query":`+inner+`},"intervals":[`+eternity+`],
			"granularity":"all","aggregations":[{"type":"count","name":"pages"},{"type":"longSum","name":"rows","fieldName":"rows"},
			{"type":"longSum","name":"added","fieldName":"added"},{"type":"longMax","name":"maxRows","fieldName":"rows"}]}`)
		var maxRows int64
		for _, p := range perPage {
			maxRows = max(maxRows, p[0])
		}
		sameJSON(t, got, fmt.Sprintf(`[{"timestamp":"-146136543-09-08T08:23:32.096Z","result":{"pages":%d,"rows":%d,"added":%d,"maxRows":%d}}]`,
			len(perPage), len(f.wiki), total, maxRows))
	})
	t.Run("groupBy over hourly timeseries", func(t *testing.T) {
		hourly := `{"queryType":"timeseries","dataSource":"wiki","intervals":[` + wikiIv + `],"granularity":"hour","aggregations":[{"type":"count","name":"rows"}]}`
		got := run(t, f.c.engine, `{"queryType":"groupBy","dataSource":{"type":"query","query":`+hourly+`},"intervals":[`+wikiIv+`],
			"granularity":"hour","dimensions":[],"aggregations":[{"type":"longSum","name":"rows","fieldName":"rows"}]}`)
		if len(got) != 3 {
			t.Fatalf("%d rows, want 3 hours: %v", len(got), got)
		}
		var sum int64
		for h, r := range got {
			if ts := obj(r)["timestamp"]; ts != iso(base.Add(time.Duration(h)*hour).UnixMilli()) {
				t.Errorf("row %d at %v", h, ts)
			}
			sum += int64(num(obj(obj(r)["event"])["rows"]))
		}
		if sum != int64(len(f.wiki)) {
			t.Errorf("rows %d, want %d", sum, len(f.wiki))
		}
	})
	t.Run("join on a subquery", func(t *testing.T) {
		// Every wiki row joined with its page's row count.
		got := runJSON(t, f.c.engine, `{"queryType":"timeseries","intervals":[`+wikiIv+`],"granularity":"all",
			"dataSource":{"type":"join","left":"wiki","right":{"type":"query","query":`+inner+`},"rightPrefix":"p.","condition":"page == \"p.page\"","joinType":"INNER"},
			"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"sq","fieldName":"p.rows"}]}`)
		var sq int64
		for _, p := range perPage {
			sq += p[0] * p[0]
		}
		sameJSON(t, got, fmt.Sprintf(`[{"timestamp":"%s","result":{"rows":%d,"sq":%d}}]`, iso(f.wiki[0].t), len(f.wiki), sq))
	})
	t.Run("errors", func(t *testing.T) {
		badRequest(t, f.c.engine, `{"queryType":"scan","intervals":[`+eternity+`],"dataSource":{"type":"query","query":{"queryType":"timeBoundary","dataSource":"wiki"}}}`,
			"dataSource.query.queryType: a timeBoundary query cannot be a query datasource")
		badRequest(t, f.c.engine, `{"queryType":"scan","intervals":[`+eternity+`],"dataSource":{"type":"query","query":{"queryType":"groupBy","dataSource":"wiki","intervals":["2026/2027"],"aggregations":[{"type":"longSum","name":"s"}]}}}`,
			"dataSource.query.aggregations[0].fieldName: missing")
		_, err := f.c.engine.Run(context.Background(), []byte(`{"queryType":"scan","intervals":[`+eternity+`],"dataSource":{"type":"query","query":`+inner+`},"context":{"maxSubqueryRows":5}}`))
		var qe *Error
		if !errors.As(err, &qe) || qe.Status != 400 || qe.Code != CodeResourceLimit || !strings.Contains(qe.Message, "subquery generated results beyond maximum[5] rows") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestVirtualColumns(t *testing.T) {
	f := getFixture(t)
	vcs := `"virtualColumns":[{"type":"expression","name":"v0","expression":"concat(page, '-', nvl(country, 'none'))","outputType":"STRING"},
		{"type":"expression","name":"v1","expression":"added * 2"},{"type":"expression","name":"v2","expression":"v1 + 1","outputType":"DOUBLE"}]`
	t.Run("dimension, filter and aggregator", func(t *testing.T) {
		out := run(t, f.c.engine, `{"queryType":"groupBy","dataSource":"wiki","intervals":[`+wikiIv+`],"granularity":"all",`+vcs+`,
			"dimensions":["v0"],"filter":{"type":"like","dimension":"v0","pattern":"M%"},
			"aggregations":[{"type":"longSum","name":"twice","fieldName":"v1"},{"type":"doubleSum","name":"plus","fieldName":"v2"},{"type":"count","name":"rows"}]}`)
		type agg struct {
			twice int64
			plus  float64
			rows  int64
		}
		want := map[string]agg{}
		for _, r := range f.wiki {
			c := r.country
			if c == "" {
				c = "none"
			}
			k := r.page + "-" + c
			if !strings.HasPrefix(k, "M") {
				continue
			}
			a := want[k]
			want[k] = agg{a.twice + 2*r.added, a.plus + float64(2*r.added+1), a.rows + 1}
		}
		if len(out) != len(want) || len(want) == 0 {
			t.Fatalf("%d groups, want %d: %v", len(out), len(want), out)
		}
		var keys []string
		for _, r := range out {
			ev := obj(obj(r)["event"])
			k := ev["v0"].(string)
			keys = append(keys, k)
			if got := (agg{int64(num(ev["twice"])), num(ev["plus"]), int64(num(ev["rows"]))}); got != want[k] {
				t.Errorf("%s: %+v, want %+v", k, got, want[k])
			}
		}
		if !slices.IsSorted(keys) {
			t.Errorf("groups not ordered by v0: %v", keys)
		}
	})
	t.Run("expression filter and topN dimension", func(t *testing.T) {
		out := run(t, f.c.engine, `{"queryType":"topN","dataSource":"wiki","intervals":[`+wikiIv+`],"granularity":"all",`+vcs+`,
			"dimension":"v0","metric":"rows","threshold":1,"filter":{"type":"expression","expression":"v1 > 1000"},
			"aggregations":[{"type":"count","name":"rows"}]}`)
		counts := map[string]int64{}
		for _, r := range f.wiki {
			if 2*r.added > 1000 {
				c := r.country
				if c == "" {
					c = "none"
				}
				counts[r.page+"-"+c]++
			}
		}
		best, bestN := "", int64(-1)
		for k, n := range counts {
			if n > bestN || (n == bestN && k < best) {
				best, bestN = k, n
			}
		}
		res := obj(out[0])["result"].([]any)
		if len(res) != 1 || obj(res[0])["v0"] != best || int64(num(obj(res[0])["rows"])) != bestN {
			t.Errorf("topN %v, want %s with %d", res, best, bestN)
		}
	})
	t.Run("per-value and per-row evaluation agree", func(t *testing.T) {
		// upper(page) reads one string column: evaluated once per dictionary value;
		// with a second (empty) input it is evaluated per row.
		q := func(e string) []any {
			return run(t, f.c.engine, `{"queryType":"groupBy","dataSource":"wiki","intervals":["2026-01-01T01:00:00Z/2026-01-01T02:30:00Z"],"granularity":"all",
				"virtualColumns":[{"type":"expression","name":"u","expression":"`+e+`"}],"dimensions":["u"],
				"filter":{"type":"in","dimension":"u","values":["MAIN","KIWI"]},"aggregations":[{"type":"count","name":"rows"}]}`)
		}
		a, b := q(`upper(page)`), q(`concat(upper(page), substring(user, 0, 0))`)
		ab, _ := json.Marshal(a)
		bb, _ := json.Marshal(b)
		if len(a) != 2 || string(ab) != string(bb) {
			t.Errorf("per value %s, per row %s", ab, bb)
		}
	})
	t.Run("multi-value input", func(t *testing.T) {
		out := run(t, f.c.engine, `{"queryType":"groupBy","dataSource":"wiki","intervals":[`+wikiIv+`],"granularity":"all",
			"virtualColumns":[{"type":"expression","name":"t","expression":"concat(tags, '!')"}],"dimensions":["t"],
			"aggregations":[{"type":"count","name":"rows"}]}`)
		want := map[any]int64{}
		for _, r := range f.wiki {
			if r.tags == nil {
				want[nil]++
			}
			for _, tag := range r.tags {
				want[tag+"!"]++
			}
		}
		if len(out) != len(want) {
			t.Fatalf("%d groups, want %d: %v", len(out), len(want), out)
		}
		for _, r := range out {
			ev := obj(obj(r)["event"])
			if int64(num(ev["rows"])) != want[ev["t"]] {
				t.Errorf("%v: %v rows, want %d", ev["t"], ev["rows"], want[ev["t"]])
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct{ name, vcs, msg string }{
			{"unknown function", `[{"type":"expression","name":"v0","expression":"frobnicate(page)"}]`, `virtualColumns[0].expression: `},
			{"syntax", `[{"type":"expression","name":"v0","expression":"page +"}]`, "virtualColumns[0].expression: expr:"},
			{"no name", `[{"type":"expression","expression":"page"}]`, "virtualColumns[0].name: missing"},
			{"time", `[{"type":"expression","name":"__time","expression":"1"}]`, "virtualColumns[0].name: __time cannot be a virtual column"},
			{"duplicate", `[{"type":"expression","name":"v","expression":"1"},{"type":"expression","name":"v","expression":"2"}]`, `virtualColumns[1].name: duplicate virtual column "v"`},
			{"type", `[{"type":"mv-filtered","name":"v","delegate":"tags"}]`, `virtualColumns[0].type: unsupported virtual column type "mv-filtered"`},
			{"output type", `[{"type":"expression","name":"v","expression":"1","outputType":"COMPLEX<json>"}]`, "virtualColumns[0].outputType: unsupported output type"},
			{"cycle", `[{"type":"expression","name":"a","expression":"b + 1"},{"type":"expression","name":"b","expression":"a + 1"}]`, "self-referential virtual column: a -> b -> a"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				badRequest(t, f.c.engine, `{"queryType":"timeseries","dataSource":"wiki","intervals":[`+wikiIv+`],"virtualColumns":`+tc.vcs+`}`, tc.msg)
			})
		}
		_, err := f.c.engine.Run(context.Background(), []byte(`{"queryType":"timeseries","dataSource":"wiki","intervals":[`+wikiIv+`],
			"virtualColumns":[{"type":"expression","name":"v0","expression":"frobnicate(page)"}]}`))
		if err == nil || !strings.Contains(err.Error(), "frobnicate") {
			t.Errorf("unknown function error %v does not name the function", err)
		}
	})
}
