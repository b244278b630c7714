package supervisor_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
)

// harness is an engine, a broker and a client.
type harness struct {
	t       *testing.T
	cluster *kfake.Cluster
	broker  string
	e       *enginetest.Engine
	c       *client.Client
	down    atomic.Bool
}

func newHarness(t *testing.T, partitions int32) *harness {
	return newHarnessOn(t, partitions, nil)
}

// newHarnessOn is newHarness on a given engine; nil starts one on the embedded store.
func newHarnessOn(t *testing.T, partitions int32, e *enginetest.Engine) *harness {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, "events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	h := &harness{t: t, cluster: cluster, broker: cluster.ListenAddrs()[0]}
	// While down is set, every request fails by closing the connection: a broker that is gone.
	cluster.Control(func(kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		if h.down.Load() {
			return nil, errors.New("broker down"), true
		}
		return nil, nil, false
	})
	h.e = e
	if h.e == nil {
		h.e = enginetest.Start(t)
	}
	h.c, err = client.New(h.e.URL, client.WithMaxRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) status() *client.SupervisorReport {
	rep, err := h.c.SupervisorStatus(context.Background(), "events")
	if err != nil {
		h.t.Fatal(err)
	}
	return rep
}

// waitFor polls the supervisor's status until cond holds or the timeout passes.
func (h *harness) waitFor(what string, timeout time.Duration, cond func(*client.SupervisorReport) bool) *client.SupervisorReport {
	h.t.Helper()
	return waitUntil(h.t, what, timeout, func() (*client.SupervisorReport, bool) {
		rep := h.status()
		return rep, cond(rep)
	})
}

func activeTasks(rep *client.SupervisorReport) int { return len(rep.Payload.ActiveTasks) }

// readRows is how many records an active task has read since its starting offsets. It asks
// the task itself: the report's currentOffsets are refreshed only every offsetFetchPeriod.
func (h *harness) readRows(tr client.TaskReport) int64 {
	tk, ok := h.e.Runner.Task(tr.ID)
	if !ok {
		return 0
	}
	var n int64
	for p, cur := range tk.CurrentOffsets() {
		n += cur - tr.StartingOffsets[p.String()]
	}
	return n
}

// readingTasks is a waitFor condition: the supervisor has n active tasks and each has read rows.
func (h *harness) readingTasks(n int) func(*client.SupervisorReport) bool {
	return func(r *client.SupervisorReport) bool {
		if activeTasks(r) != n {
			return false
		}
		for _, tr := range r.Payload.ActiveTasks {
			if h.readRows(tr) == 0 {
				return false
			}
		}
		return true
	}
}

// TestSuspendResumeResetOperations checks the operator runbook: suspend stops reading (tasks
// publish, none left reading), resume starts again, resetOffsets moves the stored offsets and
// restarts the owning group there, and reset deletes them.
func TestSuspendResumeResetOperations(t *testing.T) {
	h := newHarness(t, 2)
	ctx := context.Background()
	p := startProducer(t, h.broker, "events", 500)
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, supervisorSpec(h.broker, "events", 1, 1, nil)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("a reading task", 20*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.State == "RUNNING" && activeTasks(r) == 1 && r.Payload.ActiveTasks[0].StartTime != nil
	})
	if _, err := h.c.Suspend(ctx, "events"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("suspended with no reading task", 30*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.State == "SUSPENDED" && activeTasks(r) == 0 && r.Payload.Suspended
	})
	if healthy, err := h.c.SupervisorHealth(ctx, "events"); err != nil || !healthy {
		t.Errorf("suspended supervisor health %v, %v", healthy, err)
	}
	if _, err := h.c.Resume(ctx, "events"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("reading again", 20*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.State == "RUNNING" && activeTasks(r) == 1
	})
	produced := p.close(t)
	waitCaughtUp(t, h.e, h.broker, "events", 40*time.Second)
	checkExactlyOnce(t, h.e, produced)

	// resetOffsets: partition 0 goes back to 0; the group restarts and re-reads it.
	if err := h.c.ResetOffsets(ctx, "events", "events", map[druidapi.Partition]int64{{ID: 0}: 0}); err != nil {
		t.Fatal(err)
	}
	md, err := h.e.Store.GetDataSourceMetadata(ctx, "events")
	if err != nil || md.Offsets[druidapi.Partition{ID: 0}] != 0 || md.Offsets[druidapi.Partition{ID: 1}] == 0 {
		t.Fatalf("after resetOffsets stored offsets %+v, %v", md, err)
	}
	h.waitFor("partition 0 re-read after resetOffsets", 40*time.Second, func(r *client.SupervisorReport) bool {
		m, err := h.e.Store.GetDataSourceMetadata(ctx, "events")
		return err == nil && m.Offsets[druidapi.Partition{ID: 0}] > 0
	})
	// reset: stored offsets deleted, reading tasks killed, the supervisor keeps running.
	if err := h.c.Reset(ctx, "events"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Store.GetDataSourceMetadata(ctx, "events"); err == nil {
		// A publishing generation may recreate the row right away; that is Druid's documented race.
		t.Log("stored offsets recreated by a publishing generation after reset")
	}
	h.waitFor("running after reset", 20*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.State == "RUNNING" && activeTasks(r) == 1
	})
}

