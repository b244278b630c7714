package task

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
)

// Options are what a task needs from the daemon.
type Options struct {
	// Store is the metadata store: segment allocation and the transactional publish.
	Store metadata.Store
	// Storage is deep storage, where published segments are pushed.
	Storage storage.Deep
	// WorkDir is this task's scratch directory (spills, merged segments). It is removed after
	// the task succeeds.
	WorkDir string
	// Checkpointer asks the supervisor to checkpoint the task's group. Nil means the task
	// checkpoints itself (a directly submitted task has no replicas to agree with).
	Checkpointer Checkpointer
	// CheckpointBackoff is the first delay before a checkpoint request that came back without
	// the sequence closed is asked again; it doubles per attempt up to 30 s. Zero means 500 ms.
	CheckpointBackoff time.Duration
	// Handoff waits until published segments are loaded for serving. Nil means no waiting.
	Handoff Handoff
	// Logger receives task logs. Nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Getenv resolves consumer-property secrets; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// Metrics receives row counts and persist/publish latencies; nil means none.
	Metrics Metrics
	// PublishRetries bounds retries of a publish whose start offsets are ahead of the stored
	// ones (the previous sequence, or the previous task group, may still be committing), with
	// waits doubling from 200ms to at most 30s. Zero means 10 (about two minutes).
	PublishRetries int
	// StoreOutageTimeout bounds how long metadata calls (publish, segment allocation, reading
	// the stored offsets) are retried while the store is unreachable before the task fails.
	// Zero means 5 minutes.
	StoreOutageTimeout time.Duration

	// Realtime queries (realtime.go).

	// RealtimeRefresh bounds how often the task rewrites the snapshot of its in-memory rows
	// that realtime queries read, so rows become queryable within about RealtimeRefresh +
	// ioConfig.pollTimeout of being read. Zero means 1 s.
	RealtimeRefresh time.Duration
	// RealtimeHandoffGrace is how long a published segment's realtime parts are still served,
	// so that there is no gap before the published segment is loaded. Zero means 5 minutes.
	RealtimeHandoffGrace time.Duration
	// RealtimeWait bounds how long QuerySegments waits for the run loop (busy merging,
	// publishing or waiting for handoff) before serving its last answer. Zero means 500 ms.
	RealtimeWait time.Duration

	// RunningTasks returns how many tasks this process runs now, this task included. With
	// numParseThreads unset, a task parses inline whenever it is at least GOMAXPROCS: the
	// process's cores are busy with tasks' run loops already, and handing rows to parse
	// goroutines would only add the copy (see readParallel). Nil means 1.
	RunningTasks func() int
}

// DefaultOptions returns the defaults documented on Options (no store, storage or work
// directory: the daemon supplies those).
func DefaultOptions() Options {
	o := Options{}
	o.validate()
	return o
}

// validate fills zero (and negative) values with their defaults.
func (o *Options) validate() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PublishRetries <= 0 {
		o.PublishRetries = 10
	}
	if o.StoreOutageTimeout <= 0 {
		o.StoreOutageTimeout = 5 * time.Minute
	}
	if o.Getenv == nil {
		o.Getenv = os.LookupEnv
	}
	if o.RealtimeRefresh <= 0 {
		o.RealtimeRefresh = time.Second
	}
	if o.RealtimeHandoffGrace <= 0 {
		o.RealtimeHandoffGrace = 5 * time.Minute
	}
	if o.RealtimeWait <= 0 {
		o.RealtimeWait = 500 * time.Millisecond
	}
}

// Checkpointer is the supervisor side of incremental handoff (Druid's
// CheckPointDataSourceMetadataAction): the task has paused itself at a segment limit and asks
// the supervisor to set checkpoint end offsets on every replica.
type Checkpointer interface {
	Checkpoint(ctx context.Context, taskID string, taskGroupID int, sequenceStart Offsets) error
}

// Metrics is where a task reports for /metrics (implemented by engine/metrics).
type Metrics interface {
	AddRows(dataSource string, processed, processedBytes, withError, unparseable, thrownAway int64)
	// AddThrownAway counts thrown-away rows by Druid's reason (engine/metrics ThrownAway*).
	AddThrownAway(dataSource, reason string, n int64)
	ObservePersist(dataSource string, seconds float64, rows int)
	ObservePublish(dataSource string, seconds float64, segments int)
	// ObserveHandoff records how many published segments were handed off, or not (failed).
	ObserveHandoff(dataSource string, segments int, failed bool)
	// TaskFinished counts a task's end.
	TaskFinished(dataSource string, success bool)
}

// Handoff waits until the given published segments are served.
type Handoff interface {
	WaitLoaded(ctx context.Context, dataSource string, segmentIDs []string) error
}

