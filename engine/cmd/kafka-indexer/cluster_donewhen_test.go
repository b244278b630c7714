package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
)

// doneWhenRows is how many unique rows TestClusterDoneWhen produces.
const doneWhenRows = 200_000

// TestClusterDoneWhen is issue 15's done-when: three all-role nodes on one PostgreSQL schema
// and one S3 bucket (an S3-compatible server on loopback). A supervisor submitted to a
// follower ingests 200,000 unique rows, produced in the background, while the leader is
// SIGKILLed and later a worker running tasks is SIGKILLed. Then every row is published
// exactly once (native count, id sum and a groupBy on id having count > 1 through the
// survivor), the survivor names itself leader, /workers lists only it, and every published
// segment's loadSpec is s3_zip naming an object that is in the bucket.
func TestClusterDoneWhen(t *testing.T) {
	dsn, srv, broker := s3ClusterEnv(t, 2)
	s3flags := []string{"--deep-storage", "s3://deep/druid/segments", "--s3-endpoint", srv.URL, "--s3-path-style"}
	nodes := []*node{startNode(t, "a", dsn, s3flags...), startNode(t, "b", dsn, s3flags...), startNode(t, "c", dsn, s3flags...)}
	first := waitLeader(t, nodes)
	follower := without(nodes, first)[0]

	done := produceBatches(t, broker, doneWhenRows)
	spec := clusterSpec(broker)
	spec["spec"].(map[string]any)["tuningConfig"] = map[string]any{"type": "kafka", "maxRowsPerSegment": 50_000}
	if code := follower.proc().call(t, "POST", "/druid/indexer/v1/supervisor", spec, nil); code != 200 {
		t.Fatalf("create supervisor through follower %s: %d", follower.name, code)
	}
	waitTasksOn(t, follower, nil)
	waitPublished(t, follower, "before the leader is killed", 1)

	first.kill()
	killedAt := time.Now()
	t.Logf("SIGKILL leader %s", first.name)
	alive := without(nodes, first)
	second := waitLeader(t, alive, first)
	t.Logf("new leader %s after %v", second.name, time.Since(killedAt).Round(100*time.Millisecond))

	// A worker that runs tasks and is not the new leader: waitTasksOn lists the tasks by
	// worker; wait until the other live node runs one (the killed leader's replacements land
	// on the survivors once --worker-timeout passes).
	other := without(alive, second)[0]
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if running := waitTasksOn(t, second, alive); len(running[other.addr]) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never ran a task", other.name)
		}
	}
	// Reports and logs of the running tasks, through the leader: from its own worker or
	// from the other node's.
	for _, ids := range waitTasksOn(t, second, alive) {
		for _, id := range ids {
			checkTaskFiles(t, second, id)
		}
	}
	other.kill()
	killedAt = time.Now()
	t.Logf("SIGKILL worker %s", other.name)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		running := waitTasksOn(t, second, []*node{second})
		if len(running[second.addr]) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the killed worker's task was not replaced on %s: %v", second.name, running)
		}
	}
	t.Logf("tasks of %s replaced on %s after %v", other.name, second.name, time.Since(killedAt).Round(100*time.Millisecond))
	if got := waitLeader(t, []*node{second}); got != second {
		t.Fatalf("leader %s, want %s", got.name, second.name)
	}

	total := done()
	start := time.Now()
	wantSum := int64(total) * int64(total-1) / 2
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		rows, sum := countQuery(t, second)
		if rows == int64(total) && sum == wantSum && len(duplicateIDs(t, second)) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("native query through %s: %d rows with id sum %d, want %d and %d; duplicated ids %v",
				second.name, rows, sum, total, wantSum, duplicateIDs(t, second))
		}
	}
	t.Logf("%d rows exactly once, %v after the last was produced", total, time.Since(start).Round(100*time.Millisecond))

	var listed []struct {
		Worker struct {
			Host string `json:"host"`
		} `json:"worker"`
	}
	code, body := second.get("/druid/indexer/v1/workers")
	if err := json.Unmarshal([]byte(body), &listed); code != 200 || err != nil || len(listed) != 1 || listed[0].Worker.Host != second.addr {
		t.Errorf("/workers: %d %s, want only %s", code, body, second.addr)
	}

	var segs []struct {
		Identifier string `json:"identifier"`
		LoadSpec   struct {
			Type   string `json:"type"`
			Bucket string `json:"bucket"`
			Key    string `json:"key"`
		} `json:"loadSpec"`
	}
	second.proc().call(t, "GET", "/druid/coordinator/v1/metadata/datasources/stream/segments?full", nil, &segs)
	if len(segs) == 0 {
		t.Fatal("no segments published")
	}
	for _, s := range segs {
		ls := s.LoadSpec
		if ls.Type != "s3_zip" || ls.Bucket != "deep" || ls.Key == "" {
			t.Errorf("segment %s loadSpec %+v, want s3_zip in bucket deep", s.Identifier, ls)
			continue
		}
		if _, err := srv.Backend.HeadObject("deep", ls.Key); err != nil {
			t.Errorf("segment %s: object %s: %v", s.Identifier, ls.Key, err)
		}
	}
	t.Logf("%d segments, each an object in the bucket", len(segs))
}

