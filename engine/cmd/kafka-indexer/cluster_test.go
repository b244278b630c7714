package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/api"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
)

// testLease is the leader lease of the cluster tests: short, so that a failover takes
// seconds.
const testLease = "3s"

// testWorkerTimeout is the cluster tests' --worker-timeout: a killed worker's tasks are
// replaced within seconds.
const testWorkerTimeout = "3s"

// node is one `serve` process of a cluster.
type node struct {
	name string
	cmd  *exec.Cmd
	addr string
	log  *syncBuffer
	dead bool
	argv []string // the command line, for restart
}

// startNode starts a cluster node on a fresh port and data directory and waits until it
// answers.
func startNode(t *testing.T, name, dsn string, extra ...string) *node {
	t.Helper()
	return startNodeAt(t, name, freePort(t), nil, dsn, extra...)
}

// startNodeAt starts a cluster node listening on addr, its command line prefixed by prefix
// (such as ip netns exec NAME), and waits until it answers.
func startNodeAt(t *testing.T, name, addr string, prefix []string, dsn string, extra ...string) *node {
	t.Helper()
	n := &node{name: name, addr: addr, log: &syncBuffer{}}
	args := append([]string{"serve", "--listen", n.addr, "--data-dir", t.TempDir(), "--metadata-uri", dsn,
		"--leader-lease", testLease, "--worker-timeout", testWorkerTimeout, "--worker-capacity", "4", "--log-level", "debug"}, extra...)
	n.argv = append(append(slices.Clone(prefix), binary), args...)
	t.Cleanup(func() {
		if !n.dead && n.cmd != nil && n.cmd.Process != nil {
			_ = n.cmd.Process.Signal(syscall.SIGCONT)
			n.kill()
		}
		if t.Failed() {
			t.Logf("log of %s:\n%s", n.name, tail(n.log.String(), 6000))
		}
	})
	n.start(t)
	return n
}

// start runs the node's command line and waits until it answers.
func (n *node) start(t *testing.T) {
	t.Helper()
	n.cmd = exec.Command(n.argv[0], n.argv[1:]...)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.dead = false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(n.url() + "/status/health"); err == nil {
			resp.Body.Close()
			return
		}
	}
	t.Fatalf("node %s did not start:\n%s", n.name, n.log)
}

// restart stops the node with SIGTERM, waits until it exits, and starts it again with the
// same flags, port and data directory.
func (n *node) restart(t *testing.T) {
	t.Helper()
	n.signal(t, syscall.SIGTERM)
	_ = n.cmd.Wait()
	n.dead = true
	n.start(t)
}

func (n *node) url() string { return "http://" + n.addr }

func (n *node) kill() {
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	_ = n.cmd.Wait()
	n.dead = true
}

func (n *node) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := n.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// get returns the status and body of a GET, or 0 when the node does not answer.
func (n *node) get(path string) (int, string) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(n.url() + path)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (n *node) proc() *proc { return &proc{addr: n.addr} }

// waitLeader waits until exactly one of nodes says isLeader 200, every one of them names it
// at /leader, and it is not one of not; it returns the leader.
func waitLeader(t *testing.T, nodes []*node, not ...*node) *node {
	t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var leaders []*node
		var views []string
		for _, n := range nodes {
			code, body := n.get("/druid/indexer/v1/isLeader")
			if code == http.StatusOK {
				leaders = append(leaders, n)
			}
			_, l := n.get("/druid/indexer/v1/leader")
			views = append(views, l)
			if code == http.StatusOK && body != `{"leader":true}`+"\n" || code == http.StatusNotFound && body != `{"leader":false}`+"\n" {
				t.Fatalf("%s isLeader: %d %q", n.name, code, body)
			}
		}
		last = fmt.Sprintf("leaders %d, /leader views %q", len(leaders), views)
		if len(leaders) != 1 {
			continue
		}
		agree := true
		for _, v := range views {
			agree = agree && v == leaders[0].url()
		}
		excluded := false
		for _, x := range not {
			excluded = excluded || x == leaders[0]
		}
		if agree && !excluded {
			return leaders[0]
		}
	}
	t.Fatalf("no single agreed leader: %s", last)
	return nil
}

