package main

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestClusterTaskFilesAfterWorker runs one overlord node and two worker-only nodes as separate
// processes on one PostgreSQL schema and one S3 bucket. The worker config is set to
// fillCapacity through a follower, so the supervisor's tasks all run on one worker A. Once
// tasks have finished on A and A has pushed their logs and reports to task-logs/<id>/ in the
// bucket, A is SIGKILLed: the
// task's reports and log still come back through the other worker and through the overlord,
// its status and the complete-task list still name A as its location, and a finished task
// whose files are not in the bucket gets Druid's 404 texts. Every produced row is published
// exactly once.
func TestClusterTaskFilesAfterWorker(t *testing.T) {
	dsn, srv, broker := s3ClusterEnv(t, 2)
	s3flags := []string{"--deep-storage", "s3://deep/druid/segments", "--s3-endpoint", srv.URL, "--s3-path-style"}
	ov := startNode(t, "overlord", dsn, append([]string{"--roles", "overlord,query"}, s3flags...)...)
	a := startNode(t, "workerA", dsn, append([]string{"--roles", "worker"}, s3flags...)...)
	b := startNode(t, "workerB", dsn, append([]string{"--roles", "worker"}, s3flags...)...)
	if got := waitLeader(t, []*node{ov, a, b}); got != ov {
		t.Fatalf("leader is %s, want the only overlord", got.name)
	}
	// The worker config, set through a follower: fillCapacity puts both tasks of the
	// supervisor on one worker (the first by URL), where --worker-select-strategy's default
	// would spread them.
	if code := b.proc().call(t, "POST", "/druid/indexer/v1/worker", map[string]any{"type": "default",
		"selectStrategy": map[string]any{"type": "fillCapacity"}, "autoScaler": nil}, nil); code != 200 {
		t.Fatalf("POST /worker through %s: %d", b.name, code)
	}
	if code, body := a.get("/druid/indexer/v1/worker"); code != 200 || !strings.Contains(body, `"fillCapacity"`) {
		t.Fatalf("GET /worker through %s: %d %s", a.name, code, body)
	}
	stop := produceRows(t, broker)
	if code := b.proc().call(t, "POST", "/druid/indexer/v1/supervisor", clusterSpec(broker), nil); code != 200 {
		t.Fatalf("create supervisor through workerB: %d", code)
	}

	// Two tasks that finished on one worker, with their files in the bucket; no task
	// finished on the other.
	var done []string
	for deadline := time.Now().Add(60 * time.Second); len(done) < 2; time.Sleep(300 * time.Millisecond) {
		done = nil
		if first := minAddr(a, b); first != a {
			a, b = b, a // a is the worker fillCapacity fills
		}
		for _, id := range completedOn(t, ov, a.addr) {
			if _, err := srv.Backend.HeadObject("deep", "druid/segments/task-logs/"+id+"/report.json"); err == nil {
				done = append(done, id)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than two tasks finished on %s with their files pushed: %v; bucket %v", a.name, done,
				srv.Keys(t, "deep", "druid/segments/task-logs/"))
		}
	}
	if other := completedOn(t, ov, b.addr); len(other) > 0 {
		t.Errorf("with fillCapacity, tasks %v ran on %s too", other, b.name)
	}
	logObj, err := srv.Backend.HeadObject("deep", "druid/segments/task-logs/"+done[0]+"/log")
	if err != nil {
		t.Fatalf("log of %s not in the bucket: %v", done[0], err)
	}
	repObj, _ := srv.Backend.HeadObject("deep", "druid/segments/task-logs/"+done[0]+"/report.json")
	t.Logf("task %s: log %d bytes, report %d bytes in the bucket", done[0], logObj.Size, repObj.Size)
	a.kill()
	t.Logf("SIGKILL %s after its tasks %v finished", a.name, done)

	for _, via := range []*node{b, ov} {
		checkTaskFiles(t, via, done[0])
		checkFinishedLocation(t, via, done[0], a.addr)
		// ?offset= applies to the log read from deep storage as to a local one.
		code, all := via.get("/druid/indexer/v1/task/" + done[0] + "/log")
		code2, tail := via.get("/druid/indexer/v1/task/" + done[0] + "/log?offset=-10")
		if code != 200 || code2 != 200 || len(all) < 10 || tail != all[len(all)-10:] {
			t.Errorf("log of %s through %s from offset -10: %d %q, want the last 10 bytes of %d", done[0], via.name, code2, tail, len(all))
		}
	}
	// A finished task whose files are not in deep storage: Druid's 404 texts.
	for _, name := range []string{"log", "report.json"} {
		if _, err := srv.Backend.DeleteObject("deep", "druid/segments/task-logs/"+done[1]+"/"+name); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]string{
		"/reports": "No task reports were found for this task. The task may not exist, or it may not have completed yet.",
		"/log":     "No log was found for this task. The task may not exist, or it may not have begun running yet.",
	} {
		for _, id := range []string{done[1], "index_kafka_no_such_task"} {
			if code, body := b.get("/druid/indexer/v1/task/" + id + path); code != 404 || body != want {
				t.Errorf("%s of %s through %s: %d %q, want 404 %q", path, id, b.name, code, body, want)
			}
		}
	}
	total := stop()
	checkExactlyOnceByQuery(t, ov, total)
}

// checkExactlyOnceByQuery waits until a native query through via counts all total rows with
// the id sum of 0..total-1 and a groupBy on id finds none twice: checkExactlyOnce for segments
// in S3, which dump-segment does not read from their loadSpec.
func checkExactlyOnceByQuery(t *testing.T, via *node, total int) {
	t.Helper()
	wantSum := int64(total) * int64(total-1) / 2
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		rows, sum := countQuery(t, via)
		if rows == int64(total) && sum == wantSum && len(duplicateIDs(t, via)) == 0 {
			t.Logf("%d rows exactly once", total)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("native query through %s: %d rows with id sum %d, want %d and %d; duplicated ids %v",
				via.name, rows, sum, total, wantSum, duplicateIDs(t, via))
		}
	}
}

// minAddr is the worker whose URL sorts first: the one fillCapacity fills first.
func minAddr(x, y *node) *node {
	if "http://"+x.addr < "http://"+y.addr {
		return x
	}
	return y
}

// completedOn lists the ids of the complete tasks that via says ran on hostPort.
func completedOn(t *testing.T, via *node, hostPort string) []string {
	t.Helper()
	var tasks []struct {
		ID         string `json:"id"`
		StatusCode string `json:"statusCode"`
		Location   struct {
			Host *string `json:"host"`
			Port int     `json:"port"`
		} `json:"location"`
	}
	code, body := via.get("/druid/indexer/v1/tasks?state=complete")
	if code != 200 || json.Unmarshal([]byte(body), &tasks) != nil {
		return nil
	}
	host, port, _ := net.SplitHostPort(hostPort)
	var out []string
	for _, tk := range tasks {
		if tk.StatusCode == "SUCCESS" && tk.Location.Host != nil && *tk.Location.Host == host && strconv.Itoa(tk.Location.Port) == port {
			out = append(out, tk.ID)
		}
	}
	return out
}

// checkFinishedLocation checks that via reports finished task id's last location as
// hostPort, as Druid's TaskStatus keeps it.
func checkFinishedLocation(t *testing.T, via *node, id, hostPort string) {
	t.Helper()
	code, body, st, err := getTaskStatus(via, id)
	if code != 200 || err != nil || st.Status.StatusCode != "SUCCESS" || !st.at(hostPort) {
		t.Errorf("status of finished task %s through %s: %d %s, want SUCCESS at %s", id, via.name, code, body, hostPort)
	}
}
