package query

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

// remoteFunc adapts a function to RemoteRealtime.
type remoteFunc func(ctx context.Context, dataSource string, query []byte) ([]PartialResult, error)

func (f remoteFunc) Partials(ctx context.Context, ds string, q []byte) ([]PartialResult, error) {
	return f(ctx, ds, q)
}

// partialQueries cover every aggregator family, the three grouping query types, null and
// multi-value dimensions, empty buckets and post-aggregators.
var partialQueries = map[string]string{
	"timeseries all, sketches, first/last, filtered": `{"queryType":"timeseries","dataSource":"wiki","intervals":[` + wikiIv + `],"granularity":"all",
		"aggregations":[{"type":"hyperUnique","name":"uniq","fieldName":"uniq"},{"type":"cardinality","name":"card","fields":["user","country"]},
		{"type":"stringLast","name":"lastPage","fieldName":"lastPage"},{"type":"longFirst","name":"firstAdded","fieldName":"firstAdded"},
		{"type":"stringFirst","name":"firstPage","fieldName":"page"},{"type":"doubleLast","name":"lastDelta","fieldName":"delta"},
		{"type":"filtered","name":"mainRows","filter":{"type":"selector","dimension":"page","value":"Main"},"aggregator":{"type":"count","name":"x"}},
		{"type":"count","name":"rows"}],
		"postAggregations":[{"type":"hyperUniqueCardinality","name":"uc","fieldName":"uniq"}]}`,
	"timeseries minute, sums, min/max, empty buckets": `{"queryType":"timeseries","dataSource":"wiki","intervals":[` + wikiIv + `],"granularity":"minute",
		"filter":{"type":"selector","dimension":"country","value":"JP"},
		"aggregations":[{"type":"longSum","name":"added","fieldName":"added"},{"type":"doubleSum","name":"delta","fieldName":"delta"},
		{"type":"floatSum","name":"fdelta","fieldName":"delta"},{"type":"doubleMin","name":"minScore","fieldName":"score"},
		{"type":"longMax","name":"maxNum","fieldName":"num"},{"type":"doubleMax","name":"maxScore","fieldName":"score"}],
		"context":{"grandTotal":true}}`,
	"topN page by uniq": `{"queryType":"topN","dataSource":"wiki","intervals":[` + wikiIv + `],"granularity":"hour",
		"dimension":"page","metric":"rows","threshold":5,
		"aggregations":[{"type":"count","name":"rows"},{"type":"hyperUnique","name":"uniq","fieldName":"uniq"}]}`,
	"groupBy null and multi-value": `{"queryType":"groupBy","dataSource":"wiki","intervals":[` + wikiIv + `],"granularity":"hour",
		"dimensions":["country","tags",{"type":"default","dimension":"num","outputName":"n"}],
		"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"added","fieldName":"added"}],
		"having":{"type":"greaterThan","aggregation":"rows","value":1},
		"limitSpec":{"type":"default","limit":40,"columns":[{"dimension":"rows","direction":"descending"}]}}`,
}