// TestClusterFailover runs three overlord nodes on one PostgreSQL schema as separate
// processes. A supervisor submitted to a follower is forwarded to the leader and runs there;
// the leader is SIGKILLed mid-stream and another node takes over; the new leader is then
// SIGSTOPped, deposed, and after SIGCONT steps down without publishing anything. Every produced
// row is published exactly once, as a native query through a surviving node counts.
func TestClusterFailover(t *testing.T) {
	dsn := metadatatest.FreshPostgresSchema(t)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "stream"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	nodes := []*node{startNode(t, "a", dsn), startNode(t, "b", dsn), startNode(t, "c", dsn)}
	first := waitLeader(t, nodes)
	var follower *node
	for _, n := range nodes {
		if n != first {
			follower = n
			break
		}
	}

	stopProducing := produceRows(t, broker)
	spec := map[string]any{
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
	// A request a node forwarded is never forwarded again: a follower that receives one
	// answers 503 instead of bouncing it, while the leader serves it.
	for _, c := range []struct {
		n    *node
		code int
	}{{follower, http.StatusServiceUnavailable}, {first, http.StatusOK}} {
		req, _ := http.NewRequest("GET", c.n.url()+"/druid/indexer/v1/supervisor", nil)
		req.Header.Set(api.ForwardedByHeader, "http://elsewhere:8090")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("forwarded request to %s: %d, want %d", c.n.name, resp.StatusCode, c.code)
		}
	}
	// Submitted to a follower: forwarded to the leader, which runs it.
	if code := follower.proc().call(t, "POST", "/druid/indexer/v1/supervisor", spec, nil); code != 200 {
		t.Fatalf("create supervisor through follower %s: %d", follower.name, code)
	}
	waitTasksOn(t, follower, nil)
	waitPublished(t, follower, "before the leader is killed", 1)

	first.kill()
	t.Logf("SIGKILL leader %s", first.name)
	alive := without(nodes, first)
	second := waitLeader(t, alive, first)
	t.Logf("new leader %s", second.name)
	third := without(alive, second)[0]
	waitTasksOn(t, third, nil)
	waitPublished(t, third, "after the failover", countSegments(t, third.proc(), "stream")+1)

	second.signal(t, syscall.SIGSTOP)
	t.Logf("SIGSTOP leader %s", second.name)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if code, _ := third.get("/druid/indexer/v1/isLeader"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not take over from the stopped leader %s", third.name, second.name)
		}
	}
	resumedAt := len(second.log.String())
	second.signal(t, syscall.SIGCONT)
	t.Logf("SIGCONT %s; %s leads", second.name, third.name)
	if got := waitLeader(t, alive); got != third {
		t.Fatalf("after SIGCONT the leader is %s, want %s", got.name, third.name)
	}
	waitTasksOn(t, second, nil)
	waitPublished(t, second, "after the second failover", countSegments(t, third.proc(), "stream")+1)
	total := stopProducing()

	// Every row exactly once, read from the segments (through the deposed node, whose
	// coordinator API reads the shared store) and counted by a native query.
	checkExactlyOnce(t, second, total)
	// The deposed leader stepped down because it could not renew. Its worker role is another
	// matter: if its heartbeat aged past --worker-timeout while it was stopped, its tasks were
	// failed and replaced and their late publishes fenced; if not, its tasks were never lost
	// and carry on publishing, as a worker's tasks do across a leader failover. Either way
	// every row is published exactly once (above).
	resumed := second.log.String()[resumedAt:]
	if !strings.Contains(resumed, "stopping leader duties") {
		t.Errorf("%s did not say it stopped its leader duties after SIGCONT", second.name)
	}
	for _, l := range strings.Split(resumed, "\n") {
		if strings.Contains(l, "leader") {
			t.Logf("%s: %s", second.name, l)
		}
	}
}

