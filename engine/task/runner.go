package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
)

// RunnerOptions configures the task runner.
type RunnerOptions struct {
	// Capacity is the number of worker slots (--worker-capacity). Zero means 1.
	Capacity int
	// WorkDir holds one scratch directory per task.
	WorkDir string
	// Store and Storage are passed to every task.
	Store   metadata.Store
	Storage storage.Deep
	// Handoff waits until published segments are served; nil means no waiting.
	Handoff Handoff
	// Checkpointer is given to tasks created by supervisors (payload supervisorId set).
	Checkpointer Checkpointer
	// Logger receives runner and task logs; nil means slog.Default().
	Logger *slog.Logger
	// Getenv resolves consumer-property secrets; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// Metrics is handed to every task; nil means none.
	Metrics Metrics
	// MaxWaiting bounds the tasks waiting for a slot (--task-queue-size); a submission beyond
	// it fails with ErrQueueFull instead of queueing, so a spec asking for a million replicas
	// cannot fill the store and the heap with tasks that will never run. Zero means
	// DefaultMaxWaiting; negative means no bound (Druid's druid.indexer.queue.maxSize default).
	// Tasks restored at start are queued whatever the bound: they were accepted before.
	MaxWaiting int
	// FinishedHistory is how many finished tasks stay in memory (--task-history); older ones
	// are answered from the metadata store (status) and the reports directory (reports). Zero
	// means DefaultFinishedHistory.
	FinishedHistory int
	// Context is the parent of every task's context, the daemon's root: its end stops the
	// tasks as Close does. Nil means a root of the runner's own, which only Close ends (tests).
	Context context.Context
	// TaskStore, when set, is the store handed to task id instead of Store: a cluster worker
	// fences each task's publishes by its assignment.
	TaskStore func(id string) metadata.Store
	// Placer, when set, makes the runner a queue only, a cluster leader's: tasks are stored
	// active and left for the leader to assign to a worker (engine/daemon), which runs them;
	// none runs in this runner's slots. Their runner status and location come from Placer.
	Placer Placer
	// URL, when set, is where this runner's tasks serve their chat API (a cluster worker's
	// advertised URL): each final status records it as the task's location, which the task
	// list and status keep showing once the task has finished, as Druid's TaskStatus does.
	URL string
	// Finished, when set, is called with a task's id once its final status is stored and its
	// report written (not for a task left active for the next start). It must not block: a
	// cluster worker queues the task's log and report for deep storage.
	Finished func(id string)
}

// Placer tells where a queue's active tasks run (RunnerOptions.Placer).
type Placer interface {
	// Placements returns the placement of every active task assigned to a worker, by id.
	Placements(ctx context.Context) (map[string]Placement, error)
}

// Placement is where an active task of a queue runs.
type Placement struct {
	// Worker is the URL of the worker it is assigned to (scheme://host:port).
	Worker string
	// Running is true once the worker reports the task among its running ones.
	Running bool
}

// Defaults of RunnerOptions.
const (
	// DefaultMaxWaiting is a small queue: enough for every replica of a few supervisors to
	// wait for a slot during a rolling hand-off, far from the tens of thousands that exhaust
	// memory.
	DefaultMaxWaiting = 64
	// DefaultFinishedHistory keeps the recent failures in memory for the chat API and
	// reports, which is what operators look at.
	DefaultFinishedHistory = 100
)

// finalStatusTimeout bounds one write of a task's final status. The write runs detached from
// the context that ended the task (a kill, a closing runner, a client that hung up), so it
// needs a bound of its own.
const finalStatusTimeout = 30 * time.Second

