package supervisor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// TaskRunner is what a supervisor needs from the task runner.
type TaskRunner interface {
	SubmitSpec(ctx context.Context, s *task.Spec) error
	Infos(ctx context.Context, filter metadata.TaskFilter) ([]task.Info, error)
	Info(ctx context.Context, id string) (task.Info, []byte, error)
	Shutdown(ctx context.Context, id string) error
}

// Deps are the services a supervisor's run loop uses; the Manager hands them over at Start.
type Deps struct {
	Runner TaskRunner
	Tasks  TaskClient
	// Getenv resolves consumer-property secrets; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// Thresholds are the health thresholds; all zero means the Manager's Options.Thresholds,
	// other zero fields mean 3.
	Thresholds Thresholds
	// MinPeriod bounds how often the loop runs even if a spec asks for less (tests lower it).
	MinOffsetFetchPeriod time.Duration
}

// runtime is one supervisor's run loop (Druid's SeekableStreamSupervisor). A single goroutine
// owns every field below the lock; the Manager talks to it through notices and reads the
// published snapshot for reports.
type runtime struct {
	id    string
	spec  *spec.Supervisor
	store metadata.Store
	deps  Deps
	log   *slog.Logger
	now   func() time.Time

	notices chan notice
	done    chan struct{}

	// owned by the loop
	client          *kgo.Client
	admin           *kadm.Client
	partitions      []druidapi.Partition
	discoveredOnce  bool
	partitionOffset map[druidapi.Partition]int64 // next start offset, or notSet
	active          map[int]*taskGroup
	pending         map[int][]*taskGroup
	earlyStop       time.Time
	sm              *stateManager
	taskSpecs       map[string]*task.Spec // decoded payloads of tracked tasks
	lastRun         time.Time
	latest          task.Offsets
	latestAt        time.Time
	lagMillis       map[druidapi.Partition]int64 // time lag per partition read by a task (timelag.go)
	stopping        bool
	scaler          *autoscaler
	ingestRate      float64
	idleLatest      task.Offsets
	inactiveSince   time.Time
	// startIdleDone is set by the first run that finds a reason not to start IDLE
	// (checkIdleOnStart); from then on only checkIdle turns the supervisor IDLE.
	startIdleDone bool
	// storeDown is set by a run that could not reach the metadata store and kept until the
	// supervisor is healthy again; meanwhile runs come every storeRetryPeriod, so a short
	// outage shows in the state and its end shows soon after.
	storeDown bool
	// offsetsAhead holds the partitions stopped because their offsets are beyond the
	// partition's end (offsets.go), until a reset.
	offsetsAhead map[druidapi.Partition]offsetAhead
	// handoffEarly holds the reading groups named by POST /taskGroups/handoff: the next run
	// finalizes them as if their taskDuration had elapsed.
	handoffEarly map[int]bool

	specMu  sync.Mutex // guards specPub, the spec as the Manager should report it
	specPub *spec.Supervisor

	snapMu sync.Mutex
	snap   snapshot
}

// snapshot is what reports read, published by the loop after each run and offset refresh.
type snapshot struct {
	state        State
	recentErrors []ErrorEvent
	partitions   int
	active       []TaskReport
	publishing   []TaskReport
	latest       map[string]int64
	minimumLag   map[string]int64
	aggregateLag *int64
	// minimumLagMillis and aggregateLagMillis are the time lag (timelag.go), by partition and
	// summed; absent until measured.
	minimumLagMillis   map[string]int64
	aggregateLagMillis *int64
	offsetsAt          *string
	taskGroups         map[string][]string // group → task ids, for stats
	ingestRate         float64             // rows/s over the last minute, summed over tasks
}

// notice is work handed to the loop.
type notice struct {
	kind     noticeKind
	group    int
	taskID   string // the task asking for a checkpoint
	groups   []int  // noticeHandoff: the task groups to hand off early
	start    task.Offsets
	graceful bool
	reply    chan error
}

type noticeKind int

