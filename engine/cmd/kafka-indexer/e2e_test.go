package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// binary is the daemon built once for the tests that run it as a separate process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kafka-indexer-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "kafka-indexer")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build kafka-indexer: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is a daemon running as a child process.
type proc struct {
	cmd  *exec.Cmd
	addr string
	log  *bytes.Buffer
}

func startProc(t *testing.T, dataDir, addr string) *proc {
	t.Helper()
	p := &proc{addr: addr, log: &bytes.Buffer{}}
	p.cmd = exec.Command(binary, "serve", "--listen", addr, "--data-dir", dataDir, "--log-level", "debug")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/status/health"); err == nil {
			resp.Body.Close()
			return p
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill()
	t.Fatalf("daemon did not start:\n%s", p.log)
	return nil
}

// kill sends SIGKILL: no shutdown code runs, exactly like a crash.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

func (p *proc) call(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+p.addr+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		_ = json.Unmarshal(b, out)
	}
	return resp.StatusCode
}

// TestTaskSurvivesSIGKILL runs a task in a daemon process, kills the process with SIGKILL three
// times while it ingests and publishes, restarts it on the same data directory each time, and
// checks that every produced row was published exactly once.
func TestTaskSurvivesSIGKILL(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "events"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	const perPartition = 20000
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	var valueSum float64
	for i := 0; i < 2*perPartition; i++ {
		v := float64(i % 1000)
		valueSum += v
		b, _ := json.Marshal(map[string]any{
			"timestamp": time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).Format(time.RFC3339),
			"id":        i, "value": v,
		})
		cl.Produce(context.Background(), &kgo.Record{Topic: "events", Partition: int32(i % 2), Value: b}, nil)
	}
	if err := cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	cl.Close()

	dataDir, addr := t.TempDir(), freePort(t)
	p := startProc(t, dataDir, addr)
	task := map[string]any{
		"type": "index_kafka", "id": "crash-test",
		"dataSchema": map[string]any{
			"dataSource":      "events",
			"timestampSpec":   map[string]any{"column": "timestamp", "format": "iso"},
			"dimensionsSpec":  map[string]any{"dimensions": []any{map[string]any{"type": "long", "name": "id"}}},
			"metricsSpec":     []any{map[string]any{"type": "count", "name": "count"}, map[string]any{"type": "doubleSum", "name": "value", "fieldName": "value"}},
			"granularitySpec": map[string]any{"segmentGranularity": "hour", "queryGranularity": "none", "rollup": false},
		},
		"tuningConfig": map[string]any{"type": "kafka", "maxRowsInMemory": 1000, "maxRowsPerSegment": 2500, "maxTotalRows": 4000},
		"ioConfig": map[string]any{
			"startSequenceNumbers": map[string]any{"type": "start", "stream": "events", "partitionSequenceNumberMap": map[string]int64{"0": 0, "1": 0}},
			"endSequenceNumbers":   map[string]any{"type": "end", "stream": "events", "partitionSequenceNumberMap": map[string]int64{"0": perPartition, "1": perPartition}},
			"consumerProperties":   map[string]any{"bootstrap.servers": broker},
			"inputFormat":          map[string]any{"type": "json"},
			"pollTimeout":          50,
		},
	}
	if code := p.call(t, "POST", "/druid/indexer/v1/task", task, nil); code != 200 {
		t.Fatalf("submit: %d\n%s", code, p.log)
	}
	for kill := 1; kill <= 3; kill++ {
		// Let it publish a little more, then crash it.
		published := countSegments(t, p, "events")
		deadline := time.Now().Add(30 * time.Second)
		for countSegments(t, p, "events") <= published && time.Now().Before(deadline) && !taskDone(t, p) {
			time.Sleep(10 * time.Millisecond)
		}
		if taskDone(t, p) {
			t.Logf("task finished before kill %d", kill)
			break
		}
		p.kill()
		t.Logf("SIGKILL %d after %d segments", kill, countSegments(t, startProcTemp(t, dataDir, addr, &p), "events"))
	}
	deadline := time.Now().Add(60 * time.Second)
	for !taskDone(t, p) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	var st struct {
		Status struct {
			Status   string  `json:"status"`
			ErrorMsg *string `json:"errorMsg"`
		} `json:"status"`
	}
	p.call(t, "GET", "/druid/indexer/v1/task/crash-test/status", nil, &st)
	if st.Status.Status != "SUCCESS" {
		t.Fatalf("task status %+v\n%s", st, p.log)
	}
	// Read every published segment back through the segment metadata API and dump-segment.
	var segs []struct {
		LoadSpec struct{ Path string } `json:"loadSpec"`
		NumRows  int64                 `json:"numRows"`
	}
	p.call(t, "GET", "/druid/coordinator/v1/metadata/datasources/events/segments?full", nil, &segs)
	seen := map[int64]int{}
	var sum float64
	for _, s := range segs {
		var out, errOut bytes.Buffer
		if code := run([]string{"dump-segment", "--directory", s.LoadSpec.Path, "--dump", "rows"}, &out, &errOut); code != 0 {
			t.Fatalf("dump-segment %s: %s", s.LoadSpec.Path, errOut.String())
		}
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var row struct {
				ID    int64   `json:"id"`
				Value float64 `json:"value"`
			}
			if err := json.Unmarshal([]byte(line), &row); err != nil {
				t.Fatalf("row %q: %v", line, err)
			}
			seen[row.ID]++
			sum += row.Value
		}
	}
	dups, missing := 0, 0
	for i := int64(0); i < 2*perPartition; i++ {
		switch seen[i] {
		case 0:
			missing++
		case 1:
		default:
			dups++
		}
	}
	if dups > 0 || missing > 0 || sum != valueSum {
		t.Fatalf("%d rows duplicated, %d missing, value sum %v want %v (%d segments)", dups, missing, sum, valueSum, len(segs))
	}
	t.Logf("%d rows exactly once in %d segments", 2*perPartition, len(segs))

	// The same data through Druid's native query API, served by the segment loader.
	var ts []struct {
		Result struct {
			Rows  int64   `json:"rows"`
			Value float64 `json:"value"`
		} `json:"result"`
	}
	q := map[string]any{"queryType": "timeseries", "dataSource": "events", "granularity": "all",
		"intervals":    []string{"2024-01-01/2025-01-01"},
		"aggregations": []any{map[string]any{"type": "longSum", "name": "rows", "fieldName": "count"}, map[string]any{"type": "doubleSum", "name": "value", "fieldName": "value"}}}
	if code := p.call(t, "POST", "/druid/v2", q, &ts); code != 200 || len(ts) != 1 || ts[0].Result.Rows != 2*perPartition || ts[0].Result.Value != valueSum {
		t.Errorf("timeseries: status %d, result %+v", code, ts)
	}
	p.kill()
}

