package task

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
)

// env is a store, deep storage and work area for tasks.
type env struct {
	store   metadata.Store
	storage *storage.Local
	dir     string
}

func newEnv(t *testing.T) *env {
	dir := t.TempDir()
	st, err := embedded.Open(filepath.Join(dir, "metadata"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &env{store: st, storage: &storage.Local{Root: filepath.Join(dir, "deep")}, dir: dir}
}

func (e *env) options(id string) Options {
	return Options{Store: e.store, Storage: e.storage, WorkDir: filepath.Join(e.dir, "tasks", id), Logger: testLogger()}
}

// payload builds an index_kafka task JSON.
func payload(id, broker, topic string, start, end map[int32]int64, extra func(p map[string]any)) []byte {
	offs := func(m map[int32]int64) map[string]int64 {
		out := map[string]int64{}
		for k, v := range m {
			out[fmt.Sprint(k)] = v
		}
		return out
	}
	p := map[string]any{
		"type": "index_kafka", "id": id,
		"dataSchema": map[string]any{
			"dataSource":      "metrics",
			"timestampSpec":   map[string]any{"column": "timestamp", "format": "iso"},
			"dimensionsSpec":  map[string]any{"dimensions": []any{"host", "metric"}},
			"metricsSpec":     []any{map[string]any{"type": "count", "name": "count"}, map[string]any{"type": "doubleSum", "name": "value_sum", "fieldName": "value"}},
			"granularitySpec": map[string]any{"segmentGranularity": "hour", "queryGranularity": "minute", "rollup": true},
		},
		"tuningConfig": map[string]any{"type": "kafka", "maxSavedParseExceptions": 10},
		"ioConfig": map[string]any{
			"type":                 "kafka",
			"startSequenceNumbers": map[string]any{"type": "start", "stream": topic, "partitionSequenceNumberMap": offs(start)},
			"endSequenceNumbers":   map[string]any{"type": "end", "stream": topic, "partitionSequenceNumberMap": offs(end)},
			"consumerProperties":   map[string]any{"bootstrap.servers": broker},
			"inputFormat":          map[string]any{"type": "json"},
		},
	}
	if extra != nil {
		extra(p)
	}
	b, _ := json.Marshal(p)
	return b
}

func runTask(t *testing.T, e *env, raw []byte) (*Task, Result) {
	t.Helper()
	s, err := DecodePayload(raw)
	if err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	tk := New(s, e.options(s.Payload.ID))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return tk, tk.Run(ctx)
}

// dumpRows reads every published segment of the datasource back as rows (via dump-segment's
// rows mode on the deep-storage zip), keyed "time host metric" → count,value_sum.
func dumpRows(t *testing.T, e *env, ds string) map[string][2]float64 {
	t.Helper()
	segs, err := e.store.Segments(context.Background(), ds, true)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]float64{}
	for _, s := range segs {
		var d druidapi.DataSegment
		if err := json.Unmarshal(s.Payload, &d); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := segment.Dump(&buf, d.LoadSpec.Path, segment.DumpOptions{Mode: "rows", TimeISO8601: true}); err != nil {
			t.Fatalf("dump %s: %v", s.ID, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var row map[string]any
			if err := json.Unmarshal([]byte(line), &row); err != nil {
				t.Fatalf("row %q: %v", line, err)
			}
			key := fmt.Sprintf("%v %v %v", row["__time"], row["host"], row["metric"])
			prev := out[key]
			out[key] = [2]float64{prev[0] + row["count"].(float64), prev[1] + row["value_sum"].(float64)}
		}
	}
	return out
}

func TestBoundedTaskPublishesRollup(t *testing.T) {
	e := newEnv(t)
	broker := startKafka(t, "metrics", 2)
	var recs []*kgo.Record
	want := map[string][2]float64{}
	for i := 0; i < 200; i++ {
		ev := event{Timestamp: at(i % 90), Host: fmt.Sprintf("h%d", i%3), Metric: "cpu", Value: float64(i)}
		recs = append(recs, jsonRecord(t, int32(i%2), ev))
		tm, _ := time.Parse(time.RFC3339, ev.Timestamp)
		key := fmt.Sprintf("%s %s cpu", tm.UTC().Truncate(time.Minute).Format("2006-01-02T15:04:05.000Z"), ev.Host)
		w := want[key]
		want[key] = [2]float64{w[0] + 1, w[1] + ev.Value}
	}
	// Two malformed records: counted, reported, never a crash.
	recs = append(recs, &kgo.Record{Partition: 0, Value: []byte(`{"timestamp": "not a time", "host": "x"}`)}, &kgo.Record{Partition: 1, Value: []byte(`{broken`)})
	produce(t, broker, "metrics", recs...)

	tk, res := runTask(t, e, payload("task-1", broker, "metrics", map[int32]int64{0: 0, 1: 0}, map[int32]int64{0: 101, 1: 101}, nil))
	if !res.Success {
		t.Fatalf("task failed: %s", res.ErrorMsg)
	}
	got := dumpRows(t, e, "metrics")
	if len(got) != len(want) {
		t.Errorf("%d rolled-up rows, want %d", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("row %s = %v, want %v", k, got[k], w)
		}
	}
	tot := tk.Stats().Totals()
	if tot.Processed != 200 || tot.Unparseable != 2 {
		t.Errorf("row stats %+v, want 200 processed, 2 unparseable", tot)
	}
	if pe := tk.Stats().ParseExceptions(); len(pe) != 2 {
		t.Errorf("saved parse exceptions: %d", len(pe))
	}
	md, err := e.store.GetDataSourceMetadata(context.Background(), "metrics")
	if err != nil || md.Offsets[druidapi.Partition{ID: 0}] != 101 || md.Offsets[druidapi.Partition{ID: 1}] != 101 {
		t.Fatalf("stored offsets %+v, %v", md, err)
	}
	segs, _ := e.store.Segments(context.Background(), "metrics", true)
	var ids []string
	for _, s := range segs {
		ids = append(ids, s.ID)
	}
	sort.Strings(ids)
	// 90 minutes of data from 10:00: two hourly segments.
	if len(ids) != 2 || !strings.HasPrefix(ids[0], "metrics_2024-03-05T10:00:00.000Z_2024-03-05T11:00:00.000Z_") {
		t.Errorf("segments %v", ids)
	}
}

// testLogger discards logs unless TASK_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("TASK_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}
