package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
)

// TestClusterRemoteWorkers runs one overlord node and two worker-only nodes as separate
// processes on one PostgreSQL schema. The supervisor's two tasks run on the workers (their
// status locations name them, and /workers lists both); a worker running a task is SIGKILLed,
// and once --worker-timeout has passed its task is failed and replaced on the other worker.
// Every produced row is published exactly once, as a native query through the overlord counts.
func TestClusterRemoteWorkers(t *testing.T) {
	dsn := metadatatest.FreshPostgresSchema(t)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "stream"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	ov := startNode(t, "overlord", dsn, "--roles", "overlord,query")
	w1 := startNode(t, "worker1", dsn, "--roles", "worker")
	w2 := startNode(t, "worker2", dsn, "--roles", "worker")
	workers := []*node{w1, w2}
	if got := waitLeader(t, []*node{ov, w1, w2}); got != ov {
		t.Fatalf("leader is %s, want the only overlord", got.name)
	}

	stop := produceRows(t, broker)
	if code := w1.proc().call(t, "POST", "/druid/indexer/v1/supervisor", clusterSpec(broker), nil); code != 200 {
		t.Fatalf("create supervisor through worker1: %d", code)
	}
	// taskCount 2 with equalDistribution: one task on each worker.
	var running map[string][]string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		running = waitTasksOn(t, ov, workers)
		if len(running) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tasks never ran on both workers: %v", running)
		}
	}
	for host, ids := range running {
		for _, id := range ids {
			checkLocation(t, ov, id, host)
		}
	}
	waitPublished(t, ov, "before a worker is killed", 1)
	// The reports and log of a task on a worker, asked of the overlord (and of the other
	// worker, which forwards to it), come from the worker that runs it.
	for _, via := range []*node{ov, w2} {
		for _, id := range running[w1.addr] {
			checkTaskFiles(t, via, id)
		}
	}

	w1.kill()
	t.Logf("SIGKILL %s (running %v)", w1.name, running[w1.addr])
	// After the timeout the killed worker's task fails and a new one runs on worker2.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		running = waitTasksOn(t, ov, []*node{w2})
		if len(running[w2.addr]) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the killed worker's task was not replaced on %s: %v", w2.name, running)
		}
	}
	for _, id := range running[w2.addr] {
		checkLocation(t, ov, id, w2.addr)
		checkTaskFiles(t, ov, id)
	}
	waitPublished(t, ov, "after the worker was lost", countSegments(t, ov.proc(), "stream")+1)
	total := stop()
	checkExactlyOnce(t, ov, total)
	// The killed worker is no longer listed: its heartbeat is older than the timeout.
	var listed []struct {
		Worker struct {
			Host string `json:"host"`
		} `json:"worker"`
	}
	code, body := ov.get("/druid/indexer/v1/workers")
	if err := json.Unmarshal([]byte(body), &listed); code != 200 || err != nil || len(listed) != 1 || listed[0].Worker.Host != w2.addr {
		t.Errorf("/workers after the kill: %d %s, want only %s", code, body, w2.name)
	}
}

