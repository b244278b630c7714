package supervisor_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/daemon"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
)

// TestTasksBoundedByCapacity runs a valid but large spec (8 groups × 16 replicas = 128 tasks)
// on an engine with one worker slot and a queue of two: the supervisor creates three tasks, one
// for each of the first three groups, reports the full queue in recentErrors on every run, and after five such runs has still
// created no more.
func TestTasksBoundedByCapacity(t *testing.T) {
	const capacity, queue = 1, 2
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(8, "events"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	store, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := enginetest.StartWithStore(t, store, func(o *daemon.Options) {
		o.WorkerCapacity, o.TaskQueueSize = capacity, queue
	})
	c, err := client.New(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	_ = json.Unmarshal(supervisorSpec(broker, "events", 8, 16, nil), &spec)
	// Tasks that outlive the test, so every task created stays and is counted.
	spec["spec"].(map[string]any)["ioConfig"].(map[string]any)["taskDuration"] = "PT1H"
	raw, _ := json.Marshal(spec)
	ctx := context.Background()
	if _, err := c.CreateOrUpdateSupervisor(ctx, raw); err != nil {
		t.Fatal(err)
	}

	// Each run stops at the first refused task and records it; recentErrors keeps only the
	// last few, so runs are counted by the distinct timestamps seen across polls.
	runs := map[string]bool{}
	rep := waitUntil(t, "five runs reporting a full task queue", 60*time.Second, func() (*client.SupervisorReport, bool) {
		rep, err := c.SupervisorStatus(ctx, "events")
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range rep.Payload.RecentErrors {
			if strings.Contains(ev.Message, "task queue is full") {
				runs[ev.Timestamp] = true
			}
		}
		return rep, len(runs) >= 5
	})
	tasks, err := e.Store.ListTasks(ctx, metadata.TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	running, waiting := e.Runner.Running()
	if len(tasks) != capacity+queue || running != capacity || waiting != queue {
		t.Fatalf("%d tasks in the store, %d running, %d waiting; want %d = %d running + %d waiting",
			len(tasks), running, waiting, capacity+queue, capacity, queue)
	}
	// Replicas are created round by round, so the three tasks read three different groups
	// (0, 1 and 2: one partition each) rather than three replicas of one.
	parts := map[string]bool{}
	for _, at := range rep.Payload.ActiveTasks {
		for p := range at.StartingOffsets {
			parts[p] = true
		}
	}
	if len(parts) != capacity+queue || !parts["0"] || !parts["1"] || !parts["2"] {
		b, _ := json.Marshal(rep.Payload.ActiveTasks)
		t.Fatalf("active tasks read partitions %v, want 0, 1 and 2: %s", parts, b)
	}
	last := rep.Payload.RecentErrors[len(rep.Payload.RecentErrors)-1]
	t.Logf("%d tasks for a spec asking 128; supervisor %s reports %q", len(tasks), rep.Payload.State, last.Message)
}
