// Package daemon assembles a running engine from its parts — the metadata store, the supervisor
// manager, the task runner, the segment loader, the query engine, the metrics and the HTTP API —
// so that `kafka-indexer serve`, the quickstart and the in-process test engine are wired the same
// way (what Druid splits over the Overlord, MiddleManager and Historical processes).
package daemon

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/api"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/console"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/leader"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metrics"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/query"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// Options configures an Engine.
type Options struct {
	// DataDir holds task work directories, the segment cache (unless SegmentCacheDir) and
	// local deep storage (unless DeepStorage).
	DataDir string
	// DeepStorage is where tasks push segments and the loader pulls them from; nil means
	// local deep storage under DataDir/deep-storage (--deep-storage local).
	DeepStorage storage.Deep
	// SegmentCacheDir is where the loader keeps the segments it serves; empty means
	// DataDir/segment-cache.
	SegmentCacheDir string
	// SegmentCacheBytes bounds the segment cache (query.LoaderOptions.CacheBytes); zero means
	// no bound.
	SegmentCacheBytes int64
	// WorkerCapacity is the number of task slots; zero means 1.
	WorkerCapacity int
	// TaskQueueSize bounds the tasks waiting for a slot (task.RunnerOptions.MaxWaiting); zero
	// means task.DefaultMaxWaiting, negative no bound.
	TaskQueueSize int
	// TaskHistory is how many finished tasks stay in memory (task.RunnerOptions.FinishedHistory);
	// zero means task.DefaultFinishedHistory.
	TaskHistory int
	// Version is reported by /status.
	Version string
	// Username and Password enable HTTP basic auth (and are used by supervisors to reach the
	// chat API of this engine).
	Username, Password string
	// MaxBodyBytes limits request bodies; zero means api.DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// LoaderPoll is how often the segment loader polls the store; zero means 1 s.
	LoaderPoll time.Duration
	// MinOffsetFetchPeriod bounds how often supervisors refresh lag; zero means 5 s (Druid's
	// minimum). Tests lower it.
	MinOffsetFetchPeriod time.Duration
	// SupervisorThresholds are the supervisors' health thresholds (druid.supervisor.*Threshold);
	// zero fields mean Druid's default, 3.
	SupervisorThresholds supervisor.Thresholds
	// Logger receives every component's logs; nil means slog.Default().
	Logger *slog.Logger
	// UnknownSpecFields says what a submitted supervisor spec's unknown fields do
	// (--unknown-spec-fields); the zero value rejects them.
	UnknownSpecFields spec.UnknownFields
	// Cluster, when set, makes the engine a node of a cluster; nil is the single node.
	Cluster *Cluster
	// Properties are further settings for GET /status/properties (the command line's); New
	// adds the ones above. Only non-secret ones belong here: no password, no metadata URI.
	Properties map[string]string
}

// Cluster makes the engine one node of several sharing a PostgreSQL store (serve --roles,
// --advertise): the Overlord's duties — the supervisors and the task queue — run only on the
// elected leader (engine/leader), and the other nodes forward the Overlord API to it.
type Cluster struct {
	// URL is where the other nodes reach this one (http://advertise).
	URL string
	// Overlord says whether this node runs for leadership (the overlord role).
	Overlord bool
	// Worker says whether this node runs tasks (the worker role): it registers in the
	// workers table and runs the tasks the leader assigns to it (see workers.go).
	Worker bool
	// WorkerTimeout is how long a worker may miss heartbeats before the leader declares it
	// lost and fails its tasks (--worker-timeout); zero means DefaultWorkerTimeout.
	WorkerTimeout time.Duration
	// WorkerSelectStrategy is EqualDistribution (the default, when empty) or FillCapacity.
	WorkerSelectStrategy string
	// Query says whether this node serves native queries (the query role).
	Query bool
	// Lease is the leader lease's length (--leader-lease); zero means leader.DefaultLease.
	Lease time.Duration
}

