package task

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// TestRunnerPathGuards calls the runner with ids that never passed spec.ValidateID: the work
// directory, the report file and the report read must stay inside WorkDir regardless.
func TestRunnerPathGuards(t *testing.T) {
	e := newEnv(t)
	top := t.TempDir()
	dataDir := filepath.Join(top, "data")
	workDir := filepath.Join(dataDir, "tasks")
	victim := filepath.Join(top, "victim")
	secret := filepath.Join(top, "some", "dir", "file.json")
	for _, d := range []string{victim, filepath.Dir(secret), filepath.Join(workDir, reportsName)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(secret, []byte(`{"secret":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := NewRunner(RunnerOptions{WorkDir: workDir, Store: e.store, Storage: e.storage, Logger: testLogger()})
	t.Cleanup(r.Close)

	for _, id := range []string{"", ".", "..", "../../victim", "a/b", "/abs", "_reports", "_logs", "a/../../x"} {
		if dir, err := r.taskDir(id); err == nil {
			t.Errorf("taskDir(%q) = %s, want an error", id, dir)
		} else if !errors.Is(err, spec.ErrInvalid) {
			t.Errorf("taskDir(%q): %v does not map to 400", id, err)
		}
	}
	if dir, err := r.taskDir("index_kafka_x_abc"); err != nil || dir != filepath.Join(workDir, "index_kafka_x_abc") {
		t.Errorf("taskDir of a plain id: %s, %v", dir, err)
	}

	// A spec that skipped DecodePayload is refused before the store or the disk sees it.
	err := r.SubmitSpec(context.Background(), &Spec{Payload: Payload{ID: "../../victim"}})
	if !errors.Is(err, spec.ErrInvalid) {
		t.Fatalf("SubmitSpec with a traversal id: %v", err)
	}
	if _, err := e.store.GetTask(context.Background(), "../../victim"); !errors.Is(err, metadata.ErrNotFound) {
		t.Errorf("traversal task stored: %v", err)
	}

	// Reports: writes outside are refused, reads outside find nothing.
	if err := r.writeReport("../../../victim/planted", []byte(`{}`)); err == nil {
		t.Error("writeReport outside the reports directory succeeded")
	}
	if _, err := os.Stat(filepath.Join(victim, "planted.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("report written outside: %v", err)
	}
	if rep, err := r.Report("../../../some/dir/file"); !errors.Is(err, ErrUnknownTask) {
		t.Errorf("Report of a traversal id = %v, %v; want ErrUnknownTask", rep, err)
	}
	// A symlink planted in the reports directory does not lead out either (os.Root).
	if err := os.Symlink(secret, filepath.Join(workDir, reportsName, "link.json")); err != nil {
		t.Fatal(err)
	}
	if rep, err := r.Report("link"); !errors.Is(err, ErrUnknownTask) {
		t.Errorf("Report through a symlink out = %v, %v; want ErrUnknownTask", rep, err)
	}
	// A plain id round-trips.
	if err := r.writeReport("t1", []byte(`{"ok":1}`)); err != nil {
		t.Fatal(err)
	}
	if rep, err := r.Report("t1"); err != nil || rep["ok"] != 1.0 {
		t.Errorf("report of t1: %v, %v", rep, err)
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("victim directory: %v", err)
	}
}

// TestDecodePayloadRefusesHostileIDs checks the task payload's id fields with the shared rules.
func TestDecodePayloadRefusesHostileIDs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra func(p map[string]any)
		want  string
	}{
		{"traversal id", func(p map[string]any) { p["id"] = "../../victim" }, "id: must not start with '.'"},
		{"dotdot id", func(p map[string]any) { p["id"] = ".." }, "id: must not start with '.'"},
		{"NUL id", func(p map[string]any) { p["id"] = "a\x00b" }, "id: must not contain control or whitespace characters other than space (found U+0000 at byte 1)"},
		{"long id", func(p map[string]any) { p["id"] = strings.Repeat("i", 2800) }, "id: must be at most 250 bytes, got 2800"},
		{"missing id", func(p map[string]any) { delete(p, "id") }, "id: must not be empty"},
		{"slash groupId", func(p map[string]any) { p["groupId"] = "a/b" }, "groupId: must not contain '/'"},
		{"tab supervisorId", func(p map[string]any) { p["supervisorId"] = "a\tb" }, "supervisorId: must not contain control or whitespace characters other than space (found U+0009 at byte 1)"},
		{"long datasource", func(p map[string]any) { p["dataSchema"].(map[string]any)["dataSource"] = strings.Repeat("d", 240) }, "dataSchema.dataSource: must be at most 200 bytes, got 240"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodePayload(payload("t", "127.0.0.1:1", "topic", map[int32]int64{0: 0}, map[int32]int64{0: 1}, tc.extra))
			if err == nil || err.Error() != tc.want || !errors.Is(err, spec.ErrInvalid) {
				t.Fatalf("DecodePayload: %v, want %q", err, tc.want)
			}
		})
	}
}