// startProcTemp restarts the daemon after a kill and stores it in *p.
func startProcTemp(t *testing.T, dataDir, addr string, p **proc) *proc {
	*p = startProc(t, dataDir, addr)
	return *p
}

func countSegments(t *testing.T, p *proc, ds string) int {
	var ids []string
	p.call(t, "GET", "/druid/coordinator/v1/metadata/datasources/"+ds+"/segments", nil, &ids)
	return len(ids)
}

func taskDone(t *testing.T, p *proc) bool {
	var st struct {
		Status struct {
			Status string `json:"status"`
		} `json:"status"`
	}
	p.call(t, "GET", "/druid/indexer/v1/task/crash-test/status", nil, &st)
	return st.Status.Status == "SUCCESS" || st.Status.Status == "FAILED"
}

// TestSupervisorSurvivesSIGKILL streams events into a supervisor (taskCount 2, rollovers every
// few seconds) in a daemon process that is killed with SIGKILL three times and restarted on the
// same data directory: every event is published exactly once.
func TestSupervisorSurvivesSIGKILL(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "stream"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	produced := make(chan int)
	go func() {
		n := 0
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				produced <- n
				return
			case <-tick.C:
			}
			for i := 0; i < 10; i++ {
				b, _ := json.Marshal(map[string]any{"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "id": n, "value": 1})
				cl.Produce(context.Background(), &kgo.Record{Topic: "stream", Key: []byte(fmt.Sprint(n)), Value: b}, nil)
				n++
			}
		}
	}()
	dataDir, addr := t.TempDir(), freePort(t)
	p := startProc(t, dataDir, addr)
	spec := map[string]any{
		"type": "kafka",
		"spec": map[string]any{
			"dataSchema": map[string]any{
				"dataSource":      "stream",
				"timestampSpec":   map[string]any{"column": "timestamp", "format": "iso"},
				"dimensionsSpec":  map[string]any{"dimensions": []any{map[string]any{"type": "long", "name": "id"}}},
				"metricsSpec":     []any{map[string]any{"type": "count", "name": "count"}},
				"granularitySpec": map[string]any{"segmentGranularity": "hour", "queryGranularity": "none", "rollup": false},
			},
			"ioConfig": map[string]any{
				"topic": "stream", "inputFormat": map[string]any{"type": "json"},
				"consumerProperties": map[string]any{"bootstrap.servers": broker},
				"taskCount":          2, "replicas": 1, "taskDuration": "PT3S", "startDelay": "PT0.1S", "period": "PT0.5S",
				"useEarliestOffset": true,
			},
			"tuningConfig": map[string]any{"type": "kafka", "maxRowsPerSegment": 400},
		},
	}
	if code := p.call(t, "POST", "/druid/indexer/v1/supervisor", spec, nil); code != 200 {
		t.Fatalf("create supervisor: %d\n%s", code, p.log)
	}
	// Each kill lands at a later point of the restarted process's work, whatever the machine's
	// speed: the first while its tasks read (before it has published anything), the second and
	// third after it has published one and two more segments (incremental handoffs and
	// rollovers, with other sequences still reading or publishing).
	for kill := 1; kill <= 3; kill++ {
		base := countSegments(t, p, "stream")
		waitProgress(t, p, fmt.Sprintf("kill %d", kill), func(pr progress) bool {
			return pr.State == "RUNNING" && pr.Reading > 0 && pr.Segments >= base+kill-1
		})
		n := countSegments(t, p, "stream") - base
		p.kill()
		t.Logf("SIGKILL %d after %d segments published since the last start", kill, n)
		p = startProc(t, dataDir, addr)
	}
	// The last process reads and publishes events produced after its start before the
	// producer stops, so its metrics below describe work it did.
	base := countSegments(t, p, "stream")
	waitProgress(t, p, "the last process to publish", func(pr progress) bool {
		return pr.State == "RUNNING" && pr.Reading > 0 && pr.Segments > base
	})
	close(stop)
	total := <-produced
	if err := cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	// Wait until the stored offsets reach the end of both partitions.
	deadline := time.Now().Add(90 * time.Second)
	for {
		var st struct {
			Payload struct {
				AggregateLag *int64 `json:"aggregateLag"`
				State        string `json:"state"`
			} `json:"payload"`
		}
		p.call(t, "GET", "/druid/indexer/v1/supervisor/stream/status", nil, &st)
		seen, _ := publishedRows(t, p, "stream")
		if len(seen) == total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d events published; status %+v\n%s", len(seen), total, st, tail(p.log.String(), 4000))
		}
		time.Sleep(500 * time.Millisecond)
	}
	seen, segs := publishedRows(t, p, "stream")
	dups := 0
	for id := 0; id < total; id++ {
		if seen[id] != 1 {
			dups++
		}
	}
	if dups > 0 {
		t.Fatalf("%d of %d events not published exactly once", dups, total)
	}
	t.Logf("%d events exactly once in %d segments across 3 SIGKILLs", total, segs)

	// Prometheus metrics: rows, publishes, lag, supervisor state and task counts. The state and
	// health gauges are refreshed by the supervisor's run loop, so they are polled for.
	want := []string{
		`kafka_indexer_rows_total{datasource="stream",outcome="processed"}`,
		`kafka_indexer_segments_published_total{datasource="stream"}`,
		`kafka_indexer_publish_duration_seconds_count{datasource="stream"}`,
		`kafka_indexer_supervisor_state{datasource="stream",state="RUNNING",supervisor="stream"} 1`,
		`kafka_indexer_tasks{datasource="stream",state="running"}`,
		`kafka_indexer_supervisor_healthy{datasource="stream",supervisor="stream"} 1`,
	}
	var lacking []string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + p.addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		lacking = lacking[:0]
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				lacking = append(lacking, w)
			}
		}
		if len(lacking) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, w := range lacking {
		t.Errorf("/metrics lacks %s", w)
	}
	p.kill()
}

