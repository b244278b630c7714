// Package enginetest starts a real engine in-process for tests of other packages (the Terraform
// provider's acceptance tests, end-to-end tests): the embedded metadata store in a temporary
// directory, the supervisor manager, and the HTTP API on a loopback port.
package enginetest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/api"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/query"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// Engine is a running in-process engine.
type Engine struct {
	URL     string
	Store   metadata.Store
	Manager *supervisor.Manager
	Runner  *task.Runner
	Storage *storage.Local
	Loader  *query.Loader
}

// Start runs an engine on the embedded metadata store until the test ends.
func Start(t testing.TB) *Engine {
	t.Helper()
	store, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatalf("open embedded store: %v", err)
	}
	return StartWithStore(t, store)
}

// StartWithStore runs an engine on the given metadata store (PostgreSQL in tests that need
// it); the store is closed when the test ends.
func StartWithStore(t testing.TB, store metadata.Store) *Engine {
	t.Helper()
	opts := supervisor.DefaultOptions()
	opts.Logger = slog.New(slog.DiscardHandler)
	mgr := supervisor.NewManager(store, opts)
	if err := mgr.Load(context.Background()); err != nil {
		t.Fatalf("load supervisors: %v", err)
	}
	dir := t.TempDir()
	deep := &storage.Local{Root: filepath.Join(dir, "deep-storage")}
	loader := query.NewLoader(store, deep, filepath.Join(dir, "segment-cache"), query.LoaderOptions{Poll: 100 * time.Millisecond, Logger: opts.Logger})
	go loader.Run(context.Background())
	runner := task.NewRunner(task.RunnerOptions{Capacity: 4, WorkDir: filepath.Join(dir, "tasks"), Store: store, Storage: deep, Handoff: loader, Checkpointer: mgr, Logger: opts.Logger})
	handler := api.New(api.Services{Supervisors: mgr, Tasks: runner, Store: store}, api.Options{Version: "test", Logger: opts.Logger})
	// Queries read published segments (the loader, first: it wins over a realtime copy of the
	// same segment) and the rows still inside running tasks.
	queries := query.New(loader)
	queries.AddSource(query.NewRealtime(realtimeTasks(runner), loader, query.RealtimeOptions{Logger: opts.Logger}))
	handler.RouteQueries(queries)
	srv := httptest.NewServer(handler)
	mgr.Start(context.Background(), supervisor.Deps{Runner: runner, Tasks: supervisor.NewChatClient(func() string { return srv.URL }, "", ""), MinOffsetFetchPeriod: time.Second})
	t.Cleanup(func() {
		mgr.Close()
		srv.Close()
		runner.Close()
		loader.Close()
		store.Close()
	})
	return &Engine{URL: srv.URL, Store: store, Manager: mgr, Runner: runner, Storage: deep, Loader: loader}
}

// realtimeTasks adapts the task runner to the realtime query source.
func realtimeTasks(r *task.Runner) query.RealtimeTasks {
	return query.RealtimeFunc(func(ctx context.Context) ([]query.RealtimeSegment, error) {
		segs, err := r.QuerySegments(ctx)
		out := make([]query.RealtimeSegment, 0, len(segs))
		for _, s := range segs {
			parts := make([]query.ColumnReader, len(s.Readers))
			for i, rd := range s.Readers {
				parts[i] = rd
			}
			out = append(out, query.RealtimeSegment{ID: s.ID, DataSource: s.DataSource, Interval: query.Interval{Start: s.Start, End: s.End}, Parts: parts})
		}
		return out, err
	})
}
