package supervisor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// TestAutoscalerScaleIsExactlyOnce scales a supervisor over 2 partitions from 1 task to 2 and
// back to 1 while rows stream in, querying all along (issue 17): no query ever counts more rows
// than were produced or sees a row twice, no task fails, and at the end every row is published
// exactly once. The scale decisions are forced (Manager.ForceScale) so they come on cue; the
// scale actions are the autoscaler's own.
func TestAutoscalerScaleIsExactlyOnce(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testScaleExactlyOnce(t, enginetest.Start(t), 1) })
	t.Run("postgres", func(t *testing.T) {
		store, err := postgres.Open(context.Background(), metadatatest.FreshPostgresSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		testScaleExactlyOnce(t, enginetest.StartWithStore(t, store), 1)
	})
	// Two replicas per group: the old generation (2 tasks) publishes while the new one (4)
	// starts, so 6 slots are busy during the scale-out.
	t.Run("replicas=2", func(t *testing.T) { testScaleExactlyOnce(t, enginetest.Start(t, enginetest.WorkerCapacity(8)), 2) })
}

func testScaleExactlyOnce(t *testing.T, e *enginetest.Engine, replicas int) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	c, err := client.New(e.URL, client.WithMaxRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, cluster: cluster, broker: cluster.ListenAddrs()[0], e: e, c: c}
	ctx := context.Background()
	p := startProducer(t, h.broker, "events", 400)
	// Small segments: every generation hands off incrementally, so new tasks publish while
	// (or right after) the groups they took over from publish.
	var sp map[string]any
	_ = json.Unmarshal(forcedScaleSpec(h.broker, 100), &sp)
	sp["spec"].(map[string]any)["ioConfig"].(map[string]any)["replicas"] = replicas
	raw, _ := json.Marshal(sp)
	if _, err := c.CreateOrUpdateSupervisor(ctx, raw); err != nil {
		t.Fatal(err)
	}
	h.waitFor("one group reading", 20*time.Second, func(r *client.SupervisorReport) bool {
		return activeTasks(r) == replicas && h.readRows(r.Payload.ActiveTasks[0]) > 0
	})
	waitUntil(t, "rows visible to queries", 20*time.Second, func() (int64, bool) {
		n, _, err := queryRows(ctx, c)
		return n, err == nil && n > 0
	})

	q := startQuerying(t, c, p)
	for _, n := range []int{2, 1} {
		if err := e.Manager.ForceScale(ctx, "events", n); err != nil {
			t.Fatal(err)
		}
		// Scaled: n groups reading, every one having read rows past its start, and the old
		// groups published (nothing pending).
		h.waitFor(fmt.Sprintf("scaled to %d reading groups, old ones published", n), 30*time.Second, func(r *client.SupervisorReport) bool {
			if activeTasks(r) != n*replicas || len(r.Payload.PublishingTasks) != 0 {
				return false
			}
			for _, tr := range r.Payload.ActiveTasks {
				if h.readRows(tr) < 300 {
					return false
				}
			}
			return true
		})
		h.checkScaledSpec(n)
	}
	produced := p.close(t)
	// Suspending publishes what the last group has read, so first it reads everything.
	h.waitReadToEnd("events", 20*time.Second)
	if _, err := c.Suspend(ctx, "events"); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, e, h.broker, "events", 30*time.Second)
	waitUntil(t, "every row visible once", 20*time.Second, func() (int64, bool) {
		n, dups, err := queryRows(ctx, c)
		return n, err == nil && n == produced && dups == 0
	})
	polls := q.stop(t)
	checkExactlyOnce(t, e, produced)

	// 1 group, then 2, then 1: three generations, the last published by the suspend.
	if n := checkNoTaskFailed(t, c); n != 4*replicas {
		t.Errorf("%d tasks, want %d (1 → 2 → 1 groups of %d replicas)", n, 4*replicas, replicas)
	}
	t.Logf("%d rows exactly once; %d queries answered during the scale actions", produced, polls)
}