const (
	noticeRun noticeKind = iota
	noticeCheckpoint
	noticeReset
	noticeResetPartitions
	noticeStop
	noticeHandoff
	// noticeForceScale makes the next scale action go to n.group tasks whatever the lag says;
	// only tests send it (export_test.go), to make a scale decision deterministic.
	noticeForceScale
)

func newRuntime(id string, s *spec.Supervisor, store metadata.Store, deps Deps, log *slog.Logger, now func() time.Time, maxEvents int) *runtime {
	return &runtime{
		id: id, spec: s, store: store, deps: deps, log: log.With("supervisor", id), now: now,
		notices: make(chan notice, 64), done: make(chan struct{}),
		partitionOffset: map[druidapi.Partition]int64{}, active: map[int]*taskGroup{}, pending: map[int][]*taskGroup{}, offsetsAhead: map[druidapi.Partition]offsetAhead{},
		handoffEarly: map[int]bool{},
		sm:           newStateManager(deps.Thresholds, maxEvents, s.Suspended), taskSpecs: map[string]*task.Spec{},
		snap:    snapshot{state: initialState(s)},
		specPub: s,
		scaler:  newAutoscaler(s.IOConfig.AutoScalerConfig, now()),
	}
}

// setSpec replaces the running spec (the autoscaler's new taskCount).
func (r *runtime) setSpec(s *spec.Supervisor) {
	r.spec = s
	r.specMu.Lock()
	r.specPub = s
	r.specMu.Unlock()
}

// currentSpec is the spec the loop runs, for the Manager's reports and spec changes.
func (r *runtime) currentSpec() *spec.Supervisor {
	r.specMu.Lock()
	defer r.specMu.Unlock()
	return r.specPub
}

