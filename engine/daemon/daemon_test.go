package daemon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/daemon"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
)

// TestMain checks that an engine, once closed, leaves no goroutine running: supervisor loops,
// tasks, their Kafka clients, the segment loader and realtime listings all have an owner that
// Close ends.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestEngineStopsEverythingItStarts runs a whole engine on the embedded store (a supervisor
// reading a kfake topic, its task serving realtime queries), then stops it the way `serve`
// does. TestMain then finds no goroutine left; the task is left active in the store, so the next
// start resumes it.
func TestEngineStopsEverythingItStarts(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "web"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	const rows = 50
	for i := range rows {
		b, _ := json.Marshal(map[string]any{"ts": time.Date(2024, 3, 5, 10, i, 0, 0, time.UTC).Format(time.RFC3339), "host": "a"})
		cl.Produce(context.Background(), &kgo.Record{Topic: "web", Value: b}, nil)
	}
	if err := cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	cl.Close()

	dir := t.TempDir()
	store, err := embedded.Open(filepath.Join(dir, "metadata"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := daemon.New(context.Background(), store, daemon.Options{
		DataDir: dir, WorkerCapacity: 2, Version: "test", LoaderPoll: 100 * time.Millisecond,
		MinOffsetFetchPeriod: time.Second, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(eng.Handler)
	eng.Start(srv.URL)
	closed := false
	stop := func() {
		if closed {
			return
		}
		closed = true
		// The order of `kafka-indexer serve`: supervisors, then HTTP, then tasks, loader, store.
		eng.StopSupervisors()
		srv.Close()
		if err := eng.Close(); err != nil {
			t.Errorf("close engine: %v", err)
		}
	}
	defer stop()

	spec, _ := json.Marshal(map[string]any{"type": "kafka", "spec": map[string]any{
		"dataSchema": map[string]any{
			"dataSource":      "web",
			"timestampSpec":   map[string]any{"column": "ts", "format": "iso"},
			"dimensionsSpec":  map[string]any{"dimensions": []any{"host"}},
			"metricsSpec":     []any{map[string]any{"type": "count", "name": "count"}},
			"granularitySpec": map[string]any{"segmentGranularity": "hour", "queryGranularity": "none", "rollup": false},
		},
		"ioConfig": map[string]any{"topic": "web", "inputFormat": map[string]any{"type": "json"},
			"consumerProperties": map[string]any{"bootstrap.servers": broker}, "taskCount": 1, "taskDuration": "PT1H",
			"startDelay": "PT0.1S", "period": "PT0.5S", "useEarliestOffset": true},
	}})
	post(t, srv.URL+"/druid/indexer/v1/supervisor", spec, nil)

	// The task reads every row and serves them before anything is published: the supervisor
	// loop, the task loop, its Kafka client and the realtime path are all running.
	q, _ := json.Marshal(map[string]any{"queryType": "timeseries", "dataSource": "web", "granularity": "all",
		"intervals": []string{"2024-03-05/2024-03-06"}, "aggregations": []any{map[string]any{"type": "longSum", "name": "rows", "fieldName": "count"}}})
	for deadline := time.Now().Add(60 * time.Second); ; {
		var res []struct {
			Result struct{ Rows int64 } `json:"result"`
		}
		if post(t, srv.URL+"/druid/v2", q, &res) && len(res) == 1 && res[0].Result.Rows == rows {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rows never queryable from the running task (last answer %+v)", res)
		}
		time.Sleep(100 * time.Millisecond)
	}

	active := true
	before, err := store.ListTasks(context.Background(), metadata.TaskFilter{Active: &active})
	if err != nil || len(before) != 1 {
		t.Fatalf("active tasks before stopping: %d, %v", len(before), err)
	}
	store2Dir := filepath.Join(dir, "metadata")
	stop()

	// Close left the task active for the next start.
	reopened, err := embedded.Open(store2Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	after, err := reopened.ListTasks(context.Background(), metadata.TaskFilter{Active: &active})
	if err != nil || len(after) != 1 || after[0].ID != before[0].ID {
		t.Errorf("active tasks after stopping: %+v, %v; want %s", after, err, before[0].ID)
	}
}

// post sends body and decodes a 2xx answer into out; it reports whether the answer was 2xx
// (a query of a datasource nobody serves yet is a 404).
func post(t *testing.T, url string, body []byte, out any) bool {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		if out == nil {
			t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
		}
		return false
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
	}
	return true
}
