package task

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestRunnerListAndShutdownDataSource: with one worker slot, List tells the running task from
// the waiting ones and filters by datasource, and ShutdownDataSource kills the running and the
// waiting tasks of one datasource only.
func TestRunnerListAndShutdownDataSource(t *testing.T) {
	broker := startKafka(t, "list", 1)
	e := newEnv(t)
	r := NewRunner(RunnerOptions{Capacity: 1, WorkDir: filepath.Join(e.dir, "tasks"), Store: e.store, Storage: e.storage, Logger: testLogger()})
	defer r.Close()
	ctx := context.Background()
	forever := map[int32]int64{0: EndOfPartition}
	other := func(p map[string]any) { p["dataSchema"].(map[string]any)["dataSource"] = "other" }
	for _, raw := range [][]byte{
		payload("list-a", broker, "list", map[int32]int64{0: 0}, forever, nil),
		payload("list-b", broker, "list", map[int32]int64{0: 0}, forever, nil),
		payload("list-c", broker, "list", map[int32]int64{0: 0}, forever, other),
	} {
		if _, err := r.Submit(ctx, raw); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(ds string, state ListState) []string {
		t.Helper()
		infos, err := r.List(ctx, ds, state)
		if err != nil {
			t.Fatalf("List(%q, %q): %v", ds, state, err)
		}
		var out []string
		for _, in := range infos {
			out = append(out, in.ID)
		}
		slices.Sort(out)
		return out
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	for _, tc := range []struct {
		name  string
		ds    string
		state ListState
		want  []string
	}{
		{"all", "", ListAll, []string{"list-a", "list-b", "list-c"}},
		{"running", "", ListRunning, []string{"list-a"}},
		{"waiting", "", ListWaiting, []string{"list-b", "list-c"}},
		{"waiting of metrics", "metrics", ListWaiting, []string{"list-b"}},
		{"all of other", "other", ListAll, []string{"list-c"}},
		{"pending", "", ListPending, nil},
		{"complete", "", ListComplete, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(tc.ds, tc.state); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := r.List(ctx, "", ListState("bogus")); err == nil {
		t.Fatal("List accepted an unknown state")
	}

	if err := r.ShutdownDataSource(ctx, "metrics"); err != nil {
		t.Fatal(err)
	}
	waitFor("metrics tasks complete", func() bool { return len(ids("metrics", ListComplete)) == 2 })
	if got := ids("metrics", ListAll); !slices.Equal(got, []string{"list-a", "list-b"}) {
		t.Fatalf("metrics tasks %v", got)
	}
	for _, id := range []string{"list-a", "list-b"} {
		if in, _, err := r.Info(ctx, id); err != nil || in.StatusCode != "FAILED" {
			t.Fatalf("%s after shutdown: %+v, %v", id, in, err)
		}
	}
	// The other datasource's task is untouched: it takes the freed slot.
	waitFor("list-c running", func() bool { return slices.Equal(ids("other", ListRunning), []string{"list-c"}) })
	if err := r.ShutdownDataSource(ctx, "none"); err != nil {
		t.Fatalf("datasource without tasks: %v", err)
	}
}