// Runner runs tasks in a fixed number of worker slots (Druid's TaskQueue and worker capacity):
// tasks beyond capacity wait, in submission order, for a free slot. Task payloads and statuses
// live in the metadata store, so a restarted daemon finds the tasks that were running and
// starts them again (they resume after their last published sequence).
type Runner struct {
	opts RunnerOptions
	log  *slog.Logger

	mu       sync.Mutex
	tasks    map[string]*entry // tasks waiting, running, and the last FinishedHistory finished
	waiting  []*entry          // submission order
	finished []string          // ids of finished tasks still in tasks, oldest first
	reserved int               // submissions past the queue check, not yet enqueued
	// running is the tasks holding a slot: written under mu, atomic so tasks' RunningTasks
	// can read it without taking mu.
	running atomic.Int64
	closed  bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// entry is one known task.
type entry struct {
	task     *Task
	log      *taskLog // the task's log file; nil when the id cannot name one
	created  time.Time
	queued   time.Time
	started  time.Time
	finished time.Time
	runner   RunnerStatus
	result   *Result
}

// RunnerStatus is where a task stands in the runner (Druid's RunnerTaskState).
type RunnerStatus string

// Runner statuses.
const (
	RunnerWaiting RunnerStatus = "WAITING"
	RunnerPending RunnerStatus = "PENDING"
	RunnerRunning RunnerStatus = "RUNNING"
	RunnerNone    RunnerStatus = "NONE"
)

// NewRunner returns a runner. Call Restore to restart tasks from a previous run.
func NewRunner(opts RunnerOptions) *Runner {
	if opts.Capacity <= 0 {
		opts.Capacity = 1
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxWaiting == 0 {
		opts.MaxWaiting = DefaultMaxWaiting
	}
	if opts.FinishedHistory <= 0 {
		opts.FinishedHistory = DefaultFinishedHistory
	}
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	ctx, cancel := context.WithCancel(opts.Context)
	return &Runner{opts: opts, log: opts.Logger, tasks: map[string]*entry{}, ctx: ctx, cancel: cancel}
}

// ErrDuplicate is returned when a task id is already known.
var ErrDuplicate = errors.New("task already exists")

// ErrUnknownTask is returned for task ids the runner does not know.
var ErrUnknownTask = errors.New("task not found")

// ErrQueueFull is returned by Submit and SubmitSpec when RunnerOptions.MaxWaiting tasks already
// wait for a slot. Nothing is stored; the caller may try again once tasks finish.
var ErrQueueFull = errors.New("task queue is full")

// TaskStatus is the stored status of a task (Druid's TaskStatus).
type TaskStatus struct {
	ID       string `json:"id"`
	Status   string `json:"status"` // RUNNING, SUCCESS, FAILED
	Duration int64  `json:"duration"`
	ErrorMsg string `json:"errorMsg,omitempty"`
	// Location is where the task ran (RunnerOptions.URL), written with the final status.
	Location *Location `json:"location,omitempty"`
}

// Submit validates, stores and queues a task.
func (r *Runner) Submit(ctx context.Context, raw []byte) (string, error) {
	s, err := DecodePayload(raw)
	if err != nil {
		return "", err
	}
	return s.Payload.ID, r.submit(ctx, s)
}

// SubmitSpec stores and queues an already decoded task (supervisors use this).
func (r *Runner) SubmitSpec(ctx context.Context, s *Spec) error { return r.submit(ctx, s) }

func (r *Runner) submit(ctx context.Context, s *Spec) error {
	id := s.Payload.ID
	if _, err := r.taskDir(id); err != nil {
		return err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return fmt.Errorf("task runner is shut down")
	}
	if _, ok := r.tasks[id]; ok {
		r.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrDuplicate, id)
	}
	// Free slots take tasks at once, so only what exceeds them would wait. Submissions between
	// this check and enqueue are counted in reserved, so concurrent ones cannot overshoot.
	free := max(r.opts.Capacity-int(r.running.Load()), 0)
	if r.opts.MaxWaiting > 0 && len(r.waiting)+r.reserved >= r.opts.MaxWaiting+free {
		waiting, running := len(r.waiting), int(r.running.Load())
		r.mu.Unlock()
		return fmt.Errorf("%w: %d tasks wait for %d busy worker slots (capacity %d, queue %d); task %s not created",
			ErrQueueFull, waiting, running, r.opts.Capacity, r.opts.MaxWaiting, id)
	}
	r.reserved++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.reserved--
		r.mu.Unlock()
	}()
	status, _ := json.Marshal(TaskStatus{ID: id, Status: "RUNNING", Duration: -1})
	err := r.opts.Store.InsertTask(ctx, metadata.Task{
		ID: id, GroupID: s.Payload.GroupID, DataSource: s.DataSchema.DataSource, Type: Type,
		Payload: s.Encode(), Status: status, Active: true,
	})
	if errors.Is(err, metadata.ErrConflict) {
		return fmt.Errorf("%w: %s", ErrDuplicate, id)
	}
	if err != nil {
		return fmt.Errorf("store task %s: %w", id, err)
	}
	if r.opts.Placer == nil {
		r.enqueue(s)
	}
	return nil
}

