package task

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTaskLogBounded writes far more than MaxTaskLogBytes through a task's logger: the kept
// log never exceeds the bound, ends with the latest record, and starts on a record boundary.
// Ids that would leave the logs directory, and symlinks planted in it, find no log.
func TestTaskLogBounded(t *testing.T) {
	workDir := t.TempDir()
	r := NewRunner(RunnerOptions{WorkDir: workDir, Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(r.Close)
	tl, err := newTaskLog(r.logDir(), "bounded", r.log)
	if err != nil {
		t.Fatal(err)
	}
	log := taskLogger(r.log, tl).With("task", "bounded")
	pad := strings.Repeat("x", 1000)
	const n = 3 * MaxTaskLogBytes / 1000
	for i := range n {
		log.Info("record", "i", i, "pad", pad)
	}
	log.Debug("below the file's level")
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	log.Info("after close") // dropped

	b, err := r.Log("bounded", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxTaskLogBytes || len(b) < MaxTaskLogBytes/2-2000 {
		t.Errorf("kept %d bytes, want between half and all of %d", len(b), MaxTaskLogBytes)
	}
	s := string(b)
	if !strings.HasSuffix(s, fmt.Sprintf("i=%d pad=%s\n", n-1, pad)) || !strings.HasPrefix(s, "time=") {
		t.Errorf("kept log does not end with the last record or start on a record: %q … %q", s[:80], s[len(s)-80:])
	}
	if strings.Contains(s, "after close") || strings.Contains(s, "below the file") || !strings.Contains(s, "task=bounded") {
		t.Error("kept log has records it should not, or lacks the task attribute")
	}

	secret := filepath.Join(t.TempDir(), "secret.log")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(r.logDir(), "link.log")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Log("nope", 0); !errors.Is(err, ErrNoLog) {
		t.Errorf("Log of a task without a log: %v, want ErrNoLog", err)
	}
	for _, id := range []string{"../bounded", "link", "", "a/b"} {
		if b, err := r.Log(id, 0); err == nil {
			t.Errorf("Log(%q) = %q, want no log", id, b)
		}
	}
	if _, err := newTaskLog(r.logDir(), "../x", r.log); err == nil {
		t.Error("newTaskLog with a traversal id succeeded")
	}
}
