package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// A cluster worker pushes the log and the report of every task that finishes on it to deep
// storage (storage.TaskFiles), as Druid's peons push theirs with druid.indexer.logs.type=s3,
// so that any node answers them once the task is done, even after this worker has gone. The
// push runs on a goroutine of its own, after the task's final status is stored: a deep
// storage that is down delays only the push, which is retried with back-off and logged, and
// never the task's status or the next task.

// Task log push back-off: the wait after the first failed push, doubling up to the maximum,
// for at most pushAttempts tries (about 3.5 minutes of waits, on top of the S3 client's own
// retries of each request).
const (
	pushBackoff    = time.Second
	pushMaxBackoff = 30 * time.Second
	pushAttempts   = 12
)

// taskLogPusher queues the finished tasks of a worker's runner and pushes their files.
type taskLogPusher struct {
	files  storage.TaskFiles
	runner *task.Runner // set once the runner is built, before start
	log    *slog.Logger
	// backoff and maxBackoff are pushBackoff and pushMaxBackoff; tests shorten them.
	backoff, maxBackoff time.Duration
	attempts            int

	mu    sync.Mutex
	queue []string
	wake  chan struct{} // one pending signal: the queue is not empty
	// draining is closed by stop: run returns once the queue is empty.
	draining chan struct{}
	cancel   context.CancelFunc
	done     chan struct{} // closed when run returns
}

func newTaskLogPusher(files storage.TaskFiles, log *slog.Logger) *taskLogPusher {
	return &taskLogPusher{files: files, log: log, backoff: pushBackoff, maxBackoff: pushMaxBackoff, attempts: pushAttempts,
		wake: make(chan struct{}, 1), draining: make(chan struct{}), done: make(chan struct{})}
}

// start runs the pusher until stop.
func (p *taskLogPusher) start(ctx context.Context) {
	ctx, p.cancel = context.WithCancel(ctx)
	go p.run(ctx)
}

// stop lets the pusher finish the pushes queued so far for at most grace, then ends it. Call
// it once the runner's tasks have stopped.
func (p *taskLogPusher) stop(grace time.Duration) {
	if p.cancel == nil {
		return
	}
	close(p.draining)
	t := time.AfterFunc(grace, p.cancel)
	<-p.done
	t.Stop()
	p.cancel()
}

// enqueue is the runner's Finished hook: it never blocks.
func (p *taskLogPusher) enqueue(id string) {
	p.mu.Lock()
	p.queue = append(p.queue, id)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// next takes the oldest queued id; false when the queue is empty.
func (p *taskLogPusher) next() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		return "", false
	}
	id := p.queue[0]
	p.queue = p.queue[1:]
	return id, true
}

// run pushes the queued tasks' files, one task at a time, until ctx ends. The tasks still
// queued then are logged: their files stay in this worker's data directory.
func (p *taskLogPusher) run(ctx context.Context) {
	defer close(p.done)
	for {
		for id, ok := p.next(); ok; id, ok = p.next() {
			p.pushRetrying(ctx, id)
			if ctx.Err() != nil {
				break
			}
		}
		if ctx.Err() != nil {
			p.mu.Lock()
			left := p.queue
			p.mu.Unlock()
			if len(left) > 0 {
				p.log.Warn("task logs not pushed to deep storage; they stay in this worker's data directory", "tasks", left)
			}
			return
		}
		select {
		case <-ctx.Done():
		case <-p.wake:
		case <-p.draining:
			p.mu.Lock()
			empty := len(p.queue) == 0
			p.mu.Unlock()
			if empty {
				return
			}
		}
	}
}

// pushRetrying pushes task id's files, retrying with back-off.
func (p *taskLogPusher) pushRetrying(ctx context.Context, id string) {
	wait := p.backoff
	logDone := false // a retry after the report's put failed does not read and upload the log again
	for attempt := 1; ; attempt++ {
		err := p.push(ctx, id, &logDone)
		if err == nil {
			p.log.Debug("task log and report pushed to deep storage", "task", id)
			return
		}
		if ctx.Err() != nil {
			p.log.Warn("task log push stopped", "task", id, "err", err)
			return
		}
		if attempt >= p.attempts {
			p.log.Error("task log push failed; giving up (the files stay in this worker's data directory)", "task", id, "tries", attempt, "err", err)
			return
		}
		p.log.Warn("task log push failed, retrying", "task", id, "try", attempt, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			p.log.Warn("task log push stopped", "task", id, "err", err)
			return
		case <-t.C:
		}
		wait = min(2*wait, p.maxBackoff)
	}
}

// push uploads the task's kept log (its latest MaxTaskLogBytes), unless *logDone says an
// earlier try did, and then its report, the report last: a reader that finds the report
// finds the log too.
func (p *taskLogPusher) push(ctx context.Context, id string, logDone *bool) error {
	if !*logDone {
		logb, err := p.runner.Log(id, 0)
		if err != nil && !errors.Is(err, task.ErrNoLog) {
			return fmt.Errorf("read log of %s: %w", id, err)
		}
		if err == nil {
			if len(logb) > task.MaxTaskLogBytes {
				logb = logb[len(logb)-task.MaxTaskLogBytes:]
			}
			if err := p.files.PutTaskFile(ctx, id, storage.TaskLogFile, logb); err != nil {
				return err
			}
		}
		*logDone = true
	}
	rep, err := p.runner.ReportFile(id)
	if errors.Is(err, fs.ErrNotExist) {
		p.log.Warn("task has no report on disk; only its log is pushed", "task", id)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read report of %s: %w", id, err)
	}
	if len(rep) > task.MaxReportBytes {
		p.log.Error("task report too large for deep storage; not pushed", "task", id, "bytes", len(rep), "max", task.MaxReportBytes)
		return nil
	}
	return p.files.PutTaskFile(ctx, id, storage.TaskReportFile, rep)
}
