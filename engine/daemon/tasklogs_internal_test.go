package daemon

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage/s3test"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// lockedBuffer is a log sink the pusher's goroutine and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// finishedTaskFiles writes what a runner keeps of a finished task in workDir: its log and
// its completion report.
func finishedTaskFiles(t *testing.T, workDir, id string) {
	t.Helper()
	for path, data := range map[string]string{
		filepath.Join(workDir, "_logs", id+".log"):     "time=… level=INFO msg=\"task started\" task=" + id + "\n",
		filepath.Join(workDir, "_reports", id+".json"): `{"ingestionStatsAndErrors":{"taskId":"` + id + `"}}`,
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTaskLogPusherRetries pushes a finished task's files to a local deep storage that is
// down (its root is a file, so nothing can be created under it): the push is retried with back-off and logged, and once the storage is back the log and report
// land under task-logs/<id>/. A task whose push keeps failing is given up after the tries.
func TestTaskLogPusherRetries(t *testing.T) {
	workDir := t.TempDir()
	finishedTaskFiles(t, workDir, "task_a")
	finishedTaskFiles(t, workDir, "task_b")
	root := filepath.Join(t.TempDir(), "deep")
	if err := os.WriteFile(root, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	p := newTaskLogPusher(&storage.Local{Root: root}, slog.New(slog.NewTextHandler(&logs, nil)))
	p.runner = task.NewRunner(task.RunnerOptions{WorkDir: workDir})
	p.backoff, p.maxBackoff = 10*time.Millisecond, 40*time.Millisecond
	p.start(t.Context())
	p.enqueue("task_a") // returns at once: the push runs on the pusher's goroutine
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "task log push failed, retrying"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no retry logged:\n%s", logs.String())
		}
	}
	if err := os.Remove(root); err != nil { // deep storage is back
		t.Fatal(err)
	}
	deep := &storage.Local{Root: root}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		rep, err := deep.GetTaskFile(t.Context(), "task_a", storage.TaskReportFile, 1<<20)
		if err == nil {
			if !strings.Contains(string(rep), `"taskId":"task_a"`) {
				t.Fatalf("pushed report %s", rep)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("report never pushed: %v\n%s", err, logs.String())
		}
	}
	if b, err := deep.GetTaskFile(t.Context(), "task_a", storage.TaskLogFile, 1<<20); err != nil || !strings.Contains(string(b), "task=task_a") {
		t.Fatalf("pushed log: %q %v", b, err)
	}

	// Down for good: the push is given up after p.attempts tries, and the next task's
	// push still runs.
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(root, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p.attempts = 2 // read by the pusher after enqueue's signal, so no race
	p.enqueue("task_b")
	p.stop(5 * time.Second)
	if !strings.Contains(logs.String(), "giving up") || !strings.Contains(logs.String(), "task=task_b") {
		t.Fatalf("give-up not logged:\n%s", logs.String())
	}
}

// TestTaskLogPusherS3Outage pushes to an S3-compatible server that answers 500 to the first
// puts, with the S3 client's own retries off (one try per request): the pusher's back-off
// rides the outage out and both objects land under PREFIX/task-logs/<id>/.
func TestTaskLogPusherS3Outage(t *testing.T) {
	workDir := t.TempDir()
	finishedTaskFiles(t, workDir, "task_s3")
	srv := s3test.Start(t, "deep")
	deep, err := storage.NewS3(t.Context(), storage.S3Options{Bucket: "deep", Prefix: "druid/segments", Endpoint: srv.URL,
		PathStyle: true, Credentials: s3test.Credentials, MaxAttempts: 1, TempDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext(3, func(r *http.Request) bool { return r.Method == http.MethodPut })
	var logs lockedBuffer
	p := newTaskLogPusher(deep, slog.New(slog.NewTextHandler(&logs, nil)))
	p.runner = task.NewRunner(task.RunnerOptions{WorkDir: workDir})
	p.backoff, p.maxBackoff = 10*time.Millisecond, 40*time.Millisecond
	p.start(t.Context())
	p.enqueue("task_s3")
	p.stop(10 * time.Second) // drains the queue first
	if srv.FaultsLeft() != 0 || strings.Count(logs.String(), "task log push failed, retrying") != 3 {
		t.Fatalf("faults left %d; log:\n%s", srv.FaultsLeft(), logs.String())
	}
	keys := srv.Keys(t, "deep", "druid/segments/task-logs/task_s3/")
	if len(keys) != 2 {
		t.Fatalf("objects %v, want log and report.json", keys)
	}
}
