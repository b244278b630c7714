package storage

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage/s3test"
)

// testTaskFiles is the behaviour both deep storages share: round trip, replace, missing file,
// the size bound and the refusal of ids and names that could leave the task's directory.
func testTaskFiles(t *testing.T, tf TaskFiles) {
	ctx := t.Context()
	if _, err := tf.GetTaskFile(ctx, "index_kafka_x_1", TaskLogFile, 1<<20); !errors.Is(err, ErrNoTaskFile) {
		t.Fatalf("missing log: %v, want ErrNoTaskFile", err)
	}
	for _, data := range []string{"first\n", "second line\n"} {
		if err := tf.PutTaskFile(ctx, "index_kafka_x_1", TaskLogFile, []byte(data)); err != nil {
			t.Fatal(err)
		}
		got, err := tf.GetTaskFile(ctx, "index_kafka_x_1", TaskLogFile, 1<<20)
		if err != nil || string(got) != data {
			t.Fatalf("log: %q %v, want %q", got, err, data)
		}
	}
	if err := tf.PutTaskFile(ctx, "index_kafka_x_1", TaskReportFile, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if got, err := tf.GetTaskFile(ctx, "index_kafka_x_1", TaskReportFile, 1<<20); err != nil || string(got) != `{"a":1}` {
		t.Fatalf("report: %q %v", got, err)
	}
	if _, err := tf.GetTaskFile(ctx, "index_kafka_x_1", TaskLogFile, 5); err == nil || !strings.Contains(err.Error(), "larger than 5 bytes") {
		t.Fatalf("bounded read: %v, want larger than 5 bytes", err)
	}
	for _, id := range []string{"", ".", "..", "../x", "a/b", `a\b`, "/abs", "a\nb"} {
		if err := tf.PutTaskFile(ctx, id, TaskLogFile, []byte("x")); err == nil || !strings.Contains(err.Error(), "not usable") {
			t.Errorf("put with id %q: %v, want a refusal", id, err)
		}
		if _, err := tf.GetTaskFile(ctx, id, TaskLogFile, 10); err == nil || errors.Is(err, ErrNoTaskFile) {
			t.Errorf("get with id %q: %v, want a refusal", id, err)
		}
	}
	if err := tf.PutTaskFile(ctx, "t", "../../etc/passwd", []byte("x")); err == nil {
		t.Error("put with a name outside the task files was accepted")
	}
}

func TestLocalTaskFiles(t *testing.T) {
	root := t.TempDir()
	testTaskFiles(t, &Local{Root: root})
	b, err := os.ReadFile(filepath.Join(root, "task-logs", "index_kafka_x_1", "log"))
	if err != nil || string(b) != "second line\n" {
		t.Fatalf("log file under the root: %q %v", b, err)
	}
	// A root that cannot be created (a file in the way) fails the push, as a down
	// filesystem does, and the error names the file.
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := (&Local{Root: blocked}).PutTaskFile(t.Context(), "t1", TaskLogFile, []byte("x")); err == nil || !strings.Contains(err.Error(), "task-logs/t1/log") {
		t.Fatalf("push under a file: %v", err)
	}
}

func TestS3TaskFiles(t *testing.T) {
	srv := s3test.Start(t, "deep")
	s := newTestS3(t, srv, "druid/segments", nil)
	testTaskFiles(t, s)
	keys := srv.Keys(t, "deep", "druid/segments/task-logs/")
	want := []string{"druid/segments/task-logs/index_kafka_x_1/log", "druid/segments/task-logs/index_kafka_x_1/report.json"}
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	// An outage shorter than the retries is ridden out; a missing key is not retried.
	srv.FailNext(2, func(r *http.Request) bool { return r.Method == http.MethodPut })
	if err := s.PutTaskFile(t.Context(), "t2", TaskLogFile, []byte("after an outage")); err != nil {
		t.Fatalf("put through a short outage: %v", err)
	}
	if got, err := s.GetTaskFile(t.Context(), "t2", TaskLogFile, 100); err != nil || string(got) != "after an outage" {
		t.Fatalf("get after the outage: %q %v", got, err)
	}
	gets := srv.Requests(http.MethodGet)
	if _, err := s.GetTaskFile(t.Context(), "t3", TaskReportFile, 100); !errors.Is(err, ErrNoTaskFile) {
		t.Fatalf("missing report: %v", err)
	}
	if n := srv.Requests(http.MethodGet) - gets; n != 1 {
		t.Errorf("a missing key took %d GETs, want 1", n)
	}
	// A longer outage fails the put with the attempts named.
	short := newTestS3(t, srv, "druid/segments", func(o *S3Options) { o.MaxAttempts = 2 })
	srv.FailNext(2, func(r *http.Request) bool { return r.Method == http.MethodPut })
	if err := short.PutTaskFile(t.Context(), "t4", TaskLogFile, []byte("x")); err == nil || !strings.Contains(err.Error(), "try 2 of 2") {
		t.Fatalf("put through a long outage: %v", err)
	}
}