// checkNoTaskFailed lists the supervisor's tasks through the task API, fails the test for each
// one that completed other than SUCCESS, and returns how many there are.
func checkNoTaskFailed(t *testing.T, c *client.Client) int {
	t.Helper()
	var tasks []struct {
		ID         string `json:"id"`
		StatusCode string `json:"statusCode"`
		ErrorMsg   string `json:"errorMsg"`
	}
	if err := c.Do(context.Background(), "GET", "/druid/indexer/v1/tasks?datasource=events", nil, &tasks); err != nil {
		t.Fatal(err)
	}
	for _, tk := range tasks {
		if tk.StatusCode == "FAILED" {
			t.Errorf("task %s FAILED: %s", tk.ID, tk.ErrorMsg)
		}
	}
	return len(tasks)
}

// forcedScaleSpec is the test supervisor with an autoscaler between 1 and 2 tasks whose lag
// never decides anything (the start delay outlasts the tests): each scale action is forced.
// taskDuration is long, so only the scale actions hand partitions over.
func forcedScaleSpec(broker string, maxRowsPerSegment int) []byte {
	raw := autoscalerSpec(broker, map[string]any{
		"enableTaskAutoScaler": true, "taskCountMin": 1, "taskCountMax": 2, "taskCountStart": 1,
		"scaleActionStartDelayMillis": 3600000, "minTriggerScaleActionFrequencyMillis": 100,
	})
	var sp map[string]any
	_ = json.Unmarshal(raw, &sp)
	sp["spec"].(map[string]any)["ioConfig"].(map[string]any)["taskDuration"] = "PT10M"
	sp["spec"].(map[string]any)["tuningConfig"].(map[string]any)["maxRowsPerSegment"] = maxRowsPerSegment
	raw, _ = json.Marshal(sp)
	return raw
}

// TestScaleOutOldGroupFailsToPublish: when the group a scale action retired fails to publish,
// the new groups that took over its partitions are restarted at once from the stored offsets,
// rather than reading on from end offsets that were never committed and failing their own
// publish minutes later. The old group's publish is made to fail by moving the stored offsets
// while it reads, as an operator writing the store behind the supervisor's back would.
func TestScaleOutOldGroupFailsToPublish(t *testing.T) {
	h := newHarness(t, 2)
	ctx := context.Background()
	p := startProducer(t, h.broker, "events", 400)
	defer p.close(t)
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, forcedScaleSpec(h.broker, 5000000)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("one task having read rows of both partitions", 20*time.Second, func(r *client.SupervisorReport) bool {
		if activeTasks(r) != 1 {
			return false
		}
		tk, ok := h.e.Runner.Task(r.Payload.ActiveTasks[0].ID)
		cur := task.Offsets{}
		if ok {
			cur = tk.CurrentOffsets()
		}
		return cur[druidapi.Partition{ID: 0}] > 10 && cur[druidapi.Partition{ID: 1}] > 10
	})
	md := func(o int64) *metadata.DataSourceMetadata {
		return &metadata.DataSourceMetadata{Stream: "events", Offsets: map[druidapi.Partition]int64{{ID: 0}: o, {ID: 1}: o}}
	}
	if err := h.e.Store.Publish(ctx, metadata.PublishRequest{SupervisorID: "events", DataSource: "events", Start: md(0), End: md(5)}); err != nil {
		t.Fatal(err)
	}
	if err := h.e.Manager.ForceScale(ctx, "events", 2); err != nil {
		t.Fatal(err)
	}
	// The retired group's publish fails (stored offsets ahead of its start); well before a
	// new group's own publish retries would run out, both new groups read from the stored 5.
	h.waitFor("two groups restarted from the stored offsets", 30*time.Second, func(r *client.SupervisorReport) bool {
		if activeTasks(r) != 2 {
			return false
		}
		for _, tr := range r.Payload.ActiveTasks {
			for _, o := range tr.StartingOffsets {
				if o != 5 {
					return false
				}
			}
		}
		return true
	})
	h.checkScaledSpec(2)
}

