package supervisor_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
)

// TestSkipRestartIfUnmodified resubmits the running spec, in the stored echo's shape, with
// ?skipRestartIfUnmodified=true as Druid's own client does: the answer is Druid's {"id":…},
// no version or history entry is written and the supervisor keeps running as it was. A
// changed spec with the flag is still stored.
func TestSkipRestartIfUnmodified(t *testing.T) {
	h := newHarness(t, 1)
	ctx := context.Background()
	raw := withIOConfig(supervisorSpec(h.broker, "events", 1, 1, nil), "events", map[string]any{"taskDuration": "PT60S"})
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, raw); err != nil {
		t.Fatal(err)
	}
	rep := h.waitFor("reading", 20*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.State == "RUNNING" && activeTasks(r) == 1
	})
	taskID := rep.Payload.ActiveTasks[0].ID
	var echo json.RawMessage
	if err := h.c.Do(ctx, http.MethodGet, "/druid/indexer/v1/supervisor/events", nil, &echo); err != nil {
		t.Fatal(err)
	}
	const skip = "/druid/indexer/v1/supervisor?skipRestartIfUnmodified=true"
	for _, body := range []json.RawMessage{raw, echo} {
		var a map[string]any
		if err := h.c.Do(ctx, http.MethodPost, skip, body, &a); err != nil {
			t.Fatal(err)
		}
		if len(a) != 1 || a["id"] != "events" {
			t.Fatalf("answer %v, want {\"id\":\"events\"}", a)
		}
		rep := h.status()
		if rep.Payload.State != "RUNNING" || activeTasks(rep) != 1 || rep.Payload.ActiveTasks[0].ID != taskID {
			t.Fatalf("after an unmodified resubmit: state %s, tasks %+v; want RUNNING with %s", rep.Payload.State, rep.Payload.ActiveTasks, taskID)
		}
	}
	if hist, err := h.c.SupervisorHistory(ctx, "events"); err != nil || len(hist) != 1 {
		t.Fatalf("history after unmodified resubmits: %d entries, %v; want 1", len(hist), err)
	}
	changed := withIOConfig(supervisorSpec(h.broker, "events", 1, 1, nil), "events", map[string]any{"taskDuration": "PT90S"})
	if err := h.c.Do(ctx, http.MethodPost, skip, changed, nil); err != nil {
		t.Fatal(err)
	}
	if hist, err := h.c.SupervisorHistory(ctx, "events"); err != nil || len(hist) != 2 {
		t.Fatalf("history after a changed spec: %d entries, %v; want 2", len(hist), err)
	}
}
