package metadatatest

import (
	"context"
	"errors"
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

// testAssignments assigns tasks to workers, and checks that a status write and a publish
// fenced by an assignment commit only while the task is active on that worker.
func testAssignments(t *testing.T, s metadata.Store) {
	as, ok := s.(metadata.AssignmentStore)
	if !ok {
		t.Fatalf("%T does not implement metadata.AssignmentStore", s)
	}
	ctx := context.Background()
	for _, id := range []string{"t1", "t2", "t3"} {
		if err := s.InsertTask(ctx, metadata.Task{ID: id, DataSource: "ds", Type: "index_kafka", Payload: []byte("{}"),
			Status: []byte(`{"status":"RUNNING"}`), Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range [][2]string{{"t1", "http://a"}, {"t2", "http://b"}, {"t3", "http://a"}} {
		if err := as.AssignTask(ctx, a[0], a[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := as.AssignTask(ctx, "t1", "http://b"); !errors.Is(err, metadata.ErrConflict) {
		t.Fatalf("second assignment of t1: err %v, want ErrConflict", err)
	}
	if err := as.AssignTask(ctx, "nope", "http://b"); !errors.Is(err, metadata.ErrConflict) {
		t.Fatalf("assignment of an unknown task: err %v, want ErrConflict", err)
	}
	got, err := as.AssignedTasks(ctx, "http://a")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "t1" || got[1].ID != "t3" {
		t.Fatalf("tasks of a: %+v, want t1, t3", got)
	}
	fenceA := &metadata.Assignment{TaskID: "t1", Worker: "http://a"}
	start, mid, end := Offsets("t", 0, 0), Offsets("t", 0, 10), Offsets("t", 0, 20)
	if err := s.Publish(ctx, metadata.PublishRequest{SupervisorID: "sup", DataSource: "ds", Segments: []metadata.Segment{segment("ds", 0, "v1", 0)},
		Start: &start, End: &mid, Assignment: fenceA}); err != nil {
		t.Fatalf("publish by the task's worker: %v", err)
	}
	wrong := &metadata.Assignment{TaskID: "t1", Worker: "http://b"}
	err = s.Publish(ctx, metadata.PublishRequest{SupervisorID: "sup", DataSource: "ds", Segments: []metadata.Segment{segment("ds", 1, "v1", 0)},
		Start: &mid, End: &end, Assignment: wrong})
	if !errors.Is(err, metadata.ErrFenced) {
		t.Fatalf("publish by another worker: err %v, want ErrFenced", err)
	}
	if err := as.UpdateAssignedTaskStatus(ctx, *wrong, []byte(`{"status":"SUCCESS"}`), false); !errors.Is(err, metadata.ErrFenced) {
		t.Fatalf("status write by another worker: err %v, want ErrFenced", err)
	}
	// The leader declares a's worker lost: t1 fails, and a can neither write its status nor
	// publish any more.
	if err := s.UpdateTaskStatus(ctx, "t1", []byte(`{"status":"FAILED"}`), false); err != nil {
		t.Fatal(err)
	}
	if err := as.UpdateAssignedTaskStatus(ctx, *fenceA, []byte(`{"status":"SUCCESS"}`), false); !errors.Is(err, metadata.ErrFenced) {
		t.Fatalf("status write for a failed task: err %v, want ErrFenced", err)
	}
	err = s.Publish(ctx, metadata.PublishRequest{SupervisorID: "sup", DataSource: "ds", Segments: []metadata.Segment{segment("ds", 1, "v1", 0)},
		Start: &mid, End: &end, Assignment: fenceA})
	if !errors.Is(err, metadata.ErrFenced) {
		t.Fatalf("publish for a failed task: err %v, want ErrFenced", err)
	}
	mustOffsets(t, s, "sup", mid)
	if err := as.UpdateAssignedTaskStatus(ctx, metadata.Assignment{TaskID: "t2", Worker: "http://b"}, []byte(`{"status":"SUCCESS"}`), false); err != nil {
		t.Fatal(err)
	}
	m, err := as.Assignments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || m["t3"] != "http://a" {
		t.Fatalf("assignments of active tasks: %v, want only t3 on a", m)
	}
}
