package api

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// leading is the election state of a node that leads (the Leadership a Node asks).
type leading struct{ url string }

func (l leading) IsLeader() bool            { return true }
func (l leading) LeaderURL() (string, bool) { return l.url, true }

// noPlacements is a queue whose tasks are all finished: nothing is assigned.
type noPlacements struct{}

func (noPlacements) Placements(context.Context) (map[string]task.Placement, error) {
	return map[string]task.Placement{}, nil
}

// TestNodeFinishedTaskFiles serves a finished task that ran on another worker through a
// leader's Node: its log (with ?offset=) and report come from the deep storage, a task whose
// files are not there gets Druid's 404 texts, and a deep storage that fails the read is a 500
// naming the task.
func TestNodeFinishedTaskFiles(t *testing.T) {
	dir := t.TempDir()
	store, err := embedded.Open(filepath.Join(dir, "metadata"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := t.Context()
	for _, id := range []string{"ran_elsewhere", "never_pushed"} {
		if err := store.InsertTask(ctx, metadata.Task{ID: id, DataSource: "ds", Type: task.Type, Payload: []byte("{}"),
			Status: []byte(`{"id":"` + id + `","status":"SUCCESS","duration":5,"location":{"host":"10.0.0.9","port":8090,"tlsPort":-1}}`)}); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.DiscardHandler)
	queue := task.NewRunner(task.RunnerOptions{WorkDir: filepath.Join(dir, "tasks"), Store: store, Placer: noPlacements{}, Logger: log})
	defer queue.Close()
	deep := &storage.Local{Root: filepath.Join(dir, "deep")}
	if err := deep.PutTaskFile(ctx, "ran_elsewhere", storage.TaskLogFile, []byte("line one\nline two\n")); err != nil {
		t.Fatal(err)
	}
	if err := deep.PutTaskFile(ctx, "ran_elsewhere", storage.TaskReportFile, []byte(`{"ingestionStatsAndErrors":{"taskId":"ran_elsewhere"}}`)); err != nil {
		t.Fatal(err)
	}
	local := New(Services{}, Options{Logger: log})
	n := NewNode(local, leading{url: "http://127.0.0.1:1"}, "http://127.0.0.1:1")
	n.SetOverlord(New(Services{Tasks: queue}, Options{Logger: log}))
	n.SetTaskFiles(deep)
	srv := httptest.NewServer(n)
	defer srv.Close()
	base := srv.URL + "/druid/indexer/v1/task/"

	// The status keeps the worker it ran on.
	if code, body := call(t, "GET", base+"ran_elsewhere/status", ""); code != 200 || !strings.Contains(body, `"location":{"host":"10.0.0.9","port":8090,"tlsPort":-1}`) {
		t.Errorf("status: %d %s", code, body)
	}
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"ran_elsewhere/log", 200, "line one\nline two\n"},
		{"ran_elsewhere/log?offset=-9", 200, "line two\n"},
		{"ran_elsewhere/log?offset=9", 200, "line two\n"},
		{"ran_elsewhere/log?offset=x", 400, `{"error":"offset: \"x\" is not a whole number of bytes"}` + "\n"},
		{"ran_elsewhere/reports", 200, `{"ingestionStatsAndErrors":{"taskId":"ran_elsewhere"}}`},
		{"never_pushed/log", 404, noLogText},
		{"never_pushed/reports", 404, noReportsText},
		{"unknown_task/reports", 404, noReportsText},
	} {
		if code, body := call(t, "GET", base+tc.path, ""); code != tc.code || body != tc.want {
			t.Errorf("%s: %d %q, want %d %q", tc.path, code, body, tc.code, tc.want)
		}
	}
	// Deep storage unreadable (a file where its directory should be): a 500 naming the task.
	if err := os.RemoveAll(deep.Root); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(deep.Root, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, body := call(t, "GET", base+"ran_elsewhere/log", ""); code != 500 || !strings.Contains(body, "read the files of task ran_elsewhere from deep storage") {
		t.Errorf("log with deep storage down: %d %s", code, body)
	}
}
