package supervisor_test

import (
	"context"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
)

// TestSpecUpdateKeepsTasks changes only ioConfig settings the supervisor alone uses: the dry run
// says keepTasks and, after the update, the same task keeps reading (adopted, not handed off);
// nothing is lost or doubled.
func TestSpecUpdateKeepsTasks(t *testing.T) {
	h := newHarness(t, 2)
	ctx := context.Background()
	p := startProducer(t, h.broker, "events", 1000)
	long := map[string]any{"taskDuration": "PT60S"}
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, withIOConfig(supervisorSpec(h.broker, "events", 1, 1, nil), "events", long)); err != nil {
		t.Fatal(err)
	}
	rep := h.waitFor("reading", 20*time.Second, func(r *client.SupervisorReport) bool {
		return activeTasks(r) == 1 && r.Payload.ActiveTasks[0].StartTime != nil
	})
	before := rep.Payload.ActiveTasks[0].ID
	next := withIOConfig(supervisorSpec(h.broker, "events", 1, 1, nil), "events", map[string]any{"taskDuration": "PT90S", "completionTimeout": "PT90S"})
	a, err := h.c.DryRunSupervisor(ctx, next)
	if err != nil || a.Impact != "keepTasks" {
		t.Fatalf("dry run %+v, %v; want keepTasks", a, err)
	}
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, next); err != nil {
		t.Fatal(err)
	}
	rep = h.waitFor("the task adopted", 20*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.State == "RUNNING" && activeTasks(r) == 1
	})
	if got := rep.Payload.ActiveTasks[0].ID; got != before {
		t.Fatalf("after a keepTasks update the reading task is %s, want %s (adopted)", got, before)
	}
	if len(rep.Payload.PublishingTasks) != 0 {
		t.Errorf("publishing tasks after a keepTasks update: %+v", rep.Payload.PublishingTasks)
	}
	time.Sleep(time.Second)
	produced := p.close(t)
	// A tuning change hands off again, so the test can wait for everything to be published.
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, supervisorSpec(h.broker, "events", 1, 1, map[string]any{"maxRowsInMemory": 50000})); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, h.e, h.broker, "events", 40*time.Second)
	checkExactlyOnce(t, h.e, produced)
}
