package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/query"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// TestRemoteRealtimeTargets runs the query node's fan-out against real HTTP workers on
// PostgreSQL: one replica per task group is asked; a replica that refuses connections moves
// on to the next; a group whose replicas all answer 404 (ended) is left out; groups with a
// replica on this node, on a worker that is not live, or not assigned are not asked; a group
// no replica of which answers fails with a *query.RemoteError naming the worker.
func TestRemoteRealtimeTargets(t *testing.T) {
	ctx := context.Background()
	store, err := postgres.Open(ctx, metadatatest.FreshPostgresSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	var mu sync.Mutex
	asked := map[string]int{}
	worker := func(answers map[string]string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/druid/worker/v1/chat/"), "/query")
			body, _ := io.ReadAll(r.Body)
			u, p, ok := r.BasicAuth()
			mu.Lock()
			asked[id]++
			mu.Unlock()
			if r.Method != http.MethodPost || !ok || u != "admin" || p != "secret" || !json.Valid(body) {
				t.Errorf("request %s %s auth %v %q: %s", r.Method, r.URL.Path, ok, u, body)
			}
			a, ok := answers[id]
			if !ok {
				http.Error(w, "task ["+id+"] is not running here", http.StatusNotFound)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, a)
		}))
	}
	a := worker(map[string]string{"g1b": `{"segments":[{"id":"s1","rows":3,"allStart":0,"groups":[{"t":0,"a":[{"l":3}]}]}]}`})
	defer a.Close()
	b := worker(nil)
	defer b.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // connection refused from now on
	for _, url := range []string{a.URL, b.URL, dead.URL, "http://self"} {
		if err := store.HeartbeatWorker(ctx, metadata.Worker{URL: url, Capacity: 4, Version: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	place := func(id, group, ds, worker string) {
		t.Helper()
		if err := store.InsertTask(ctx, metadata.Task{ID: id, GroupID: group, DataSource: ds, Type: task.Type, Payload: []byte("{}"),
			Status: []byte(`{"status":"RUNNING"}`), Active: true}); err != nil {
			t.Fatal(err)
		}
		if worker != "" {
			if err := store.AssignTask(ctx, id, worker); err != nil {
				t.Fatal(err)
			}
		}
	}
	place("g1a", "g1", "ds", dead.URL) // refused: the other replica answers
	place("g1b", "g1", "ds", a.URL)
	place("g2a", "g2", "ds", a.URL) // both ended
	place("g2b", "g2", "ds", b.URL)
	place("g3a", "g3", "ds", "http://self") // this node's own worker reads it
	place("g3b", "g3", "ds", b.URL)
	place("g4", "g4", "ds", "http://not-live:1") // no heartbeat
	place("g5", "g5", "ds", "")                  // not assigned yet
	place("o1", "o1", "other", a.URL)            // another datasource
	place("x1", "x1", "down", dead.URL)          // its only replica refuses

	f := &remoteRealtime{self: "http://self", store: store, as: store, ws: store, liveness: 30 * time.Second,
		client: &http.Client{}, username: "admin", password: "secret", log: slog.New(slog.DiscardHandler)}
	for range 5 { // the replica order is random: whichever comes first, the answer is the same
		res, err := f.Partials(ctx, "ds", []byte(`{"queryType":"timeseries"}`))
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || len(res[0].Segments) != 1 || res[0].Segments[0].ID != "s1" || res[0].Segments[0].Groups[0].States[0].L != 3 {
			t.Fatalf("answers %+v, want g1's one segment", res)
		}
	}
	mu.Lock()
	if asked["g1b"] != 5 || asked["g2a"] != 5 || asked["g2b"] != 5 {
		t.Errorf("asked %v: want g1b, g2a and g2b once per query", asked)
	}
	for _, id := range []string{"g3a", "g3b", "g4", "g5", "o1"} {
		if asked[id] != 0 {
			t.Errorf("asked %s %d times, want never (all: %v)", id, asked[id], asked)
		}
	}
	mu.Unlock()

	_, err = f.Partials(ctx, "down", []byte(`{}`))
	var re *query.RemoteError
	if !errors.As(err, &re) || !strings.Contains(dead.URL, re.Host) || !strings.Contains(re.URL, "/druid/worker/v1/chat/x1/query") ||
		!strings.Contains(err.Error(), "connection refused") {
		t.Errorf("a group no replica of which answers: %v, want a RemoteError naming %s", err, dead.URL)
	}
	if res, err := f.Partials(ctx, "none", []byte(`{}`)); err != nil || res != nil {
		t.Errorf("a datasource without tasks: %v %v", res, err)
	}

	// A frozen worker (it accepts the connection, never answers) counts as not answering
	// once the liveness has passed, not after the query's whole timeout.
	release := make(chan struct{})
	frozen := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer frozen.Close()
	defer close(release)
	if err := store.HeartbeatWorker(ctx, metadata.Worker{URL: frozen.URL, Capacity: 4, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	place("z1", "z1", "frozen", frozen.URL)
	f.client = fanoutClient(300 * time.Millisecond)
	start := time.Now()
	_, err = f.Partials(ctx, "frozen", []byte(`{}`))
	if !errors.As(err, &re) || !strings.Contains(frozen.URL, re.Host) || !strings.Contains(err.Error(), "timeout awaiting response headers") {
		t.Errorf("a frozen worker: %v, want a RemoteError naming %s", err, frozen.URL)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a frozen worker held the query for %v", d)
	}
}
