package supervisor_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
)

// holdStore is the real store with the first generation's first publish held back until a
// later generation has tried to publish: the order a slow predecessor (large segments to
// build and push, a slow deep storage) gives a taskDuration rollover or a scale action on a
// supervisor that has nothing stored yet. The first generation is recognised by its start
// offsets, all 0 on a fresh topic read from the earliest offset.
type holdStore struct {
	metadata.Store
	timeout time.Duration

	mu       sync.Mutex
	holding  bool          // the first generation's publish is being held
	released chan struct{} // closed once a later generation's publish has returned
	timedOut bool          // no later publish came within timeout
	laterErr error         // what that later publish returned
}

func newHoldStore(s metadata.Store) *holdStore {
	return &holdStore{Store: s, timeout: 60 * time.Second, released: make(chan struct{})}
}

func (s *holdStore) Publish(ctx context.Context, req metadata.PublishRequest) error {
	if req.Start != nil && firstGeneration(req.Start) && s.claim() {
		select {
		case <-s.released:
		case <-time.After(s.timeout):
			s.mu.Lock()
			s.timedOut = true
			s.mu.Unlock()
		case <-ctx.Done():
			return ctx.Err()
		}
		return s.Store.Publish(ctx, req)
	}
	err := s.Store.Publish(ctx, req)
	if req.Start != nil && !firstGeneration(req.Start) {
		s.mu.Lock()
		if s.holding {
			s.holding = false
			s.laterErr = err
			close(s.released)
		}
		s.mu.Unlock()
	}
	return err
}

// claim reports whether this publish is the one to hold (the first of the first generation).
func (s *holdStore) claim() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.released:
		return false
	default:
	}
	if s.holding {
		return false
	}
	s.holding = true
	return true
}

// outcome is whether a later generation published while the first was held, and how.
func (s *holdStore) outcome() (released, timedOut bool, laterErr error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.released:
		released = true
	default:
	}
	return released, s.timedOut, s.laterErr
}

func firstGeneration(start *metadata.DataSourceMetadata) bool {
	if len(start.Offsets) == 0 {
		return false
	}
	for _, o := range start.Offsets {
		if o != 0 {
			return false
		}
	}
	return true
}

// TestSuccessorWaitsForUncommittedPredecessor: on a brand-new supervisor (no offsets stored)
// the first generation's publish is held back past a taskDuration rollover, so the second
// generation, which starts at the first one's end offsets, is ready to publish first. The
// compare-and-swap alone would accept it (no stored offset to compare with), and the first
// generation's commit would then fail, losing its rows. The second generation's payload
// marks its start offsets as handed over, so its publish waits for the first generation's
// commit instead: no task fails and every row is published exactly once.
func TestSuccessorWaitsForUncommittedPredecessor(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		inner, err := embedded.Open(filepath.Join(t.TempDir(), "metadata"))
		if err != nil {
			t.Fatal(err)
		}
		hs := newHoldStore(inner)
		testSuccessorWaits(t, hs, enginetest.StartWithStore(t, hs))
	})
	t.Run("postgres", func(t *testing.T) {
		inner, err := postgres.Open(context.Background(), metadatatest.FreshPostgresSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		hs := newHoldStore(inner)
		testSuccessorWaits(t, hs, enginetest.StartWithStore(t, hs))
	})
}

// TestScaleOutWaitsForUncommittedPredecessor is the same hand-over by a scale action: the one
// group of a new supervisor over 2 partitions is retired by a scale-out to 2 groups and its
// publish is held back; the new groups, each starting at the old group's end offset of its
// partition, publish first (the supervisor is suspended) and must wait for it.
func TestScaleOutWaitsForUncommittedPredecessor(t *testing.T) {
	inner, err := embedded.Open(filepath.Join(t.TempDir(), "metadata"))
	if err != nil {
		t.Fatal(err)
	}
	hs := newHoldStore(inner)
	e := enginetest.StartWithStore(t, hs)
	h := newHarnessOn(t, 2, e)
	ctx := context.Background()
	p := startProducer(t, h.broker, "events", 300)
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, forcedScaleSpec(h.broker, 5000000)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("one group reading", 20*time.Second, func(r *client.SupervisorReport) bool {
		return activeTasks(r) == 1 && h.readRows(r.Payload.ActiveTasks[0]) > 0
	})
	if err := e.Manager.ForceScale(ctx, "events", 2); err != nil {
		t.Fatal(err)
	}
	h.waitFor("two new groups reading", 30*time.Second, h.readingTasks(2))
	produced := p.close(t)
	h.waitReadToEnd("events", 20*time.Second)
	if released, _, _ := hs.outcome(); released {
		t.Fatal("a new group published before the supervisor was suspended")
	}
	// Suspending makes the new groups publish while the old one is still held.
	if _, err := h.c.Suspend(ctx, "events"); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, e, h.broker, "events", 60*time.Second)
	released, timedOut, laterErr := hs.outcome()
	if !released || timedOut {
		t.Fatalf("released %v, timed out %v: no new group published while the old one was held", released, timedOut)
	}
	t.Logf("a new group's first publish while the old one was held: %v", laterErr)
	checkNoTaskFailed(t, h.c)
	checkExactlyOnce(t, e, produced)
}

func testSuccessorWaits(t *testing.T, hs *holdStore, e *enginetest.Engine) {
	h := newHarnessOn(t, 1, e)
	ctx := context.Background()
	p := startProducer(t, h.broker, "events", 300)
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, supervisorSpec(h.broker, "events", 1, 1, nil)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a second generation's publish while the first one's is held", 60*time.Second, func() (bool, bool) {
		released, timedOut, _ := hs.outcome()
		return released, released || timedOut
	})
	if _, timedOut, _ := hs.outcome(); timedOut {
		t.Fatal("no later generation published while the first one was held")
	}
	// The third generation has started (the second one rolled over), so the hand-over chain
	// goes on past the held publish.
	h.waitFor("a third generation reading", 30*time.Second, func(r *client.SupervisorReport) bool {
		tasks, err := e.Store.ListTasks(ctx, metadata.TaskFilter{DataSource: "events"})
		return err == nil && len(tasks) >= 3 && activeTasks(r) == 1
	})
	produced := p.close(t)
	waitCaughtUp(t, e, h.broker, "events", 60*time.Second)
	_, _, laterErr := hs.outcome()
	t.Logf("the second generation's first publish while the first was held: %v", laterErr)
	checkNoTaskFailed(t, h.c)
	checkExactlyOnce(t, e, produced)
}