// send hands a notice to the loop and waits for its reply (if it wants one).
func (r *runtime) send(ctx context.Context, n notice) error {
	n.reply = make(chan error, 1)
	select {
	case r.notices <- n:
	case <-r.done:
		return fmt.Errorf("supervisor %s is stopped", r.id)
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-n.reply:
		return err
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run is the loop. It returns when ctx ends (daemon shutdown: tasks are left running for the
// next start to adopt) or after a stop notice (spec change, suspend, terminate: reading groups
// were told to publish first).
func (r *runtime) run(ctx context.Context) {
	defer close(r.done)
	defer func() {
		if r.client != nil {
			r.client.Close()
		}
	}()
	io := &r.spec.IOConfig
	if ignored := task.IgnoredConsumerProperties(io.ConsumerProperties); len(ignored) > 0 {
		// Druid hands these to the Java consumer; this engine's client has no use for them.
		r.log.Warn("consumerProperties ignored: they only apply to the Java Kafka client", "properties", ignored)
	}
	startDelay, _ := io.StartDelay.Duration()
	period, _ := io.Period.Duration()
	fetchEvery, _ := r.spec.TuningConfig.OffsetFetchPeriod.Duration()
	if fetchEvery < r.deps.MinOffsetFetchPeriod || fetchEvery == 0 {
		fetchEvery = r.deps.MinOffsetFetchPeriod
	}
	runTimer := time.NewTimer(startDelay)
	defer runTimer.Stop()
	lagTicker := time.NewTicker(fetchEvery)
	defer lagTicker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-runTimer.C:
			r.runOnce(ctx)
			runTimer.Reset(r.nextRunDelay(period))
		case <-lagTicker.C:
			r.refreshLag(ctx)
		case n := <-r.notices:
			err := r.handle(ctx, n)
			if n.reply != nil {
				n.reply <- err
			}
			if n.kind == noticeStop {
				return
			}
			if n.kind == noticeRun || n.kind == noticeHandoff {
				runTimer.Reset(r.nextRunDelay(period))
			}
		}
	}
}

// nextRunDelay is the period, shortened so a group is finalized right after its taskDuration.
func (r *runtime) nextRunDelay(period time.Duration) time.Duration {
	d := period
	dur, _ := r.spec.IOConfig.TaskDuration.Duration()
	now := r.now()
	for gid, g := range r.active {
		if st := g.earliestStart(); st != nil {
			due := st.Add(dur).Add(time.Second).Sub(now)
			if r.handoffEarly[gid] {
				due = 0
			}
			if due < d {
				d = due
			}
		}
	}
	if !r.earlyStop.IsZero() {
		if due := r.earlyStop.Sub(now); due < d {
			d = due
		}
	}
	if r.storeDown {
		d = min(d, storeRetryPeriod)
	}
	return max(d, 50*time.Millisecond)
}

// storeRetryPeriod is the run period while the metadata store is unreachable: with Druid's
// default unhealthinessThreshold of 3 an outage shows as UNHEALTHY_SUPERVISOR within seconds
// rather than after three periods (90 s at the default period of PT30S).
const storeRetryPeriod = time.Second

func (r *runtime) handle(ctx context.Context, n notice) error {
	switch n.kind {
	case noticeRun:
		r.runOnce(ctx)
	case noticeCheckpoint:
		return r.checkpoint(ctx, n.taskID, n.group, n.start)
	case noticeReset:
		r.resetAll(ctx)
	case noticeResetPartitions:
		r.resetPartitions(ctx, n.start)
	case noticeHandoff:
		// As in Druid, ids that are not actively reading groups are ignored.
		for _, gid := range n.groups {
			if _, ok := r.active[gid]; ok {
				r.handoffEarly[gid] = true
			}
		}
		if len(r.handoffEarly) > 0 {
			r.log.Info("task groups to hand off early", "groups", slices.Sorted(maps.Keys(r.handoffEarly)))
		}
	case noticeForceScale:
		if r.scaler == nil {
			return fmt.Errorf("supervisor %s has no task autoscaler", r.id)
		}
		r.scaler.forced = n.group
	case noticeStop:
		if n.graceful {
			r.stopping = true
			r.sm.state = StateStopping
			r.gracefulShutdown(ctx)
			r.publishSnapshot(ctx)
		}
	}
	return nil
}

// connect creates the Kafka admin client used for partitions and offsets.
func (r *runtime) connect() error {
	if r.client != nil {
		return nil
	}
	opts, err := task.ClientOptions(r.spec.IOConfig.ConsumerProperties, r.deps.Getenv)
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	r.client, r.admin = cl, kadm.NewClient(cl)
	return nil
}

// streamError marks errors talking to Kafka, which decide LOST_CONTACT_WITH_STREAM.
type streamError struct{ err error }

func (e *streamError) Error() string { return e.err.Error() }
func (e *streamError) Unwrap() error { return e.err }

func (r *runtime) fail(err error) {
	var se *streamError
	stream := errors.As(err, &se)
	class, msg := "SupervisorError", err.Error()
	var ahead *offsetsAheadError
	switch {
	case errors.As(err, &ahead):
		class = "OffsetsBeyondStreamEnd"
	case stream:
		class = "StreamException"
	case metadata.IsTransient(err):
		// Not a stream error: Druid counts it towards UNHEALTHY_SUPERVISOR.
		class, msg = "MetadataStoreUnavailable", "metadata store unreachable: "+msg
		r.storeDown = true
	}
	r.log.Warn("supervisor run error", "err", err)
	r.sm.recordError(r.now(), class, msg, stream)
}

// stats collects every task's row stats: {group: {task: rowStats}}.
func (r *runtime) stats(ctx context.Context) map[string]map[string]json.RawMessage {
	r.snapMu.Lock()
	groups := r.snap.taskGroups
	r.snapMu.Unlock()
	out := map[string]map[string]json.RawMessage{}
	for g, ids := range groups {
		for _, id := range ids {
			rs, err := r.deps.Tasks.RowStats(ctx, id)
			if err != nil {
				continue // Druid skips tasks that do not answer
			}
			if out[g] == nil {
				out[g] = map[string]json.RawMessage{}
			}
			out[g][id] = rs
		}
	}
	return out
}
