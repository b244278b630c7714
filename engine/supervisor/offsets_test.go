package supervisor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
)

// TestBrokerRestartedEmpty replaces the broker with an empty one on the same address (issue
// 13): the stored offsets are now beyond the partition's end. The supervisor must turn
// UNHEALTHY_SUPERVISOR with an error naming the partition, its stored and latest offsets and
// the reset API, publish nothing from the new broker even once it grows past the old offset
// (that would skip its first rows silently), and ingest everything after POST …/reset or
// …/resetOffsets to the new partition's start.
func TestBrokerRestartedEmpty(t *testing.T) {
	t.Run("reset", func(t *testing.T) {
		testBrokerRestartedEmpty(t, func(c *client.Client) error { return c.Reset(context.Background(), "events") })
	})
	t.Run("resetOffsets", func(t *testing.T) {
		testBrokerRestartedEmpty(t, func(c *client.Client) error {
			return c.ResetOffsets(context.Background(), "events", "events", map[druidapi.Partition]int64{{ID: 0}: 0})
		})
	})
}

func testBrokerRestartedEmpty(t *testing.T, reset func(*client.Client) error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	old, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(1, "events"))
	if err != nil {
		t.Fatal(err)
	}
	e := enginetest.Start(t)
	h := &harness{t: t, cluster: old, broker: old.ListenAddrs()[0], e: e}
	if h.c, err = client.New(e.URL, client.WithMaxRetries(1)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	produceIDs(t, h.broker, 0, 300)
	if _, err := h.c.CreateOrUpdateSupervisor(ctx, supervisorSpec(h.broker, "events", 1, 1, nil)); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, e, h.broker, "events", 30*time.Second)

	old.Close()
	fresh, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(1, "events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fresh.Close)
	produceIDs(t, h.broker, 1000, 5)
	want := "partition 0 of topic events: stored offset 300, next offset 300, but the latest offset in Kafka is 5"
	rep := h.waitFor("unhealthy naming the partition", 30*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.DetailedState == "UNHEALTHY_SUPERVISOR" && hasError(r, "OffsetsBeyondStreamEnd", want)
	})
	if rep.Payload.Healthy || !hasError(rep, "OffsetsBeyondStreamEnd", "POST /druid/indexer/v1/supervisor/events/reset") {
		b, _ := json.Marshal(rep)
		t.Errorf("want unhealthy with the reset API in the error; status %s", b)
	}
	// The new partition grows past the old offset: still nothing is read, since rows 0..299 of
	// the new broker would be skipped. Wait for several more runs that each record the error.
	produceIDs(t, h.broker, 1005, 400)
	grown := time.Now()
	rep = h.waitFor("more runs with the partition stopped", 30*time.Second, func(r *client.SupervisorReport) bool {
		// Runs a second after the partition outgrew the old offset still find it stopped.
		return r.Payload.DetailedState == "UNHEALTHY_SUPERVISOR" && lastError(r, "OffsetsBeyondStreamEnd").After(grown.Add(time.Second))
	})
	if activeTasks(rep) != 0 {
		t.Errorf("%d reading tasks for a stopped partition", activeTasks(rep))
	}
	if md, err := e.Store.GetDataSourceMetadata(ctx, "events"); err != nil || md.Offsets[druidapi.Partition{ID: 0}] != 300 {
		t.Errorf("stored offsets moved while the partition was stopped: %+v, %v", md, err)
	}
	for id := range publishedIDs(t, e) {
		if id >= 1000 {
			t.Fatalf("row %d of the new broker published before a reset", id)
		}
	}

	if err := reset(h.c); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, e, h.broker, "events", 40*time.Second)
	h.waitFor("healthy after the reset", 30*time.Second, func(r *client.SupervisorReport) bool {
		return r.Payload.DetailedState == "RUNNING" && r.Payload.Healthy
	})
	seen := publishedIDs(t, e)
	var bad []string
	for _, r := range [][2]int64{{0, 300}, {1000, 1405}} {
		for id := r[0]; id < r[1]; id++ {
			if seen[id] != 1 {
				bad = append(bad, fmt.Sprintf("%d×%d", id, seen[id]))
			}
		}
	}
	if len(bad) > 0 || len(seen) != 705 {
		t.Fatalf("%d distinct rows published, want 705; wrong counts (id×count): %s", len(seen), strings.Join(bad[:min(len(bad), 20)], " "))
	}
}

// produceIDs writes n events with ids from first on, synchronously.
func produceIDs(t *testing.T, broker string, first, n int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, 0, n)
	for id := first; id < first+n; id++ {
		b, _ := json.Marshal(map[string]any{"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "id": id, "host": "h", "value": 1})
		recs = append(recs, &kgo.Record{Topic: "events", Value: b})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// lastError is the time of the newest recentErrors entry of the class (zero if none).
func lastError(r *client.SupervisorReport, class string) time.Time {
	var last time.Time
	for _, e := range r.Payload.RecentErrors {
		if ts, err := time.Parse("2006-01-02T15:04:05.000Z", e.Timestamp); err == nil && e.ExceptionClass == class && ts.After(last) {
			last = ts
		}
	}
	return last
}