// Engine is an assembled engine. New builds it and restores state; Start runs supervisors (or,
// in a cluster, the election); StopSupervisors and Close take it down.
type Engine struct {
	Store   metadata.Store
	Storage storage.Deep
	// Manager and Runner are the single node's supervisors and task runner; nil in a cluster,
	// where each leadership builds its own.
	Manager *supervisor.Manager
	Runner  *task.Runner
	Loader  *query.Loader
	Queries *query.Engine
	Metrics *metrics.Metrics
	// Handler serves the HTTP API: an *api.Server on a single node, an *api.Node in a cluster.
	Handler http.Handler
	// Elector is the leader election of a cluster node; nil on a single node.
	Elector *leader.Elector
	// worker is a cluster node's worker role; nil on a single node and without the role.
	worker *worker

	opts     Options
	log      *slog.Logger
	local    *api.Server // the single node's whole API, or a cluster node's non-Overlord part
	node     *api.Node   // nil on a single node
	cur      atomic.Pointer[overlord]
	loaderCh chan struct{}
	// ctx is the root of all the engine's background work (supervisor loops, tasks, the
	// loader); Close cancels it once they are stopped in order.
	ctx    context.Context
	cancel context.CancelFunc
	// electCancel ends the election; electDone is closed once Run has stopped the duties and
	// released the lease.
	electOnce   sync.Once
	electCancel context.CancelFunc
	electDone   chan struct{}
}

// overlord is the Overlord's duties on one node: the supervisors, the task runner and the API
// that serves them. A single node has one for its lifetime; a cluster leader builds one per
// term of leadership (see duties).
type overlord struct {
	mgr    *supervisor.Manager
	runner *task.Runner
	api    *api.Server
	// assign places the tasks on workers; nil on a single node, which runs them itself.
	assign *assigner
}

