package task

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// Task logs: every record a task logs through its slog.Logger also goes, as text, to
// <WorkDir>/_logs/<id>.log, which GET /task/{id}/log serves (Druid's task log). A task's
// work directory is removed when it succeeds, so logs live beside it, like reports. Each log
// is bounded: once <id>.log passes half of MaxTaskLogBytes it becomes <id>.log.1 (replacing
// the previous one) and a new <id>.log starts, so a task keeps between a half and all of
// MaxTaskLogBytes of its latest records.

// logsName is the directory under WorkDir that keeps task logs.
const logsName = "_logs"

// MaxTaskLogBytes bounds the log kept per task.
const MaxTaskLogBytes = 4 << 20

func (r *Runner) logDir() string { return filepath.Join(r.opts.WorkDir, logsName) }

// taskLog is the file half of a task's log: an io.Writer that appends whole records to
// <id>.log through an os.Root on the logs directory and rotates at MaxTaskLogBytes/2. It opens
// the file on the first record (a task still waiting for a slot has no log, as in Druid) and
// drops records after Close.
type taskLog struct {
	dir  string
	name string       // <id>.log, checked by isLocalName
	warn *slog.Logger // the daemon's, told once when the file cannot be written

	mu     sync.Mutex
	root   *os.Root
	f      *os.File
	size   int64
	closed bool
	failed bool // a write failed once; logged to the daemon and not retried
}

func newTaskLog(dir, id string, warn *slog.Logger) (*taskLog, error) {
	name := id + ".log"
	if !isLocalName(name) {
		return nil, fmt.Errorf("task id %q is not usable as a log file name", id)
	}
	return &taskLog{dir: dir, name: name, warn: warn}, nil
}

// Write appends one record. Errors are reported once and then swallowed: a full disk must not
// stop the task, whose records still reach the daemon's log.
func (l *taskLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.failed {
		return len(p), nil
	}
	if err := l.writeLocked(p); err != nil {
		l.failed = true
		l.warn.Warn("task log file not writable; the task's records go to the daemon's log only", "file", filepath.Join(l.dir, l.name), "err", err)
		return 0, err
	}
	return len(p), nil
}

func (l *taskLog) writeLocked(p []byte) error {
	if l.f == nil {
		if err := os.MkdirAll(l.dir, 0o755); err != nil {
			return err
		}
		root, err := os.OpenRoot(l.dir)
		if err != nil {
			return err
		}
		f, err := root.OpenFile(l.name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			root.Close()
			return err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			root.Close()
			return err
		}
		l.root, l.f, l.size = root, f, st.Size()
	}
	if l.size > 0 && l.size+int64(len(p)) > MaxTaskLogBytes/2 {
		if err := l.f.Close(); err != nil {
			return err
		}
		l.f = nil
		if err := l.root.Rename(l.name, l.name+".1"); err != nil {
			return err
		}
		f, err := l.root.OpenFile(l.name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		l.f, l.size = f, 0
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return err
}

// Close closes the file; later records are dropped.
func (l *taskLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	var err error
	if l.f != nil {
		err = l.f.Close()
		l.f = nil
	}
	if l.root != nil {
		err = errors.Join(err, l.root.Close())
		l.root = nil
	}
	return err
}

// ErrNoLog is returned by Log for a task that has no log: unknown, or not started yet.
var ErrNoLog = errors.New("no log for task")

// Log returns the kept log of task id from offset, as Druid's LogUtils.streamFile reads it: a
// positive offset skips that many bytes (past the end: nothing), a negative one keeps that
// many bytes from the end (all of it when the log is shorter). Offsets count in what is kept.
func (r *Runner) Log(id string, offset int64) ([]byte, error) {
	name := id + ".log"
	if !isLocalName(name) {
		return nil, fmt.Errorf("%w: %s", ErrNoLog, id)
	}
	root, err := os.OpenRoot(r.logDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoLog, id)
	}
	if err != nil {
		return nil, err
	}
	defer root.Close()
	cur, err := root.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoLog, id)
	}
	if err != nil {
		return nil, err
	}
	prev, err := root.ReadFile(name + ".1")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return LogFrom(append(prev, cur...), offset), nil
}

// LogFrom is the part of a kept log that GET /task/{id}/log?offset= answers: a positive
// offset skips that many bytes (past the end: nothing), a negative one keeps that many bytes
// from the end (all of it when the log is shorter).
func LogFrom(all []byte, offset int64) []byte {
	switch n := int64(len(all)); {
	case offset > 0:
		all = all[min(offset, n):]
	case offset < 0:
		all = all[max(n+offset, 0):]
	}
	return all
}

// MaxReportBytes bounds a completion report pushed to and read back from deep storage; a
// report is a few KiB, its error list bounded by maxParseExceptions.
const MaxReportBytes = 8 << 20

// teeHandler sends every record to the daemon's handler and to the task's log file.
type teeHandler struct {
	base, file slog.Handler
}

func (h teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.base.Enabled(ctx, l) || h.file.Enabled(ctx, l)
}

func (h teeHandler) Handle(ctx context.Context, rec slog.Record) error {
	var err error
	if h.base.Enabled(ctx, rec.Level) {
		err = h.base.Handle(ctx, rec)
	}
	if h.file.Enabled(ctx, rec.Level) {
		_ = h.file.Handle(ctx, rec) // a log file that cannot be written is reported once by taskLog
	}
	return err
}

func (h teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{base: h.base.WithAttrs(as), file: h.file.WithAttrs(as)}
}

func (h teeHandler) WithGroup(name string) slog.Handler {
	return teeHandler{base: h.base.WithGroup(name), file: h.file.WithGroup(name)}
}

// taskLogger is the logger a task logs through: the runner's, teed into l at Info and above.
func taskLogger(base *slog.Logger, l *taskLog) *slog.Logger {
	file := slog.NewTextHandler(io.Writer(l), &slog.HandlerOptions{Level: slog.LevelInfo})
	return slog.New(teeHandler{base: base.Handler(), file: file})
}