// TestSpecUpdateMidStream replaces the spec while events stream in: the old reading group
// publishes, the new supervisor starts exactly at its end offsets, nothing is lost or doubled.
func TestSpecUpdateMidStream(t *testing.T) {
	h := newHarness(t, 2)
	ctx := context.Background()
	p := startProducer(t, h.broker, "events", 1000)
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, supervisorSpec(h.broker, "events", 1, 1, nil)); err != nil {
		t.Fatal(err)
	}
	// Mid-stream: the first task has ingested rows that its group must publish on the update.
	h.waitFor("the first task reading rows", 20*time.Second, func(r *client.SupervisorReport) bool {
		return activeTasks(r) == 1 && h.readRows(r.Payload.ActiveTasks[0]) >= 500
	})
	// A tuning change makes running tasks non-current: they publish and new ones take over.
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, supervisorSpec(h.broker, "events", 2, 1, map[string]any{"maxRowsInMemory": 50000})); err != nil {
		t.Fatal(err)
	}
	rep := h.waitFor("two new groups", 20*time.Second, func(r *client.SupervisorReport) bool { return activeTasks(r) == 2 })
	for _, tr := range rep.Payload.ActiveTasks {
		if tr.StartingOffsets == nil {
			t.Errorf("task %s has no starting offsets", tr.ID)
		}
	}
	// The new groups take over while events still stream in.
	h.waitFor("both new groups reading rows", 20*time.Second, h.readingTasks(2))
	produced := p.close(t)
	waitCaughtUp(t, h.e, h.broker, "events", 40*time.Second)
	checkExactlyOnce(t, h.e, produced)
	hist, err := h.c.SupervisorHistory(ctx, "events")
	if err != nil || len(hist) != 2 {
		t.Errorf("history: %d versions, %v", len(hist), err)
	}
}

// TestBrokerOutage takes the broker away: the supervisor reports LOST_CONTACT_WITH_STREAM and
// unhealthy, then returns to RUNNING when it comes back, with nothing lost.
func TestBrokerOutage(t *testing.T) {
	h := newHarness(t, 1)
	ctx := context.Background()
	p := startProducer(t, h.broker, "events", 300)
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, supervisorSpec(h.broker, "events", 1, 1, nil)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("running", 20*time.Second, func(r *client.SupervisorReport) bool { return r.Payload.State == "RUNNING" && activeTasks(r) == 1 })
	produced := p.close(t)
	h.down.Store(true)
	rep := h.waitFor("lost contact", 40*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.DetailedState == "LOST_CONTACT_WITH_STREAM"
	})
	if rep.Payload.Healthy || len(rep.Payload.RecentErrors) == 0 || !rep.Payload.RecentErrors[0].StreamException {
		t.Errorf("lost contact but healthy=%v, errors %+v", rep.Payload.Healthy, rep.Payload.RecentErrors)
	}
	if healthy, _ := h.c.SupervisorHealth(ctx, "events"); healthy {
		t.Error("health endpoint says healthy while the broker is down")
	}
	h.down.Store(false)
	h.waitFor("recovered", 60*time.Second, func(r *client.SupervisorReport) bool { return r.Payload.State == "RUNNING" && r.Payload.Healthy })
	waitCaughtUp(t, h.e, h.broker, "events", 60*time.Second)
	checkExactlyOnce(t, h.e, produced)
}

