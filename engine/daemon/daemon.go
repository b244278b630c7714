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
	"path/filepath"
	"strconv"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/api"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/console"
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
	// Properties are further settings for GET /status/properties (the command line's); New
	// adds the ones above. Only non-secret ones belong here: no password, no metadata URI.
	Properties map[string]string
}

// Engine is an assembled engine. New builds it and restores state; Start runs supervisors;
// StopSupervisors and Close take it down.
type Engine struct {
	Store    metadata.Store
	Storage  storage.Deep
	Manager  *supervisor.Manager
	Runner   *task.Runner
	Loader   *query.Loader
	Queries  *query.Engine
	Metrics  *metrics.Metrics
	Handler  *api.Server
	opts     Options
	log      *slog.Logger
	loaderCh chan struct{}
	// ctx is the root of all the engine's background work (supervisor loops, tasks, the
	// loader); Close cancels it once they are stopped in order.
	ctx    context.Context
	cancel context.CancelFunc
}

// New assembles an engine over store (which Close closes): it loads supervisor specs, restores
// the tasks that were running when the engine last stopped, and starts the segment loader.
// Supervisors start with Start, once the HTTP API is reachable.
func New(ctx context.Context, store metadata.Store, opts Options) (*Engine, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	log := opts.Logger
	// The engine's root: it keeps ctx's values but not its cancellation, because the caller's
	// context ending (a signal) must not tear the parts down at once and in any order; Close
	// stops them supervisors first, then tasks, then the loader.
	root, cancel := context.WithCancel(context.WithoutCancel(ctx))
	mopts := supervisor.DefaultOptions()
	mopts.Logger = log
	mopts.Thresholds = opts.SupervisorThresholds
	mopts.UnknownSpecFields = opts.UnknownSpecFields
	mgr := supervisor.NewManager(store, mopts)
	if err := mgr.Load(ctx); err != nil {
		cancel()
		return nil, err
	}
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
	runner := task.NewRunner(task.RunnerOptions{
		Capacity: opts.WorkerCapacity, MaxWaiting: opts.TaskQueueSize, FinishedHistory: opts.TaskHistory,
		WorkDir: filepath.Join(opts.DataDir, "tasks"),
		Store:   store, Storage: deep, Handoff: loader, Checkpointer: mgr, Logger: log, Metrics: met,
		Context: root,
	})
	met.RegisterSupervisors(mgr.MetricsSamples)
	met.RegisterTasks(func() []metrics.TaskSample { return taskSamples(runner) })
	handler := api.New(api.Services{Supervisors: mgr, Tasks: runner, Segments: metadata.NewCatalog(store), Loaded: loader},
		api.Options{Version: opts.Version, Username: opts.Username, Password: opts.Password, MaxBodyBytes: opts.MaxBodyBytes, Logger: log,
			Properties: properties(opts)})
	// Queries read published segments (the loader, first: it wins over a realtime copy of the
	// same segment) and the rows still inside running tasks.
	queries := query.New(loader)
	queries.AddSource(query.NewRealtime(RealtimeTasks(runner), loader, query.RealtimeOptions{Logger: log, Context: root}))
	handler.RouteQueries(queries)
	handler.RouteMetrics(met.Handler())
	handler.RouteConsole(console.Handler())
	e := &Engine{Store: store, Storage: deep, Manager: mgr, Runner: runner, Loader: loader, Queries: queries, Metrics: met,
		Handler: handler, opts: opts, log: log, loaderCh: make(chan struct{}), ctx: root, cancel: cancel}
	go func() {
		defer close(e.loaderCh)
		if err := loader.Run(root); err != nil {
			log.Error("segment loader stopped", "err", err)
		}
	}()
	if err := runner.Restore(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Start runs every supervisor. baseURL is where this engine's HTTP API is served: supervisors
// reach their tasks only through its chat API.
func (e *Engine) Start(baseURL string) {
	e.Handler.SetAdvertisedURL(baseURL)
	e.Manager.Start(e.ctx, supervisor.Deps{
		Runner:               e.Runner,
		Tasks:                supervisor.NewChatClient(func() string { return baseURL }, e.opts.Username, e.opts.Password),
		MinOffsetFetchPeriod: e.opts.MinOffsetFetchPeriod,
	})
}

// StopSupervisors stops every supervisor loop without touching tasks. Call it before shutting
// the HTTP server down, since loops talk to tasks through it.
func (e *Engine) StopSupervisors() { e.Manager.Close() }

// Close stops the tasks (left active in the store, so the next start resumes them), the
// loader, and closes the store. Call StopSupervisors and stop serving HTTP first.
func (e *Engine) Close() error {
	e.Manager.Close()
	e.Runner.Close()
	e.cancel() // ends a loader round in progress, so Close below does not wait for it
	err := e.Loader.Close()
	<-e.loaderCh
	return errors.Join(err, e.Store.Close())
}

// RealtimeTasks adapts the task runner to the realtime query source (the two packages do not
// import each other).
func RealtimeTasks(r *task.Runner) query.RealtimeTasks {
	return query.RealtimeFunc(func(ctx context.Context) ([]query.RealtimeSegment, error) {
		segs, err := r.QuerySegments(ctx)
		out := make([]query.RealtimeSegment, 0, len(segs))
		for _, s := range segs {
			parts := make([]query.ColumnReader, len(s.Readers))
			for i, rd := range s.Readers {
				parts[i] = rd
			}
			out = append(out, query.RealtimeSegment{ID: s.ID, DataSource: s.DataSource, Interval: query.Interval{Start: s.Start, End: s.End}, Parts: parts, Release: s.Release})
		}
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
