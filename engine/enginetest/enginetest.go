// Package enginetest starts a real engine in-process for tests of other packages (the Terraform
// provider's acceptance tests, end-to-end tests): the embedded metadata store in a temporary
// directory, the supervisor manager, and the HTTP API on a loopback port.
package enginetest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/api"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
)

// Engine is a running in-process engine.
type Engine struct {
	URL     string
	Store   metadata.Store
	Manager *supervisor.Manager
}

// Start runs an engine until the test ends.
func Start(t testing.TB) *Engine {
	t.Helper()
	store, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatalf("open embedded store: %v", err)
	}
	opts := supervisor.DefaultOptions()
	opts.Logger = slog.New(slog.DiscardHandler)
	mgr := supervisor.NewManager(store, opts)
	if err := mgr.Load(context.Background()); err != nil {
		t.Fatalf("load supervisors: %v", err)
	}
	srv := httptest.NewServer(api.New(mgr, api.Options{Version: "test", Logger: opts.Logger}))
	t.Cleanup(func() {
		srv.Close()
		store.Close()
	})
	return &Engine{URL: srv.URL, Store: store, Manager: mgr}
}
