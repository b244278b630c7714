package metadatatest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

func leases(t *testing.T, s metadata.Store) metadata.LeaseStore {
	t.Helper()
	ls, ok := s.(metadata.LeaseStore)
	if !ok {
		t.Fatalf("%T does not implement metadata.LeaseStore", s)
	}
	return ls
}

func acquire(t *testing.T, ls metadata.LeaseStore, holder string, ttl time.Duration) metadata.Lease {
	t.Helper()
	l, err := ls.AcquireLease(context.Background(), "overlord", holder, "http://"+holder+":8090", ttl)
	if err != nil {
		t.Fatalf("AcquireLease(%s): %v", holder, err)
	}
	return l
}

// testLeases walks a lease through its life: first taken, refused to a second
// candidate while live, renewed in the same term, released, taken over with a
// new term, and expired by the database's clock.
func testLeases(t *testing.T, s metadata.Store) {
	ls := leases(t, s)
	ctx := context.Background()
	if _, err := ls.CurrentLease(ctx, "overlord"); !errors.Is(err, metadata.ErrNotFound) {
		t.Fatalf("CurrentLease before any acquire: err %v, want ErrNotFound", err)
	}
	a := acquire(t, ls, "a", time.Minute)
	if a.Holder != "a" || a.Term != 1 || !a.Live || a.URL != "http://a:8090" {
		t.Fatalf("first acquire: %+v, want a's live lease in term 1", a)
	}
	if b := acquire(t, ls, "b", time.Minute); b.Holder != "a" || b.Term != 1 {
		t.Fatalf("acquire of a live lease by b: %+v, want it still a's in term 1", b)
	}
	if a2 := acquire(t, ls, "a", time.Minute); a2.Holder != "a" || a2.Term != 1 {
		t.Fatalf("renewal: %+v, want a's in term 1", a2)
	}
	if err := ls.ReleaseLease(ctx, "overlord", "b"); err != nil { // not b's: no effect
		t.Fatal(err)
	}
	if cur, _ := ls.CurrentLease(ctx, "overlord"); !cur.Live || cur.Holder != "a" {
		t.Fatalf("after a release by a non-holder: %+v, want a's live lease", cur)
	}
	if err := ls.ReleaseLease(ctx, "overlord", "a"); err != nil {
		t.Fatal(err)
	}
	if cur, _ := ls.CurrentLease(ctx, "overlord"); cur.Live || cur.Term != 1 {
		t.Fatalf("after release: %+v, want an expired lease still in term 1", cur)
	}
	if b := acquire(t, ls, "b", 200*time.Millisecond); b.Holder != "b" || b.Term != 2 || !b.Live {
		t.Fatalf("take-over after release: %+v, want b's in term 2", b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		cur, err := ls.CurrentLease(ctx, "overlord")
		if err != nil {
			t.Fatal(err)
		}
		if !cur.Live {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lease with a 200ms ttl still live after 10s: %+v", cur)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The holder coming back after its lease expired gets a new term: its
	// old term's work may have been taken over meanwhile.
	if b := acquire(t, ls, "b", time.Minute); b.Holder != "b" || b.Term != 3 {
		t.Fatalf("re-acquire of an expired lease by its holder: %+v, want b's in term 3", b)
	}
}

// testPublishFenced checks that a fenced publish commits only in its own term
// and that a refused one writes nothing.
func testPublishFenced(t *testing.T, s metadata.Store) {
	ls := leases(t, s)
	ctx := context.Background()
	a := acquire(t, ls, "a", time.Minute)
	fenceA := &metadata.Fence{Name: "overlord", Holder: "a", Term: a.Term}
	start, mid, end := Offsets("t", 0, 0), Offsets("t", 0, 10), Offsets("t", 0, 20)
	first := segment("ds", 0, "v1", 0)
	if err := s.Publish(ctx, metadata.PublishRequest{SupervisorID: "sup", DataSource: "ds", Segments: []metadata.Segment{first},
		Start: &start, End: &mid, Fence: fenceA}); err != nil {
		t.Fatalf("publish in the current term: %v", err)
	}
	if err := ls.ReleaseLease(ctx, "overlord", "a"); err != nil {
		t.Fatal(err)
	}
	if b := acquire(t, ls, "b", time.Minute); b.Holder != "b" {
		t.Fatalf("b did not take the released lease: %+v", b)
	}
	second := segment("ds", 1, "v1", 0)
	err := s.Publish(ctx, metadata.PublishRequest{SupervisorID: "sup", DataSource: "ds", Segments: []metadata.Segment{second},
		Start: &mid, End: &end, Fence: fenceA})
	if !errors.Is(err, metadata.ErrFenced) {
		t.Fatalf("publish by the deposed leader: err %v, want ErrFenced", err)
	}
	if metadata.IsRetryable(err) {
		t.Fatalf("ErrFenced is retryable: %v", err)
	}
	mustOffsets(t, s, "sup", mid)
	mustExist(t, s, false, second.ID)
	never := &metadata.Fence{Name: "never-taken", Holder: "a", Term: 1}
	if err := s.Publish(ctx, metadata.PublishRequest{DataSource: "ds", Segments: []metadata.Segment{second}, Fence: never}); !errors.Is(err, metadata.ErrFenced) {
		t.Fatalf("publish fenced by a lease never taken: err %v, want ErrFenced", err)
	}
}