// TestAutoscalerScalesOut enables the lag-based autoscaler with a threshold every sample meets:
// it scales from taskCountMin to the partition count, the new taskCount shows as a new spec
// version in history, and no event is lost or doubled across the change.
func TestAutoscalerScalesOut(t *testing.T) {
	h := newHarness(t, 2)
	ctx := context.Background()
	p := startProducer(t, h.broker, "events", 500)
	raw := autoscalerSpec(h.broker, map[string]any{
		"enableTaskAutoScaler": true, "taskCountMin": 1, "taskCountMax": 4,
		"lagCollectionIntervalMillis": 100, "lagCollectionRangeMillis": 500, "scaleActionStartDelayMillis": 0,
		"scaleActionPeriodMillis": 200, "minTriggerScaleActionFrequencyMillis": 1000,
		"scaleOutThreshold": 0, "triggerScaleOutFractionThreshold": 0.3, "scaleInThreshold": 0, "scaleOutStep": 2,
	})
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, raw); err != nil {
		t.Fatal(err)
	}
	h.waitFor("scaled out to 2 groups", 60*time.Second, func(r *client.SupervisorReport) bool { return activeTasks(r) == 2 })
	h.checkScaledSpec(2)
	produced := p.close(t)
	waitCaughtUp(t, h.e, h.broker, "events", 60*time.Second)
	checkExactlyOnce(t, h.e, produced)
	checkNoTaskFailed(t, h.c)
}

// TestReportShapes checks the status, stats and health JSON field by field against Druid's
// shapes (reference §1.4, §1.6).
func TestReportShapes(t *testing.T) {
	h := newHarness(t, 2)
	ctx := context.Background()
	p := startProducer(t, h.broker, "events", 300)
	defer p.close(t)
	raw := supervisorSpec(h.broker, "events", 1, 1, nil)
	var sp map[string]any
	_ = json.Unmarshal(raw, &sp)
	sp["spec"].(map[string]any)["tuningConfig"].(map[string]any)["offsetFetchPeriod"] = "PT5S"
	raw, _ = json.Marshal(sp)
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, raw); err != nil {
		t.Fatal(err)
	}
	h.waitFor("lag known", 30*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.AggregateLag != nil && activeTasks(r) == 1 && r.Payload.ActiveTasks[0].CurrentOffsets != nil
	})
	var status map[string]any
	if err := h.c.Do(ctx, "GET", "/druid/indexer/v1/supervisor/events/status", nil, &status); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
	if got := keys(status); !slices.Equal(got, []string{"generationTime", "id", "payload"}) {
		t.Errorf("status keys %v", got)
	}
	payload := status["payload"].(map[string]any)
	// minimumLagMillis and aggregateLagMillis (the time lag) are Druid's Kinesis fields, which
	// we fill for Kafka too once the reading task's position is known.
	wantPayload := []string{"activeTasks", "aggregateLag", "aggregateLagMillis", "dataSource", "detailedState", "durationSeconds", "healthy", "latestOffsets",
		"minimumLag", "minimumLagMillis", "offsetsLastUpdated", "partitions", "publishingTasks", "recentErrors", "replicas", "state", "stream", "suspended"}
	if got := keys(payload); !slices.Equal(got, wantPayload) {
		t.Errorf("payload keys %v\nwant %v", got, wantPayload)
	}
	tr := payload["activeTasks"].([]any)[0].(map[string]any)
	if got := keys(tr); !slices.Equal(got, []string{"currentOffsets", "id", "lag", "remainingSeconds", "startTime", "startingOffsets", "type"}) {
		t.Errorf("task report keys %v", got)
	}
	if payload["partitions"].(float64) != 2 || payload["durationSeconds"].(float64) != 4 || tr["type"] != "ACTIVE" {
		t.Errorf("payload values %v", payload)
	}
	var stats map[string]map[string]map[string]any
	if err := h.c.Do(ctx, "GET", "/druid/indexer/v1/supervisor/events/stats", nil, &stats); err != nil {
		t.Fatal(err)
	}
	group, ok := stats["0"]
	if !ok || len(group) != 1 {
		t.Fatalf("stats %v", stats)
	}
	for _, rs := range group {
		avg := rs["movingAverages"].(map[string]any)["buildSegments"].(map[string]any)
		if got := keys(avg); !slices.Equal(got, []string{"15m", "1m", "5m"}) {
			t.Errorf("moving averages %v", got)
		}
		tot := rs["totals"].(map[string]any)["buildSegments"].(map[string]any)
		if got := keys(tot); !slices.Equal(got, []string{"processed", "processedBytes", "processedWithError", "thrownAway", "unparseable"}) {
			t.Errorf("totals %v", got)
		}
	}
	var health map[string]any
	if err := h.c.Do(ctx, "GET", "/druid/indexer/v1/supervisor/events/health", nil, &health); err != nil || health["healthy"] != true {
		t.Errorf("health %v, %v", health, err)
	}
}

