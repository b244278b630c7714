package task

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// kcat produces lines with the real librdkafka client (Debian's kcat): proof that what we read
// is what an outside producer wrote. args are extra kcat flags (-K for keys, -H for headers).
func kcat(t *testing.T, broker, topic string, partition int32, lines []string, args ...string) {
	t.Helper()
	path, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("kcat is not installed (apt-get install kcat); CI must run this test")
		}
		t.Skip("kcat not installed")
	}
	cmdArgs := append([]string{"-b", broker, "-t", topic, "-p", fmt.Sprint(partition), "-P", "-X", "api.version.request=true"}, args...)
	cmd := exec.Command(path, cmdArgs...)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
}

func TestInputFormatsFromKcat(t *testing.T) {
	broker := startKafka(t, "fmt", 1)
	tests := []struct {
		name        string
		inputFormat map[string]any
		timestamp   map[string]any
		lines       []string
		kcatArgs    []string
		want        map[string][2]float64
	}{
		{
			name:        "json",
			inputFormat: map[string]any{"type": "json"},
			lines:       []string{`{"timestamp":"2024-03-05T10:00:01Z","host":"a","metric":"cpu","value":1}`, `{"timestamp":"2024-03-05T10:00:30Z","host":"a","metric":"cpu","value":2}`, `{"timestamp":"2024-03-05T10:01:00Z","host":"b","metric":"mem","value":5}`},
			want:        map[string][2]float64{"2024-03-05T10:00:00.000Z a cpu": {2, 3}, "2024-03-05T10:01:00.000Z b mem": {1, 5}},
		},
		{
			name:        "csv",
			inputFormat: map[string]any{"type": "csv", "columns": []string{"timestamp", "host", "metric", "value"}},
			lines:       []string{"2024-03-05T10:00:01Z,a,cpu,1", `2024-03-05T10:00:02Z,"a",cpu,4`},
			want:        map[string][2]float64{"2024-03-05T10:00:00.000Z a cpu": {2, 5}},
		},
		{
			name:        "tsv",
			inputFormat: map[string]any{"type": "tsv", "columns": []string{"timestamp", "host", "metric", "value"}},
			lines:       []string{"2024-03-05T10:00:01Z\ta\tcpu\t1", "2024-03-05T10:02:01Z\tc\tdisk\t7"},
			want:        map[string][2]float64{"2024-03-05T10:00:00.000Z a cpu": {1, 1}, "2024-03-05T10:02:00.000Z c disk": {1, 7}},
		},
		{
			name:        "delimited with millis",
			inputFormat: map[string]any{"type": "delimited", "delimiter": "|", "columns": []string{"timestamp", "host", "metric", "value"}},
			timestamp:   map[string]any{"column": "timestamp", "format": "millis"},
			lines:       []string{"1709632801000|a|cpu|3"},
			want:        map[string][2]float64{"2024-03-05T10:00:00.000Z a cpu": {1, 3}},
		},
		{
			name: "kafka key and headers",
			inputFormat: map[string]any{"type": "kafka", "valueFormat": map[string]any{"type": "json"},
				"keyFormat": map[string]any{"type": "tsv", "columns": []string{"k"}}, "headerFormat": map[string]any{"type": "string"}},
			// -K: key before the colon; the host comes from the key, the metric from a header.
			lines:    []string{`a:{"timestamp":"2024-03-05T10:00:01Z","value":1}`, `a:{"timestamp":"2024-03-05T10:00:02Z","value":2}`},
			kcatArgs: []string{"-K", ":", "-H", "metric=cpu"},
			want:     map[string][2]float64{"2024-03-05T10:00:00.000Z a cpu": {2, 3}},
		},
	}
	var next int64
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			kcat(t, broker, "fmt", 0, tt.lines, tt.kcatArgs...)
			start := next
			next += int64(len(tt.lines))
			raw := payload(fmt.Sprintf("fmt-%d", i), broker, "fmt", map[int32]int64{0: start}, map[int32]int64{0: next}, func(p map[string]any) {
				io := p["ioConfig"].(map[string]any)
				io["inputFormat"] = tt.inputFormat
				ds := p["dataSchema"].(map[string]any)
				if tt.timestamp != nil {
					ds["timestampSpec"] = tt.timestamp
				}
				if tt.inputFormat["type"] == "kafka" {
					ds["dimensionsSpec"] = map[string]any{"dimensions": []any{"host", "metric"}}
					ds["transformSpec"] = map[string]any{"transforms": []any{
						map[string]any{"type": "expression", "name": "host", "expression": `"kafka.key"`},
						map[string]any{"type": "expression", "name": "metric", "expression": `"kafka.header.metric"`},
					}}
				}
			})
			tk, res := runTask(t, e, raw)
			if !res.Success {
				t.Fatalf("task failed: %s", res.ErrorMsg)
			}
			got := dumpRows(t, e, "metrics")
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("rows %v\nwant %v\nstats %+v, errors %+v", got, tt.want, tk.Stats().Totals(), tk.Stats().ParseExceptions())
			}
		})
	}
}