// clusterSpec is the supervisor of the cluster tests: two tasks of 3 s, segments of at most
// 400 rows, reading "stream" from the start.
func clusterSpec(broker string) map[string]any {
	return map[string]any{
		"type": "kafka",
		"spec": map[string]any{
			"dataSchema": map[string]any{
				"dataSource":     "stream",
				"timestampSpec":  map[string]any{"column": "timestamp", "format": "iso"},
				"dimensionsSpec": map[string]any{"dimensions": []any{map[string]any{"type": "long", "name": "id"}}},
				"metricsSpec": []any{map[string]any{"type": "count", "name": "count"},
					map[string]any{"type": "longSum", "name": "idsum", "fieldName": "id"}},
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
}

// produceRows produces 10 rows with unique ids every 20 ms until the returned stop, which
// flushes and returns how many were produced.
func produceRows(t *testing.T, broker string) (stop func() int) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	quit := make(chan struct{})
	produced := make(chan int)
	go func() {
		n := 0
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				produced <- n
				return
			case <-tick.C:
			}
			for range 10 {
				b, _ := json.Marshal(map[string]any{"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "id": n})
				cl.Produce(context.Background(), &kgo.Record{Topic: "stream", Key: []byte(fmt.Sprint(n)), Value: b}, nil)
				n++
			}
		}
	}()
	return func() int {
		close(quit)
		total := <-produced
		if err := cl.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		return total
	}
}

// checkExactlyOnce waits until every one of total rows is published, and checks that each was
// published once, in the segments and by a native query through via.
func checkExactlyOnce(t *testing.T, via *node, total int) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		seen, _ := publishedRows(t, via.proc(), "stream")
		if len(seen) == total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d rows published", len(seen), total)
		}
	}
	seen, segs := publishedRows(t, via.proc(), "stream")
	for id := range total {
		if seen[id] != 1 {
			t.Errorf("row %d published %d times", id, seen[id])
		}
	}
	wantSum := int64(total) * int64(total-1) / 2
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		rows, sum := countQuery(t, via)
		if rows == int64(total) && sum == wantSum {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("native query through %s: %d rows with id sum %d, want %d and %d", via.name, rows, sum, total, wantSum)
		}
	}
	t.Logf("%d rows exactly once in %d segments", total, segs)
}

// viaTaskStatus is a task's status as `GET /druid/indexer/v1/task/{id}/status` through a node
// answers it: the HTTP code, the body, and the two fields the cluster tests check.
type viaTaskStatus struct {
	Status struct {
		StatusCode string `json:"statusCode"`
		Location   struct {
			Host *string `json:"host"`
			Port int     `json:"port"`
		} `json:"location"`
	} `json:"status"`
}

func getTaskStatus(via *node, id string) (code int, body string, st viaTaskStatus, err error) {
	code, body = via.get("/druid/indexer/v1/task/" + id + "/status")
	err = json.Unmarshal([]byte(body), &st)
	return code, body, st, err
}

// at reports whether the status's location is hostPort.
func (st viaTaskStatus) at(hostPort string) bool {
	host, port, _ := net.SplitHostPort(hostPort)
	l := st.Status.Location
	return l.Host != nil && *l.Host == host && strconv.Itoa(l.Port) == port
}

// checkLocation checks that via reports task id's location as host:port (while it still
// runs; a task that finished meanwhile is skipped).
func checkLocation(t *testing.T, via *node, id, hostPort string) {
	t.Helper()
	code, body, st, err := getTaskStatus(via, id)
	if code != 200 || err != nil {
		t.Fatalf("status of task %s: %d %s", id, code, body)
	}
	if st.Status.StatusCode != "RUNNING" {
		return
	}
	if !st.at(hostPort) {
		t.Errorf("task %s location: %s, want %s", id, body, hostPort)
	}
}

// checkTaskFiles checks that via answers task id's reports (its ingestion report names it) and
// its log (not empty), as the worker running it has them.
func checkTaskFiles(t *testing.T, via *node, id string) {
	t.Helper()
	var rep struct {
		Stats struct {
			TaskID string `json:"taskId"`
		} `json:"ingestionStatsAndErrors"`
	}
	code, body := via.get("/druid/indexer/v1/task/" + id + "/reports")
	if code != 200 || json.Unmarshal([]byte(body), &rep) != nil || rep.Stats.TaskID != id {
		t.Errorf("reports of %s through %s: %d %s", id, via.name, code, body)
	}
	code, body = via.get("/druid/indexer/v1/task/" + id + "/log")
	if code != 200 || !strings.Contains(body, id) {
		t.Errorf("log of %s through %s: %d %.300s", id, via.name, code, body)
	}
}