// Result is how a task ended.
type Result struct {
	Success  bool
	ErrorMsg string
	Report   map[string]any // completion report (ingestionStatsAndErrors)
}

// Task is one running Kafka indexing task. Its run loop owns all ingestion state; the chat API
// reaches it through the methods below, which read published snapshots or send requests into
// the loop over a channel (never sharing the loop's state under locks).
type Task struct {
	id   string
	spec *Spec
	opts Options
	log  *slog.Logger

	statusMu sync.Mutex
	status   Status

	stats *Stats
	reqs  chan request
	done  chan struct{}

	// snapMu guards the snapshots the loop publishes for readers.
	snapMu      sync.Mutex
	current     Offsets
	end         Offsets
	checkpoints map[int]Offsets
	startTime   *time.Time
	result      *Result
	stallMsg    string // stall.go

	// pauseRequested is Druid's pauseRequested: a /pause that the loop did not pick up within
	// its wait (it was polling Kafka or publishing) still holds, and the loop pauses when it
	// next serves requests. Without it the supervisor, told 202, would poll /status for a
	// PAUSED that never comes.
	pauseRequested atomic.Bool

	handoffWait time.Duration // written by the loop before it finishes
	cancel      context.CancelCauseFunc
	// killedBefore holds a kill that came before Run set cancel (the runner has given the task
	// a slot, but its goroutine has not started yet): Run applies it at once.
	killedBefore error

	rt realtime // realtime query state (realtime.go)
}

// kill ends the task without publishing; Run returns a failure with msg.
func (t *Task) kill(msg string) {
	t.snapMu.Lock()
	cancel := t.cancel
	if cancel == nil {
		t.killedBefore = errors.New(msg)
	}
	t.snapMu.Unlock()
	if cancel != nil {
		cancel(errors.New(msg))
	}
}

// request is a chat-API call handed to the run loop.
type request struct {
	kind    requestKind
	offsets Offsets
	finish  bool
	publish bool
	reply   chan reply
}

type reply struct {
	offsets Offsets
	err     error
	snap    []rtSink // reqSnapshot
}

type requestKind int

const (
	reqPause requestKind = iota
	reqResume
	reqSetEndOffsets
	reqStop
	reqSnapshot // realtime query snapshot (realtime.go)
)

// ErrNotPaused is returned by SetEndOffsets when the task is not paused.
var ErrNotPaused = errors.New("Task must be paused before changing the end offsets")

// ErrBadState is wrapped by chat requests that do not apply in the task's state (pause while
// publishing): Druid answers 409.
var ErrBadState = errors.New("task state does not allow this request")

// ErrBadOffsets is wrapped by SetEndOffsets errors caused by the request (Druid answers 400).
var ErrBadOffsets = errors.New("bad end offsets")

// New prepares a task; Run starts it.
func New(s *Spec, opts Options) *Task {
	opts.validate()
	t := &Task{
		id:      s.Payload.ID,
		spec:    s,
		opts:    opts,
		log:     opts.Logger.With("task", s.Payload.ID, "datasource", s.DataSchema.DataSource),
		status:  StatusNotStarted,
		reqs:    make(chan request),
		done:    make(chan struct{}),
		current: s.Start.Clone(),
		end:     s.End.Clone(),
	}
	_, maxSaved := s.Tuning.EffectiveParseExceptionLimits()
	t.stats = newStats(maxSaved, opts.Now())
	return t
}

// ID is the task id.
func (t *Task) ID() string { return t.id }

// Spec is the task's decoded payload.
func (t *Task) Spec() *Spec { return t.spec }

// Stats are the task's row counters.
func (t *Task) Stats() *Stats { return t.stats }

// Done is closed when Run has returned.
func (t *Task) Done() <-chan struct{} { return t.done }

// CurrentOffsets is the next offset to read per partition (last read + 1).
func (t *Task) CurrentOffsets() Offsets {
	t.snapMu.Lock()
	defer t.snapMu.Unlock()
	return t.current.Clone()
}

// EndOffsets are the end offsets of the current sequence (EndOfPartition until set).
func (t *Task) EndOffsets() Offsets {
	t.snapMu.Lock()
	defer t.snapMu.Unlock()
	return t.end.Clone()
}

// Checkpoints are the start offsets of the sequences not yet published, by sequence id.
func (t *Task) Checkpoints() map[int]Offsets {
	t.snapMu.Lock()
	defer t.snapMu.Unlock()
	out := make(map[int]Offsets, len(t.checkpoints))
	for id, o := range t.checkpoints {
		out[id] = o.Clone()
	}
	return out
}

