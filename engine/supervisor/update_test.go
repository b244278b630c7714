package supervisor_test

import (
	"context"
	"encoding/json"
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

// TestSuspendByPost resubmits the running spec with "suspended": true, the way Druid's
// suspend endpoint re-posts it: the reading group hands off and no task is left reading.
func TestSuspendByPost(t *testing.T) {
	h := newHarness(t, 1)
	ctx := context.Background()
	raw := supervisorSpec(h.broker, "events", 1, 1, nil)
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, raw); err != nil {
		t.Fatal(err)
	}
	h.waitFor("reading", 20*time.Second, func(r *client.SupervisorReport) bool { return activeTasks(r) == 1 })
	suspended := append([]byte(`{"suspended":true,`), raw[1:]...)
	if a, err := h.c.DryRunSupervisor(ctx, suspended); err != nil || a.Impact != "handoff" {
		t.Fatalf("dry run %+v, %v; want handoff", a, err)
	}
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, suspended); err != nil {
		t.Fatal(err)
	}
	h.waitFor("suspended with no reading task", 30*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.State == "SUSPENDED" && activeTasks(r) == 0 && r.Payload.Suspended
	})
	// The task itself finished publishing, rather than being left reading unseen.
	h.waitFor("no running task", 30*time.Second, func(*client.SupervisorReport) bool {
		var running []json.RawMessage
		if err := h.c.Do(ctx, "GET", "/druid/indexer/v1/tasks?state=running&datasource=events", nil, &running); err != nil {
			t.Fatal(err)
		}
		return len(running) == 0
	})
}