// progress is what the SIGKILL schedule waits for: the supervisor's state, how many of its
// active tasks have read past their starting offsets, and how many segments are published.
type progress struct {
	State    string
	Reading  int
	Segments int
}

// waitProgress polls the supervisor "stream" until cond holds, failing after a minute: a
// restarted daemon that makes no progress is what the SIGKILL test exists to catch.
func waitProgress(t *testing.T, p *proc, what string, cond func(progress) bool) {
	t.Helper()
	var pr progress
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		var st struct {
			Payload struct {
				State       string `json:"state"`
				ActiveTasks []struct {
					ID              string           `json:"id"`
					StartingOffsets map[string]int64 `json:"startingOffsets"`
				} `json:"activeTasks"`
			} `json:"payload"`
		}
		p.call(t, "GET", "/druid/indexer/v1/supervisor/stream/status", nil, &st)
		pr = progress{State: st.Payload.State, Segments: countSegments(t, p, "stream")}
		for _, at := range st.Payload.ActiveTasks {
			// From the task itself: the report's currentOffsets are refreshed only every
			// offsetFetchPeriod.
			var offs map[string]int64
			p.call(t, "GET", "/druid/worker/v1/chat/"+at.ID+"/offsets/current", nil, &offs)
			for part, cur := range offs {
				if cur > at.StartingOffsets[part] {
					pr.Reading++
					break
				}
			}
		}
		if cond(pr) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last seen %+v\n%s", what, pr, tail(p.log.String(), 4000))
		}
	}
}

// publishedRows counts each id over every used segment of the datasource.
func publishedRows(t *testing.T, p *proc, ds string) (map[int]int, int) {
	var segs []struct {
		LoadSpec struct{ Path string } `json:"loadSpec"`
	}
	p.call(t, "GET", "/druid/coordinator/v1/metadata/datasources/"+ds+"/segments?full", nil, &segs)
	seen := map[int]int{}
	for _, s := range segs {
		var out, errOut bytes.Buffer
		if code := run([]string{"dump-segment", "--directory", s.LoadSpec.Path, "--dump", "rows", "--column", "id"}, &out, &errOut); code != 0 {
			continue // a segment being replaced under us; the next poll sees the final set
		}
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var row struct{ ID int }
			if json.Unmarshal([]byte(line), &row) == nil {
				seen[row.ID]++
			}
		}
	}
	return seen, len(segs)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