func without(nodes []*node, x *node) []*node {
	var out []*node
	for _, n := range nodes {
		if n != x {
			out = append(out, n)
		}
	}
	return out
}

// waitTasksOn waits until via (any node) lists live workers that run tasks, all of them among
// on (any worker when on is nil), and returns the running tasks by worker host.
func waitTasksOn(t *testing.T, via *node, on []*node) map[string][]string {
	t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var workers []struct {
			Worker struct {
				Host string `json:"host"`
			} `json:"worker"`
			RunningTasks []string `json:"runningTasks"`
		}
		code, body := via.get("/druid/indexer/v1/workers")
		last = fmt.Sprintf("%d %s", code, body)
		if code != 200 || json.Unmarshal([]byte(body), &workers) != nil {
			continue
		}
		running := map[string][]string{}
		ok := true
		for _, w := range workers {
			if len(w.RunningTasks) == 0 {
				continue
			}
			running[w.Worker.Host] = w.RunningTasks
			if on != nil && !slices.ContainsFunc(on, func(n *node) bool { return n.addr == w.Worker.Host }) {
				ok = false
			}
		}
		if ok && len(running) > 0 {
			return running
		}
	}
	t.Fatalf("%s never listed tasks running on the expected workers; last answer %s", via.name, last)
	return nil
}

// waitPublished waits until at least n segments of "stream" are published, as via reads them.
func waitPublished(t *testing.T, via *node, what string, n int) {
	t.Helper()
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if countSegments(t, via.proc(), "stream") >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d segments published %s", n, what)
		}
	}
}

// countQuery runs a native timeseries query through n: the row count and the sum of ids.
func countQuery(t *testing.T, n *node) (rows, idsum int64) {
	var ts []struct {
		Result struct {
			Rows  int64 `json:"rows"`
			IDSum int64 `json:"idsum"`
		} `json:"result"`
	}
	q := map[string]any{"queryType": "timeseries", "dataSource": "stream", "granularity": "all",
		"intervals": []string{"2000-01-01/3000-01-01"},
		"aggregations": []any{map[string]any{"type": "longSum", "name": "rows", "fieldName": "count"},
			map[string]any{"type": "longSum", "name": "idsum", "fieldName": "idsum"}}}
	if code := n.proc().call(t, "POST", "/druid/v2", q, &ts); code != 200 || len(ts) != 1 {
		return 0, 0
	}
	return ts[0].Result.Rows, ts[0].Result.IDSum
}

// TestClusterSecondNodeOnEmbeddedStore checks that a second node on the same data directory
// (so on the same embedded store) is refused at once, naming the lock.
func TestClusterSecondNodeOnEmbeddedStore(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir, freePort(t))
	defer p.kill()
	var out bytes.Buffer
	cmd := exec.Command(binary, "serve", "--listen", freePort(t), "--data-dir", dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("second serve on the same data dir exited 0:\n%s", out.String())
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("second serve on the same data dir still runs:\n%s", out.String())
	}
	for _, want := range []string{"LOCK", "in use by another process", "--metadata-uri postgres://"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("second serve's error lacks %q:\n%s", want, out.String())
		}
	}
}