// duplicateIDs runs a groupBy on id through n with having count > 1: the ids published more
// than once (nil when the query fails, which the caller's count check catches).
func duplicateIDs(t *testing.T, n *node) []int64 {
	var rows []struct {
		Event struct {
			ID int64 `json:"id"`
		} `json:"event"`
	}
	q := map[string]any{"queryType": "groupBy", "dataSource": "stream", "granularity": "all",
		"intervals":    []string{"2000-01-01/3000-01-01"},
		"dimensions":   []any{map[string]any{"type": "default", "dimension": "id", "outputName": "id", "outputType": "LONG"}},
		"aggregations": []any{map[string]any{"type": "longSum", "name": "rows", "fieldName": "count"}},
		"having":       map[string]any{"type": "greaterThan", "aggregation": "rows", "value": 1}}
	if code := n.proc().call(t, "POST", "/druid/v2", q, &rows); code != http.StatusOK {
		return []int64{-1}
	}
	var ids []int64
	for _, r := range rows {
		ids = append(ids, r.Event.ID)
	}
	slices.Sort(ids)
	return ids
}

// produceBatches produces total rows with unique ids 0..total-1 in batches of 1,000 every
// 50 ms (so 200,000 take ten seconds, across the kills) in the background; the returned wait blocks until all are acknowledged and returns
// total.
func produceBatches(t *testing.T, broker string, total int) (wait func() int) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	errc := make(chan error, 1)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for n := 0; n < total; {
			select {
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			case <-tick.C:
			}
			batch := make([]*kgo.Record, 0, 1000)
			for ; n < total && len(batch) < 1000; n++ {
				b, _ := json.Marshal(map[string]any{"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "id": n})
				batch = append(batch, &kgo.Record{Topic: "stream", Key: []byte(fmt.Sprint(n)), Value: b})
			}
			if err := cl.ProduceSync(ctx, batch...).FirstErr(); err != nil {
				errc <- err
				return
			}
		}
		t.Logf("all %d rows produced", total)
		errc <- nil
	}()
	return func() int {
		if err := <-errc; err != nil {
			t.Fatalf("produce: %v", err)
		}
		return total
	}
}

// TestClusterRollingRestart runs three all-role nodes on one PostgreSQL schema and restarts
// each in turn (SIGTERM, wait for it to exit, start it again with the same flags, port and
// data directory) while rows are produced: after every restart the cluster agrees on one
// leader and publishes again, and in the end every row is published exactly once.
func TestClusterRollingRestart(t *testing.T) {
	dsn := metadatatest.FreshPostgresSchema(t)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "stream"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	nodes := []*node{startNode(t, "a", dsn), startNode(t, "b", dsn), startNode(t, "c", dsn)}
	waitLeader(t, nodes)

	stop := produceRows(t, broker)
	if code := nodes[0].proc().call(t, "POST", "/druid/indexer/v1/supervisor", clusterSpec(broker), nil); code != 200 {
		t.Fatalf("create supervisor: %d", code)
	}
	waitPublished(t, nodes[0], "before the first restart", 1)
	for i, n := range nodes {
		via := nodes[(i+1)%len(nodes)]
		before := countSegments(t, via.proc(), "stream")
		was := waitLeader(t, nodes)
		began := time.Now()
		n.restart(t)
		leader := waitLeader(t, nodes)
		t.Logf("restarted %s (leader before: %s) in %v; leader %s", n.name, was.name, time.Since(began).Round(100*time.Millisecond), leader.name)
		waitPublished(t, via, "after restarting "+n.name, before+1)
	}
	total := stop()
	checkExactlyOnce(t, nodes[0], total)
}
