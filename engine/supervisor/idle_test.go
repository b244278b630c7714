package supervisor_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
)

// taskIDs lists every task of the events datasource the runner knows, active or complete.
func (h *harness) taskIDs() []string {
	h.t.Helper()
	infos, err := h.e.Runner.Infos(context.Background(), metadata.TaskFilter{DataSource: "events"})
	if err != nil {
		h.t.Fatal(err)
	}
	ids := make([]string, 0, len(infos))
	for _, in := range infos {
		ids = append(ids, in.ID)
	}
	slices.Sort(ids)
	return ids
}

// staysIdle waits for IDLE (detailedState too, healthy), then watches several runs (period
// PT0.5S) and fails if the supervisor leaves IDLE or any task is created.
func (h *harness) staysIdle(what string, before []string) {
	h.t.Helper()
	h.waitFor(what+": IDLE", 15*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.State == "IDLE" && r.Payload.DetailedState == "IDLE"
	})
	for range 6 {
		rep := h.status()
		if p := rep.Payload; p.State != "IDLE" || p.DetailedState != "IDLE" || !p.Healthy || len(p.ActiveTasks) != 0 || len(p.PublishingTasks) != 0 {
			h.t.Fatalf("%s: state %s/%s healthy %v, %d active, %d publishing; want IDLE with no task", what, p.State, p.DetailedState, p.Healthy, len(p.ActiveTasks), len(p.PublishingTasks))
		}
		if healthy, err := h.c.SupervisorHealth(context.Background(), "events"); err != nil || !healthy {
			h.t.Fatalf("%s: health %v, %v", what, healthy, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if after := h.taskIDs(); !slices.Equal(after, before) {
		h.t.Fatalf("%s: tasks created while IDLE: before %v, after %v", what, before, after)
	}
}

// TestIdleOnStartWithoutNewData is Druid ≥ 31's start in IDLE (issue 17): once every row is
// published (stored offsets = latest offsets), resuming the supervisor and resubmitting its spec
// with a changed field go straight to IDLE without starting a task; one new row makes it leave
// IDLE, start a task and publish the row exactly once.
func TestIdleOnStartWithoutNewData(t *testing.T) {
	h := newHarness(t, 2)
	ctx := context.Background()
	idle := map[string]any{"idleConfig": map[string]any{"enabled": true}}
	spec := withIOConfig(supervisorSpec(h.broker, "events", 1, 1, nil), "events", idle)
	produceIDs(t, h.broker, 0, 40)
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, spec); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, h.e, h.broker, "events", 20*time.Second)
	if _, err := h.c.Suspend(ctx, "events"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("suspended with no task", 20*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.State == "SUSPENDED" && activeTasks(r) == 0 && len(r.Payload.PublishingTasks) == 0
	})
	active := true
	waitUntil(t, "no active task in the runner", 20*time.Second, func() ([]string, bool) {
		infos, err := h.e.Runner.Infos(ctx, metadata.TaskFilter{Active: &active, DataSource: "events"})
		return nil, err == nil && len(infos) == 0
	})
	waitCaughtUp(t, h.e, h.broker, "events", 5*time.Second)
	before := h.taskIDs()
	if len(before) == 0 {
		t.Fatal("no task ran before the suspend")
	}

	if _, err := h.c.Resume(ctx, "events"); err != nil {
		t.Fatal(err)
	}
	h.staysIdle("after resume", before)

	changed := withIOConfig(spec, "events", map[string]any{"completionTimeout": "PT61S"})
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, changed); err != nil {
		t.Fatal(err)
	}
	h.staysIdle("after resubmit with a changed field", before)

	produceIDs(t, h.broker, 40, 1)
	h.waitFor("leaving IDLE with a task", 15*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.State == "RUNNING" && len(h.taskIDs()) > len(before)
	})
	waitCaughtUp(t, h.e, h.broker, "events", 20*time.Second)
	checkExactlyOnce(t, h.e, 41)
}

// TestIdleOnStartAfterDaemonRestart restarts the daemon under an idle supervisor whose rows are
// all published: the restarted supervisor goes IDLE on its first run without starting a task
// (inactiveAfterMillis alone would start one and wait a full second first).
func TestIdleOnStartAfterDaemonRestart(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	broker := cluster.ListenAddrs()[0]
	dataDir := t.TempDir()
	start := func(t *testing.T) *harness {
		store, err := embedded.Open(filepath.Join(dataDir, "metadata"))
		if err != nil {
			t.Fatal(err)
		}
		h := &harness{t: t, cluster: cluster, broker: broker, e: enginetest.StartIn(t, dataDir, store)}
		if h.c, err = client.New(h.e.URL, client.WithMaxRetries(1)); err != nil {
			t.Fatal(err)
		}
		return h
	}
	ctx := context.Background()
	idle := map[string]any{"idleConfig": map[string]any{"enabled": true, "inactiveAfterMillis": 1000}}
	produceIDs(t, broker, 0, 30)
	var before []string
	t.Run("first daemon", func(t *testing.T) {
		h := start(t)
		if _, err := h.c.CreateOrUpdateSupervisor(ctx, withIOConfig(supervisorSpec(broker, "events", 1, 1, map[string]any{"offsetFetchPeriod": "PT5S"}), "events", idle)); err != nil {
			t.Fatal(err)
		}
		waitCaughtUp(t, h.e, broker, "events", 20*time.Second)
		h.waitFor("IDLE with every task done", 30*time.Second, func(r *client.SupervisorReport) bool {
			return r.Payload.State == "IDLE" && activeTasks(r) == 0 && len(r.Payload.PublishingTasks) == 0
		})
		before = h.taskIDs()
	})
	h := start(t)
	if got := h.taskIDs(); !slices.Equal(got, before) {
		t.Fatalf("tasks before the restart %v, after %v", before, got)
	}
	h.staysIdle("after the daemon restart", before)
	produceIDs(t, broker, 30, 1)
	h.waitFor("leaving IDLE with a task", 15*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.State == "RUNNING" && len(h.taskIDs()) > len(before)
	})
	waitCaughtUp(t, h.e, broker, "events", 20*time.Second)
	checkExactlyOnce(t, h.e, 31)
}
