package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
)

// joinTopN is the native query Druid's SQL layer sends for
//
//	SELECT NVL(c.v, 'none') AS d0, SUM(p.added) AS a0
//	FROM pages p LEFT JOIN (VALUES …) c (k, v) ON p.page = c.k
//	GROUP BY 1 ORDER BY 2 DESC LIMIT 10
//
// a topN over a join whose right side is inline, grouping on an nvl
// virtual column, over ETERNITY.
const joinTopN = `{
  "queryType": "topN",
  "dataSource": {
    "type": "join",
    "left": {"type": "table", "name": "pages"},
    "right": {
      "type": "inline",
      "columnNames": ["k", "v"],
      "columnTypes": ["STRING", "STRING"],
      "rows": [["Main", "portal"], ["Apple", "fruit"], ["Apple", "company"], ["Durian", "fruit"]]
    },
    "rightPrefix": "j0.",
    "condition": "(\"page\" == \"j0.k\")",
    "joinType": "LEFT"
  },
  "virtualColumns": [
    {"type": "expression", "name": "v0", "expression": "nvl(\"j0.v\",'none')", "outputType": "STRING"}
  ],
  "dimension": {"type": "default", "dimension": "v0", "outputName": "d0", "outputType": "STRING"},
  "metric": {"type": "numeric", "metric": "a0"},
  "threshold": 10,
  "intervals": {"type": "intervals", "intervals": ["-146136543-09-08T08:23:32.096Z/146140482-04-24T15:36:27.903Z"]},
  "granularity": {"type": "all"},
  "aggregations": [{"type": "longSum", "name": "a0", "fieldName": "added"}],
  "context": {"sqlQueryId": "join-topn"}
}`

// joinTopNAnswer is Druid's answer, derived by hand. Joined rows (a left
// row repeated per matching right row; LEFT keeps unmatched rows with null
// right columns):
//
//	10:00 Main   10  portal
//	10:05 Apple   5  fruit, company
//	10:10 Banana  7  null → none
//	11:00 Main    1  portal
//	11:30 Cherry  2  null → none
//	11:45 Apple  20  fruit, company
//
// Sums: company 25, fruit 25, portal 11, none 9; ties rank by dimension
// value ascending (TopNNumericResultBuilder). The timestamp of granularity
// all is the query interval clipped to the data: the first row's time,
// since the join keeps the left segments' data interval.
const joinTopNAnswer = `[{"timestamp":"2024-03-05T10:00:00.000Z","result":[
  {"d0":"company","a0":25},{"d0":"fruit","a0":25},{"d0":"portal","a0":11},{"d0":"none","a0":9}]}]`

// TestTopNOverJoinWithInlineRight ingests known rows through a supervisor
// and checks the whole answer of a Druid SQL-style topN over a join, both
// while a task serves the rows and after they are published.
func TestTopNOverJoinWithInlineRight(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "pages"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		ts    string
		page  string
		added int64
	}{
		{"2024-03-05T10:00:00Z", "Main", 10},
		{"2024-03-05T10:05:00Z", "Apple", 5},
		{"2024-03-05T10:10:00Z", "Banana", 7},
		{"2024-03-05T11:00:00Z", "Main", 1},
		{"2024-03-05T11:30:00Z", "Cherry", 2},
		{"2024-03-05T11:45:00Z", "Apple", 20},
	} {
		b, _ := json.Marshal(map[string]any{"ts": r.ts, "page": r.page, "added": r.added})
		cl.Produce(context.Background(), &kgo.Record{Topic: "pages", Value: b}, nil)
	}
	if err := cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	cl.Close()

	eng := enginetest.Start(t)
	c, _ := client.New(eng.URL)
	spec, _ := json.Marshal(map[string]any{"type": "kafka", "spec": map[string]any{
		"dataSchema": map[string]any{
			"dataSource":      "pages",
			"timestampSpec":   map[string]any{"column": "ts", "format": "iso"},
			"dimensionsSpec":  map[string]any{"dimensions": []any{"page"}},
			"metricsSpec":     []any{map[string]any{"type": "longSum", "name": "added", "fieldName": "added"}},
			"granularitySpec": map[string]any{"segmentGranularity": "hour", "queryGranularity": "none", "rollup": false},
		},
		"ioConfig": map[string]any{"topic": "pages", "inputFormat": map[string]any{"type": "json"},
			"consumerProperties": map[string]any{"bootstrap.servers": broker}, "taskCount": 1, "taskDuration": "PT1H",
			"startDelay": "PT0.1S", "period": "PT0.5S", "useEarliestOffset": true},
	}})
	if _, err := c.CreateOrUpdateSupervisor(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	post := func(q string) (int, string) {
		resp, err := http.Post(eng.URL+"/druid/v2", "application/json", strings.NewReader(q))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	rows := func() int64 {
		code, body := post(`{"queryType":"timeseries","dataSource":"pages","granularity":"all","intervals":["2024-03-05/2024-03-06"],
			"aggregations":[{"type":"count","name":"rows"}]}`)
		var res []struct{ Result struct{ Rows int64 } }
		if code != 200 || json.Unmarshal([]byte(body), &res) != nil || len(res) == 0 {
			return 0
		}
		return res[0].Result.Rows
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting until %s", what)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	compact := func(s string) string {
		var b bytes.Buffer
		if err := json.Compact(&b, []byte(s)); err != nil {
			t.Fatalf("not JSON: %v: %s", err, s)
		}
		return b.String()
	}
	check := func(when string) {
		t.Helper()
		code, body := post(joinTopN)
		// Compared as bytes, so the key order of each result row counts too.
		if got, want := compact(body), compact(joinTopNAnswer); code != 200 || got != want {
			t.Errorf("%s: %d\n got %s\nwant %s", when, code, got, want)
		}
	}

	waitUntil("the task serves all six rows", func() bool { return rows() == 6 })
	published := func() int {
		segs, _ := eng.Store.Segments(context.Background(), "pages", true)
		return len(segs)
	}
	if n := published(); n != 0 {
		t.Fatalf("%d segments published already; the realtime check would prove nothing", n)
	}
	check("realtime")
	if _, err := c.Suspend(context.Background(), "pages"); err != nil {
		t.Fatal(err)
	}
	waitUntil("both hourly segments are published and loaded", func() bool {
		return published() == 2 && len(eng.Loader.DataSources()) > 0 && rows() == 6
	})
	check("published")

	// A bad condition is a 400 naming the field, through the HTTP API too.
	code, body := post(strings.Replace(joinTopN, `(\"page\" == \"j0.k\")`, `(\"page\" != \"j0.k\")`, 1))
	if code != 400 || !strings.Contains(body, "dataSource.condition") {
		t.Errorf("non-equi condition: %d %s", code, body)
	}
	code, body = post(strings.Replace(joinTopN, `nvl(\"j0.v\",'none')`, `nvl2(\"j0.v\",'none')`, 1))
	if code != 400 || !strings.Contains(body, "virtualColumns[0].expression") {
		t.Errorf("unknown function: %d %s", code, body)
	}
}
