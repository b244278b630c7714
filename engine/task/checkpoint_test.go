package task

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// The tests below stand in for the supervisor with a Checkpointer that answers over the task's
// own chat methods (Pause, SetEndOffsets), the way engine/supervisor does, so each can fail on
// cue: a supervisor that does not know the task yet, one that never answers, and one that is
// finishing the group. The real supervisor path is TestCheckpointsCutSegmentsAtMaxRowsPerSegment
// in engine/supervisor.

// scriptedSupervisor answers checkpoint requests: the first failFirst requests for each sequence
// start fail; later ones close the sequence at the task's current offsets, unless never is set.
type scriptedSupervisor struct {
	tk        *Task
	failFirst int
	never     bool
	onCall    func(n int) // called with the request count before answering, if set

	mu    sync.Mutex
	calls int
	seen  map[string]int
}

func (s *scriptedSupervisor) Checkpoint(ctx context.Context, taskID string, _ int, start Offsets) error {
	s.mu.Lock()
	s.calls++
	n := s.calls
	key := fmt.Sprint(start)
	s.seen[key]++
	failing := s.never || s.seen[key] <= s.failFirst
	s.mu.Unlock()
	if s.onCall != nil {
		s.onCall(n)
	}
	if failing {
		return fmt.Errorf("task %s is not a reading task of group 0 yet", taskID)
	}
	cur, paused, err := s.tk.Pause(ctx, 5*time.Second)
	if err != nil || !paused {
		return fmt.Errorf("pause: paused=%v: %v", paused, err)
	}
	_, err = s.tk.SetEndOffsets(ctx, cur, false)
	return err
}

