package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestClusterQueryNodeRealtime runs an overlord, two workers and a query-only node as separate
// processes on one PostgreSQL schema and one S3 bucket. One task group with two replicas (one
// on each worker, taskDuration 30 s) reads every row; before anything is published the query
// node counts each row exactly once, by timeseries and by groupBy, from the workers' partial
// results (one replica asked per group). After publish and handoff the count is unchanged and
// never went above the rows produced. With one worker killed the other replica answers; with
// both killed the query fails naming a worker rather than count less.
func TestClusterQueryNodeRealtime(t *testing.T) {
	const rows = 300
	dsn, srv, broker := s3ClusterEnv(t, 1)
	produceTimedIDs(t, broker, rows)
	// A long worker timeout: killed workers stay listed as live, so the query node keeps
	// asking them (the failure case below) instead of leaving them out.
	flags := []string{"--deep-storage", "s3://deep/druid/segments", "--s3-endpoint", srv.URL, "--s3-path-style", "--worker-timeout", "60s"}
	ov := startNode(t, "overlord", dsn, append(flags, "--roles", "overlord")...)
	w1 := startNode(t, "worker1", dsn, append(flags, "--roles", "worker")...)
	w2 := startNode(t, "worker2", dsn, append(flags, "--roles", "worker")...)
	querier := startNode(t, "query", dsn, append(flags, "--roles", "query")...)
	waitLeader(t, []*node{ov, w1, w2, querier})
	spec := clusterSpec(broker)
	ioc := spec["spec"].(map[string]any)["ioConfig"].(map[string]any)
	ioc["taskCount"], ioc["replicas"], ioc["taskDuration"] = 1, 2, "PT30S"
	if code := ov.proc().call(t, "POST", "/druid/indexer/v1/supervisor", spec, nil); code != 200 {
		t.Fatalf("create supervisor: %d", code)
	}
	running := waitTasksOn(t, ov, []*node{w1, w2})
	for deadline := time.Now().Add(30 * time.Second); len(running) != 2; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the two replicas do not run one on each worker: %v", running)
		}
		running = waitTasksOn(t, ov, []*node{w1, w2})
	}

	first := running
	// Realtime: every row counted once through the query node, nothing published yet.
	wantSum := int64(rows * (rows - 1) / 2)
	for deadline := time.Now().Add(25 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		n, sum := countQuery(t, querier)
		if n > rows {
			t.Fatalf("query node counts %d rows before publishing, more than the %d produced (a replica counted twice)", n, rows)
		}
		if n == rows && sum == wantSum {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("query node counts %d realtime rows (id sum %d), want %d (%d)", n, sum, rows, wantSum)
		}
	}
	if segs := countSegments(t, ov.proc(), "stream"); segs != 0 {
		t.Fatalf("%d segments already published: the count above did not come from realtime rows", segs)
	}
	checkGroupByEachOnce(t, querier, rows)

	// Publish and handoff: every query in between counts every row exactly once (the
	// realtime copy until the query node has loaded the published segment, then that).
	waitPublished(t, ov, "after taskDuration", 1)
	queries := 0
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		n, sum := countQuery(t, querier)
		queries++
		if n != rows || sum != wantSum {
			t.Fatalf("query %d during handoff counts %d rows (id sum %d), want %d (%d)", queries, n, sum, rows, wantSum)
		}
		if loadedOn(t, querier) && len(stillRunning(t, ov, first)) == 0 {
			break // the query node serves the segment and the first tasks have ended
		}
		if time.Now().After(deadline) {
			t.Fatalf("handoff did not complete: first tasks %v", first)
		}
	}
	t.Logf("handoff: %d queries, each counted %d rows", queries, rows)
	checkGroupByEachOnce(t, querier, rows) // exactly once (the archives are in S3, not on disk)
	t.Logf("%d segments published", countSegments(t, querier.proc(), "stream"))

	// The next task group (no new rows) runs on both workers. With worker1 gone the other
	// replica answers; with both gone the query fails naming a worker.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		running = waitTasksOn(t, ov, []*node{w1, w2})
		if len(running) == 2 && !slices.Equal(running[w1.addr], first[w1.addr]) && !slices.Equal(running[w2.addr], first[w2.addr]) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the next replicas do not run one on each worker: %v (the first ones were %v)", running, first)
		}
	}
	w1.kill()
	for range 5 {
		if n, _ := countQuery(t, querier); n != rows {
			t.Fatalf("with worker1 killed: %d rows, want %d (worker2's replica answers)", n, rows)
		}
	}
	w2.kill()
	var qe struct {
		Error   string  `json:"error"`
		Message string  `json:"errorMessage"`
		Host    *string `json:"host"`
	}
	q := map[string]any{"queryType": "timeseries", "dataSource": "stream", "granularity": "all",
		"intervals": []string{"2000-01-01/3000-01-01"}, "aggregations": []any{map[string]any{"type": "count", "name": "n"}}}
	code := querier.proc().call(t, "POST", "/druid/v2", q, &qe)
	if code != 500 || qe.Error != "Unknown exception" || !strings.Contains(qe.Message, "Failure getting results") || qe.Host == nil ||
		(*qe.Host != w1.addr && *qe.Host != w2.addr) || !strings.Contains(qe.Message, *qe.Host) {
		t.Fatalf("with both workers killed: %d %+v, want a 500 naming a worker", code, qe)
	}
	t.Logf("both workers down: %s", qe.Message)
}

// checkGroupByEachOnce runs a groupBy on id through n: one group per row, each counted once.
func checkGroupByEachOnce(t *testing.T, n *node, rows int) {
	t.Helper()
	var out []struct {
		Event struct {
			ID    string `json:"id"`
			Count int64  `json:"c"`
		} `json:"event"`
	}
	q := map[string]any{"queryType": "groupBy", "dataSource": "stream", "granularity": "all",
		"intervals": []string{"2000-01-01/3000-01-01"}, "dimensions": []string{"id"},
		"aggregations": []any{map[string]any{"type": "longSum", "name": "c", "fieldName": "count"}}}
	if code := n.proc().call(t, "POST", "/druid/v2", q, &out); code != 200 || len(out) != rows {
		t.Fatalf("groupBy through %s: %d, %d groups, want %d", n.name, code, len(out), rows)
	}
	for _, r := range out {
		if r.Event.Count != 1 {
			t.Fatalf("groupBy through %s: id %s counted %d times", n.name, r.Event.ID, r.Event.Count)
		}
	}
}

// loadedOn reports whether n has loaded every used segment of "stream" (loadstatus 100 %).
func loadedOn(t *testing.T, n *node) bool {
	t.Helper()
	var st map[string]float64
	if code := n.proc().call(t, "GET", "/druid/coordinator/v1/loadstatus", nil, &st); code != 200 {
		return false
	}
	return st["stream"] == 100
}

// stillRunning returns the tasks of first that via still lists as running.
func stillRunning(t *testing.T, via *node, first map[string][]string) []string {
	t.Helper()
	var workers []struct {
		RunningTasks []string `json:"runningTasks"`
	}
	code, body := via.get("/druid/indexer/v1/workers")
	if code != 200 || json.Unmarshal([]byte(body), &workers) != nil {
		return []string{"?"} // not known yet: still running as far as the test can tell
	}
	var out []string
	for _, w := range workers {
		for _, id := range w.RunningTasks {
			for _, ids := range first {
				if slices.Contains(ids, id) {
					out = append(out, id)
				}
			}
		}
	}
	return out
}
