package supervisor_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
)

// TestMetadataStoreOutage stops the engine's PostgreSQL for ~10 s while events stream in
// (issue 13): the supervisor reports UNHEALTHY_SUPERVISOR with an error naming the metadata
// store, the task API answers 503, and once the database is back the supervisor is RUNNING
// again with every event published exactly once and no task failed (publishes waited for the
// store instead of failing and dragging the next generation into retries).
func TestMetadataStoreOutage(t *testing.T) {
	pg := metadatatest.StartPrivatePostgres(t) // private: the shared test server must never stop
	ctx := context.Background()
	store, err := postgres.Open(ctx, pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	e := enginetest.StartWithStore(t, store)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	h := &harness{t: t, cluster: cluster, broker: cluster.ListenAddrs()[0], e: e}
	if h.c, err = client.New(e.URL, client.WithMaxRetries(0)); err != nil {
		t.Fatal(err)
	}
	p := startProducer(t, h.broker, "events", 500)
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, supervisorSpec(h.broker, "events", 1, 1, nil)); err != nil {
		t.Fatal(err)
	}
	h.waitFor("a first publish", 30*time.Second, func(*client.SupervisorReport) bool {
		md, err := e.Store.GetDataSourceMetadata(ctx, "events")
		return err == nil && len(md.Offsets) > 0
	})
	// Make sure a publish is in flight when the database stops: hold the advisory lock the
	// publish transaction takes on the datasource metadata row until the next generation's
	// publish waits for it. Stopping the server then breaks that transaction (57P01).
	lock, err := pgx.Connect(ctx, pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close(ctx)
	tx, err := lock.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || 'datasource_metadata:events', 0))`); err != nil {
		t.Fatal(err)
	}
	h.waitFor("a publish waiting for the lock", 30*time.Second, func(*client.SupervisorReport) bool {
		var waiting int
		err := lock.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&waiting)
		return err == nil && waiting > 0
	})

	pg.Stop(t)
	stopped := time.Now()
	rep := h.waitFor("the outage in the state", 20*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.DetailedState == "UNHEALTHY_SUPERVISOR"
	})
	if rep.Payload.Healthy || !hasError(rep, "MetadataStoreUnavailable", "metadata store unreachable") {
		t.Errorf("store down: healthy=%v, recentErrors %+v", rep.Payload.Healthy, rep.Payload.RecentErrors)
	}
	if healthy, _ := h.c.SupervisorHealth(ctx, "events"); healthy {
		t.Error("health endpoint says healthy while the metadata store is down")
	}
	var body map[string]any
	err = h.c.Do(ctx, http.MethodGet, "/druid/indexer/v1/tasks", nil, &body)
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusServiceUnavailable || !strings.Contains(apiErr.Message, "metadata store unavailable") {
		t.Errorf("GET /tasks while the store is down: %v, want 503 naming the metadata store", err)
	}
	time.Sleep(time.Until(stopped.Add(10 * time.Second)))
	pg.Start(t)

	h.waitFor("recovered", 40*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.DetailedState == "RUNNING" && r.Payload.Healthy
	})
	produced := p.close(t)
	waitCaughtUp(t, e, h.broker, "events", 60*time.Second)
	checkExactlyOnce(t, e, produced)
	// No waste: no task failed (a failed publish used to fail its task and the next
	// generation's), and no finished task is left RUNNING in the store.
	tasks, err := e.Store.ListTasks(ctx, metadata.TaskFilter{DataSource: "events"})
	if err != nil {
		t.Fatal(err)
	}
	for _, mt := range tasks {
		var st struct{ Status, ErrorMsg string }
		_ = json.Unmarshal(mt.Status, &st)
		if st.Status == "FAILED" {
			t.Errorf("task %s failed: %s", mt.ID, st.ErrorMsg)
		}
	}
	h.waitFor("finished tasks inactive in the store", 10*time.Second, func(*client.SupervisorReport) bool {
		active := true
		tasks, err := e.Store.ListTasks(ctx, metadata.TaskFilter{DataSource: "events", Active: &active})
		if err != nil {
			return false
		}
		for _, mt := range tasks {
			if tk, ok := e.Runner.Task(mt.ID); !ok || tk.Result() != nil {
				return false // finished (or forgotten) but still RUNNING in the store
			}
		}
		return true
	})
	t.Logf("%d events exactly once across a %v metadata store outage; %d tasks, none failed", produced, 10*time.Second, len(tasks))
}

// hasError reports whether recentErrors holds an error of the class whose message contains msg.
func hasError(r *client.SupervisorReport, class, msg string) bool {
	for _, e := range r.Payload.RecentErrors {
		if e.ExceptionClass == class && strings.Contains(e.Message, msg) {
			return true
		}
	}
	return false
}
