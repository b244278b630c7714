package supervisor_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// TestHandoffTaskGroupsEarly calls POST /supervisor/{id}/taskGroups/handoff as Druid's
// console and integration tests do: group 0 publishes long before its taskDuration while
// group 1 keeps reading, the next generation of group 0 starts exactly at the published end
// offsets, and every row is published once. Bad calls get Druid's codes.
func TestHandoffTaskGroupsEarly(t *testing.T) {
	h := newHarness(t, 2)
	ctx := context.Background()
	p := startProducer(t, h.broker, "events", 1000)
	raw := withIOConfig(supervisorSpec(h.broker, "events", 2, 1, nil), "events", map[string]any{"taskDuration": "PT120S"})
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, raw); err != nil {
		t.Fatal(err)
	}
	// The reading task of a partition's group (partition p is group p with two groups).
	reader := func(r *client.SupervisorReport, part string) *client.TaskReport {
		for i, tr := range r.Payload.ActiveTasks {
			if _, ok := tr.StartingOffsets[part]; ok && tr.StartTime != nil {
				return &r.Payload.ActiveTasks[i]
			}
		}
		return nil
	}
	rep := h.waitFor("two groups reading", 20*time.Second, func(r *client.SupervisorReport) bool {
		return reader(r, "0") != nil && reader(r, "1") != nil
	})
	old0, old1 := reader(rep, "0").ID, reader(rep, "1").ID
	time.Sleep(500 * time.Millisecond)

	post := func(path, body string) (int, string) {
		t.Helper()
		resp, err := http.Post(h.e.URL+"/druid/indexer/v1/supervisor/"+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		path, body string
		code       int
		want       string
	}{
		{"nope/taskGroups/handoff", `{"taskGroupIds":[0]}`, 404, `{"error":"[nope] does not exist"}`},
		{"nope/taskGroups/handoff", `{}`, 404, `{"error":"[nope] does not exist"}`},
		{"events/taskGroups/handoff", `{"taskGroupIds":[]}`, 400, `{"error":"List of task groups to handoff can't be empty"}`},
		{"events/taskGroups/handoff", `{"taskGroupIds":"0"}`, 400, `~handoff body must be {\"taskGroupIds\":[…]}: json: cannot unmarshal`},
		{"events/taskGroups/handoff", `{"taskGroupIds":[0,7]}`, 202, ``}, // 7 is no group: ignored
	} {
		code, body := post(c.path, c.body)
		body = strings.TrimSpace(body)
		sub, partial := strings.CutPrefix(c.want, "~")
		if code != c.code || (partial && !strings.Contains(body, sub)) || (!partial && body != c.want) {
			t.Fatalf("POST %s %s: %d %s; want %d %s", c.path, c.body, code, body, c.code, c.want)
		}
	}

	rep = h.waitFor("group 0 handed off and its next generation reading", 30*time.Second, func(r *client.SupervisorReport) bool {
		n := reader(r, "0")
		return n != nil && n.ID != old0 && len(r.Payload.PublishingTasks) == 0
	})
	if got := reader(rep, "1"); got == nil || got.ID != old1 {
		t.Fatalf("group 1 is read by %+v, want %s still reading (only group 0 was handed off)", got, old1)
	}
	md, err := h.e.Store.GetDataSourceMetadata(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	if start := reader(rep, "0").StartingOffsets["0"]; md.Offsets[druidapi.Partition{ID: 0}] == 0 || start != md.Offsets[druidapi.Partition{ID: 0}] {
		t.Fatalf("next generation of group 0 starts at %d, want the handed-off end offset %d", start, md.Offsets[druidapi.Partition{ID: 0}])
	}

	produced := p.close(t)
	if code, body := post("events/taskGroups/handoff", `{"taskGroupIds":[0,1]}`); code != 202 {
		t.Fatalf("handoff of both groups: %d %s", code, body)
	}
	waitCaughtUp(t, h.e, h.broker, "events", 30*time.Second)
	checkExactlyOnce(t, h.e, produced)
}