// Adopt runs a stored active task in this runner unless it already knows it (running, waiting
// or recently finished): a cluster worker adopts the tasks the leader assigned to it. It
// reports whether the task was queued.
func (r *Runner) Adopt(mt metadata.Task) (bool, error) {
	s, err := DecodePayload(mt.Payload)
	if err != nil {
		return false, fmt.Errorf("task %s: %w", mt.ID, err)
	}
	r.mu.Lock()
	_, known := r.tasks[mt.ID]
	closed := r.closed
	r.mu.Unlock()
	if known || closed {
		return false, nil
	}
	r.enqueue(s)
	return true, nil
}

// Abandon stops task id, if it runs or waits here, without publishing what it has not
// published yet: a cluster worker abandons the tasks that are no longer assigned to it (shut
// down, or failed by the leader after it lost this worker) and all of them when it cannot
// reach the metadata store. The final status it then writes is refused by the assignment
// fence when the task has moved on.
func (r *Runner) Abandon(id, reason string) {
	r.mu.Lock()
	e, ok := r.tasks[id]
	if !ok || e.result != nil {
		r.mu.Unlock()
		return
	}
	for i, w := range r.waiting {
		if w == e {
			r.waiting = append(r.waiting[:i], r.waiting[i+1:]...)
			res := Result{ErrorMsg: reason}
			e.result, e.runner, e.finished = &res, RunnerNone, time.Now()
			r.mu.Unlock()
			e.closeLog()
			r.retire(e)
			return
		}
	}
	r.mu.Unlock()
	e.task.kill(reason)
}