// TestAutoscalerScalesIn starts at taskCountStart 2 with every lag sample under
// scaleInThreshold: the supervisor scales in to taskCountMin, with nothing lost or doubled.
func TestAutoscalerScalesIn(t *testing.T) {
	h := newHarness(t, 2)
	ctx := context.Background()
	p := startProducer(t, h.broker, "events", 300)
	raw := autoscalerSpec(h.broker, map[string]any{
		"enableTaskAutoScaler": true, "taskCountMin": 1, "taskCountMax": 2, "taskCountStart": 2,
		"lagCollectionIntervalMillis": 100, "lagCollectionRangeMillis": 500, "scaleActionStartDelayMillis": 0,
		"scaleActionPeriodMillis": 200, "minTriggerScaleActionFrequencyMillis": 1000,
		"scaleOutThreshold": 1000000000000, "scaleInThreshold": 1000000000000, "triggerScaleInFractionThreshold": 0.9, "scaleInStep": 1,
	})
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, raw); err != nil {
		t.Fatal(err)
	}
	h.waitFor("two groups at start", 30*time.Second, func(r *client.SupervisorReport) bool { return activeTasks(r) == 2 })
	h.waitFor("scaled in to one group", 60*time.Second, func(r *client.SupervisorReport) bool {
		return activeTasks(r) == 1 && len(r.Payload.PublishingTasks) == 0
	})
	h.checkScaledSpec(1)
	produced := p.close(t)
	waitCaughtUp(t, h.e, h.broker, "events", 60*time.Second)
	checkExactlyOnce(t, h.e, produced)
	checkNoTaskFailed(t, h.c)
}

// autoscalerSpec is the test supervisor with the given autoScalerConfig. Lag is refreshed every
// offsetFetchPeriod; its minimum (PT5S) keeps the tests short.
func autoscalerSpec(broker string, cfg map[string]any) []byte {
	var sp map[string]any
	_ = json.Unmarshal(supervisorSpec(broker, "events", 1, 1, map[string]any{"offsetFetchPeriod": "PT5S"}), &sp)
	sp["spec"].(map[string]any)["ioConfig"].(map[string]any)["autoScalerConfig"] = cfg
	raw, _ := json.Marshal(sp)
	return raw
}

// checkScaledSpec checks that the autoscaler stored its decision as a new spec version: the
// newest history entry has the given taskCount.
func (h *harness) checkScaledSpec(want int) {
	h.t.Helper()
	hist, err := h.c.SupervisorHistory(context.Background(), "events")
	if err != nil || len(hist) < 2 {
		h.t.Fatalf("history: %d versions, %v", len(hist), err)
	}
	var latest struct {
		IOConfig struct {
			TaskCount int `json:"taskCount"`
		} `json:"ioConfig"`
	}
	_ = json.Unmarshal(hist[0].Spec, &latest)
	if latest.IOConfig.TaskCount != want {
		h.t.Errorf("latest spec version has taskCount %d, want %d", latest.IOConfig.TaskCount, want)
	}
}
