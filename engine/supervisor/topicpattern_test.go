package supervisor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// kcatProduce writes JSON rows with the given ids to one partition with kcat (librdkafka), a
// real third-party producer.
func kcatProduce(t *testing.T, broker, topic string, partition int32, ids []int64) {
	t.Helper()
	path, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("kcat is not installed (apt-get install kcat); CI must run this test")
		}
		t.Skip("kcat not installed")
	}
	var lines []string
	for _, id := range ids {
		b, _ := json.Marshal(map[string]any{"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "id": id, "host": fmt.Sprintf("h%d", id%5), "value": 1})
		lines = append(lines, string(b))
	}
	cmd := exec.Command(path, "-b", broker, "-t", topic, "-p", fmt.Sprint(partition), "-P", "-X", "api.version.request=true")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
}

func idRange(from, n int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = from + int64(i)
	}
	return out
}

// topicPatternSpec is supervisorSpec reading every topic matching pattern, with a longSum of
// the row ids so a native query can check that each row was ingested once.
func topicPatternSpec(broker, pattern string) []byte {
	var sp map[string]any
	// maxRowsPerSegment makes the tasks ask for incremental handoffs (checkpoints) mid-generation.
	_ = json.Unmarshal(supervisorSpec(broker, "unused", 2, 1, map[string]any{"offsetFetchPeriod": "PT5S", "maxRowsPerSegment": 200}), &sp)
	s := sp["spec"].(map[string]any)
	io := s["ioConfig"].(map[string]any)
	delete(io, "topic")
	io["topicPattern"] = pattern
	io["taskDuration"] = "PT3S"
	s["dataSchema"].(map[string]any)["metricsSpec"] = []any{
		map[string]any{"type": "count", "name": "count"},
		map[string]any{"type": "longSum", "name": "idSum", "fieldName": "id"},
	}
	b, _ := json.Marshal(sp)
	return b
}