// Active returns the ids of the tasks running or waiting in this runner, sorted.
func (r *Runner) Active() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id, e := range r.tasks {
		if e.result == nil {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (r *Runner) enqueue(s *Spec) {
	now := time.Now()
	// submit and DecodePayload (on restore) have checked the id; should one slip through, the
	// task gets no work directory and fails instead of writing or deleting outside WorkDir.
	dir, err := r.taskDir(s.Payload.ID)
	if err != nil {
		r.log.Error("task id is not a usable directory name", "task", s.Payload.ID, "err", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	logger := r.log
	tl, err := newTaskLog(r.logDir(), s.Payload.ID, r.log)
	if err != nil {
		r.log.Error("task id is not a usable log file name", "task", s.Payload.ID, "err", err)
	} else {
		logger = taskLogger(r.log, tl)
	}
	store := r.opts.Store
	if r.opts.TaskStore != nil {
		store = r.opts.TaskStore(s.Payload.ID)
	}
	opts := Options{
		Store: store, Storage: r.opts.Storage, WorkDir: dir,
		Handoff: r.opts.Handoff, Logger: logger, Getenv: r.opts.Getenv, Metrics: r.opts.Metrics,
		RunningTasks: func() int { return int(r.running.Load()) },
	}
	if s.Payload.SupervisorID != "" {
		opts.Checkpointer = r.opts.Checkpointer
	}
	e := &entry{task: New(s, opts), log: tl, created: now, queued: now, runner: RunnerWaiting}
	r.tasks[s.Payload.ID] = e
	r.waiting = append(r.waiting, e)
	r.log.Info("task queued", "task", s.Payload.ID, "waiting", len(r.waiting), "running", r.running.Load(), "capacity", r.opts.Capacity)
	r.scheduleLocked()
}

// scheduleLocked starts waiting tasks while slots are free. Callers hold mu.
func (r *Runner) scheduleLocked() {
	for int(r.running.Load()) < r.opts.Capacity && len(r.waiting) > 0 && !r.closed {
		e := r.waiting[0]
		r.waiting = r.waiting[1:]
		r.running.Add(1)
		e.runner, e.started = RunnerRunning, time.Now()
		r.wg.Add(1)
		go r.run(e)
	}
}

// run executes one task in a slot and records how it ended.
func (r *Runner) run(e *entry) {
	defer r.wg.Done()
	res := e.task.Run(r.ctx)
	e.closeLog()
	interrupted := r.ctx.Err() != nil && !res.Success
	r.mu.Lock()
	r.running.Add(-1)
	e.finished, e.runner = time.Now(), RunnerNone
	if !interrupted {
		e.result = &res
	}
	r.scheduleLocked()
	r.mu.Unlock()
	if interrupted {
		// The daemon is stopping: leave the task active so the next start resumes it.
		r.log.Info("task left for restart", "task", e.task.ID())
		return
	}
	st := TaskStatus{ID: e.task.ID(), Status: "SUCCESS", Duration: e.finished.Sub(e.started).Milliseconds()}
	if !res.Success {
		st.Status, st.ErrorMsg = "FAILED", res.ErrorMsg
	}
	if r.opts.URL != "" {
		loc := LocationOf(r.opts.URL)
		st.Location = &loc
	}
	b, _ := json.Marshal(st)
	r.storeFinalStatus(e.task.ID(), b)
	if m := r.opts.Metrics; m != nil {
		m.TaskFinished(e.task.spec.DataSchema.DataSource, res.Success)
	}
	if rep, err := json.Marshal(res.Report); err == nil {
		if err := r.writeReport(e.task.ID(), rep); err != nil {
			r.log.Error("write completion report", "task", e.task.ID(), "err", err)
		}
	}
	if r.opts.Finished != nil {
		r.opts.Finished(e.task.ID())
	}
	r.retire(e)
}

// closeLog closes the task's log file once the task has stopped logging.
func (e *entry) closeLog() {
	if e.log != nil {
		_ = e.log.Close()
	}
}

// retire moves a finished task into the bounded history, once its final status is in the
// store and its report on disk, so a task dropped from memory is still answered from there.
// The task's realtime state (segment readers, snapshots) is released at once: nobody queries
// a finished task, and holding it is what made the heap grow with every failed task.
func (r *Runner) retire(e *entry) {
	e.task.release()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished = append(r.finished, e.task.ID())
	for len(r.finished) > r.opts.FinishedHistory {
		old := r.finished[0]
		r.finished[0] = ""
		r.finished = r.finished[1:]
		if o, ok := r.tasks[old]; ok && o.result != nil {
			delete(r.tasks, old)
		}
	}
	if cap(r.finished) > 4*r.opts.FinishedHistory {
		r.finished = slices.Clone(r.finished) // let go of the array behind the slid window
	}
}

// Finished returns how many finished tasks the runner keeps in memory (at most
// RunnerOptions.FinishedHistory) and how many tasks it knows in all.
func (r *Runner) Finished() (finished, known int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.finished), len(r.tasks)
}

// storeFinalStatus writes a finished task's status, retrying with back-off while the metadata
// store is unreachable: a status left RUNNING would make the next start restore a finished
// task. Once the runner is closing it makes one last attempt and leaves the task active, which
// the next start resumes (a resumed task only re-checks its published offsets).
func (r *Runner) storeFinalStatus(id string, status []byte) {
	// Each attempt is detached from the runner's context on purpose: the status of a task that
	// finished (or was killed) must land even while the runner is closing. Close stops the
	// back-off, after which one last attempt is made, so Close does not wait long.
	store := func() error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), finalStatusTimeout)
		defer cancel()
		return r.opts.Store.UpdateTaskStatus(ctx, id, status, false)
	}
	closing := r.ctx.Err() != nil
	attempts, err := retryTransient(r.ctx, r.log.With("task", id), "store the final task status", time.Time{}, store)
	if err != nil && metadata.IsTransient(err) && !closing && r.ctx.Err() != nil {
		attempts, err = attempts+1, store()
	}
	if err != nil {
		r.log.Error("store task status", "task", id, "attempt", attempts, "err", err)
	}
}

// reportsName is the directory under WorkDir that keeps completion reports, as <id>.json;
// logsName (tasklog.go) keeps task logs.
const reportsName = "_reports"

func (r *Runner) reportDir() string { return filepath.Join(r.opts.WorkDir, reportsName) }

// taskDir is the work directory of task id: one entry of WorkDir, never WorkDir itself, the
// reports directory or anything outside, whatever the id holds. Ids are validated at the edge
// (spec.ValidateID); this is the second line.
func (r *Runner) taskDir(id string) (string, error) {
	if !isLocalName(id) || id == reportsName || id == logsName {
		return "", &spec.FieldError{Path: "id", Msg: fmt.Sprintf("%q is not usable as a task directory name", id)}
	}
	return filepath.Join(r.opts.WorkDir, id), nil
}

// isLocalName reports whether name is a single plain path element, so joined to a directory
// it names an entry of that directory and nothing else ("", ".", "..", "a/b", "/x" are not).
func isLocalName(name string) bool {
	return name != "." && filepath.IsLocal(name) && filepath.Base(name) == name
}