// TestReplicasPublishOnce runs two replicas of the same task (same sequence names, so the same
// segment ids) over the same offsets: both succeed, and the rows are published once.
func TestReplicasPublishOnce(t *testing.T) {
	e := newEnv(t)
	broker := startKafka(t, "metrics", 1)
	var recs []*kgo.Record
	for i := 0; i < 500; i++ {
		recs = append(recs, jsonRecord(t, 0, event{Timestamp: at(i % 30), Host: fmt.Sprintf("h%d", i%7), Metric: "cpu", Value: 1}))
	}
	produce(t, broker, "metrics", recs...)
	var wg sync.WaitGroup
	results := make([]Result, 2)
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw := payload(fmt.Sprintf("replica-%d", r), broker, "metrics", map[int32]int64{0: 0}, map[int32]int64{0: 500}, func(p map[string]any) {
				p["ioConfig"].(map[string]any)["baseSequenceName"] = "index_kafka_metrics_0123456789abcde"
			})
			s, err := DecodePayload(raw)
			if err != nil {
				t.Error(err)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			results[r] = New(s, e.options(s.Payload.ID)).Run(ctx)
		}()
	}
	wg.Wait()
	for i, res := range results {
		if !res.Success {
			t.Fatalf("replica %d failed: %s", i, res.ErrorMsg)
		}
	}
	var total float64
	for _, v := range dumpRows(t, e, "metrics") {
		total += v[0]
	}
	if total != 500 {
		t.Errorf("published %v rows, want 500 exactly once", total)
	}
	segs, _ := e.store.Segments(context.Background(), "metrics", true)
	if len(segs) != 1 {
		t.Errorf("%d segments, want 1", len(segs))
	}
}

// TestIncrementalHandoffAndRestart ingests far more rows than maxRowsInMemory and
// maxRowsPerSegment, so the task spills and checkpoints into many sequences; it is interrupted
// mid-stream (as a daemon stopping does), then run again: every row is published exactly once.
func TestIncrementalHandoffAndRestart(t *testing.T) {
	e := newEnv(t)
	broker := startKafka(t, "metrics", 2)
	const n = 6000
	var recs []*kgo.Record
	for i := 0; i < n; i++ {
		// Distinct minutes and hosts: no rollup, so counts are exact per row.
		recs = append(recs, jsonRecord(t, int32(i%2), event{Timestamp: at(i / 10), Host: fmt.Sprintf("h%d", i%10), Metric: "cpu", Value: float64(i)}))
	}
	// Only the first half is produced before the first run, so it is certainly interrupted
	// while waiting for the rest, with some sequences published and some not.
	produce(t, broker, "metrics", recs[:n/2]...)
	tune := func(p map[string]any) {
		p["tuningConfig"] = map[string]any{"type": "kafka", "maxRowsInMemory": 200, "maxRowsPerSegment": 500, "maxTotalRows": 1000}
	}
	raw := payload("restart-1", broker, "metrics", map[int32]int64{0: 0, 1: 0}, map[int32]int64{0: n / 2, 1: n / 2}, tune)
	s, err := DecodePayload(raw)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tk := New(s, e.options("restart-1"))
	go func() {
		defer cancel()
		for ctx.Err() == nil {
			cur := tk.CurrentOffsets()
			segs, _ := e.store.Segments(context.Background(), "metrics", true)
			if cur[druidapi.Partition{ID: 0}] == n/4 && cur[druidapi.Partition{ID: 1}] == n/4 && len(segs) > 0 {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	if res := tk.Run(ctx); res.Success {
		t.Fatal("first run succeeded although half the rows were never produced")
	}
	published, _ := e.store.Segments(context.Background(), "metrics", true)
	if len(published) == 0 {
		t.Fatal("nothing was published before the interruption")
	}
	produce(t, broker, "metrics", recs[n/2:]...)
	// Second run of the same task: resumes after the published sequences.
	s2, _ := DecodePayload(raw)
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	res := New(s2, e.options("restart-1")).Run(ctx2)
	if !res.Success {
		t.Fatalf("restarted task failed: %s", res.ErrorMsg)
	}
	var total, sum float64
	for _, v := range dumpRows(t, e, "metrics") {
		total += v[0]
		sum += v[1]
	}
	if total != n || sum != float64(n*(n-1)/2) {
		t.Errorf("published %v rows with value sum %v, want %d and %d", total, sum, n, n*(n-1)/2)
	}
	md, _ := e.store.GetDataSourceMetadata(context.Background(), "metrics")
	if md.Offsets[druidapi.Partition{ID: 0}] != n/2 || md.Offsets[druidapi.Partition{ID: 1}] != n/2 {
		t.Errorf("stored offsets %v", md.Offsets)
	}
	segs, _ := e.store.Segments(context.Background(), "metrics", true)
	if len(segs) < 4 {
		t.Errorf("only %d segments: maxRowsPerSegment did not hand off incrementally", len(segs))
	}
}