// wirePartial runs q on the fixture's engine as a worker would and sends the answer through
// JSON, as the HTTP endpoint does.
func wirePartial(t *testing.T, e *Engine, q string) PartialResult {
	t.Helper()
	p, err := e.RunPartial(context.Background(), []byte(q))
	if err != nil {
		t.Fatalf("RunPartial: %v", err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var out PartialResult
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// closeJSON compares two JSON values, numbers within a relative 1e-12 (local merges add doubles
// in whichever order the segment workers finish).
func closeJSON(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !closeJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !closeJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.Abs(x-y) <= 1e-12*math.Max(math.Abs(x), math.Abs(y)))
	}
	return a == b
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestPartialRoundTrip: a query node without any segment, given the workers' partial results
// over the wire, answers exactly what a node reading the segments itself answers.
func TestPartialRoundTrip(t *testing.T) {
	f := getFixture(t)
	for name, q := range partialQueries {
		t.Run(name, func(t *testing.T) {
			want := run(t, f.c.engine, q)
			if len(want) == 0 {
				t.Fatal("the query has no rows: it tests nothing")
			}
			p := wirePartial(t, f.c.engine, q)
			if len(p.Segments) != 4 {
				t.Fatalf("%d partial segments, want the 4 wiki segments", len(p.Segments))
			}
			broker := New()
			broker.SetRemote(remoteFunc(func(_ context.Context, ds string, raw []byte) ([]PartialResult, error) {
				var sent struct {
					Context struct {
						QueryID string `json:"queryId"`
					} `json:"context"`
				}
				if ds != "wiki" || json.Unmarshal(raw, &sent) != nil || sent.Context.QueryID == "" {
					t.Errorf("asked for %q with %s, want the query with its queryId", ds, raw)
				}
				return []PartialResult{p}, nil
			}))
			if got := run(t, broker, q); !closeJSON(got, want) {
				t.Errorf("through partial results:\n%s\nread locally:\n%s", js(got), js(want))
			}
			// Replicas: two workers answer the same segments; they count once.
			broker.SetRemote(remoteFunc(func(context.Context, string, []byte) ([]PartialResult, error) {
				return []PartialResult{p, p}, nil
			}))
			if got := run(t, broker, q); !closeJSON(got, want) {
				t.Errorf("two replicas answering:\n%s\nwant:\n%s", js(got), js(want))
			}
		})
	}
}

// rowsOf runs a timeseries count over wiki.
func rowsOf(t *testing.T, e *Engine) float64 {
	t.Helper()
	out := run(t, e, `{"queryType":"timeseries","dataSource":"wiki","intervals":[`+wikiIv+`],"granularity":"all",
		"aggregations":[{"type":"count","name":"rows"}]}`)
	if len(out) != 1 {
		t.Fatalf("got %v", out)
	}
	return num(obj(obj(out[0])["result"])["rows"])
}

// TestPartialSkipsLoadedSegments: a remote realtime segment whose id the query node has loaded
// (handed off) is not counted again; one it has not loaded is added.
func TestPartialSkipsLoadedSegments(t *testing.T) {
	f := getFixture(t)
	total := float64(len(f.wiki))
	q := `{"queryType":"timeseries","dataSource":"wiki","intervals":[` + wikiIv + `],"granularity":"all","aggregations":[{"type":"count","name":"rows"}]}`
	p := wirePartial(t, f.c.engine, q)
	e := New(f.c.loader)
	e.SetRemote(remoteFunc(func(context.Context, string, []byte) ([]PartialResult, error) { return []PartialResult{p}, nil }))
	if got := rowsOf(t, e); got != total {
		t.Fatalf("with every remote segment loaded: %v rows, want %v (no double count)", got, total)
	}
	// The same rows under an id the node has not loaded: a task's segment not handed off yet.
	extra := p.Segments[0]
	extra.ID = "wiki_2026-01-01T00:00:00.000Z_2026-01-01T01:00:00.000Z_v2"
	e.SetRemote(remoteFunc(func(context.Context, string, []byte) ([]PartialResult, error) {
		return []PartialResult{{Segments: []PartialSegment{extra}}}, nil
	}))
	if got, want := rowsOf(t, e), total+float64(extra.Groups[0].States[0].L); got != want {
		t.Fatalf("with one realtime segment not loaded: %v rows, want %v", got, want)
	}
}

// TestPartialFreshestReplica: of two replicas answering one segment, the one with more rows
// (the one that has read further) is kept, and hand-written wire states decode.
func TestPartialFreshestReplica(t *testing.T) {
	seg := func(rows int64) PartialResult {
		return PartialResult{Segments: []PartialSegment{{ID: "rt_1", Rows: int(rows), AllStart: base.UnixMilli(),
			Groups: []PartialGroup{{Bucket: math.MinInt64, States: []PartialState{{L: rows}}}}}}}
	}
	e := New()
	e.SetRemote(remoteFunc(func(context.Context, string, []byte) ([]PartialResult, error) {
		return []PartialResult{seg(10), seg(12), seg(11)}, nil
	}))
	out := run(t, e, `{"queryType":"timeseries","dataSource":"rt","intervals":["2026-01-01/2026-01-02"],"granularity":"all","aggregations":[{"type":"count","name":"rows"}]}`)
	if len(out) != 1 || num(obj(obj(out[0])["result"])["rows"]) != 12 {
		t.Fatalf("got %s, want the freshest replica's 12 rows", js(out))
	}
	if ts := obj(out[0])["timestamp"]; ts != iso(base.UnixMilli()) {
		t.Errorf("timestamp %v, want the remote data's first instant", ts)
	}
}

// TestPartialFailures: a worker that does not answer fails the query with Druid's error shape
// naming it; a query past its timeout is a 504; a malformed answer is an error, not a
// silently smaller result; an unknown datasource with no remote rows is still a 404.
func TestPartialFailures(t *testing.T) {
	q := `{"queryType":"timeseries","dataSource":"rt","intervals":["2026-01-01/2026-01-02"],"granularity":"all","aggregations":[{"type":"count","name":"rows"}],"context":{"queryId":"q1"}}`
	e := New()
	e.SetRemote(remoteFunc(func(context.Context, string, []byte) ([]PartialResult, error) {
		return nil, &RemoteError{URL: "http://w2:8100/druid/worker/v1/chat/t1/query", Host: "w2:8100", Err: errors.New("connection refused")}
	}))
	_, err := e.Run(context.Background(), []byte(q))
	qe := AsError(err)
	if qe.Status != http.StatusInternalServerError || qe.Host == nil || *qe.Host != "w2:8100" ||
		!strings.Contains(qe.Message, "url[http://w2:8100/druid/worker/v1/chat/t1/query]") || !strings.Contains(qe.Message, "query[q1]") ||
		!strings.Contains(qe.Message, "connection refused") {
		t.Errorf("worker down: %d %s host=%v", qe.Status, js(qe), qe.Host)
	}

	e.SetRemote(remoteFunc(func(ctx context.Context, _ string, _ []byte) ([]PartialResult, error) {
		<-ctx.Done()
		return nil, &RemoteError{URL: "http://w2:8100/x", Host: "w2:8100", Err: ctx.Err()}
	}))
	start := time.Now()
	_, err = e.Run(context.Background(), []byte(strings.Replace(q, `"queryId":"q1"`, `"queryId":"q1","timeout":50`, 1)))
	if qe := AsError(err); qe.Status != http.StatusGatewayTimeout || !errors.Is(err, ErrTimeout) {
		t.Errorf("slow worker: %d %s", qe.Status, js(qe))
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the timeout did not bound the fan-out")
	}

	e.SetRemote(remoteFunc(func(context.Context, string, []byte) ([]PartialResult, error) {
		return []PartialResult{{Segments: []PartialSegment{{ID: "x", Groups: []PartialGroup{{Bucket: math.MinInt64, States: []PartialState{{L: 1}, {L: 2}}}}}}}}, nil
	}))
	if _, err := e.Run(context.Background(), []byte(q)); err == nil || !strings.Contains(err.Error(), "2 aggregator states, the query has 1") {
		t.Errorf("malformed answer: %v", err)
	}
	e.SetRemote(remoteFunc(func(context.Context, string, []byte) ([]PartialResult, error) {
		return []PartialResult{{Segments: []PartialSegment{{ID: "x", Groups: []PartialGroup{{Bucket: math.MinInt64, States: []PartialState{{HLL: []byte{9, 9}}}}}}}}}, nil
	}))
	if _, err := e.Run(context.Background(), []byte(strings.Replace(q, `{"type":"count","name":"rows"}`, `{"type":"cardinality","name":"rows","fields":["a"]}`, 1))); err == nil || !strings.Contains(err.Error(), "decode sketch") {
		t.Errorf("corrupt sketch: %v", err)
	}

	e.SetRemote(remoteFunc(func(context.Context, string, []byte) ([]PartialResult, error) { return nil, nil }))
	if _, err := e.Run(context.Background(), []byte(q)); !errors.Is(err, ErrUnknownDataSource) {
		t.Errorf("unknown datasource, no remote rows: %v", err)
	}
}

// TestRunPartialRefuses: only the grouping query types over tables have partial results.
func TestRunPartialRefuses(t *testing.T) {
	f := getFixture(t)
	for q, want := range map[string]string{
		`{"queryType":"scan","dataSource":"wiki","intervals":[` + wikiIv + `]}`:                                                  "partial results are for timeseries, topN, groupBy",
		`{"queryType":"timeseries","dataSource":{"type":"inline","columnNames":["a"],"rows":[["x"]]},"intervals":["2026/2027"]}`: "table datasources",
		`{"queryType":"topN","dataSource":"wiki","intervals":[` + wikiIv + `]}`:                                                  "dimension: missing",
	} {
		_, err := f.c.engine.RunPartial(context.Background(), []byte(q))
		if qe := AsError(err); qe.Status != http.StatusBadRequest || !strings.Contains(qe.Message, want) {
			t.Errorf("%s: %v, want a 400 with %q", q, err, want)
		}
	}
	p, err := f.c.engine.RunPartial(context.Background(), []byte(`{"queryType":"timeseries","dataSource":"nope","intervals":[`+wikiIv+`]}`))
	if err != nil || p.Segments == nil || len(p.Segments) != 0 {
		t.Errorf("unknown datasource: %v %v, want no segments", p, err)
	}
}
