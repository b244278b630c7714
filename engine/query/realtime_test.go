package query_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/daemon"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/query"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

func rtPayload(id, broker string, end int64) []byte {
	p := map[string]any{
		"type": "index_kafka", "id": id,
		"dataSchema": map[string]any{
			"dataSource":      "metrics",
			"timestampSpec":   map[string]any{"column": "timestamp", "format": "iso"},
			"dimensionsSpec":  map[string]any{"dimensions": []any{"host"}},
			"metricsSpec":     []any{map[string]any{"type": "count", "name": "count"}},
			"granularitySpec": map[string]any{"segmentGranularity": "hour", "queryGranularity": "minute", "rollup": true},
		},
		"tuningConfig": map[string]any{"type": "kafka", "maxRowsInMemory": 50},
		"ioConfig": map[string]any{
			"type":                 "kafka",
			"baseSequenceName":     "index_kafka_metrics_realtime",
			"startSequenceNumbers": map[string]any{"type": "start", "stream": "metrics", "partitionSequenceNumberMap": map[string]int64{"0": 0}},
			"endSequenceNumbers":   map[string]any{"type": "end", "stream": "metrics", "partitionSequenceNumberMap": map[string]int64{"0": end}},
			"consumerProperties":   map[string]any{"bootstrap.servers": broker},
			"inputFormat":          map[string]any{"type": "json"},
		},
	}
	b, _ := json.Marshal(p)
	return b
}

// count runs a timeseries count over the test day; -1 while the datasource is unknown.
func count(t *testing.T, e *query.Engine) int64 {
	t.Helper()
	q := `{"queryType":"timeseries","dataSource":"metrics","granularity":"all","intervals":["2024-03-05/2024-03-06"],
		"aggregations":[{"type":"longSum","name":"n","fieldName":"count"}]}`
	res, err := e.Run(context.Background(), []byte(q))
	if err != nil {
		if qe, ok := err.(*query.Error); ok && qe.Status == 404 {
			return -1
		}
		t.Fatalf("timeseries: %v", err)
	}
	b, _ := json.Marshal(res)
	var out []struct {
		Result struct {
			N int64 `json:"n"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if len(out) == 0 {
		return 0
	}
	return out[0].Result.N
}

// TestRealtimeCountsOnceAroundHandoff runs two replicas of one task group that keep reading;
// their rows are queryable before anything is published and counted once (replicas share
// segment ids). Then both stop and publish: at every moment through publish and handoff the
// count equals the rows produced (never twice, never a gap), and once the tasks are done the
// Loader alone serves exactly them.
func TestRealtimeCountsOnceAroundHandoff(t *testing.T) {
	dir := t.TempDir()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "metrics"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	const n = 300
	var recs []*kgo.Record
	for i := range n {
		ts := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC).Add(time.Duration(i%120) * time.Minute).Format(time.RFC3339)
		b, _ := json.Marshal(map[string]any{"timestamp": ts, "host": fmt.Sprintf("h%d", i%5)})
		recs = append(recs, &kgo.Record{Topic: "metrics", Value: b})
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()

	store, err := embedded.Open(filepath.Join(dir, "metadata"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	deep := &storage.Local{Root: filepath.Join(dir, "deep")}
	log := slog.New(slog.DiscardHandler)
	loader := query.NewLoader(store, deep, filepath.Join(dir, "cache"), query.LoaderOptions{Poll: 50 * time.Millisecond, Logger: log})
	go loader.Run(context.Background())
	defer loader.Close()
	runner := task.NewRunner(task.RunnerOptions{Capacity: 2, WorkDir: filepath.Join(dir, "tasks"), Store: store, Storage: deep, Handoff: loader, Logger: log})
	defer runner.Close()
	eng := query.New(loader)
	eng.AddSource(query.NewRealtime(daemon.RealtimeTasks(runner), loader, query.RealtimeOptions{MaxAge: -1, Logger: log}))

	ctx := context.Background()
	for _, id := range []string{"replica-0", "replica-1"} {
		if _, err := runner.Submit(ctx, rtPayload(id, broker, 1<<40)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := count(t, eng)
		if got > n {
			t.Fatalf("realtime count %d > %d rows produced: replicas counted twice", got, n)
		}
		if got == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("realtime count %d, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if segs, _ := store.Segments(ctx, "metrics", true); len(segs) != 0 {
		t.Fatalf("%d segments published before the stop", len(segs))
	}
	// Both replicas hold the rows.
	for _, id := range []string{"replica-0", "replica-1"} {
		tk, _ := runner.Task(id)
		segs, err := tk.QuerySegments(ctx)
		if err != nil || len(segs) == 0 {
			t.Fatalf("%s serves %d segments, %v", id, len(segs), err)
		}
	}

	// Publish and hand off while counting continuously.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var counts []int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			c := count(t, eng)
			mu.Lock()
			counts = append(counts, c)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	// countsAtLeast waits until the counter has taken n counts, however slowly it runs.
	countsAtLeast := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			got := len(counts)
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the counter took %d counts in 30 s, want %d", got, n)
			}
		}
	}
	countsAtLeast(1) // counting runs before the stops, so through the publish
	var tasks []*task.Task
	for _, id := range []string{"replica-0", "replica-1"} {
		tk, _ := runner.Task(id)
		tasks = append(tasks, tk)
		if err := tk.Stop(ctx, true); err != nil {
			t.Fatal(err)
		}
	}
	for _, tk := range tasks {
		select {
		case <-tk.Done():
		case <-time.After(30 * time.Second):
			t.Fatalf("task %s did not finish", tk.ID())
		}
		if res := tk.Result(); res == nil || !res.Success {
			t.Fatalf("task %s: %+v", tk.ID(), res)
		}
	}
	// A few counts after both handoffs too: that is when a segment could be counted from both
	// the loader and a finished task.
	mu.Lock()
	after := len(counts) + 3
	mu.Unlock()
	countsAtLeast(after)
	close(stop)
	wg.Wait()
	for _, c := range counts {
		if c != n {
			t.Fatalf("count %d, want %d throughout publish and handoff (counts %v)", c, n, counts)
		}
	}
	t.Logf("%d counts during publish and handoff, all %d", len(counts), n)
	segs, _ := store.Segments(ctx, "metrics", true)
	if len(segs) != 2 {
		t.Errorf("%d segments published, want 2 (two hours)", len(segs))
	}
	if got := count(t, eng); got != n {
		t.Errorf("count after handoff %d, want %d", got, n)
	}
	if segs, _ := runner.QuerySegments(ctx); len(segs) != 0 {
		t.Errorf("finished tasks serve %d realtime segments", len(segs))
	}
}