// writeReport stores a completion report as <id>.json through an os.Root, which refuses any
// name (or symlink) that would leave the reports directory.
func (r *Runner) writeReport(id string, rep []byte) error {
	if !isLocalName(id + ".json") {
		return fmt.Errorf("task id %q is not usable as a report file name", id)
	}
	if err := os.MkdirAll(r.reportDir(), 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(r.reportDir())
	if err != nil {
		return err
	}
	defer root.Close()
	return root.WriteFile(id+".json", rep, 0o644)
}

// ReportFile returns the completion report of a finished task as stored on disk (what
// GET /task/{id}/reports answers once it has finished).
func (r *Runner) ReportFile(id string) ([]byte, error) { return r.readReport(id) }

// readReport reads what writeReport stored, under the same guard.
func (r *Runner) readReport(id string) ([]byte, error) {
	if !isLocalName(id + ".json") {
		return nil, fmt.Errorf("task id %q is not usable as a report file name", id)
	}
	root, err := os.OpenRoot(r.reportDir())
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.ReadFile(id + ".json")
}

// Restore queues again every task the metadata store says was active when the daemon stopped.
// Each resumes after its last published sequence, so nothing is read twice into a published
// segment and nothing is skipped.
func (r *Runner) Restore(ctx context.Context) error {
	if r.opts.Placer != nil {
		return nil // a queue: the stored tasks run on their workers
	}
	active := true
	tasks, err := r.opts.Store.ListTasks(ctx, metadata.TaskFilter{Active: &active})
	if err != nil {
		return fmt.Errorf("list active tasks: %w", err)
	}
	for i := len(tasks) - 1; i >= 0; i-- { // oldest first
		mt := tasks[i]
		s, err := DecodePayload(mt.Payload)
		if err != nil {
			r.log.Error("stored task no longer decodes; marking it failed", "task", mt.ID, "err", err)
			b, _ := json.Marshal(TaskStatus{ID: mt.ID, Status: "FAILED", ErrorMsg: "payload invalid after restart: " + err.Error()})
			_ = r.opts.Store.UpdateTaskStatus(ctx, mt.ID, b, false)
			continue
		}
		r.log.Info("restoring task", "task", mt.ID)
		r.enqueue(s)
	}
	return nil
}

// Task returns a running or finished task.
func (r *Runner) Task(id string) (*Task, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.tasks[id]
	if !ok {
		return nil, false
	}
	return e.task, true
}

// Shutdown kills a task (POST /task/{id}/shutdown): a waiting task is dropped, a running one
// stops without publishing. Either way it ends FAILED, as in Druid.
func (r *Runner) Shutdown(ctx context.Context, id string) error {
	if r.opts.Placer != nil {
		return r.shutdownRemote(ctx, id)
	}
	r.mu.Lock()
	e, ok := r.tasks[id]
	if !ok || e.result != nil {
		r.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrUnknownTask, id)
	}
	for i, w := range r.waiting {
		if w == e {
			r.waiting = append(r.waiting[:i], r.waiting[i+1:]...)
			res := Result{ErrorMsg: "Shutdown request from user"}
			e.result, e.runner, e.finished = &res, RunnerNone, time.Now()
			r.mu.Unlock()
			e.closeLog()
			b, _ := json.Marshal(TaskStatus{ID: id, Status: "FAILED", ErrorMsg: res.ErrorMsg})
			// The task is already dropped from the queue: its final status must be stored even
			// if the caller hangs up now, or the next start would restore a killed task.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalStatusTimeout)
			err := r.opts.Store.UpdateTaskStatus(sctx, id, b, false)
			cancel()
			if m := r.opts.Metrics; m != nil {
				m.TaskFinished(e.task.spec.DataSchema.DataSource, false)
			}
			r.retire(e)
			return err
		}
	}
	r.mu.Unlock()
	e.task.kill("Shutdown request from user")
	return nil
}

