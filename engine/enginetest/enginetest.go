// Package enginetest starts a real engine in-process for tests of other packages (the Terraform
// provider's acceptance tests, end-to-end tests): the same assembly as `kafka-indexer serve`
// (engine/daemon) over the embedded metadata store in a temporary directory, with the HTTP API on
// a loopback port.
package enginetest

import (
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/daemon"
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
	Storage storage.Deep
	Loader  *query.Loader
	// DataDir is the engine's --data-dir: task work, deep storage, the segment cache and, for
	// Start, the embedded store under metadata/, laid out as `kafka-indexer serve` does.
	DataDir string
}

// Option changes the daemon options of a test engine.
type Option func(*daemon.Options)

// WorkerCapacity sets the number of task slots (default 4), for tests of starved supervisors.
func WorkerCapacity(n int) Option { return func(o *daemon.Options) { o.WorkerCapacity = n } }

// Start runs an engine on the embedded metadata store until the test ends.
func Start(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	dataDir := t.TempDir()
	store, err := embedded.Open(filepath.Join(dataDir, "metadata"))
	if err != nil {
		t.Fatalf("open embedded store: %v", err)
	}
	return StartIn(t, dataDir, store, opts...)
}

// StartWithStore runs an engine on the given metadata store (PostgreSQL in tests that need
// it); the store is closed when the test ends. Polling is faster than the daemon's defaults so
// tests see handoffs and lag quickly.
func StartWithStore(t testing.TB, store metadata.Store, opts ...Option) *Engine {
	t.Helper()
	return StartIn(t, t.TempDir(), store, opts...)
}

// StartIn is StartWithStore with the given data directory, for tests that look at (or plant
// files around) what the engine writes there.
func StartIn(t testing.TB, dataDir string, store metadata.Store, opts ...Option) *Engine {
	t.Helper()
	o := daemon.Options{
		DataDir: dataDir, WorkerCapacity: 4, Version: "test",
		LoaderPoll: 100 * time.Millisecond, MinOffsetFetchPeriod: time.Second,
		Logger: slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		opt(&o)
	}
	eng, err := daemon.New(t.Context(), store, o)
	if err != nil {
		t.Fatalf("start engine: %v", err)
	}
	srv := httptest.NewServer(eng.Handler)
	eng.Start(srv.URL)
	t.Cleanup(func() {
		eng.StopSupervisors()
		srv.Close()
		eng.Close()
	})
	return &Engine{URL: srv.URL, Store: store, Manager: eng.Manager, Runner: eng.Runner, Storage: eng.Storage, Loader: eng.Loader, DataDir: dataDir}
}