// TestTopicPattern runs a supervisor over ioConfig.topicPattern "metrics-.*" against two
// matching topics and one that does not match, with rows from kcat and a steady producer; a
// third matching topic is created while it runs and one reading task is killed mid-stream.
// Every row of a matching topic must be published exactly once, none of the other topic, and
// offsets must be keyed "topic:partition" everywhere Druid keys them so: the stored datasource
// metadata, the status report, the task payloads and the resetOffsets body.
func TestTopicPattern(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "metrics-a", "metrics-b", "other"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	e := enginetest.Start(t)
	c, err := client.New(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Bad patterns are refused with a 400 naming the field.
	for _, bad := range []string{"metrics-(", "(?!tmp)metrics-.*"} {
		_, err := c.CreateOrUpdateSupervisor(ctx, withIOConfig(topicPatternSpec(broker, bad), "events", nil))
		if err == nil || !strings.Contains(err.Error(), "ioConfig.topicPattern") || !strings.Contains(err.Error(), "400") {
			t.Fatalf("pattern %q: got %v, want a 400 naming ioConfig.topicPattern", bad, err)
		}
	}

	// Rows written before the supervisor starts; ids ≥ 1e6 so they never collide with the
	// producer's (0, 1, 2, …), and the non-matching topic's ≥ 2e6.
	want := map[int64]bool{}
	next := int64(1_000_000)
	produce := func(topic string, partition int32, n int64) {
		ids := idRange(next, n)
		next += n
		kcatProduce(t, broker, topic, partition, ids)
		if strings.HasPrefix(topic, "metrics-") {
			for _, id := range ids {
				want[id] = true
			}
		}
	}
	for _, topic := range []string{"metrics-a", "metrics-b"} {
		for p := int32(0); p < 2; p++ {
			produce(topic, p, 10)
		}
	}
	kcatProduce(t, broker, "other", 0, idRange(2_000_000, 10))

	if _, err := c.CreateOrUpdateSupervisor(ctx, topicPatternSpec(broker, "metrics-.*")); err != nil {
		t.Fatal(err)
	}
	producer := startProducer(t, broker, "metrics-a", 500)

	// The status report keys partitions topic:partition and names the pattern as the stream.
	type report struct {
		Stream  string
		Latest  []string
		Active  int
		Current []string
	}
	keysOf := func(m map[string]int64) []string { return slices.Sorted(maps.Keys(m)) }
	waitUntil(t, "a status report over the four metrics-* partitions", 30*time.Second, func() (report, bool) {
		rep, err := c.SupervisorStatus(ctx, "events")
		if err != nil {
			t.Fatal(err)
		}
		r := report{Stream: rep.Payload.Stream, Latest: keysOf(rep.Payload.LatestOffsets), Active: len(rep.Payload.ActiveTasks)}
		for _, at := range rep.Payload.ActiveTasks {
			r.Current = append(r.Current, keysOf(at.CurrentOffsets)...)
		}
		slices.Sort(r.Current)
		return r, r.Stream == "metrics-.*" && slices.Equal(r.Latest, []string{"metrics-a:0", "metrics-a:1", "metrics-b:0", "metrics-b:1"}) &&
			slices.Equal(r.Current, r.Latest)
	})

	// Task payloads: topic:partition keys, the pattern as the stream, multiTopic set, and the
	// task group of each partition computed as Druid's getTaskGroupIdForPartition does.
	tasks, err := e.Store.ListTasks(ctx, metadata.TaskFilter{DataSource: "events"})
	if err != nil || len(tasks) == 0 {
		t.Fatalf("tasks: %v, %v", tasks, err)
	}
	_, raw, err := e.Runner.Info(ctx, tasks[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var payload struct {
		IOConfig struct {
			TaskGroupID          int  `json:"taskGroupId"`
			MultiTopic           bool `json:"multiTopic"`
			StartSequenceNumbers struct {
				Stream  string           `json:"stream"`
				Offsets map[string]int64 `json:"partitionSequenceNumberMap"`
			} `json:"startSequenceNumbers"`
			EndSequenceNumbers struct {
				Stream  string           `json:"stream"`
				Offsets map[string]int64 `json:"partitionSequenceNumberMap"`
			} `json:"endSequenceNumbers"`
		} `json:"ioConfig"`
	}
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatal(err)
	}
	io := payload.IOConfig
	if !io.MultiTopic || io.StartSequenceNumbers.Stream != "metrics-.*" || io.EndSequenceNumbers.Stream != "metrics-.*" || len(io.StartSequenceNumbers.Offsets) == 0 {
		t.Fatalf("task ioConfig = %s", raw)
	}
	for k := range io.StartSequenceNumbers.Offsets {
		p, err := druidapi.ParsePartition(k)
		if err != nil || !p.MultiTopic() || p.TaskGroup(2) != io.TaskGroupID {
			t.Fatalf("task %s reads partition %q (group %d), want topic:partition keys of group %d", tasks[0].ID, k, p.TaskGroup(2), io.TaskGroupID)
		}
		if _, ok := io.EndSequenceNumbers.Offsets[k]; !ok {
			t.Fatalf("end offsets %v miss partition %s", io.EndSequenceNumbers.Offsets, k)
		}
	}

	// A third matching topic created while the supervisor runs is picked up by partition
	// discovery and read from its earliest offset.
	adm := kadm.NewClient(mustClient(t, broker))
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "metrics-c"); err != nil {
		t.Fatal(err)
	}
	produce("metrics-c", 0, 10)
	waitUntil(t, "metrics-c:0 in the status report", 30*time.Second, func() ([]string, bool) {
		rep, err := c.SupervisorStatus(ctx, "events")
		if err != nil {
			t.Fatal(err)
		}
		k := keysOf(rep.Payload.LatestOffsets)
		return k, slices.Contains(k, "metrics-c:0")
	})

	// Kill one reading task mid-stream: its group restarts from the stored offsets.
	waitUntil(t, "a reading task to kill", 30*time.Second, func() (int, bool) {
		rep, err := c.SupervisorStatus(ctx, "events")
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range rep.Payload.ActiveTasks {
			if at.StartTime != nil && len(at.CurrentOffsets) > 0 {
				if err := c.Do(ctx, "POST", "/druid/indexer/v1/task/"+at.ID+"/shutdown", nil, nil); err != nil {
					t.Fatal(err)
				}
				return 0, true
			}
		}
		return len(rep.Payload.ActiveTasks), false
	})
	produce("metrics-b", 1, 10)
	time.Sleep(time.Second) // let the producer write on past the kill
	for id := range producer.close(t) {
		want[id] = true
	}

	// Every row of a matching topic exactly once, none of "other".
	matching := []string{"metrics-a", "metrics-b", "metrics-c"}
	md := waitCaughtUpTopics(t, e, broker, matching, 60*time.Second)
	checkIDsOnce(t, e, want, nil)
	segs, _ := e.Store.Segments(ctx, "events", true)
	all, _ := e.Store.ListTasks(ctx, metadata.TaskFilter{DataSource: "events"})
	t.Logf("%d rows exactly once in %d segments from %d tasks", len(want), len(segs), len(all))
	stored, err := json.Marshal(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"stream":"metrics-.*"`, `"metrics-a:0":`, `"metrics-a:1":`, `"metrics-b:0":`, `"metrics-b:1":`, `"metrics-c:0":`} {
		if !strings.Contains(string(stored), key) {
			t.Fatalf("stored datasource metadata %s lacks %s", stored, key)
		}
	}
	// A native query over /druid/v2 agrees: the row count and the sum of the unique ids.
	var sum int64
	for id := range want {
		sum += id
	}
	waitQuery(t, c, int64(len(want)), sum)

	// resetOffsets with topic:partition keys: keys of the other mode are refused; moving
	// metrics-b:0 back by 3 re-reads exactly its last 3 rows.
	if err := c.ResetOffsets(ctx, "events", "metrics-.*", map[druidapi.Partition]int64{{ID: 0}: 0}); err == nil || !strings.Contains(err.Error(), "topic:partition") {
		t.Fatalf("reset with a bare partition key: %v, want a 400 asking for topic:partition", err)
	}
	if err := c.ResetOffsets(ctx, "events", "metrics-.*", map[druidapi.Partition]int64{{Topic: "other", ID: 0}: 0}); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("reset of a non-matching topic: %v, want a 400", err)
	}
	b0 := druidapi.Partition{Topic: "metrics-b", ID: 0}
	end := md.Offsets[b0]
	if err := c.ResetOffsets(ctx, "events", "metrics-.*", map[druidapi.Partition]int64{b0: end - 3}); err != nil {
		t.Fatal(err)
	}
	after, err := e.Store.GetDataSourceMetadata(ctx, "events")
	if err != nil || after.Offsets[b0] != end-3 && after.Offsets[b0] != end {
		t.Fatalf("stored offsets after reset: %+v, %v", after, err)
	}
	waitCaughtUpTopics(t, e, broker, matching, 60*time.Second)
	// metrics-b:0 holds ids 1e6+20 … 1e6+29 (written third, ten each).
	checkIDsOnce(t, e, want, map[int64]int{1_000_027: 2, 1_000_028: 2, 1_000_029: 2})
}

func mustClient(t *testing.T, broker string) *kgo.Client {
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// waitCaughtUpTopics waits until the stored offsets reach the end of every partition of the
// topics, keyed topic:partition, and returns them.
func waitCaughtUpTopics(t *testing.T, e *enginetest.Engine, broker string, topics []string, timeout time.Duration) metadata.DataSourceMetadata {
	t.Helper()
	adm := kadm.NewClient(mustClient(t, broker))
	type progress struct {
		Stored, End map[string]int64
	}
	var md *metadata.DataSourceMetadata
	waitUntil(t, "the stored offsets to reach the end of every matching partition", timeout, func() (progress, bool) {
		p := progress{End: map[string]int64{}, Stored: map[string]int64{}}
		ends, err := adm.ListEndOffsets(context.Background(), topics...)
		if err != nil || ends.Error() != nil {
			return p, false
		}
		ends.Each(func(o kadm.ListedOffset) {
			p.End[druidapi.Partition{Topic: o.Topic, ID: o.Partition}.String()] = o.Offset
		})
		md, err = e.Store.GetDataSourceMetadata(context.Background(), "events")
		if err != nil {
			return p, false
		}
		for k, v := range md.Offsets {
			p.Stored[k.String()] = v
		}
		return p, maps.Equal(p.Stored, p.End)
	})
	return *md
}

// checkIDsOnce checks that the published rows are exactly the ids in want, each once except
// those in twice (id → expected count).
func checkIDsOnce(t *testing.T, e *enginetest.Engine, want map[int64]bool, twice map[int64]int) {
	t.Helper()
	seen := publishedIDs(t, e)
	var bad []string
	for id := range want {
		exp := 1
		if n, ok := twice[id]; ok {
			exp = n
		}
		if seen[id] != exp {
			bad = append(bad, fmt.Sprintf("%d×%d (want %d)", id, seen[id], exp))
		}
	}
	for id, n := range seen {
		if !want[id] {
			bad = append(bad, fmt.Sprintf("%d×%d (not from a matching topic)", id, n))
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		t.Fatalf("of %d expected rows, %d wrong: %v", len(want), len(bad), bad[:min(len(bad), 20)])
	}
}

// waitQuery waits until a timeseries query over /druid/v2 counts rows rows whose ids sum to
// sum (the segments are loaded by the query node shortly after publishing).
func waitQuery(t *testing.T, c *client.Client, rows, sum int64) {
	t.Helper()
	q := map[string]any{"queryType": "timeseries", "dataSource": "events", "granularity": "all",
		"intervals": []string{"2000-01-01/2100-01-01"},
		"aggregations": []any{
			map[string]any{"type": "longSum", "name": "rows", "fieldName": "count"},
			map[string]any{"type": "longSum", "name": "ids", "fieldName": "idSum"},
		}}
	type answer struct{ Rows, IDs int64 }
	waitUntil(t, fmt.Sprintf("a native query to count %d rows with id sum %d", rows, sum), 30*time.Second, func() (answer, bool) {
		var res []struct {
			Result answer `json:"result"`
		}
		if err := c.Do(context.Background(), "POST", "/druid/v2", q, &res); err != nil || len(res) != 1 {
			return answer{}, false
		}
		return res[0].Result, res[0].Result.Rows == rows && res[0].Result.IDs == sum
	})
}
