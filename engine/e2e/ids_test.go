package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// send makes one request with path sent exactly as given (escapes and dot segments kept) and
// returns the status and body. Redirects are not followed: a redirect is an answer too.
// Transport failures are failures of the test, as a 500 would be.
func send(t *testing.T, base, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base + path)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	req.URL = u
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	// The timeout only turns a hang (a hostile id reaching a running task's chat handler) into
	// a failure; every answer expected here is immediate.
	hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// taskPayload is a complete, valid index_kafka task but for what the caller changes.
func taskPayload(id, dataSource, broker, topic string, end int64) string {
	b, _ := json.Marshal(map[string]any{
		"type": "index_kafka", "id": id,
		"dataSchema": map[string]any{
			"dataSource":      dataSource,
			"timestampSpec":   map[string]any{"column": "ts", "format": "iso"},
			"dimensionsSpec":  map[string]any{"dimensions": []any{"host"}},
			"metricsSpec":     []any{map[string]any{"type": "count", "name": "count"}},
			"granularitySpec": map[string]any{"segmentGranularity": "hour", "queryGranularity": "minute", "rollup": true},
		},
		"ioConfig": map[string]any{
			"type":                 "kafka",
			"startSequenceNumbers": map[string]any{"type": "start", "stream": topic, "partitionSequenceNumberMap": map[string]int64{"0": 0}},
			"endSequenceNumbers":   map[string]any{"type": "end", "stream": topic, "partitionSequenceNumberMap": map[string]int64{"0": end}},
			"consumerProperties":   map[string]any{"bootstrap.servers": broker},
			"inputFormat":          map[string]any{"type": "json"},
		},
	})
	return string(b)
}

