package api

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// failingTask is an index_kafka task that fails as soon as it starts: its consumer properties
// name a CA file that does not exist, which only the Kafka client setup notices.
func failingTask(id string) string {
	b, _ := json.Marshal(map[string]any{
		"type": "index_kafka", "id": id,
		"dataSchema": map[string]any{
			"dataSource":    "bounded",
			"timestampSpec": map[string]any{"column": "ts", "format": "iso"},
			"metricsSpec":   []any{map[string]any{"type": "count", "name": "count"}},
		},
		"ioConfig": map[string]any{
			"type":                 "kafka",
			"startSequenceNumbers": map[string]any{"type": "start", "stream": "t", "partitionSequenceNumberMap": map[string]int64{"0": 0}},
			"endSequenceNumbers":   map[string]any{"type": "end", "stream": "t", "partitionSequenceNumberMap": map[string]int64{"0": 100}},
			"consumerProperties":   map[string]any{"bootstrap.servers": "127.0.0.1:1", "security.protocol": "SSL", "ssl.ca.location": "/nonexistent/kafka-indexer-test-ca.pem"},
			"inputFormat":          map[string]any{"type": "json"},
		},
	})
	return string(b)
}

// boundedRunner serves a runner with one slot, a queue of queue and a history of history
// finished tasks over the real API and the embedded store.
func boundedRunner(t *testing.T, queue, history int) (*task.Runner, *httptest.Server) {
	dir := t.TempDir()
	store, err := embedded.Open(filepath.Join(dir, "metadata"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	r := task.NewRunner(task.RunnerOptions{Capacity: 1, MaxWaiting: queue, FinishedHistory: history,
		WorkDir: filepath.Join(dir, "tasks"), Store: store, Storage: &storage.Local{Root: filepath.Join(dir, "deep")}, Logger: log})
	srv := httptest.NewServer(New(Services{Tasks: r}, Options{Logger: log}))
	t.Cleanup(func() { srv.Close(); r.Close(); store.Close() })
	return r, srv
}

func call(t testing.TB, method, url, body string) (int, string) {
	t.Helper()
	return callWithHeaders(t, method, url, body, nil)
}

// callWithHeaders is call with extra request headers.
func callWithHeaders(t testing.TB, method, url, body string, headers map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// submitAll submits failing tasks from, from+1, … up to n, waiting for the queue whenever it is full, and checks on
// every submission that the runner never holds more than its bounds.
func submitAll(t testing.TB, r *task.Runner, url string, from, n, queue, history int) (refused int) {
	for i := from; i < n; i++ {
		id := fmt.Sprintf("fail-%04d", i)
		for {
			code, body := call(t, "POST", url+"/druid/indexer/v1/task", failingTask(id))
			if code == http.StatusOK {
				break
			}
			if code != http.StatusServiceUnavailable || !strings.Contains(body, "task queue is full") {
				t.Fatalf("submit %s: %d %s", id, code, body)
			}
			refused++
			time.Sleep(5 * time.Millisecond) // let the slot drain the queue
		}
		running, waiting := r.Running()
		finished, known := r.Finished()
		// Known tasks are the running, the waiting, the history, and the ones that have left
		// their slot but are still writing their final status and report. The counts are read
		// under separate locks, so a task moving between them may be seen twice, and more than
		// one may be between its slot and the history when the store is slow: allow a few; what
		// must not happen is growth with the number of tasks.
		if running > 1 || waiting > queue || finished > history || known > 5+queue+history {
			t.Fatalf("after %d submissions: %d running, %d waiting, %d finished, %d known; bounds 1, %d, %d, %d",
				i+1, running, waiting, finished, known, queue, history, 5+queue+history)
		}
	}
	return refused
}

// waitAllFinished waits until every task the runner knows has finished and been retired into
// the history (a task leaves its slot a moment before its final status is stored).
func waitAllFinished(t testing.TB, r *task.Runner) {
	for i := 0; ; i++ {
		running, waiting := r.Running()
		if finished, known := r.Finished(); running == 0 && waiting == 0 && finished == known {
			return
		}
		if i > 6000 {
			t.Fatal("tasks never finished")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFinishedTasksBounded runs 200 tasks that fail at start through a runner keeping 10
// finished tasks: the in-memory map stays within the bounds, a full queue answers 503, and the
// status and report of a task long dropped from memory are still answered from the store and
// the reports directory.
func TestFinishedTasksBounded(t *testing.T) {
	const n, queue, history = 200, 4, 10
	r, srv := boundedRunner(t, queue, history)
	refused := submitAll(t, r, srv.URL, 0, n, queue, history)
	waitAllFinished(t, r)
	finished, known := r.Finished()
	if finished != history || known != history {
		t.Fatalf("%d finished tasks in memory (%d known), want %d", finished, known, history)
	}
	t.Logf("%d tasks, %d submissions refused while the queue was full", n, refused)

	for _, id := range []string{"fail-0000", "fail-0100", fmt.Sprintf("fail-%04d", n-1)} {
		code, body := call(t, "GET", srv.URL+"/druid/indexer/v1/task/"+id+"/status", "")
		var st struct {
			Status struct {
				Status   string  `json:"status"`
				ErrorMsg *string `json:"errorMsg"`
			} `json:"status"`
		}
		if code != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil || st.Status.Status != "FAILED" ||
			st.Status.ErrorMsg == nil || !strings.Contains(*st.Status.ErrorMsg, "ssl.ca.location") {
			t.Fatalf("status of %s: %d %s", id, code, body)
		}
		if code, body := call(t, "GET", srv.URL+"/druid/indexer/v1/task/"+id+"/reports", ""); code != http.StatusOK || !strings.Contains(body, "ingestionStatsAndErrors") {
			t.Fatalf("reports of %s: %d %s", id, code, body)
		}
	}
	// A dropped task's id stays taken: the store still knows it.
	if code, body := call(t, "POST", srv.URL+"/druid/indexer/v1/task", failingTask("fail-0000")); code != http.StatusBadRequest || !strings.Contains(body, "already exists") {
		t.Fatalf("resubmitting a dropped task id: %d %s", code, body)
	}
}

// TestFailedTasksHeapFlat logs the heap before and after 1,000 failed tasks and checks it did
// not grow by more than a generous bound (before the history bound it grew by ~2 MB a task).
func TestFailedTasksHeapFlat(t *testing.T) {
	const n, queue, history = 1000, 4, 10
	r, srv := boundedRunner(t, queue, history)
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	// Warm up (first task, HTTP connections, store pages) before the baseline.
	submitAll(t, r, srv.URL, 0, 20, queue, history)
	waitAllFinished(t, r)
	before := heap()
	submitAll(t, r, srv.URL, 20, n, queue, history)
	waitAllFinished(t, r)
	after := heap()
	t.Logf("heap after GC: %.1f MB before, %.1f MB after %d failed tasks", float64(before)/1e6, float64(after)/1e6, n)
	if after > before+32<<20 {
		t.Fatalf("heap grew from %d to %d bytes over %d failed tasks", before, after, n)
	}
}

// TestSupervisorBoundsAre400 posts specs beyond the spec limits to the real API: each is a 400
// naming the JSON path and nothing is stored.
func TestSupervisorBoundsAre400(t *testing.T) {
	h := newHarness(t, embeddedStore(t), Options{})
	spec := func(io string) string {
		return `{"type":"kafka","dataSchema":{"dataSource":"bounded"},"ioConfig":{"topic":"t","inputFormat":{"type":"json"},` +
			`"consumerProperties":{"bootstrap.servers":"127.0.0.1:1"}` + io + `}}`
	}
	for _, tt := range []struct{ io, want string }{
		{`,"replicas":1000000`, `{"error":"ioConfig.replicas: must be ≤ 16, got 1000000"}`},
		{`,"taskCount":100000`, `{"error":"ioConfig.taskCount: must be ≤ 1000, got 100000"}`},
		{`,"taskDuration":"PT2562048H"`, `{"error":"ioConfig.taskDuration: must be at most P365D, got PT2562048H"}`},
		{`,"taskDuration":"PT0.001S"`, `{"error":"ioConfig.taskDuration: must be at least PT1S, got PT0.001S"}`},
	} {
		h.expect("POST", base, spec(tt.io), http.StatusBadRequest, tt.want)
	}
	h.expect("GET", base, "", http.StatusOK, "[]")
}
