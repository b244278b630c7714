package supervisor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// TestCheckpointsCutSegmentsAtMaxRowsPerSegment is issue 13's stuck checkpoint: rows already
// waiting in Kafka when the tasks start make the first checkpoint arrive before the supervisor
// has seen the task's start, and a fetch of 20,000 records used to be ingested whole before the
// segment limit was looked at. With taskDuration PT1H only checkpoints can cut segments here, so
// every row being published, in segments of at most maxRowsPerSegment rows, shows that each
// checkpoint was answered; no task may be left PAUSED at the end.
func TestCheckpointsCutSegmentsAtMaxRowsPerSegment(t *testing.T) {
	for _, tc := range []struct {
		name                string
		partitions, perPart int
		replicas            int
		postgres            bool
	}{
		{name: "replicas=1", partitions: 2, perPart: 25000, replicas: 1},
		// Two replicas must agree on every boundary: a replica the supervisor cannot pause
		// is replaced, never left behind with a different sequence layout.
		{name: "replicas=2", partitions: 1, perPart: 10000, replicas: 2},
		{name: "replicas=2/postgres", partitions: 1, perPart: 10000, replicas: 2, postgres: true},
		// Five replicas on four worker slots: one always waits for a slot. It cannot be paused,
		// so each checkpoint replaces it (with the new checkpoint in its context) instead of
		// skipping it or waiting for it.
		{name: "replicas=5/one waiting for a slot", partitions: 1, perPart: 4000, replicas: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e *enginetest.Engine
			if tc.postgres {
				store, err := postgres.Open(context.Background(), metadatatest.FreshPostgresSchema(t))
				if err != nil {
					t.Fatal(err)
				}
				e = enginetest.StartWithStore(t, store)
			} else {
				e = enginetest.Start(t)
			}
			testCheckpointBacklog(t, e, tc.partitions, tc.perPart, tc.replicas)
		})
	}
}

func testCheckpointBacklog(t *testing.T, e *enginetest.Engine, partitions, perPart, replicas int) {
	const maxRows = 1000
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(partitions), "events"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	total := prefill(t, broker, "events", partitions, perPart)

	c, err := client.New(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var sp map[string]any
	_ = json.Unmarshal(supervisorSpec(broker, "events", 1, replicas, map[string]any{"maxRowsPerSegment": maxRows}), &sp)
	sp["spec"].(map[string]any)["ioConfig"].(map[string]any)["taskDuration"] = "PT1H"
	raw, _ := json.Marshal(sp)
	if _, err := c.CreateOrUpdateSupervisor(ctx, raw); err != nil {
		t.Fatal(err)
	}
	// Generous: the point is that it finishes at all while taskDuration is an hour.
	waitCaughtUp(t, e, broker, "events", 90*time.Second)

	segs, err := e.Store.Segments(ctx, "events", true)
	if err != nil {
		t.Fatal(err)
	}
	var over []string
	for _, s := range segs {
		var d struct {
			LoadSpec struct{ Path string } `json:"loadSpec"`
		}
		if err := json.Unmarshal(s.Payload, &d); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := segment.Dump(&buf, d.LoadSpec.Path, segment.DumpOptions{Mode: "rows", Columns: []string{"id"}}); err != nil {
			t.Fatal(err)
		}
		n := bytes.Count(buf.Bytes(), []byte("\n"))
		if n > maxRows {
			over = append(over, fmt.Sprintf("%s: %d rows", s.ID, n))
		}
	}
	if len(over) > 0 {
		t.Errorf("%d of %d segments exceed maxRowsPerSegment %d: %v", len(over), len(segs), maxRows, over)
	}
	if min := total / maxRows; len(segs) < min {
		t.Errorf("%d segments for %d rows, want at least %d", len(segs), total, min)
	}
	checkExactlyOnce(t, e, int64(total))

	// Every task still reading (taskDuration is an hour) must be READING, not parked in PAUSED
	// waiting for an answer that never comes. The replica waiting for a slot may be replaced
	// between reading the status and asking it (a late checkpoint replaces it), so a task that
	// is gone by then means: read the status again.
	want := min(replicas, 4) // enginetest runs 4 worker slots
	waitUntil(t, fmt.Sprintf("%d tasks READING and the rest waiting for a slot", want), 20*time.Second, func() (map[string]string, bool) {
		rep, err := c.SupervisorStatus(ctx, "events")
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Payload.ActiveTasks) == 0 {
			t.Fatalf("no active tasks; state %s, errors %+v", rep.Payload.State, rep.Payload.RecentErrors)
		}
		states := map[string]string{}
		reading := 0
		for _, at := range rep.Payload.ActiveTasks {
			st, ok := chatStatus(t, e.URL, at.ID)
			if !ok {
				return states, false // ended since the status was read
			}
			states[at.ID] = st
			switch st {
			case "READING":
				reading++
			case "NOT_STARTED": // waiting for a worker slot
			default:
				t.Fatalf("task %s is %s after every row was published, want READING", at.ID, st)
			}
		}
		return states, reading == want
	})
	t.Logf("%d rows in %d segments", total, len(segs))
}

// prefill writes perPart small JSON events with unique ids to each partition before anything
// reads them: the backlog a supervisor finds when it starts late.
func prefill(t *testing.T, broker, topic string, partitions, perPart int) int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ts := time.Now().UTC().Truncate(time.Hour).Add(time.Minute).Format(time.RFC3339)
	recs := make([]*kgo.Record, 0, partitions*perPart)
	id := 0
	for p := 0; p < partitions; p++ {
		for i := 0; i < perPart; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(p), Value: fmt.Appendf(nil, `{"timestamp":%q,"id":%d,"host":"h%d"}`, ts, id, id%5)})
			id++
		}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return id
}

// chatStatus reads a task's status over the chat API, as the supervisor does; ok is false when
// the task is not running (any more).
func chatStatus(t *testing.T, base, id string) (status string, ok bool) {
	t.Helper()
	resp, err := http.Get(base + "/druid/worker/v1/chat/" + url.PathEscape(id) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return "", false
	}
	var st string
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("status of task %s (HTTP %d): %v", id, resp.StatusCode, err)
	}
	return st, true
}
