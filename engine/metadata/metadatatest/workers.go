package metadatatest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// testWorkers registers two workers, updates one, lets the other's heartbeat
// age out by the database's clock and removes one.
func testWorkers(t *testing.T, s metadata.Store) {
	ws, ok := s.(metadata.WorkerStore)
	if !ok {
		t.Fatalf("%T does not implement metadata.WorkerStore", s)
	}
	ctx := context.Background()
	list := func(timeout time.Duration) []metadata.Worker {
		t.Helper()
		out, err := ws.Workers(ctx, timeout)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := list(time.Minute); len(got) != 0 {
		t.Fatalf("workers of a fresh store: %+v", got)
	}
	for _, w := range []metadata.Worker{
		{URL: "http://b:8090", Capacity: 2, Version: "v1"},
		{URL: "http://a:8090", Capacity: 4, Version: "v1", RunningTasks: []string{"t1"}},
		{URL: "http://a:8090", Capacity: 3, Version: "v2", RunningTasks: []string{"t1", "t2"}},
	} {
		if err := ws.HeartbeatWorker(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	got := list(time.Minute)
	if len(got) != 2 || got[0].URL != "http://a:8090" || got[1].URL != "http://b:8090" {
		t.Fatalf("workers: %+v, want a then b", got)
	}
	a, b := got[0], got[1]
	if a.Capacity != 3 || a.Version != "v2" || !slices.Equal(a.RunningTasks, []string{"t1", "t2"}) || !a.Live {
		t.Fatalf("worker a after its second heartbeat: %+v", a)
	}
	if b.Capacity != 2 || len(b.RunningTasks) != 0 || !b.Live || b.LastHeartbeat.IsZero() {
		t.Fatalf("worker b: %+v", b)
	}
	// A heartbeat older than the timeout is not live: wait until 300ms have
	// passed by the database's clock.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got = list(300 * time.Millisecond)
		if !got[0].Live && !got[1].Live {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("heartbeats still live with a 300ms timeout after 10s: %+v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := ws.RemoveWorker(ctx, "http://b:8090"); err != nil {
		t.Fatal(err)
	}
	if got = list(time.Minute); len(got) != 1 || got[0].URL != "http://a:8090" {
		t.Fatalf("workers after removing b: %+v", got)
	}
}