// StartTime is when the task started reading, nil before.
func (t *Task) StartTime() *time.Time {
	t.snapMu.Lock()
	defer t.snapMu.Unlock()
	return t.startTime
}

// Result is how the task ended, nil while it runs.
func (t *Task) Result() *Result {
	t.snapMu.Lock()
	defer t.snapMu.Unlock()
	return t.result
}

// call hands a request to the run loop and waits for the answer, the loop's end, or ctx.
func (t *Task) call(ctx context.Context, r request) (Offsets, error) {
	r.reply = make(chan reply, 1)
	select {
	case t.reqs <- r:
	case <-t.done:
		return nil, fmt.Errorf("%w: task %s is no longer running", ErrBadState, t.id)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case rep := <-r.reply:
		return rep.offsets, rep.err
	case <-t.done:
		return nil, fmt.Errorf("%w: task %s stopped", ErrBadState, t.id)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Pause asks the loop to pause and returns the current offsets once it has. If the loop has
// not paused within wait, paused is false (the chat API answers 202 and the caller polls
// /status): the request stays pending and the loop pauses as soon as it gets to it.
func (t *Task) Pause(ctx context.Context, wait time.Duration) (offsets Offsets, paused bool, err error) {
	st := t.Status()
	if st != StatusReading && st != StatusPaused && st != StatusStarting {
		return nil, false, fmt.Errorf("%w: Can't pause, task is not in a pausable state (state: [%s])", ErrBadState, st)
	}
	cctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	r := request{kind: reqPause, reply: make(chan reply, 1)}
	select {
	case t.reqs <- r:
	case <-t.done:
		return nil, false, fmt.Errorf("%w: task %s is no longer running", ErrBadState, t.id)
	case <-cctx.Done():
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		// Not delivered: leave it for the loop. (Once delivered the loop pauses by itself, so
		// the flag is set only here, never for a request the loop already has.)
		t.pauseRequested.Store(true)
		return nil, false, nil
	}
	select {
	case rep := <-r.reply:
		return rep.offsets, true, rep.err
	case <-t.done:
		return nil, false, fmt.Errorf("%w: task %s stopped", ErrBadState, t.id)
	case <-cctx.Done():
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, false, nil // the loop has it and pauses; the caller polls /status
	}
}

// Resume lets a paused task read again.
func (t *Task) Resume(ctx context.Context) error {
	if !t.listening() {
		// Not paused, and no loop listening (queued for a slot, or publishing): as in Druid,
		// resuming a task that is not paused does nothing, and answering now keeps the caller
		// from waiting until the loop comes back.
		return nil
	}
	_, err := t.call(ctx, request{kind: reqResume})
	return err
}

// listening reports whether the run loop may answer a request now: not while the task is
// queued for a slot or publishing. A task that has ended counts as listening, so that call
// answers that it is no longer running.
func (t *Task) listening() bool {
	select {
	case <-t.done:
		return true
	default:
	}
	st := t.Status()
	return st != StatusNotStarted && st != StatusPublishing
}

// SetEndOffsets sets the end offsets of the current sequence on a paused task. With finish the
// task reads up to them and publishes everything; without, they are a checkpoint: the sequence
// is closed there and a new one opens at the same offsets. The task resumes afterwards.
func (t *Task) SetEndOffsets(ctx context.Context, offsets Offsets, finish bool) (Offsets, error) {
	if !t.listening() {
		// No loop listening, and the task is not paused: answer now rather than when the loop
		// comes back. A supervisor retrying the end offsets that made the task publish gets
		// the same answer the loop gives a duplicate.
		if t.Status() == StatusPublishing && maps.Equal(t.EndOffsets(), offsets) {
			return offsets, nil
		}
		return nil, fmt.Errorf("%w: %w", ErrBadOffsets, ErrNotPaused)
	}
	return t.call(ctx, request{kind: reqSetEndOffsets, offsets: offsets.Clone(), finish: finish})
}

// Stop ends the task gracefully: with publish, it publishes what it has read (as if end
// offsets were set to the current offsets); without, it exits without publishing and succeeds.
func (t *Task) Stop(ctx context.Context, publish bool) error {
	_, err := t.call(ctx, request{kind: reqStop, publish: publish})
	if errors.Is(err, ErrBadState) {
		return nil // already finished or finishing
	}
	return err
}

// publishSnapshot copies the loop's offsets for readers.
func (t *Task) publishSnapshot(current, end Offsets, seqs []*sequence) {
	cps := make(map[int]Offsets, len(seqs))
	for _, s := range seqs {
		if !s.published {
			cps[s.id] = s.start.Clone()
		}
	}
	t.snapMu.Lock()
	t.current = current.Clone()
	t.end = end.Clone()
	t.checkpoints = cps
	t.snapMu.Unlock()
}