func (s *scriptedSupervisor) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// checkpointFixture produces n rows to one partition, one row per (minute, host) inside one
// hour so rollup keeps every row, and decodes a task reading all of them with
// maxRowsPerSegment maxRows.
func checkpointFixture(t *testing.T, e *env, id string, n, maxRows int) *Spec {
	t.Helper()
	broker := startKafka(t, "metrics", 1)
	recs := make([]*kgo.Record, 0, n)
	for i := 0; i < n; i++ {
		recs = append(recs, jsonRecord(t, 0, event{Timestamp: at(i % 60), Host: fmt.Sprintf("h%d", i/60), Metric: "cpu", Value: 1}))
	}
	produce(t, broker, "metrics", recs...)
	raw := payload(id, broker, "metrics", map[int32]int64{0: 0}, map[int32]int64{0: int64(n)}, func(p map[string]any) {
		p["tuningConfig"] = map[string]any{"type": "kafka", "maxRowsPerSegment": maxRows}
	})
	s, err := DecodePayload(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// segmentSizes returns the row count of every published segment and their sum.
func segmentSizes(t *testing.T, e *env) (sizes []int64, total int64) {
	t.Helper()
	segs, err := e.store.Segments(context.Background(), "metrics", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range segs {
		var d druidapi.DataSegment
		if err := json.Unmarshal(s.Payload, &d); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, d.NumRows)
		total += d.NumRows
	}
	return sizes, total
}

func runWith(t *testing.T, tk *Task) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return tk.Run(ctx)
}

// TestCheckpointRetriedUntilAnswered: requests that fail (a supervisor that has not adopted the
// task yet) are asked again while the task waits paused, so every sequence is still cut at
// maxRowsPerSegment.
func TestCheckpointRetriedUntilAnswered(t *testing.T) {
	const n, maxRows = 3000, 500
	e := newEnv(t)
	s := checkpointFixture(t, e, "ckpt-retry", n, maxRows)
	sup := &scriptedSupervisor{failFirst: 2, seen: map[string]int{}}
	opts := e.options(s.Payload.ID)
	opts.Checkpointer, opts.CheckpointBackoff = sup, time.Millisecond
	tk := New(s, opts)
	sup.tk = tk
	if res := runWith(t, tk); !res.Success {
		t.Fatalf("task failed: %s", res.ErrorMsg)
	}
	sizes, total := segmentSizes(t, e)
	if total != n {
		t.Errorf("published %d rows, want %d", total, n)
	}
	for _, sz := range sizes {
		if sz != maxRows {
			t.Errorf("segment sizes %v, want every one %d (maxRowsPerSegment)", sizes, maxRows)
			break
		}
	}
	// The last sequence fills up at the task's end offsets and asks too (its segment is full
	// there, as in Druid); the answer is then the task's end itself.
	if want := n / maxRows * 3; sup.requests() != want {
		t.Errorf("%d checkpoint requests, want %d (two failures and an answer per checkpoint)", sup.requests(), want)
	}
}

// TestUnansweredCheckpointDoesNotStallTask: a supervisor that never closes the sequence must not
// leave the task PAUSED. After maxPausedCheckpointAttempts it reads on into the same sequence
// (segments then exceed maxRowsPerSegment, the price of not stalling) and keeps asking.
func TestUnansweredCheckpointDoesNotStallTask(t *testing.T) {
	const n, maxRows = 3000, 500
	e := newEnv(t)
	s := checkpointFixture(t, e, "ckpt-never", n, maxRows)
	sup := &scriptedSupervisor{never: true, seen: map[string]int{}}
	opts := e.options(s.Payload.ID)
	opts.Checkpointer, opts.CheckpointBackoff = sup, time.Millisecond
	tk := New(s, opts)
	sup.tk = tk
	if res := runWith(t, tk); !res.Success {
		t.Fatalf("task failed: %s", res.ErrorMsg)
	}
	if _, total := segmentSizes(t, e); total != n {
		t.Errorf("published %d rows, want %d", total, n)
	}
	if sup.requests() < maxPausedCheckpointAttempts {
		t.Errorf("%d checkpoint requests, want at least %d", sup.requests(), maxPausedCheckpointAttempts)
	}
}

// TestCheckpointRetryKeepsSupervisorPause: when the supervisor paused the task itself (it is
// finishing the group) the task must stay PAUSED however its own request fares, or the
// supervisor's setEndOffsets would fail with "must be paused" and the task be killed.
func TestCheckpointRetryKeepsSupervisorPause(t *testing.T) {
	const n, maxRows = 3000, 500
	e := newEnv(t)
	s := checkpointFixture(t, e, "ckpt-chat-pause", n, maxRows)
	// Enough failed requests that without the guard the task would have read on.
	const enough = maxPausedCheckpointAttempts + 2
	reached := make(chan struct{})
	sup := &scriptedSupervisor{never: true, seen: map[string]int{}}
	sup.onCall = func(call int) {
		switch call {
		case 1:
			if _, paused, err := sup.tk.Pause(context.Background(), 5*time.Second); err != nil || !paused {
				t.Errorf("supervisor pause: paused=%v err=%v", paused, err)
			}
		case enough:
			close(reached)
		}
	}
	opts := e.options(s.Payload.ID)
	opts.Checkpointer, opts.CheckpointBackoff = sup, time.Millisecond
	tk := New(s, opts)
	sup.tk = tk
	done := make(chan Result, 1)
	go func() { done <- runWith(t, tk) }()
	select {
	case <-reached:
	case res := <-done:
		t.Fatalf("task ended before its checkpoint was asked %d times: %+v", enough, res)
	}
	// The request in flight is the enough-th; every earlier one came back failed, so the task
	// had every reason to read on, and did not.
	if st := tk.Status(); st != StatusPaused {
		t.Fatalf("status %s after %d failed checkpoint requests under a supervisor pause, want PAUSED", st, enough-1)
	}
	cur := tk.CurrentOffsets()
	if cur[druidapi.Partition{ID: 0}] != maxRows {
		t.Errorf("paused at offset %d, want %d (the record that filled the segment)", cur[druidapi.Partition{ID: 0}], maxRows)
	}
	if _, err := tk.SetEndOffsets(context.Background(), cur, true); err != nil {
		t.Fatalf("supervisor's end offsets: %v", err)
	}
	if res := <-done; !res.Success {
		t.Fatalf("task failed: %s", res.ErrorMsg)
	}
	if _, total := segmentSizes(t, e); total != maxRows {
		t.Errorf("published %d rows, want %d", total, maxRows)
	}
}

// TestPauseNotPickedUpStillPauses: a /pause that the loop does not pick up within its wait (it
// is inside a Kafka poll) is answered 202 and must still pause the task, as Druid's
// pauseRequested does; the supervisor polls /status for PAUSED and would otherwise wait forever.
func TestPauseNotPickedUpStillPauses(t *testing.T) {
	e := newEnv(t)
	broker := startKafka(t, "metrics", 1)
	produce(t, broker, "metrics", jsonRecord(t, 0, event{Timestamp: at(0), Host: "a", Metric: "cpu", Value: 1}))
	// The end lies beyond what was produced, so the task keeps polling Kafka for more.
	raw := payload("pause-pending", broker, "metrics", map[int32]int64{0: 0}, map[int32]int64{0: 100}, func(p map[string]any) {
		p["ioConfig"].(map[string]any)["pollTimeout"] = 200
	})
	s, err := DecodePayload(raw)
	if err != nil {
		t.Fatal(err)
	}
	tk := New(s, e.options(s.Payload.ID))
	done := make(chan Result, 1)
	go func() { done <- runWith(t, tk) }()
	ctx := context.Background()
	for tk.CurrentOffsets()[druidapi.Partition{ID: 0}] < 1 {
		select {
		case res := <-done:
			t.Fatalf("task ended early: %+v", res)
		case <-time.After(10 * time.Millisecond):
		}
	}
	// A 1 µs wait: the loop, inside its 200 ms poll, is not there to take the request.
	pending := false
	for i := 0; i < 100 && !pending; i++ {
		_, paused, err := tk.Pause(ctx, time.Microsecond)
		if err != nil {
			t.Fatal(err)
		}
		if paused {
			if err := tk.Resume(ctx); err != nil {
				t.Fatal(err)
			}
			continue
		}
		pending = true
	}
	if !pending {
		t.Fatal("every pause was taken by the loop at once; could not leave one pending")
	}
	// Liveness bound only: the loop pauses when its current poll returns.
	for deadline := time.Now().Add(20 * time.Second); tk.Status() != StatusPaused; {
		if time.Now().After(deadline) {
			t.Fatalf("status %s: a pause answered 202 never took effect", tk.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cur := tk.CurrentOffsets()
	if _, err := tk.SetEndOffsets(ctx, cur, true); err != nil {
		t.Fatalf("end offsets on the paused task: %v", err)
	}
	if res := <-done; !res.Success {
		t.Fatalf("task failed: %s", res.ErrorMsg)
	}
	if _, total := segmentSizes(t, e); total != 1 {
		t.Errorf("published %d rows, want 1", total)
	}
}

// blockingSupervisor never answers a checkpoint request: it holds it until the request's
// context ends, then takes a moment more to return, as a remote call does.
type blockingSupervisor struct {
	asked    chan struct{} // closed at the first request
	once     sync.Once
	returned atomic.Bool
}

func (s *blockingSupervisor) Checkpoint(ctx context.Context, _ string, _ int, _ Offsets) error {
	s.once.Do(func() { close(s.asked) })
	<-ctx.Done()
	time.Sleep(50 * time.Millisecond)
	s.returned.Store(true)
	return ctx.Err()
}

// TestCheckpointRequestEndsWithTheLoop: a checkpoint request still in flight when the loop exits
// (here a stop while the task waits paused for the answer) is cancelled and waited for, so Run
// returns only after the request's goroutine is gone.
func TestCheckpointRequestEndsWithTheLoop(t *testing.T) {
	const n, maxRows = 1000, 100
	e := newEnv(t)
	s := checkpointFixture(t, e, "ckpt-owned", n, maxRows)
	sup := &blockingSupervisor{asked: make(chan struct{})}
	opts := e.options(s.Payload.ID)
	opts.Checkpointer = sup
	tk := New(s, opts)
	done := make(chan Result, 1)
	go func() { done <- runWith(t, tk) }()
	select {
	case <-sup.asked:
	case res := <-done:
		t.Fatalf("task ended before asking for a checkpoint: %+v", res)
	case <-time.After(30 * time.Second):
		t.Fatal("no checkpoint request")
	}
	if err := tk.Stop(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if !res.Success {
		t.Fatalf("task failed: %s", res.ErrorMsg)
	}
	if !sup.returned.Load() {
		t.Error("Run returned while its checkpoint request was still running")
	}
}
