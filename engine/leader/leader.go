// Package leader elects the one Overlord leader among the engine processes that share a
// PostgreSQL metadata store, without ZooKeeper: leadership is a lease row timed by the
// database's clock (metadata.LeaseStore) whose term is the fencing token.
//
// An Elector runs one loop. A candidate tries to take or renew the lease every Renew; on
// winning it starts its Duties (the supervisors and the task queue) and only then reports
// itself leader, as Druid's Overlord announces itself last. A leader that has not renewed for
// StepDown stops its duties, which is before its lease can end by the database's clock: the
// local deadline is counted from before each renewal was sent, on the monotonic clock, which
// keeps running while the process is stopped. Whatever the leader's tasks still try to
// publish after that carries the old term (metadata.Fence) and is refused by the store once a
// newer leader exists.
package leader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// OverlordLease is the name of the Overlord's lease row.
const OverlordLease = "overlord"

// DefaultLease is how long a lease lasts without renewal (--leader-lease).
const DefaultLease = 15 * time.Second

// Term is one leadership: the lease's fencing token while this process holds it.
type Term struct {
	Fence metadata.Fence
}

// Duties is what a leader runs. Start begins them for term; ctx ends when leadership does,
// and Start must return (having started its goroutines) without waiting for that. Stop ends
// them and returns when they have stopped. Start and Stop alternate, Start first.
type Duties interface {
	Start(ctx context.Context, term Term) error
	Stop()
}

// Options configures an Elector.
type Options struct {
	// Name is the lease's name; empty means OverlordLease.
	Name string
	// URL is where this process serves its API (http://advertise), what followers forward
	// to and GET /leader reports.
	URL string
	// Candidate says whether this process runs for leadership (it has the overlord role);
	// otherwise it only follows the lease to know the leader.
	Candidate bool
	// Lease is the lease's length; zero means DefaultLease.
	Lease time.Duration
	// Renew is how often the lease is renewed (and followers look it up); zero means Lease/3.
	Renew time.Duration
	// StepDown is how long after the last successful renewal was sent a leader gives up;
	// zero means Lease - Renew/2, which leaves a failed renewal or two before the lease ends
	// and Renew/2 for stopping the duties.
	StepDown time.Duration
	// Logger receives leadership changes; nil means slog.Default().
	Logger *slog.Logger
}

