package leader_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/leader"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
)

// recorder is Duties that records its calls in one shared, ordered log.
type recorder struct {
	name   string
	events *events
	mu     sync.Mutex
	term   leader.Term
	ctx    context.Context
}

type events struct {
	mu  sync.Mutex
	log []string
	ch  chan string
}

func (e *events) add(s string) {
	e.mu.Lock()
	e.log = append(e.log, s)
	e.mu.Unlock()
	e.ch <- s
}

func (r *recorder) Start(ctx context.Context, term leader.Term) error {
	r.mu.Lock()
	r.term, r.ctx = term, ctx
	r.mu.Unlock()
	r.events.add(r.name + " start")
	return nil
}

func (r *recorder) Stop() { r.events.add(r.name + " stop") }

func open(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func elect(t *testing.T, s metadata.LeaseStore, d leader.Duties, url string) (*leader.Elector, context.CancelFunc) {
	t.Helper()
	return electFor(t, s, d, url, time.Second)
}

func electFor(t *testing.T, s metadata.LeaseStore, d leader.Duties, url string, lease time.Duration) (*leader.Elector, context.CancelFunc) {
	t.Helper()
	e, err := leader.New(s, d, leader.Options{URL: url, Candidate: true, Lease: lease, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return e, stop
}

func want(t *testing.T, ev *events, w string) {
	t.Helper()
	select {
	case got := <-ev.ch:
		if got != w {
			t.Fatalf("event %q, want %q (log %q)", got, w, ev.log)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no event, want %q (log %q)", w, ev.log)
	}
}

// TestStepDownBeforeTakeOver cuts the leader off its store: it must stop its duties before
// the other candidate starts its own (the lease had not ended when it gave up), the new term is
// higher, and a publish fenced by the old term is refused.
func TestStepDownBeforeTakeOver(t *testing.T) {
	dsn := metadatatest.FreshPostgresSchema(t)
	storeA, storeB := open(t, dsn), open(t, dsn)
	ev := &events{ch: make(chan string, 16)}
	a, b := &recorder{name: "a", events: ev}, &recorder{name: "b", events: ev}
	ea, _ := elect(t, storeA, a, "http://a:8090")
	want(t, ev, "a start")
	eb, _ := elect(t, storeB, b, "http://b:8090")
	<-eb.Ready()
	if !ea.IsLeader() || eb.IsLeader() {
		t.Fatalf("a leads %v, b leads %v; want only a", ea.IsLeader(), eb.IsLeader())
	}
	if u, ok := eb.LeaderURL(); !ok || u != "http://a:8090" {
		t.Fatalf("b sees leader %q %v, want http://a:8090", u, ok)
	}
	storeA.Close() // a can no longer renew
	want(t, ev, "a stop")
	want(t, ev, "b start")
	if a.term.Fence.Term >= b.term.Fence.Term {
		t.Fatalf("terms a %d, b %d: want b's higher", a.term.Fence.Term, b.term.Fence.Term)
	}
	if a.ctx.Err() == nil {
		t.Fatal("a's duties context still live after Stop")
	}
	if u, _ := eb.LeaderURL(); u != "http://b:8090" || !eb.IsLeader() || ea.IsLeader() {
		t.Fatalf("after take-over: b sees %q, b leads %v, a leads %v", u, eb.IsLeader(), ea.IsLeader())
	}
	// a's tasks, had they outlived a's step-down, publish through a store fenced by a's term.
	old := leader.FencedStore(context.Background(), storeB, a.term)
	err := old.Publish(context.Background(), metadata.PublishRequest{DataSource: "ds", Segments: []metadata.Segment{{
		ID: "ds_2026-01-01T00:00:00.000Z_2026-01-01T01:00:00.000Z_v1", DataSource: "ds",
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC), Version: "v1",
	}}})
	if !errors.Is(err, metadata.ErrFenced) {
		t.Fatalf("publish under the deposed term: %v, want ErrFenced", err)
	}
	// Once a's term has ended, its task status writes are refused as well.
	if err := leader.FencedStore(a.ctx, storeB, a.term).UpdateTaskStatus(context.Background(), "t", []byte("{}"), false); !errors.Is(err, metadata.ErrFenced) {
		t.Fatalf("status write after the term ended: %v, want ErrFenced", err)
	}
}

// TestReleaseOnShutdown checks that a leader leaving (its Run ending) stops its duties and
// releases the lease, so that the other candidate takes over without waiting for it to end.
func TestReleaseOnShutdown(t *testing.T) {
	dsn := metadatatest.FreshPostgresSchema(t)
	ev := &events{ch: make(chan string, 16)}
	a, b := &recorder{name: "a", events: ev}, &recorder{name: "b", events: ev}
	_, stopA := elect(t, open(t, dsn), a, "http://a:8090")
	want(t, ev, "a start")
	storeB := open(t, dsn)
	_, _ = elect(t, storeB, b, "http://b:8090")
	stopA()
	want(t, ev, "a stop")
	want(t, ev, "b start")
	l, err := storeB.CurrentLease(context.Background(), leader.OverlordLease)
	if err != nil || l.URL != "http://b:8090" || l.Term != 2 {
		t.Fatalf("lease after hand-over: %+v, %v; want b's in term 2", l, err)
	}
}

// TestRefresh checks that Refresh runs a round at once: with a lease of minutes, the follower's
// next scheduled round is far beyond the wait below, so only Refresh can make it take the
// lease the leader released.
func TestRefresh(t *testing.T) {
	dsn := metadatatest.FreshPostgresSchema(t)
	ev := &events{ch: make(chan string, 16)}
	a, b := &recorder{name: "a", events: ev}, &recorder{name: "b", events: ev}
	_, stopA := electFor(t, open(t, dsn), a, "http://a:8090", 3*time.Minute)
	want(t, ev, "a start")
	eb, _ := electFor(t, open(t, dsn), b, "http://b:8090", 3*time.Minute)
	<-eb.Ready()
	stopA()
	want(t, ev, "a stop")
	eb.Refresh()
	want(t, ev, "b start")
}

func TestOptionsRefused(t *testing.T) {
	for _, o := range []leader.Options{
		{URL: "http://a", Lease: time.Second, Renew: 2 * time.Second},
		{URL: "http://a", Lease: time.Second, StepDown: 2 * time.Second},
		{URL: "http://a", Lease: time.Millisecond},
	} {
		if _, err := leader.New(nil, nil, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := leader.New(nil, nil, leader.Options{URL: "http://a", Candidate: true}); err == nil {
		t.Error("a candidate without duties accepted")
	}
}