// queryRows asks the engine's native query API for the number of rows of events and the
// number of ids that appear more than once.
func queryRows(ctx context.Context, c *client.Client) (rows int64, dups int, err error) {
	all := []string{"2000-01-01/3000-01-01"}
	var ts []struct {
		Result struct {
			Rows int64 `json:"rows"`
		} `json:"result"`
	}
	err = c.Do(ctx, "POST", "/druid/v2", map[string]any{
		"queryType": "timeseries", "dataSource": "events", "intervals": all, "granularity": "all",
		"aggregations": []any{map[string]any{"type": "count", "name": "rows"}},
	}, &ts)
	if err != nil {
		return 0, 0, err
	}
	if len(ts) > 0 {
		rows = ts[0].Result.Rows
	}
	var gb []json.RawMessage
	err = c.Do(ctx, "POST", "/druid/v2", map[string]any{
		"queryType": "groupBy", "dataSource": "events", "intervals": all, "granularity": "all",
		"dimensions":   []any{"id"},
		"aggregations": []any{map[string]any{"type": "count", "name": "n"}},
		"having":       map[string]any{"type": "greaterThan", "aggregation": "n", "value": 1},
	}, &gb)
	return rows, len(gb), err
}

// querier queries continuously until stopped and keeps the first violation it saw.
type querier struct {
	stopCh chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	polls  int
	bad    string
}

func startQuerying(t *testing.T, c *client.Client, p *producer) *querier {
	q := &querier{stopCh: make(chan struct{})}
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		for {
			select {
			case <-q.stopCh:
				return
			case <-time.After(50 * time.Millisecond):
			}
			rows, dups, err := queryRows(context.Background(), c)
			// Read after the answer: every row the query saw was produced before this.
			produced := p.next.Load()
			q.mu.Lock()
			switch {
			case err != nil:
				// A failed query is not a wrong answer; the final checks show whether the
				// engine answers at all.
			case dups > 0 && q.bad == "":
				q.bad = fmt.Sprintf("%d ids visible twice (%d rows)", dups, rows)
			case rows > produced && q.bad == "":
				q.bad = fmt.Sprintf("%d rows visible, only %d produced", rows, produced)
			}
			if err == nil {
				q.polls++
			}
			q.mu.Unlock()
		}
	}()
	t.Cleanup(func() { q.halt() })
	return q
}

func (q *querier) halt() {
	select {
	case <-q.stopCh:
	default:
		close(q.stopCh)
	}
	q.wg.Wait()
}

// stop ends the queries, fails the test on a violation and returns how many queries answered.
func (q *querier) stop(t *testing.T) int {
	t.Helper()
	q.halt()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.bad != "" {
		t.Errorf("a query during the scale actions saw %s", q.bad)
	}
	if q.polls == 0 {
		t.Error("no query answered during the scale actions")
	}
	return q.polls
}

// waitReadToEnd waits until the reading tasks have read every partition of topic to its end.
func (h *harness) waitReadToEnd(topic string, timeout time.Duration) {
	h.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(h.broker))
	if err != nil {
		h.t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	type progress struct{ Read, End map[druidapi.Partition]int64 }
	waitUntil(h.t, "the reading tasks to reach the end of every partition", timeout, func() (progress, bool) {
		pr := progress{Read: map[druidapi.Partition]int64{}, End: map[druidapi.Partition]int64{}}
		ends, err := adm.ListEndOffsets(context.Background(), topic)
		if err != nil || ends.Error() != nil {
			return pr, false
		}
		ends.Each(func(o kadm.ListedOffset) { pr.End[druidapi.Partition{ID: o.Partition}] = o.Offset })
		for _, tr := range h.status().Payload.ActiveTasks {
			if tk, ok := h.e.Runner.Task(tr.ID); ok {
				maps.Copy(pr.Read, tk.CurrentOffsets())
			}
		}
		return pr, maps.Equal(pr.Read, pr.End)
	})
}