func (o *Options) validate() error {
	if o.Name == "" {
		o.Name = OverlordLease
	}
	if o.Lease == 0 {
		o.Lease = DefaultLease
	}
	if o.Renew == 0 {
		o.Renew = o.Lease / 3
	}
	if o.StepDown == 0 {
		o.StepDown = o.Lease - o.Renew/2
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	switch {
	case o.Lease < 10*time.Millisecond:
		return fmt.Errorf("leader lease must be at least 10ms, got %s", o.Lease)
	case o.Renew <= 0 || o.Renew >= o.Lease:
		return fmt.Errorf("leader renew interval must be positive and shorter than the lease (%s), got %s", o.Lease, o.Renew)
	case o.StepDown <= o.Renew || o.StepDown >= o.Lease:
		return fmt.Errorf("leader step-down (%s) must be between the renew interval (%s) and the lease (%s)", o.StepDown, o.Renew, o.Lease)
	}
	return nil
}

// Elector takes part in the election (or follows it) and runs Duties while it leads.
type Elector struct {
	store  metadata.LeaseStore
	duties Duties
	opts   Options
	log    *slog.Logger
	holder string // unique per process start

	nudge     chan struct{} // Refresh's request for a round now; holds at most one
	ready     chan struct{} // closed after the first round
	readyOnce sync.Once

	mu        sync.Mutex
	leading   bool   // duties started for the current term
	leaderURL string // the live lease's URL; "" when none is known
}

// New returns an elector over store. duties may be nil when opts.Candidate is false. It
// starts nothing; Run does.
func New(store metadata.LeaseStore, duties Duties, opts Options) (*Elector, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Candidate && duties == nil {
		return nil, errors.New("leader: a candidate needs duties")
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &Elector{store: store, duties: duties, opts: opts, log: opts.Logger.With("lease", opts.Name),
		holder: opts.URL + "#" + hex.EncodeToString(b[:]), ready: make(chan struct{}), nudge: make(chan struct{}, 1)}, nil
}

// Refresh asks Run for a round now instead of at the next tick: a follower whose forward to
// the leader it knows failed learns of a new leader (or takes the released lease) at once.
// Requests made while one is pending are merged.
func (e *Elector) Refresh() {
	select {
	case e.nudge <- struct{}{}:
	default:
	}
}

// Ready is closed once Run has finished its first round: a candidate that found the lease
// free leads by then, and any node knows the leader if there is one.
func (e *Elector) Ready() <-chan struct{} { return e.ready }

// Holder is this process's id in the lease row.
func (e *Elector) Holder() string { return e.holder }

// IsLeader reports whether this process leads and its duties have started.
func (e *Elector) IsLeader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leading
}

// LeaderURL returns the current leader's URL as last seen in the store (this process's own
// when it leads), or false when no live lease is known.
func (e *Elector) LeaderURL() (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leaderURL, e.leaderURL != ""
}

// Run takes part in the election until ctx ends, then stops the duties if they run and
// releases the lease so that another candidate takes over at once.
func (e *Elector) Run(ctx context.Context) {
	var (
		term     Term
		dutyStop context.CancelFunc
		deadline time.Time // when a leader must step down, unless it renews first
	)
	stop := func(why string) {
		if dutyStop == nil {
			return
		}
		e.mu.Lock()
		e.leading = false
		if e.leaderURL == e.opts.URL {
			e.leaderURL = ""
		}
		e.mu.Unlock()
		e.log.Warn("stopping leader duties", "term", term.Fence.Term, "reason", why)
		dutyStop()
		e.duties.Stop()
		dutyStop = nil
		e.log.Info("no longer leader", "term", term.Fence.Term)
	}
	defer func() {
		wasLeading := dutyStop != nil
		stop("shutting down")
		if wasLeading {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opts.Renew)
			if err := e.store.ReleaseLease(rctx, e.opts.Name, e.holder); err != nil {
				e.log.Warn("release leader lease", "err", err)
			}
			cancel()
		}
	}()
	tick := time.NewTicker(e.opts.Renew)
	defer tick.Stop()
	for {
		if dutyStop != nil && !time.Now().Before(deadline) {
			stop("lease not renewed in time")
		}
		sent := time.Now()
		// A leader's attempt must end before it has to step down.
		actx, cancel := context.WithTimeout(ctx, e.opts.Renew)
		if dutyStop != nil {
			actx, cancel = context.WithDeadline(ctx, deadline)
		}
		var (
			l   metadata.Lease
			err error
		)
		if e.opts.Candidate {
			l, err = e.store.AcquireLease(actx, e.opts.Name, e.holder, e.opts.URL, e.opts.Lease)
		} else {
			l, err = e.store.CurrentLease(actx, e.opts.Name)
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case errors.Is(err, metadata.ErrNotFound):
			e.setLeaderURL("")
		case err != nil:
			e.log.Warn("leader lease", "err", err, "leading", dutyStop != nil)
			if dutyStop != nil && !time.Now().Before(deadline) {
				stop("lease not renewed in time")
			}
		case l.Holder == e.holder && l.Live:
			deadline = sent.Add(e.opts.StepDown)
			if dutyStop != nil && l.Term != term.Fence.Term {
				stop("term changed") // cannot happen while renewals succeed; be safe
			}
			if dutyStop == nil {
				term = Term{Fence: metadata.Fence{Name: e.opts.Name, Holder: e.holder, Term: l.Term}}
				e.log.Info("elected leader", "term", l.Term, "url", e.opts.URL)
				dctx, cancel := context.WithCancel(ctx)
				if err := e.duties.Start(dctx, term); err != nil {
					cancel()
					e.duties.Stop()
					e.log.Error("start leader duties; giving the lease up", "term", l.Term, "err", err)
					rctx, rcancel := context.WithTimeout(ctx, e.opts.Renew)
					_ = e.store.ReleaseLease(rctx, e.opts.Name, e.holder)
					rcancel()
					e.setLeaderURL("")
					break
				}
				dutyStop = cancel
				e.mu.Lock()
				e.leading = true
				e.mu.Unlock()
			}
			e.setLeaderURL(e.opts.URL)
		default:
			if dutyStop != nil {
				stop(fmt.Sprintf("lease taken by %s in term %d", l.Holder, l.Term))
			}
			if l.Live {
				e.setLeaderURL(l.URL)
			} else {
				e.setLeaderURL("")
			}
		}
		e.readyOnce.Do(func() { close(e.ready) })
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-e.nudge:
		}
	}
}

func (e *Elector) setLeaderURL(u string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leaderURL != u {
		e.log.Info("overlord leader", "url", u)
	}
	e.leaderURL = u
}

// FencedStore returns store as the duties of one term use it. Every Publish carries the
// term's fence, checked inside the publish transaction, so the tasks of a deposed leader
// cannot commit once a newer leader exists. Once ctx (the term's) has ended, task status
// writes and new tasks are refused too, so that a deposed leader's tasks, stopping, do not
// overwrite the statuses of the same tasks the new leader has adopted.
func FencedStore(ctx context.Context, store metadata.Store, term Term) metadata.Store {
	return fencedStore{Store: store, fence: term.Fence, ctx: ctx}
}

type fencedStore struct {
	metadata.Store
	fence metadata.Fence
	ctx   context.Context
}

func (s fencedStore) Publish(ctx context.Context, req metadata.PublishRequest) error {
	f := s.fence
	req.Fence = &f
	return s.Store.Publish(ctx, req)
}

func (s fencedStore) ended() error {
	if s.ctx.Err() != nil {
		return fmt.Errorf("%w (%s)", metadata.ErrFenced, s.fence)
	}
	return nil
}

func (s fencedStore) UpdateTaskStatus(ctx context.Context, id string, status []byte, active bool) error {
	if err := s.ended(); err != nil {
		return err
	}
	return s.Store.UpdateTaskStatus(ctx, id, status, active)
}

func (s fencedStore) InsertTask(ctx context.Context, task metadata.Task) error {
	if err := s.ended(); err != nil {
		return err
	}
	return s.Store.InsertTask(ctx, task)
}