// New assembles an engine over store (which Close closes): it loads supervisor specs, restores
// the tasks that were running when the engine last stopped, and starts the segment loader.
// Supervisors start with Start, once the HTTP API is reachable. In a cluster (opts.Cluster) the
// supervisors and tasks are loaded by whichever node wins the election, once Start runs it.
func New(ctx context.Context, store metadata.Store, opts Options) (*Engine, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	log := opts.Logger
	// The engine's root: it keeps ctx's values but not its cancellation, because the caller's
	// context ending (a signal) must not tear the parts down at once and in any order; Close
	// stops them supervisors first, then tasks, then the loader.
	root, cancel := context.WithCancel(context.WithoutCancel(ctx))
	deep := opts.DeepStorage
	if deep == nil {
		local := &storage.Local{Root: filepath.Join(opts.DataDir, "deep-storage")}
		if err := local.Sweep(ctx); err != nil {
			log.Warn("sweep deep storage leftovers", "err", err)
		}
		deep = local
	}
	cacheDir := cmp.Or(opts.SegmentCacheDir, filepath.Join(opts.DataDir, "segment-cache"))
	// The loader serves published segments; waiting for it is how a task knows its segments
	// were handed off.
	loader := query.NewLoader(store, deep, cacheDir, query.LoaderOptions{Poll: opts.LoaderPoll, Logger: log, CacheBytes: opts.SegmentCacheBytes})
	met := metrics.New()
	e := &Engine{Store: store, Storage: deep, Loader: loader, Metrics: met,
		opts: opts, log: log, loaderCh: make(chan struct{}), ctx: root, cancel: cancel}
	met.RegisterSupervisors(func() []metrics.SupervisorSample {
		if ov := e.cur.Load(); ov != nil {
			return ov.mgr.MetricsSamples()
		}
		return nil
	})
	met.RegisterTasks(func() []metrics.TaskSample {
		if r := e.taskRunner(); r != nil {
			return taskSamples(r)
		}
		return nil
	})
	var ov *overlord
	if opts.Cluster == nil {
		var err error
		if ov, err = e.newOverlord(ctx, root, store, nil); err != nil {
			cancel()
			return nil, err
		}
		e.Manager, e.Runner, e.local, e.Handler = ov.mgr, ov.runner, ov.api, ov.api
		e.cur.Store(ov)
	} else {
		// The node's own API has no supervisors or tasks: the Overlord routes go to the
		// leadership's server (duties) or to the leader.
		e.local = e.newAPI(nil, nil)
		e.local.SetAdvertisedURL(opts.Cluster.URL)
		el, err := leader.New(leaseStore(store), &duties{e: e}, leader.Options{
			URL: opts.Cluster.URL, Candidate: opts.Cluster.Overlord, Lease: opts.Cluster.Lease, Logger: log,
		})
		if err != nil {
			cancel()
			return nil, err
		}
		e.Elector = el
		e.node = api.NewNode(e.local, el, opts.Cluster.URL)
		if files, ok := deep.(storage.TaskFiles); ok {
			e.node.SetTaskFiles(files)
		}
		e.Handler = e.node
		if opts.Cluster.Worker {
			if e.worker, err = e.newWorker(root, store); err != nil {
				cancel()
				return nil, err
			}
			e.node.SetWorker(e.worker.api)
		}
	}
	// Queries read published segments (the loader, first: it wins over a realtime copy of the
	// same segment) and the rows still inside running tasks.
	queries := query.New(loader)
	queries.AddSource(query.NewRealtime(RealtimeTasksOf(e.taskRunner), loader, query.RealtimeOptions{Logger: log, Context: root}))
	e.Queries = queries
	if opts.Cluster == nil || opts.Cluster.Query {
		e.local.RouteQueries(queries)
	}
	if opts.Cluster != nil && opts.Cluster.Query {
		// A cluster's tasks run on other nodes too: ask their workers for their realtime rows.
		if rr := e.newRemoteRealtime(); rr != nil {
			queries.SetRemote(rr)
		}
	}
	e.local.RouteMetrics(met.Handler())
	e.local.RouteConsole(console.Handler())
	go func() {
		defer close(e.loaderCh)
		if err := loader.Run(root); err != nil {
			log.Error("segment loader stopped", "err", err)
		}
	}()
	if ov != nil {
		if err := ov.runner.Restore(ctx); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// leaseStore is store's lease table; a store without one (a test double) has none, and the
// election then fails at its first round with a clear error.
func leaseStore(store metadata.Store) metadata.LeaseStore {
	if ls, ok := store.(metadata.LeaseStore); ok {
		return ls
	}
	return noLeases{}
}

type noLeases struct{}

var errNoLeases = errors.New("this metadata store keeps no leases; a cluster needs --metadata-uri postgres://…")

func (noLeases) AcquireLease(context.Context, string, string, string, time.Duration) (metadata.Lease, error) {
	return metadata.Lease{}, errNoLeases
}
func (noLeases) ReleaseLease(context.Context, string, string) error { return errNoLeases }
func (noLeases) CurrentLease(context.Context, string) (metadata.Lease, error) {
	return metadata.Lease{}, errNoLeases
}

// taskRunner is the runner whose tasks run in this process: the single node's, or a cluster
// node's worker runner; nil on a cluster node without the worker role.
func (e *Engine) taskRunner() *task.Runner {
	if e.opts.Cluster != nil {
		if e.worker != nil {
			return e.worker.runner
		}
		return nil
	}
	if ov := e.cur.Load(); ov != nil {
		return ov.runner
	}
	return nil
}

// newOverlord builds the supervisors (loaded from store), the task runner (not yet restored)
// and their API. root is the parent of the tasks' contexts: its end stops them. A cluster
// leader's runner is a queue whose tasks asg places on the workers; nil runs them here.
func (e *Engine) newOverlord(ctx, root context.Context, store metadata.Store, asg *assigner) (*overlord, error) {
	mopts := supervisor.DefaultOptions()
	mopts.Logger = e.log
	mopts.Thresholds = e.opts.SupervisorThresholds
	mopts.UnknownSpecFields = e.opts.UnknownSpecFields
	mgr := supervisor.NewManager(store, mopts)
	if err := mgr.Load(ctx); err != nil {
		return nil, err
	}
	ropts := task.RunnerOptions{
		Capacity: e.opts.WorkerCapacity, MaxWaiting: e.opts.TaskQueueSize, FinishedHistory: e.opts.TaskHistory,
		WorkDir: filepath.Join(e.opts.DataDir, "tasks"),
		Store:   store, Storage: e.Storage, Handoff: e.Loader, Checkpointer: mgr, Logger: e.log, Metrics: e.Metrics,
		Context: root,
	}
	if asg != nil {
		ropts.Placer = asg
	}
	runner := task.NewRunner(ropts)
	srv := e.newAPI(mgr, runner)
	if asg != nil {
		srv = e.newAPIWorkers(mgr, runner, asg.liveWorkers)
	}
	return &overlord{mgr: mgr, runner: runner, api: srv, assign: asg}, nil
}

func (e *Engine) newAPI(mgr *supervisor.Manager, runner *task.Runner) *api.Server {
	return e.newAPIWorkers(mgr, runner, nil)
}

// newAPIWorkers is newAPI listing a cluster's live workers with workers.
func (e *Engine) newAPIWorkers(mgr *supervisor.Manager, runner *task.Runner, workers func(context.Context) ([]metadata.Worker, error)) *api.Server {
	o := e.opts
	var wc *api.WorkerConfig
	if cs, ok := e.Store.(metadata.ConfigStore); ok {
		wc = &api.WorkerConfig{Store: cs} // an empty DefaultStrategy is equalDistribution
		if o.Cluster != nil {
			wc.DefaultStrategy = o.Cluster.WorkerSelectStrategy
		}
	}
	return api.New(api.Services{Supervisors: mgr, Tasks: runner, Segments: metadata.NewCatalog(e.Store), Loaded: e.Loader, Workers: workers,
		WorkerConfig: wc},
		api.Options{Version: o.Version, Username: o.Username, Password: o.Password, MaxBodyBytes: o.MaxBodyBytes, Logger: e.log,
			Properties: properties(o)})
}

// start runs ov's supervisors; they reach their tasks through the chat API at baseURL.
func (e *Engine) start(ov *overlord, ctx context.Context, baseURL string) {
	ov.api.SetAdvertisedURL(baseURL)
	chat := supervisor.NewChatClient(func() string { return baseURL }, e.opts.Username, e.opts.Password)
	if ov.assign != nil {
		chat.Locate = ov.assign.locate
	}
	ov.mgr.Start(ctx, supervisor.Deps{
		Runner:               ov.runner,
		Tasks:                chat,
		MinOffsetFetchPeriod: e.opts.MinOffsetFetchPeriod,
	})
}

// Start runs every supervisor. baseURL is where this engine's HTTP API is served: supervisors
// reach their tasks only through its chat API. A cluster node instead joins the election
// (and reaches its tasks at its advertised URL when it leads).
func (e *Engine) Start(baseURL string) {
	if e.Elector == nil {
		e.start(e.cur.Load(), e.ctx, baseURL)
		return
	}
	if e.worker != nil {
		e.worker.start(e.ctx)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	e.electCancel, e.electDone = cancel, make(chan struct{})
	go func() {
		defer close(e.electDone)
		e.Elector.Run(ctx)
	}()
}

// StopSupervisors stops every supervisor loop without touching tasks. Call it before shutting
// the HTTP server down, since loops talk to tasks through it. A cluster node leaves the
// election instead: a leader stops its duties (tasks stay active in the store, for the next
// leader to adopt) and releases the lease so that another node takes over at once.
func (e *Engine) StopSupervisors() {
	if e.Elector == nil {
		e.Manager.Close()
		return
	}
	e.electOnce.Do(func() {
		if e.electCancel != nil {
			e.electCancel()
			<-e.electDone
		}
	})
}

// Close stops the tasks (left active in the store, so the next start resumes them), the
// loader, and closes the store. Call StopSupervisors and stop serving HTTP first.
func (e *Engine) Close() error {
	e.StopSupervisors()
	if e.Elector == nil {
		e.Runner.Close()
	}
	if e.worker != nil {
		e.worker.stop()
	}
	e.cancel() // ends a loader round in progress, so Close below does not wait for it
	err := e.Loader.Close()
	<-e.loaderCh
	return errors.Join(err, e.Store.Close())
}

// duties are a cluster leader's (leader.Duties): each term builds the supervisors and the
// task runner afresh over a store fenced by the term, adopts the tasks the store says are
// running (as a restarted single node does), and serves them on this node's API.
type duties struct {
	e    *Engine
	ov   *overlord
	done chan struct{} // closed when the term's assigner has stopped
}

func (d *duties) Start(ctx context.Context, term leader.Term) error {
	e := d.e
	store := leader.FencedStore(ctx, e.Store, term)
	asg, err := newAssigner(e, store)
	if err != nil {
		return err
	}
	ov, err := e.newOverlord(ctx, ctx, store, asg)
	if err != nil {
		return err
	}
	// The first round places the tasks left unassigned and fails those of lost workers
	// before the supervisors look at them.
	if err := asg.round(ctx); err != nil {
		e.log.Warn("assign tasks to workers", "err", err)
	}
	d.done = make(chan struct{})
	go func() {
		defer close(d.done)
		asg.run(ctx)
	}()
	d.ov = ov
	e.cur.Store(ov)
	e.node.SetOverlord(ov.api)
	e.start(ov, ctx, e.opts.Cluster.URL)
	return nil
}

func (d *duties) Stop() {
	e := d.e
	e.node.SetOverlord(nil)
	e.cur.Store(nil)
	if d.ov == nil {
		return
	}
	d.ov.mgr.Close()
	d.ov.runner.Close()
	d.ov = nil
	// The term's context has ended (leader.Duties), which stops the assigner.
	<-d.done
}

// RealtimeTasks adapts the task runner to the realtime query source (the two packages do not
// import each other).
func RealtimeTasks(r *task.Runner) query.RealtimeTasks {
	return RealtimeTasksOf(func() *task.Runner { return r })
}

// RealtimeTasksOf is RealtimeTasks over whichever runner current returns at each query; nil
// (a node that does not lead) has no realtime rows.
func RealtimeTasksOf(current func() *task.Runner) query.RealtimeTasks {
	return query.RealtimeFunc(func(ctx context.Context) ([]query.RealtimeSegment, error) {
		r := current()
		if r == nil {
			return nil, nil
		}
		segs, err := r.QuerySegments(ctx)
		out := api.RealtimeSegments(segs)
		return out, err
	})
}

func taskSamples(r *task.Runner) []metrics.TaskSample {
	running, waiting := r.Counts()
	var out []metrics.TaskSample
	for ds, n := range running {
		out = append(out, metrics.TaskSample{DataSource: ds, State: "running", Count: n})
	}
	for ds, n := range waiting {
		out = append(out, metrics.TaskSample{DataSource: ds, State: "waiting", Count: n})
	}
	return out
}

// The segment loader is what tasks wait on for handoff.
var _ task.Handoff = (*query.Loader)(nil)

// properties are the settings GET /status/properties reports: Options.Properties and the
// daemon's own, named as the serve command's flags. The password is left out; auth is
// reported as on or off.
func properties(opts Options) map[string]string {
	p := maps.Clone(opts.Properties)
	if p == nil {
		p = map[string]string{}
	}
	p["version"] = opts.Version
	p["data-dir"] = opts.DataDir
	p["segment-cache-dir"] = cmp.Or(opts.SegmentCacheDir, filepath.Join(opts.DataDir, "segment-cache"))
	p["segment-cache-bytes"] = strconv.FormatInt(max(opts.SegmentCacheBytes, 0), 10)
	if _, ok := p["deep-storage"]; !ok && opts.DeepStorage == nil {
		p["deep-storage"] = "local"
	}
	p["worker-capacity"] = strconv.Itoa(max(opts.WorkerCapacity, 1))
	p["task-queue-size"] = strconv.Itoa(cmp.Or(opts.TaskQueueSize, task.DefaultMaxWaiting))
	p["task-history"] = strconv.Itoa(cmp.Or(opts.TaskHistory, task.DefaultFinishedHistory))
	p["max-body-bytes"] = strconv.FormatInt(cmp.Or(opts.MaxBodyBytes, api.DefaultMaxBodyBytes), 10)
	p["auth"] = "off"
	if opts.Username != "" {
		p["auth"] = "basic"
		p["auth-username"] = opts.Username
	}
	return p
}