// TestHostileIDs attacks a running engine, on both metadata stores, with the ids of issue 13:
// traversals (plain, %2F- and %2E-escaped, literal dot segments), NUL and control characters,
// invalid UTF-8 and over-long ids, in task payloads, supervisor specs and every path
// parameter. Each is a 400 naming the field, and nothing outside the data directory (nor the
// embedded store inside it) is read, written or deleted.
func TestHostileIDs(t *testing.T) {
	for _, st := range []struct {
		name string
		open func(t *testing.T, dataDir string) metadata.Store
	}{
		{"embedded", func(t *testing.T, dataDir string) metadata.Store {
			s, err := embedded.Open(filepath.Join(dataDir, "metadata"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"postgres", func(t *testing.T, _ string) metadata.Store {
			s, err := postgres.Open(context.Background(), metadatatest.FreshPostgresSchema(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	} {
		t.Run(st.name, func(t *testing.T) {
			top := t.TempDir()
			dataDir := filepath.Join(top, "data")
			victim := filepath.Join(top, "victim")
			secret := filepath.Join(top, "some", "dir", "file.json")
			for _, f := range []string{filepath.Join(victim, "keep"), secret} {
				if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(f, []byte(`{"planted":"outside the data directory"}`), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			eng := enginetest.StartIn(t, dataDir, st.open(t, dataDir))
			testHostileIDs(t, eng, victim, secret)
		})
	}
}

func testHostileIDs(t *testing.T, eng *enginetest.Engine, victim, secret string) {
	expect := func(method, path, body string, code int, want string) {
		t.Helper()
		got, b := send(t, eng.URL, method, path, body)
		if got != code || !strings.Contains(b, want) {
			if len(b) > 300 {
				b = b[:300] + "…"
			}
			t.Errorf("%s %.120s: %d %s; want %d containing %q", method, path, got, b, code, want)
		}
	}
	// A suspended supervisor, so the store has a row that must survive.
	sp, err := os.ReadFile(filepath.Join("..", "spec", "testdata", "specs", "wrapped.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(sp, &m); err != nil {
		t.Fatal(err)
	}
	m["suspended"] = true
	sp, _ = json.Marshal(m)
	expect("POST", "/druid/indexer/v1/supervisor", string(sp), 200, `{"id":"wikipedia"}`)

	// Task payloads. "../../victim" followed by a shutdown deleted the victim directory; ".."
	// deleted the data directory with the embedded store in it.
	long := strings.Repeat("a", 2800)
	for _, tc := range []struct{ id, want string }{
		{"../../victim", `"id: must not start with '.'"`},
		{"..", `"id: must not start with '.'"`},
		{"a/../../b", `"id: must not contain '/'"`},
		{"a\x00b", `"id: must not contain control or whitespace characters other than space (found U+0000 at byte 1)"`},
		{"a\nb", `(found U+000A at byte 1)`},
		{long, `"id: must be at most 250 bytes, got 2800"`},
		{"", `"id: must not be empty"`},
	} {
		expect("POST", "/druid/indexer/v1/task", taskPayload(tc.id, "ds", "127.0.0.1:1", "t", 1), 400, tc.want)
	}
	// Datasources: a 240-byte name is refused at submit rather than failing every task later.
	ds240 := strings.Repeat("d", 240)
	expect("POST", "/druid/indexer/v1/task", taskPayload("t1", ds240, "127.0.0.1:1", "t", 1), 400, `"dataSchema.dataSource: must be at most 200 bytes, got 240"`)
	m["spec"].(map[string]any)["dataSchema"].(map[string]any)["dataSource"] = ds240
	sp240, _ := json.Marshal(m)
	expect("POST", "/druid/indexer/v1/supervisor", string(sp240), 400, `"dataSchema.dataSource: must be at most 200 bytes, got 240"`)
	expect("POST", "/druid/indexer/v1/supervisor?validateOnly=true", string(sp240), 400, `must be at most 200 bytes`)
	m["spec"].(map[string]any)["dataSchema"].(map[string]any)["dataSource"] = "../x"
	spDot, _ := json.Marshal(m)
	expect("POST", "/druid/indexer/v1/supervisor", string(spDot), 400, `"dataSchema.dataSource: must not start with '.'"`)

	// Every path parameter. Values are written as sent on the wire: the mux unescapes them.
	hostile := map[string]string{
		"..%2F..%2Fvictim":                 "must not start with '.'",
		"..%2F..%2F..%2Fsome%2Fdir%2Ffile": "must not start with '.'",
		"%2E%2E":                           "must not start with '.'",
		"%2e":                              "must not start with '.'",
		".hidden":                          "must not start with '.'",
		"a%2F..%2Fb":                       "must not contain '/'",
		"a..b":                             "must not contain '..'",
		"a%00b":                            "(found U+0000 at byte 1)",
		"a%09b":                            "(found U+0009 at byte 1)",
		"a%0Db":                            "(found U+000D at byte 1)",
		"a%FFb":                            "must be valid UTF-8",
		long:                               "must be at most",
	}
	routes := []struct{ method, path, field string }{}
	for _, p := range []string{"", "/status", "/health", "/stats", "/parseErrors", "/history"} {
		routes = append(routes, struct{ method, path, field string }{"GET", "/druid/indexer/v1/supervisor/{}" + p, "supervisorId"})
	}
	for _, p := range []string{"/suspend", "/resume", "/reset", "/resetOffsets", "/terminate", "/shutdown"} {
		routes = append(routes, struct{ method, path, field string }{"POST", "/druid/indexer/v1/supervisor/{}" + p, "supervisorId"})
	}
	for _, p := range []string{"", "/status", "/reports"} {
		routes = append(routes, struct{ method, path, field string }{"GET", "/druid/indexer/v1/task/{}" + p, "taskId"})
	}
	routes = append(routes, struct{ method, path, field string }{"POST", "/druid/indexer/v1/task/{}/shutdown", "taskId"})
	for _, p := range []string{"/status", "/offsets/current", "/offsets/end", "/checkpoints", "/time/start", "/rowStats", "/liveReports", "/unparseableEvents"} {
		routes = append(routes, struct{ method, path, field string }{"GET", "/druid/worker/v1/chat/{}" + p, "taskId"})
	}
	for _, p := range []string{"/offsets/end", "/pause", "/resume", "/stop"} {
		routes = append(routes, struct{ method, path, field string }{"POST", "/druid/worker/v1/chat/{}" + p, "taskId"})
	}
	routes = append(routes,
		struct{ method, path, field string }{"POST", "/druid/indexer/v1/datasources/{}/shutdownAllTasks", "dataSource"},
		struct{ method, path, field string }{"GET", "/druid/coordinator/v1/metadata/datasources/{}/segments", "dataSource"},
		struct{ method, path, field string }{"GET", "/druid/coordinator/v1/datasources/{}", "dataSource"},
		struct{ method, path, field string }{"GET", "/druid/v2/datasources/{}", "dataSource"},
	)
	for _, rt := range routes {
		for raw, rule := range hostile {
			body := ""
			if rt.method == "POST" {
				body = `{}`
			}
			path := strings.Replace(rt.path, "{}", raw, 1)
			code, b := send(t, eng.URL, rt.method, path, body)
			if code != 400 || !strings.Contains(b, rt.field+": ") || !strings.Contains(b, rule) {
				t.Errorf("%s %.120s: %d %.300s; want 400 naming %s and %q", rt.method, path, code, b, rt.field, rule)
			}
		}
		// The same route with a plain unknown id is not a 400: the check refuses only bad ids.
		if rt.method == "GET" {
			if code, b := send(t, eng.URL, "GET", strings.Replace(rt.path, "{}", "nope", 1), ""); code == 400 || code >= 500 {
				t.Errorf("GET %s with a plain id: %d %s", rt.path, code, b)
			}
		}
	}
	expect("GET", "/druid/indexer/v1/tasks?datasource=a%00b", "", 400, `"datasource: must not contain control`)
	expect("GET", "/druid/indexer/v1/tasks?datasource="+ds240, "", 400, `"datasource: must be at most 200 bytes`)

	// Literal dot segments would be redirected by the mux to some other resource; refused.
	for _, p := range []string{"/druid/indexer/v1/task/../../victim/shutdown", "/druid/indexer/v1/task/../shutdown", "/druid/indexer/v1/supervisor/./wikipedia/terminate"} {
		expect("POST", p, "", 400, `"path: must not contain '.' or '..' segments"`)
	}

	// The planted file outside is never served as a report.
	code, b := send(t, eng.URL, "GET", "/druid/indexer/v1/task/..%2F..%2F..%2Fsome%2Fdir%2Ffile/reports", "")
	if code != 400 || strings.Contains(b, "planted") {
		t.Errorf("reports of a traversal id: %d %s", code, b)
	}

	// Nothing outside the data directory, nor the store inside it, was touched.
	for _, f := range []string{filepath.Join(victim, "keep"), secret} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("planted file: %v", err)
		}
	}
	if _, ok := eng.Store.(*embedded.Store); ok {
		if _, err := os.Stat(filepath.Join(eng.DataDir, "metadata", embedded.FileName)); err != nil {
			t.Errorf("embedded store file: %v", err)
		}
	}
	expect("GET", "/druid/indexer/v1/supervisor", "", 200, `["wikipedia"]`)
	if _, err := eng.Store.GetTask(context.Background(), "../../victim"); !errors.Is(err, metadata.ErrNotFound) {
		t.Errorf("traversal task stored: %v", err)
	}
}

// TestLongestDataSourceIngests runs a task whose datasource has the longest accepted name,
// full of bytes that file names escape, and whose id is as long as a supervisor would make
// it: the task publishes, its report is served, and the loader serves the segment. (A
// 240-byte datasource used to be accepted and then fail every task with "file name too
// long".)
func TestLongestDataSourceIngests(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "events"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		v := fmt.Sprintf(`{"ts":"2024-03-05T10:%02d:00Z","host":"h%d"}`, i, i%3)
		cl.Produce(context.Background(), &kgo.Record{Topic: "events", Value: []byte(v)}, nil)
	}
	if err := cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	cl.Close()

	ds := strings.Repeat("é d", spec.MaxDataSourceLength/len("é d")) // 200 bytes
	id := "index_kafka_" + ds + "_0123456789abcde_abcdefgh"
	if len(ds) != spec.MaxDataSourceLength || len(id) != spec.MaxDataSourceLength+spec.TaskIDOverhead {
		t.Fatalf("lengths %d, %d", len(ds), len(id))
	}
	eng := enginetest.Start(t)
	if code, b := send(t, eng.URL, "POST", "/druid/indexer/v1/task", taskPayload(id, ds, broker, "events", 10)); code != 200 {
		t.Fatalf("submit: %d %s", code, b)
	}
	esc := url.PathEscape(id)
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, b := send(t, eng.URL, "GET", "/druid/indexer/v1/task/"+esc+"/status", "")
		if strings.Contains(b, `"status":"SUCCESS"`) {
			break
		}
		if strings.Contains(b, `"status":"FAILED"`) || time.Now().After(deadline) {
			t.Fatalf("task did not succeed: %s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, b := send(t, eng.URL, "GET", "/druid/indexer/v1/task/"+esc+"/reports", ""); code != 200 || !strings.Contains(b, "ingestionStatsAndErrors") {
		t.Errorf("report: %d %.300s", code, b)
	}
	if code, b := send(t, eng.URL, "GET", "/druid/v2/datasources/"+url.PathEscape(ds), ""); code != 200 || !strings.Contains(b, `"host"`) {
		t.Errorf("datasource columns: %d %s", code, b)
	}
	if code, b := send(t, eng.URL, "GET", "/druid/coordinator/v1/metadata/datasources/"+url.PathEscape(ds)+"/segments", ""); code != 200 || !strings.Contains(b, "2024-03-05T10:00:00.000Z") {
		t.Errorf("segments: %d %.300s", code, b)
	}
}
