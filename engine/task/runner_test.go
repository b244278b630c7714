package task

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestRunnerHeapFlatOverKilledTasks runs tasks that read 2,000 distinct rows from a real broker
// into their in-memory index, answer a realtime query, and are then killed (FAILED). With a
// history of 5 finished tasks the runner's map stays bounded and the heap after GC does not grow
// with the number of tasks; the heap is logged, and only a generous bound is asserted.
func TestRunnerHeapFlatOverKilledTasks(t *testing.T) {
	const rows, history, warmup, tasks = 2000, 5, 5, 40
	broker := startKafka(t, "heap", 1)
	recs := make([]*kgo.Record, rows)
	for i := range recs {
		recs[i] = jsonRecord(t, 0, event{Timestamp: at(i % 60), Host: fmt.Sprintf("host-%05d", i), Metric: "cpu", Value: float64(i)})
	}
	produce(t, broker, "heap", recs...)

	e := newEnv(t)
	r := NewRunner(RunnerOptions{Capacity: 2, FinishedHistory: history, WorkDir: filepath.Join(e.dir, "tasks"),
		Store: e.store, Storage: e.storage, Logger: testLogger()})
	defer r.Close()
	ctx := context.Background()

	runOne := func(i int) {
		t.Helper()
		id := fmt.Sprintf("heap-%03d", i)
		raw := payload(id, broker, "heap", map[int32]int64{0: 0}, map[int32]int64{0: EndOfPartition}, nil)
		if _, err := r.Submit(ctx, raw); err != nil {
			t.Fatal(err)
		}
		tk, _ := r.Task(id)
		for n := 0; tk.Stats().Totals().Processed < rows; n++ {
			if n == 3000 {
				t.Fatalf("%s read %d of %d rows", id, tk.Stats().Totals().Processed, rows)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := r.QuerySegments(ctx); err != nil {
			t.Fatalf("realtime query: %v", err)
		}
		if err := r.Shutdown(ctx, id); err != nil {
			t.Fatal(err)
		}
		<-tk.Done()
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	waitRetired := func() {
		for n := 0; ; n++ {
			running, waiting := r.Running()
			if finished, known := r.Finished(); running == 0 && waiting == 0 && finished == known {
				return
			}
			if n == 3000 {
				t.Fatal("tasks never retired")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for i := 0; i < warmup; i++ {
		runOne(i)
	}
	waitRetired()
	before := heap()
	for i := warmup; i < tasks; i++ {
		runOne(i)
	}
	waitRetired()
	after := heap()
	finished, known := r.Finished()
	t.Logf("heap after GC: %.1f MB after %d killed tasks, %.1f MB after %d; %d finished tasks in memory",
		float64(before)/1e6, warmup, float64(after)/1e6, tasks, finished)
	if finished != history || known != history {
		t.Fatalf("%d finished tasks in memory (%d known), want %d", finished, known, history)
	}
	st, err := e.store.GetTask(ctx, "heap-000")
	if err != nil || !strings.Contains(string(st.Status), "FAILED") {
		t.Fatalf("status of a dropped task: %s %v", st.Status, err)
	}
	// Without the history bound and the release of realtime state the heap grew by ~0.4 MB a
	// task here (2.5 MB → 16 MB over these 35 tasks); now it stays within a fraction of a MB.
	if after > before+4<<20 {
		t.Fatalf("heap grew from %.1f to %.1f MB over %d killed tasks", float64(before)/1e6, float64(after)/1e6, tasks-warmup)
	}
}

// TestShutdownStatusOutlivesTheRequest: killing a task that waits for a slot stores its FAILED
// status even when the request's context is already gone (a client that hung up): the task is
// dropped from the queue either way, and a status left RUNNING would restore it at the next
// start.
func TestShutdownStatusOutlivesTheRequest(t *testing.T) {
	broker := startKafka(t, "slots", 1)
	e := newEnv(t)
	r := NewRunner(RunnerOptions{Capacity: 1, WorkDir: filepath.Join(e.dir, "tasks"), Store: e.store, Storage: e.storage, Logger: testLogger()})
	defer r.Close()
	for _, id := range []string{"slot-busy", "slot-waiting"} {
		raw := payload(id, broker, "slots", map[int32]int64{0: 0}, map[int32]int64{0: EndOfPartition}, nil)
		if _, err := r.Submit(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
	}
	if running, waiting := r.Running(); running != 1 || waiting != 1 {
		t.Fatalf("%d running, %d waiting; want 1 and 1", running, waiting)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Shutdown(gone, "slot-waiting"); err != nil {
		t.Fatalf("shutdown with a cancelled request context: %v", err)
	}
	mt, err := e.store.GetTask(context.Background(), "slot-waiting")
	if err != nil {
		t.Fatal(err)
	}
	if mt.Active || !strings.Contains(string(mt.Status), `"FAILED"`) {
		t.Errorf("stored task: active=%v status %s, want inactive and FAILED", mt.Active, mt.Status)
	}
}