// shutdownRemote fails an active task of a queue. Its worker sees that the task is no longer
// active and stops it without publishing; its own final status is then fenced.
func (r *Runner) shutdownRemote(ctx context.Context, id string) error {
	mt, err := r.opts.Store.GetTask(ctx, id)
	if errors.Is(err, metadata.ErrNotFound) || err == nil && !mt.Active {
		return fmt.Errorf("%w: %s", ErrUnknownTask, id)
	}
	if err != nil {
		return err
	}
	st := TaskStatus{ID: id, Status: "FAILED", ErrorMsg: "Shutdown request from user"}
	if placed, err := r.assignments(ctx); err == nil {
		if p, ok := placed[id]; ok {
			loc := LocationOf(p.Worker) // where it ran, kept once it has finished
			st.Location = &loc
		}
	}
	b, _ := json.Marshal(st)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalStatusTimeout)
	defer cancel()
	if err := r.opts.Store.UpdateTaskStatus(sctx, id, b, false); err != nil {
		return err
	}
	if m := r.opts.Metrics; m != nil {
		m.TaskFinished(mt.DataSource, false)
	}
	return nil
}

// ShutdownDataSource kills every active task of dataSource, as Shutdown does each one (POST
// /datasources/{ds}/shutdownAllTasks, Druid's shutdownTasksForDataSource). Only listing the
// tasks can fail it: a task that finishes meanwhile has nothing left to kill, and any other
// failure to kill one is logged while the rest are still killed.
func (r *Runner) ShutdownDataSource(ctx context.Context, dataSource string) error {
	active := true
	infos, err := r.Infos(ctx, metadata.TaskFilter{DataSource: dataSource, Active: &active})
	if err != nil {
		return err
	}
	for _, in := range infos {
		if err := r.Shutdown(ctx, in.ID); err != nil && !errors.Is(err, ErrUnknownTask) {
			r.log.Warn("shut down task of datasource", "task", in.ID, "dataSource", dataSource, "err", err)
		}
	}
	return nil
}

// Close stops every running task without publishing and waits for them; their statuses stay
// active so the next start restores them. Safe to call twice.
func (r *Runner) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}

// Info describes a task for the task API (Druid's TaskStatusPlus).
type Info struct {
	ID                 string       `json:"id"`
	GroupID            string       `json:"groupId"`
	Type               string       `json:"type"`
	CreatedTime        string       `json:"createdTime"`
	QueueInsertionTime string       `json:"queueInsertionTime"`
	StatusCode         string       `json:"statusCode"`
	Status             string       `json:"status"`
	RunnerStatusCode   RunnerStatus `json:"runnerStatusCode"`
	Duration           int64        `json:"duration"`
	Location           Location     `json:"location"`
	DataSource         string       `json:"dataSource"`
	ErrorMsg           *string      `json:"errorMsg"`
}

// Location is where a task's chat API is served.
type Location struct {
	Host    *string `json:"host"`
	Port    int     `json:"port"`
	TLSPort int     `json:"tlsPort"`
}

// Infos lists tasks known to the store, newest first, with live runner state where the task is
// in this runner.
func (r *Runner) Infos(ctx context.Context, filter metadata.TaskFilter) ([]Info, error) {
	tasks, err := r.opts.Store.ListTasks(ctx, filter)
	if err != nil {
		return nil, err
	}
	assigned, err := r.assignments(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(tasks))
	for _, mt := range tasks {
		out = append(out, r.info(mt, assigned))
	}
	return out, nil
}

// assignments are a queue's task placements; nil for a runner that runs its tasks.
func (r *Runner) assignments(ctx context.Context) (map[string]Placement, error) {
	if r.opts.Placer == nil {
		return nil, nil
	}
	return r.opts.Placer.Placements(ctx)
}

// ListState is the ?state= filter of the Overlord's task list.
type ListState string

// The task list states. Here a task queued for a worker slot is waiting, so none is pending.
const (
	ListAll      ListState = ""         // every task
	ListRunning  ListState = "running"  // active and in a worker slot
	ListWaiting  ListState = "waiting"  // active and queued for a slot
	ListPending  ListState = "pending"  // active, assigned a slot but not started
	ListComplete ListState = "complete" // finished
)

// Valid reports whether s is one of the ListState constants.
func (s ListState) Valid() bool {
	switch s {
	case ListAll, ListRunning, ListWaiting, ListPending, ListComplete:
		return true
	}
	return false
}

// List is Infos filtered by dataSource (when not empty) and state, newest first, as the
// Overlord's GET /tasks lists them.
func (r *Runner) List(ctx context.Context, dataSource string, state ListState) ([]Info, error) {
	filter := metadata.TaskFilter{DataSource: dataSource}
	var runner RunnerStatus // the runner state an active task must be in; empty for any
	switch state {
	case ListAll:
	case ListRunning:
		runner = RunnerRunning
	case ListWaiting:
		runner = RunnerWaiting
	case ListPending:
		runner = RunnerPending
	case ListComplete:
		active := false
		filter.Active = &active
	default:
		return nil, fmt.Errorf("list tasks: unknown state %q", state)
	}
	if runner != "" {
		active := true
		filter.Active = &active
	}
	infos, err := r.Infos(ctx, filter)
	if err != nil {
		return nil, err
	}
	if runner != "" {
		infos = slices.DeleteFunc(infos, func(in Info) bool { return in.RunnerStatusCode != runner })
	}
	return infos, nil
}

