package daemon

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/api"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// A cluster's tasks run on its workers (the nodes with the worker role), which register in the
// metadata store's workers table and heartbeat there by the database's clock. The leader's
// task queue stores each task unassigned; its assigner places it on the live worker with the
// most free slots (equalDistribution) or on the busiest one that still has one
// (fillCapacity), in the task_assignments table. Each worker polls for the tasks assigned to
// it and runs them in its own task runner; supervisors reach them through the chat API at the
// worker's URL. A worker whose heartbeat is older than the worker timeout is lost: the
// assigner fails its tasks and the supervisors replace them. A worker that cannot reach the
// store for that long stops its tasks itself, and every publish and status write of a
// worker's task commits only while the task is still active and assigned to that worker, so
// a lost worker that comes back commits nothing.

// DefaultWorkerTimeout is Cluster.WorkerTimeout's default (--worker-timeout).
const DefaultWorkerTimeout = 30 * time.Second

// Worker select strategies (--worker-select-strategy, or the stored worker config), named as
// Druid's.
const (
	EqualDistribution = druidapi.EqualDistribution
	FillCapacity      = druidapi.FillCapacity
)

// workerPoll is how often workers heartbeat and the leader assigns: often enough that a
// heartbeat or two may fail within the timeout.
func workerPoll(timeout time.Duration) time.Duration {
	return min(max(timeout/6, 100*time.Millisecond), 5*time.Second)
}

// worker is a node's worker role: its task runner, the API serving its tasks' chat calls, and
// the loop that heartbeats and adopts the tasks assigned to it.
type worker struct {
	url     string
	timeout time.Duration
	store   metadata.Store
	ws      metadata.WorkerStore
	as      metadata.AssignmentStore
	runner  *task.Runner
	api     *api.Server
	pusher  *taskLogPusher // nil when the deep storage keeps no task files
	log     *slog.Logger
	version string

	cancel context.CancelFunc
	done   chan struct{}
}

// newWorker builds the worker role of e over store, which must keep workers and assignments.
func (e *Engine) newWorker(root context.Context, store metadata.Store) (*worker, error) {
	ws, ok1 := store.(metadata.WorkerStore)
	as, ok2 := store.(metadata.AssignmentStore)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%T keeps no workers; remote workers need --metadata-uri postgres://…", store)
	}
	c := e.opts.Cluster
	w := &worker{url: c.URL, timeout: cmp.Or(c.WorkerTimeout, DefaultWorkerTimeout), store: store, ws: ws, as: as,
		log: e.log.With("worker", c.URL), version: e.opts.Version}
	fenced := assignedStore{Store: store, as: as, worker: c.URL}
	var finished func(string)
	if files, ok := e.Storage.(storage.TaskFiles); ok {
		w.pusher = newTaskLogPusher(files, w.log)
		finished = w.pusher.enqueue
	}
	w.runner = task.NewRunner(task.RunnerOptions{
		URL: c.URL, Finished: finished,
		Capacity: e.opts.WorkerCapacity, MaxWaiting: -1, FinishedHistory: e.opts.TaskHistory,
		WorkDir: filepath.Join(e.opts.DataDir, "tasks"),
		Store:   fenced,
		TaskStore: func(id string) metadata.Store {
			return assignedTaskStore{assignedStore: fenced, id: id}
		},
		Storage: e.Storage, Handoff: e.Loader, Logger: e.log, Metrics: e.Metrics, Context: root,
		Checkpointer: &actionCheckpointer{base: c.URL, username: e.opts.Username, password: e.opts.Password,
			http: &http.Client{Timeout: 10 * time.Second}},
	})
	w.api = e.newAPI(nil, w.runner)
	if w.pusher != nil {
		w.pusher.runner = w.runner
	}
	return w, nil
}

// pushGrace is how long a stopping worker keeps pushing the files of its finished tasks.
const pushGrace = 10 * time.Second

