package supervisor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
)

// TestStarvedSupervisorReportsLag runs two supervisors on one worker slot (issue 13): the
// second one's task waits for the slot, and its status must still show the rows waiting as
// lag (from its start offsets) instead of aggregateLag 0 and minimumLag −2147483648, so lag
// alerts see a starved supervisor.
func TestStarvedSupervisorReportsLag(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "events", "starved"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	e := enginetest.Start(t, enginetest.WorkerCapacity(1))
	h := &harness{t: t, cluster: cluster, broker: cluster.ListenAddrs()[0], e: e}
	if h.c, err = client.New(e.URL, client.WithMaxRetries(1)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The first supervisor holds the only slot for a long taskDuration.
	first := withIOConfig(supervisorSpec(h.broker, "events", 1, 1, nil), "events", map[string]any{"taskDuration": "PT1H"})
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, first); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the first supervisor's task in the slot", 20*time.Second, func(r *client.SupervisorReport) bool {
		return activeTasks(r) == 1 && r.Payload.ActiveTasks[0].StartTime != nil
	})
	starved := withIOConfig(supervisorSpec(h.broker, "starved", 1, 1, map[string]any{"offsetFetchPeriod": "PT5S"}), "starved", nil)
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, starved); err != nil {
		t.Fatal(err)
	}
	const rows = 300
	cl, err := kgo.NewClient(kgo.SeedBrokers(h.broker))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range rows {
		b, _ := json.Marshal(map[string]any{"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "id": i, "host": "h", "value": 1})
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "starved", Value: b}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	rep := waitUntil(t, fmt.Sprintf("the starved supervisor to report aggregateLag %d", rows), 30*time.Second, func() (*client.SupervisorReport, bool) {
		rep, err := h.c.SupervisorStatus(ctx, "starved")
		if err != nil {
			t.Fatal(err)
		}
		return rep, rep.Payload.AggregateLag != nil && *rep.Payload.AggregateLag == rows
	})
	b, _ := json.Marshal(rep)
	if got := rep.Payload.MinimumLag["0"]; got != rows || len(rep.Payload.MinimumLag) != 1 {
		t.Errorf("starved supervisor minimumLag %v, want {0: %d}", rep.Payload.MinimumLag, rows)
	}
	if activeTasks(rep) != 1 || rep.Payload.ActiveTasks[0].StartTime != nil {
		t.Errorf("want one task waiting for a slot; status %s", b)
	}
}

// withIOConfig renames a test spec's datasource (and so its supervisor id) and merges ioConfig
// settings into it.
func withIOConfig(raw []byte, dataSource string, io map[string]any) []byte {
	var sp map[string]any
	if err := json.Unmarshal(raw, &sp); err != nil {
		panic(fmt.Sprint("test spec: ", err))
	}
	s := sp["spec"].(map[string]any)
	s["dataSchema"].(map[string]any)["dataSource"] = dataSource
	for k, v := range io {
		s["ioConfig"].(map[string]any)[k] = v
	}
	out, _ := json.Marshal(sp)
	return out
}