// Info describes one task; ErrUnknownTask when the store has no such task.
func (r *Runner) Info(ctx context.Context, id string) (Info, []byte, error) {
	mt, err := r.opts.Store.GetTask(ctx, id)
	if errors.Is(err, metadata.ErrNotFound) {
		return Info{}, nil, fmt.Errorf("%w: %s", ErrUnknownTask, id)
	}
	if err != nil {
		return Info{}, nil, err
	}
	assigned, err := r.assignments(ctx)
	if err != nil {
		return Info{}, nil, err
	}
	return r.info(mt, assigned), mt.Payload, nil
}

// info describes mt. assigned (a queue's) places active tasks on their workers: a task waits
// until its worker reports it running.
func (r *Runner) info(mt metadata.Task, assigned map[string]Placement) Info {
	var st TaskStatus
	_ = json.Unmarshal(mt.Status, &st)
	in := Info{
		ID: mt.ID, GroupID: mt.GroupID, Type: mt.Type, CreatedTime: mt.CreatedDate, QueueInsertionTime: mt.CreatedDate,
		StatusCode: st.Status, Status: st.Status, RunnerStatusCode: RunnerNone, Duration: st.Duration,
		DataSource: mt.DataSource, Location: Location{Port: -1, TLSPort: -1},
	}
	if st.ErrorMsg != "" {
		in.ErrorMsg = &st.ErrorMsg
	}
	if r.opts.Placer != nil {
		if mt.Active {
			in.RunnerStatusCode = RunnerWaiting
			if p, ok := assigned[mt.ID]; ok {
				in.RunnerStatusCode = RunnerPending
				if p.Running {
					in.RunnerStatusCode = RunnerRunning
				}
				in.Location = LocationOf(p.Worker)
			}
		} else if st.Location != nil {
			// Where it ran: Druid's TaskStatus keeps the location once the task is done.
			in.Location = *st.Location
		}
		return in
	}
	r.mu.Lock()
	if e, ok := r.tasks[mt.ID]; ok && e.result == nil {
		in.RunnerStatusCode = e.runner
	}
	r.mu.Unlock()
	return in
}

// LocationOf is the location of a task whose chat API is served at base (scheme://host:port);
// Druid's unknown location (null host, port -1) when base is empty or unparsable.
func LocationOf(base string) Location {
	loc := Location{Port: -1, TLSPort: -1}
	u, err := url.Parse(base)
	if base == "" || err != nil || u.Hostname() == "" {
		return loc
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		port = 80
		if u.Scheme == "https" {
			port = 443
		}
	}
	host := u.Hostname()
	loc.Host = &host
	if u.Scheme == "https" {
		loc.TLSPort = port
	} else {
		loc.Port = port
	}
	return loc
}

// Report returns the live report of a running task or the completion report of a finished one.
func (r *Runner) Report(id string) (map[string]any, error) {
	if t, ok := r.Task(id); ok {
		if res := t.Result(); res != nil {
			return res.Report, nil
		}
		return t.LiveReport(), nil
	}
	b, err := r.readReport(id)
	if err != nil {
		return nil, fmt.Errorf("%w: no report for %s", ErrUnknownTask, id)
	}
	var rep map[string]any
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("read report of %s: %w", id, err)
	}
	return rep, nil
}

// Counts returns, per datasource, how many tasks run in a slot and how many wait for one.
func (r *Runner) Counts() (running, waiting map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	running, waiting = map[string]int{}, map[string]int{}
	for _, e := range r.tasks {
		if e.result != nil {
			continue
		}
		ds := e.task.spec.DataSchema.DataSource
		switch e.runner {
		case RunnerRunning:
			running[ds]++
		case RunnerWaiting:
			waiting[ds]++
		}
	}
	return running, waiting
}

// Running counts tasks in slots and waiting ones.
func (r *Runner) Running() (running, waiting int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return int(r.running.Load()), len(r.waiting)
}