// TestClusterFlags checks the refusals of --roles and --advertise.
func TestClusterFlags(t *testing.T) {
	const pg = "postgres://u@db:5432/meta"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--roles", "query"}, "needs --metadata-uri postgres://"},
		{[]string{"--advertise", "10.0.0.1:8090"}, "needs --metadata-uri postgres://"},
		{[]string{"--metadata-uri", pg, "--roles", "overlord,planner"}, `unknown role "planner"`},
		{[]string{"--metadata-uri", pg, "--worker-timeout", "500ms"}, "--worker-timeout must be at least 1s"},
		{[]string{"--metadata-uri", pg, "--worker-select-strategy", "random"}, `"random" is not a strategy`},
		{[]string{"--metadata-uri", pg, "--advertise", "0.0.0.0:8090"}, "pass --advertise HOST:PORT"},
		{[]string{"--metadata-uri", pg, "--advertise", "[::]:8090"}, "pass --advertise HOST:PORT"},
		{[]string{"--metadata-uri", pg, "--advertise", "node1"}, "must be HOST:PORT"},
		{[]string{"--metadata-uri", pg, "--leader-lease", "100ms"}, "--leader-lease must be at least 1s"},
	} {
		_, err := parseServeFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("serve %s: err %v, want one containing %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
	for _, ok := range [][]string{
		{},
		{"--metadata-uri", pg},
		{"--metadata-uri", pg, "--roles", "query", "--advertise", "node1:8090"},
		{"--metadata-uri", pg, "--roles", "overlord,worker"},
		{"--metadata-uri", pg, "--roles", "overlord"},
		{"--metadata-uri", pg, "--roles", "worker", "--worker-select-strategy", "fillCapacity"},
	} {
		if _, err := parseServeFlags(ok, io.Discard); err != nil {
			t.Errorf("serve %s: %v", strings.Join(ok, " "), err)
		}
	}
	// Listening everywhere without --advertise leaves nothing to tell the other nodes.
	c, err := parseServeFlags([]string{"--metadata-uri", pg, "--listen", "0.0.0.0:0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := clusterOptions(c, ln); err == nil || !strings.Contains(err.Error(), "pass --advertise HOST:PORT") {
		t.Errorf("listen 0.0.0.0 without --advertise: err %v, want a hint to pass --advertise", err)
	}
}

// TestClusterForwardingKeepsRequest sends requests with basic auth and a body to a follower of
// a two-node cluster with auth on: the leader answers them, so the credentials, the body and
// the query string were forwarded; without credentials the follower refuses before forwarding.
func TestClusterForwardingKeepsRequest(t *testing.T) {
	dsn := metadatatest.FreshPostgresSchema(t)
	auth := []string{"--auth-username", "ops", "--auth-password", "s3cret"}
	nodes := []*node{startNode(t, "a", dsn, auth...), startNode(t, "b", dsn, auth...)}
	var leader, follower *node
	for deadline := time.Now().Add(30 * time.Second); leader == nil; time.Sleep(100 * time.Millisecond) {
		var leaders []*node
		for _, n := range nodes {
			if code, _ := n.get("/druid/indexer/v1/isLeader"); code == http.StatusOK { // unsecured
				leaders = append(leaders, n)
			}
		}
		if len(leaders) == 1 {
			leader = leaders[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("no single leader")
		}
	}
	follower = without(nodes, leader)[0]
	do := func(method, path, body string, withAuth bool) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, follower.url()+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if withAuth {
			req.SetBasicAuth("ops", "s3cret")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := do("GET", "/druid/indexer/v1/leader", "", true); code != 200 || body != leader.url() {
		t.Errorf("follower /leader: %d %q, want %s", code, body, leader.url())
	}
	if code, _ := do("GET", "/druid/indexer/v1/supervisor", "", false); code != http.StatusUnauthorized {
		t.Errorf("follower without credentials: %d, want 401", code)
	}
	if code, body := do("GET", "/druid/indexer/v1/supervisor?full", "", true); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("forwarded GET with a query string: %d %s", code, body)
	}
	bad := `{"type":"kafka","spec":{"dataSchema":{"dataSource":"x"},"ioConfig":{"topic":"t","taskCount":0,"consumerProperties":{"bootstrap.servers":"127.0.0.1:1"}}}}`
	if code, body := do("POST", "/druid/indexer/v1/supervisor", bad, true); code != 400 || !strings.Contains(body, "taskCount") {
		t.Errorf("forwarded POST of an invalid spec: %d %s, want 400 naming taskCount", code, body)
	}
	var workers []struct {
		Worker struct {
			Host string `json:"host"`
		} `json:"worker"`
	}
	// Both nodes have the worker role: the leader lists both, whichever node is asked.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, body := do("GET", "/druid/indexer/v1/workers", "", true)
		workers = nil
		_ = json.Unmarshal([]byte(body), &workers)
		if code == 200 && len(workers) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("forwarded GET /workers: %d %s, want both nodes", code, body)
		}
	}
}