// start runs the worker's loop until stop.
func (w *worker) start(ctx context.Context) {
	ctx, w.cancel = context.WithCancel(ctx)
	w.done = make(chan struct{})
	if w.pusher != nil {
		// Not ended with the loop: stop lets it finish the queued pushes first.
		w.pusher.start(context.WithoutCancel(ctx))
	}
	go func() {
		defer close(w.done)
		w.run(ctx)
	}()
}

// stop ends the loop, stops the tasks (left active and assigned, so that a restart within the
// timeout adopts them again) and removes the worker from the table, so that the leader
// reassigns its tasks at once instead of after the timeout.
func (w *worker) stop() {
	if w.cancel != nil {
		w.cancel()
		<-w.done
	}
	w.runner.Close()
	if w.pusher != nil {
		w.pusher.stop(pushGrace)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.ws.RemoveWorker(ctx, w.url); err != nil {
		w.log.Warn("remove worker", "err", err)
	}
}

func (w *worker) run(ctx context.Context) {
	poll := workerPoll(w.timeout)
	// A worker stops its tasks a little before the leader can declare it lost, as a leader
	// steps down before its lease ends.
	giveUp := w.timeout - w.timeout/6
	lastOK := time.Now()
	abandoned := false
	for {
		start := time.Now()
		if err := w.round(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			w.log.Warn("worker round", "err", err)
			if !abandoned && time.Since(lastOK) > giveUp {
				w.log.Error("no contact with the metadata store; stopping this worker's tasks", "for", time.Since(lastOK).Round(time.Millisecond))
				for _, id := range w.runner.Active() {
					w.runner.Abandon(id, "worker lost contact with the metadata store")
				}
				abandoned = true
			}
		} else {
			// Counted from when the round was sent, as the leader counts its lease.
			lastOK, abandoned = start, false
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

// round heartbeats, then runs the tasks newly assigned here and abandons the ones that are no
// longer (shut down, or failed by the leader).
func (w *worker) round(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, max(w.timeout/3, time.Second))
	defer cancel()
	if err := w.ws.HeartbeatWorker(rctx, metadata.Worker{URL: w.url, Capacity: w.runner.Slots().Capacity,
		Version: w.version, RunningTasks: w.runner.Slots().Running}); err != nil {
		return err
	}
	assigned, err := w.as.AssignedTasks(rctx, w.url)
	if err != nil {
		return err
	}
	mine := map[string]bool{}
	for _, mt := range assigned {
		mine[mt.ID] = true
		queued, err := w.runner.Adopt(mt)
		if err != nil {
			w.log.Error("assigned task does not decode", "task", mt.ID, "err", err)
			continue
		}
		if queued {
			w.log.Info("running assigned task", "task", mt.ID)
		}
	}
	for _, id := range w.runner.Active() {
		if !mine[id] {
			w.log.Warn("task is no longer assigned to this worker; stopping it", "task", id)
			w.runner.Abandon(id, "task is no longer assigned to this worker")
		}
	}
	return nil
}

// assignedStore fences a worker's task status writes by the task's assignment.
type assignedStore struct {
	metadata.Store
	as     metadata.AssignmentStore
	worker string
}

func (s assignedStore) UpdateTaskStatus(ctx context.Context, id string, status []byte, active bool) error {
	return s.as.UpdateAssignedTaskStatus(ctx, metadata.Assignment{TaskID: id, Worker: s.worker}, status, active)
}

// assignedTaskStore is the store of one task on a worker: its publishes commit only while the
// task is active and assigned to the worker.
type assignedTaskStore struct {
	assignedStore
	id string
}

func (s assignedTaskStore) Publish(ctx context.Context, req metadata.PublishRequest) error {
	req.Assignment = &metadata.Assignment{TaskID: s.id, Worker: s.worker}
	return s.Store.Publish(ctx, req)
}

// actionCheckpointer is a worker task's task.Checkpointer: the request goes to the leader's
// supervisor through the task action endpoint of this node, which forwards it to the leader.
type actionCheckpointer struct {
	base               string
	username, password string
	http               *http.Client
}

func (c *actionCheckpointer) Checkpoint(ctx context.Context, taskID string, taskGroupID int, sequenceStart task.Offsets) error {
	body, err := json.Marshal(map[string]any{"task": taskID, "action": map[string]any{
		"type": "checkPointDataSourceMetadata", "taskGroupId": taskGroupID, "sequenceStart": sequenceStart}})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+"/druid/indexer/v1/action", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.username != "" {
		req.SetBasicAuth(c.username, c.password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("checkpoint task %s: %w", taskID, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("checkpoint task %s: %d %s", taskID, resp.StatusCode, bytes.TrimSpace(b))
	}
	return nil
}

// assigner is a leader's placement of tasks on workers, for one term. It is the queue's
// task.Placer and the supervisors' way to find a task's worker.
type assigner struct {
	store    metadata.Store // fenced by the term
	ws       metadata.WorkerStore
	as       metadata.AssignmentStore
	timeout  time.Duration
	strategy string // --worker-select-strategy: the default when no worker config is stored
	// configs holds the worker config (POST /druid/indexer/v1/worker), read at every round;
	// nil when the store keeps none.
	configs metadata.ConfigStore
	applied string // the strategy of the latest round, to log a change once
	log     *slog.Logger
	// last is the placements of the latest round.
	last atomic.Pointer[map[string]task.Placement]
	mu   sync.Mutex // one round at a time
}

func newAssigner(e *Engine, fenced metadata.Store) (*assigner, error) {
	ws, ok1 := e.Store.(metadata.WorkerStore)
	as, ok2 := e.Store.(metadata.AssignmentStore)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%T keeps no workers; a cluster needs --metadata-uri postgres://…", e.Store)
	}
	c := e.opts.Cluster
	configs, _ := e.Store.(metadata.ConfigStore)
	return &assigner{store: fenced, ws: ws, as: as, timeout: cmp.Or(c.WorkerTimeout, DefaultWorkerTimeout),
		strategy: cmp.Or(c.WorkerSelectStrategy, EqualDistribution), configs: configs, log: e.log}, nil
}

// run assigns every poll until ctx ends.
func (a *assigner) run(ctx context.Context) {
	poll := workerPoll(a.timeout)
	for {
		if err := a.round(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("assign tasks to workers", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

// liveWorkers lists the workers whose heartbeat is younger than the timeout.
func (a *assigner) liveWorkers(ctx context.Context) ([]metadata.Worker, error) {
	all, err := a.ws.Workers(ctx, a.timeout)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(w metadata.Worker) bool { return !w.Live }), nil
}

// round fails the tasks of lost workers and assigns the unassigned active tasks, oldest first.
func (a *assigner) round(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	workers, err := a.liveWorkers(ctx)
	if err != nil {
		return err
	}
	assigned, err := a.as.Assignments(ctx)
	if err != nil {
		return err
	}
	live := map[string]metadata.Worker{}
	running := map[string]bool{}
	for _, w := range workers {
		live[w.URL] = w
		for _, id := range w.RunningTasks {
			running[id] = true
		}
	}
	strategy := a.currentStrategy(ctx)
	used := map[string]int{}
	placements := map[string]task.Placement{}
	for id, url := range assigned {
		if _, ok := live[url]; !ok {
			a.failLost(ctx, id, url)
			continue
		}
		used[url]++
		placements[id] = task.Placement{Worker: url, Running: running[id]}
	}
	active := true
	tasks, err := a.store.ListTasks(ctx, metadata.TaskFilter{Active: &active})
	if err != nil {
		return err
	}
	for i := len(tasks) - 1; i >= 0; i-- { // oldest first
		id := tasks[i].ID
		if _, ok := assigned[id]; ok {
			continue
		}
		url, ok := pick(strategy, workers, used)
		if !ok {
			break // every slot is taken: the rest wait
		}
		if err := a.as.AssignTask(ctx, id, url); err != nil {
			if errors.Is(err, metadata.ErrConflict) {
				continue // it finished, or a concurrent round placed it
			}
			return err
		}
		a.log.Info("task assigned", "task", id, "worker", url)
		used[url]++
		placements[id] = task.Placement{Worker: url}
	}
	a.last.Store(&placements)
	return nil
}

// failLost fails a task whose worker is lost. The status write takes the task's row lock, so
// it waits for a publish of that task in progress, and no publish after it commits.
func (a *assigner) failLost(ctx context.Context, id, url string) {
	msg := fmt.Sprintf("worker %s lost: no heartbeat for %s", url, a.timeout)
	loc := task.LocationOf(url) // where it ran, kept once it has finished
	b, _ := json.Marshal(task.TaskStatus{ID: id, Status: "FAILED", Duration: -1, ErrorMsg: msg, Location: &loc})
	if err := a.store.UpdateTaskStatus(ctx, id, b, false); err != nil {
		a.log.Warn("fail task of a lost worker", "task", id, "worker", url, "err", err)
		return
	}
	a.log.Warn("task failed: its worker is lost", "task", id, "worker", url, "timeout", a.timeout)
}

// currentStrategy is the select strategy of the stored worker config, or the default when
// none is stored. A config that cannot be read (the store is down) keeps the latest round's
// strategy; one that does not parse (written by hand) falls back to the default, logged.
func (a *assigner) currentStrategy(ctx context.Context) string {
	strategy := a.strategy
	if a.configs != nil {
		b, err := a.configs.Config(ctx, druidapi.WorkerConfigKey)
		switch {
		case errors.Is(err, metadata.ErrNotFound):
		case err != nil:
			if a.applied != "" {
				strategy = a.applied
			}
			a.log.Warn("read the worker config; keeping the select strategy", "strategy", strategy, "err", err)
		default:
			if cfg, perr := druidapi.ParseWorkerBehaviorConfig(b); perr != nil {
				a.log.Error("stored worker config does not parse; using --worker-select-strategy", "strategy", strategy, "err", perr)
			} else {
				strategy = cfg.SelectStrategy.Type
			}
		}
	}
	if strategy != a.applied {
		a.log.Info("worker select strategy", "strategy", strategy, "was", a.applied)
		a.applied = strategy
	}
	return strategy
}

// pick chooses a live worker with a free slot by strategy.
func pick(strategy string, workers []metadata.Worker, used map[string]int) (string, bool) {
	best, bestFree := "", 0
	for _, w := range workers { // ordered by URL, so ties go to the first
		free := w.Capacity - used[w.URL]
		if free <= 0 {
			continue
		}
		better := free > bestFree // equalDistribution: the most free slots
		if strategy == FillCapacity {
			better = best == "" || free < bestFree // the fewest free slots left
		}
		if better {
			best, bestFree = w.URL, free
		}
	}
	return best, best != ""
}

// Placements implements task.Placer from the latest round, or a fresh one before the first.
func (a *assigner) Placements(ctx context.Context) (map[string]task.Placement, error) {
	if p := a.last.Load(); p != nil {
		return *p, nil
	}
	if err := a.round(ctx); err != nil {
		return nil, err
	}
	return *a.last.Load(), nil
}

// locate is the supervisors' supervisor.ChatClient.Locate: the URL of the worker running id.
func (a *assigner) locate(ctx context.Context, id string) (string, error) {
	if p, ok := (*a.placements())[id]; ok {
		return p.Worker, nil
	}
	// Assigned since the last round, perhaps.
	assigned, err := a.as.Assignments(ctx)
	if err != nil {
		return "", err
	}
	if url, ok := assigned[id]; ok {
		return url, nil
	}
	return "", fmt.Errorf("%w: %s is assigned to no worker yet", supervisor.ErrTaskNotRunning, id)
}

func (a *assigner) placements() *map[string]task.Placement {
	if p := a.last.Load(); p != nil {
		return p
	}
	return &map[string]task.Placement{}
}
