package daemon

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// TestAssigner places four tasks on two workers of capacity 2 and 3 by each strategy on
// PostgreSQL, then lets one worker's heartbeat age past the timeout: its tasks fail, the other
// worker's stay.
func TestAssigner(t *testing.T) {
	equal := map[string]string{"t1": "http://b", "t2": "http://a", "t3": "http://b", "t4": "http://a"}
	fill := map[string]string{"t1": "http://a", "t2": "http://a", "t3": "http://b", "t4": "http://b"}
	for _, tc := range []struct {
		name     string
		strategy string            // --worker-select-strategy
		stored   string            // the worker config POSTed to /worker, which wins; "" for none
		want     map[string]string // task → worker
	}{
		// The most free slots; a tie goes to the first worker by URL.
		{EqualDistribution, EqualDistribution, "", equal},
		// The fewest free slots left, while one is.
		{FillCapacity, FillCapacity, "", fill},
		// A stored config overrides the flag at the next round.
		{"stored-" + FillCapacity, EqualDistribution, FillCapacity, fill},
		{"stored-" + EqualDistribution, FillCapacity, EqualDistribution, equal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			store, err := postgres.Open(ctx, metadatatest.FreshPostgresSchema(t))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			heartbeat := func(url string, capacity int) {
				t.Helper()
				if err := store.HeartbeatWorker(ctx, metadata.Worker{URL: url, Capacity: capacity, Version: "test"}); err != nil {
					t.Fatal(err)
				}
			}
			heartbeat("http://a", 2)
			heartbeat("http://b", 3)
			for _, id := range []string{"t1", "t2", "t3", "t4"} {
				if err := store.InsertTask(ctx, metadata.Task{ID: id, DataSource: "ds", Type: task.Type, Payload: []byte("{}"),
					Status: []byte(`{"status":"RUNNING"}`), Active: true}); err != nil {
					t.Fatal(err)
				}
			}
			if tc.stored != "" {
				cfg, _ := json.Marshal(druidapi.DefaultWorkerBehaviorConfig(tc.stored))
				if err := store.SetConfig(ctx, druidapi.WorkerConfigKey, cfg, metadata.AuditEntry{}); err != nil {
					t.Fatal(err)
				}
			}
			asg := &assigner{store: store, ws: store, as: store, timeout: time.Second, strategy: tc.strategy,
				configs: store, log: slog.New(slog.DiscardHandler)}
			if err := asg.round(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := store.Assignments(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for id, w := range tc.want {
				if got[id] != w {
					t.Errorf("%s assigned to %q, want %q (all: %v)", id, got[id], w, got)
				}
			}
			p, err := asg.Placements(ctx)
			if err != nil || len(p) != 4 || p["t1"].Worker != tc.want["t1"] || p["t1"].Running {
				t.Errorf("placements: %v, %v; want four, none running yet", p, err)
			}
			if url, err := asg.locate(ctx, "t3"); err != nil || url != tc.want["t3"] {
				t.Errorf("locate t3: %q, %v", url, err)
			}
			// Only b keeps heartbeating: once a's last heartbeat is older than the
			// timeout, a is lost and its tasks fail.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				heartbeat("http://b", 3)
				live, err := asg.liveWorkers(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(live) == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("worker a still live 10 s after its last heartbeat: %+v", live)
				}
			}
			if err := asg.round(ctx); err != nil {
				t.Fatal(err)
			}
			for id, w := range tc.want {
				mt, err := store.GetTask(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				var st task.TaskStatus
				_ = json.Unmarshal(mt.Status, &st)
				lost := w == "http://a"
				if mt.Active == lost || lost && (st.Status != "FAILED" || !strings.Contains(st.ErrorMsg, "worker http://a lost") ||
					st.Location == nil || st.Location.Host == nil || *st.Location.Host != "a") {
					t.Errorf("%s on %s after a was lost: active %v, status %+v", id, w, mt.Active, st)
				}
			}
		})
	}
}
