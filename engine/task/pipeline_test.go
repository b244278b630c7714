package task

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// TestParallelParseMatchesInline ingests the same records, good rows mixed with unparseable
// records, rows with a metric value that does not fit (processedWithError), empty records
// (thrownAway) and broken JSON, once with parsing inline (numParseThreads 1) and once on three
// parse goroutines. One partition, so both runs see the records in the same order. The counters, the published rows and the saved parse
// exceptions, in their order, must be the same: parsing ahead changes nothing but who parses.
func TestParallelParseMatchesInline(t *testing.T) {
	const topic = "parallel"
	broker := startKafka(t, topic, 1)
	base := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)
	var recs []*kgo.Record
	const n = 3000 // several chunks per fetch, so jobs overlap with indexing
	for i := range n {
		var v string
		switch {
		case i%97 == 0:
			v = fmt.Sprintf(`{"timestamp":"not a time %d","host":"h","metric":"cpu","value":1}`, i)
		case i%89 == 0:
			v = fmt.Sprintf(`{"timestamp":"%s","host":"big","metric":"cpu","value":"x%d"}`, base.Format(time.RFC3339), i)
		case i%83 == 0:
			v = ""
		case i%79 == 0:
			v = `{"timestamp": broken`
		default:
			tm := base.Add(time.Duration(i%120) * time.Minute)
			v = fmt.Sprintf(`{"timestamp":"%s","host":"h%d","metric":"m%d","value":%d}`, tm.Format(time.RFC3339), i%7, i%3, i)
		}
		recs = append(recs, &kgo.Record{Value: []byte(v)})
	}
	produce(t, broker, topic, recs...)

	run := func(threads int, transform bool) outcome {
		e := newEnv(t)
		id := fmt.Sprintf("parallel-%d-%v", threads, transform)
		raw := payload(id, broker, topic, map[int32]int64{0: 0}, map[int32]int64{0: n}, func(p map[string]any) {
			tc := p["tuningConfig"].(map[string]any)
			tc["numParseThreads"] = threads
			tc["maxSavedParseExceptions"] = 1000
			tc["maxRowsInMemory"] = 700 // intermediate persists in the middle of chunks
			if transform {
				// A transform: the types are checked on the run loop, after it, not ahead.
				ds := p["dataSchema"].(map[string]any)
				ds["transformSpec"] = map[string]any{"transforms": []any{map[string]any{"type": "expression", "name": "host", "expression": "concat(host, '-t')"}}}
			}
		})
		tk, res := runTask(t, e, raw)
		if !res.Success {
			t.Fatalf("threads=%d: task failed: %s", threads, res.ErrorMsg)
		}
		if got := tk.spec.Tuning.NumParseThreads; got != threads {
			t.Fatalf("the payload's numParseThreads %d decoded as %d", threads, got)
		}
		o := outcome{totals: tk.Stats().Totals(), rows: dumpRows(t, e, "metrics")}
		for _, pe := range tk.Stats().ParseExceptions() {
			o.errs = append(o.errs, fmt.Sprintf("%s %q %v", pe.ErrorType, pe.Input, pe.Details))
		}
		return o
	}
	for _, transform := range []bool{false, true} {
		t.Run(fmt.Sprintf("transform=%v", transform), func(t *testing.T) {
			inline, parallel := run(1, transform), run(3, transform)
			compareOutcomes(t, inline, parallel)
		})
	}
}

// outcome is what a task run of TestParallelParseMatchesInline gave.
type outcome struct {
	totals RowCounters
	rows   map[string][2]float64
	errs   []string // the saved parse exceptions, in order
}

func compareOutcomes(t *testing.T, inline, parallel outcome) {
	t.Helper()
	if inline.totals.Unparseable == 0 || inline.totals.ProcessedWithError == 0 || inline.totals.ThrownAway == 0 {
		t.Fatalf("the workload exercises no error path: %+v", inline.totals)
	}
	if inline.totals != parallel.totals {
		t.Errorf("row counters: inline %+v, parallel %+v", inline.totals, parallel.totals)
	}
	if fmt.Sprint(inline.rows) != fmt.Sprint(parallel.rows) {
		t.Errorf("published rows differ: inline %d keys, parallel %d keys", len(inline.rows), len(parallel.rows))
	}
	if !slices.Equal(inline.errs, parallel.errs) {
		t.Errorf("saved parse exceptions differ:\ninline   %q\nparallel %q", inline.errs, parallel.errs)
	}
}

// TestParallelParseStopsCleanly ends tasks while their parse goroutines are busy: one by
// cancelling its context mid-read, one by exceeding maxParseExceptions (an error from the run
// loop while jobs are in flight). Each Run returns, with the same error message as inline
// parsing, and TestMain's goleak check finds no parse goroutine left behind.
func TestParallelParseStopsCleanly(t *testing.T) {
	const topic = "parallel-stop"
	broker := startKafka(t, topic, 1)
	const n = 20000
	recs := make([]*kgo.Record, n)
	base := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)
	for i := range recs {
		v := fmt.Sprintf(`{"timestamp":"%s","host":"h%d","metric":"cpu","value":%d}`, base.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i%5, i)
		if i == 5000 {
			v = `{"timestamp": broken`
		}
		recs[i] = &kgo.Record{Value: []byte(v)}
	}
	produce(t, broker, topic, recs...)

	t.Run("cancel", func(t *testing.T) {
		e := newEnv(t)
		raw := payload("parallel-cancel", broker, topic, map[int32]int64{0: 0}, map[int32]int64{0: n + 1_000_000}, func(p map[string]any) {
			p["tuningConfig"].(map[string]any)["numParseThreads"] = 2
		})
		s, err := DecodePayload(raw)
		if err != nil {
			t.Fatal(err)
		}
		tk := New(s, e.options(s.Payload.ID))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan Result, 1)
		go func() { done <- tk.Run(ctx) }()
		deadline := time.Now().Add(30 * time.Second)
		for tk.CurrentOffsets()[druidapi.Partition{ID: 0}] < n/2 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		select {
		case res := <-done:
			if res.Success {
				t.Fatalf("a cancelled unbounded task succeeded")
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	})
	t.Run("maxParseExceptions", func(t *testing.T) {
		for _, threads := range []int{1, 2} {
			e := newEnv(t)
			raw := payload(fmt.Sprintf("parallel-maxparse-%d", threads), broker, topic, map[int32]int64{0: 0}, map[int32]int64{0: n}, func(p map[string]any) {
				p["tuningConfig"].(map[string]any)["numParseThreads"] = threads
				p["tuningConfig"].(map[string]any)["maxParseExceptions"] = 0
			})
			tk, res := runTask(t, e, raw)
			if res.Success || res.ErrorMsg != "Max parse exceptions[0] exceeded" {
				t.Fatalf("threads=%d: result %+v, want the task failed on max parse exceptions", threads, res)
			}
			if got := tk.Stats().Totals(); got.Processed != 5000 || got.Unparseable != 1 {
				t.Errorf("threads=%d: row counters %+v, want 5000 processed and 1 unparseable", threads, got)
			}
		}
	})
}

// TestParallelParseStallsOnRegistryOutage: with parsing ahead, a record whose schema the
// registry cannot serve yet is neither counted nor skipped. The task stalls at it, retries it
// inline until the registry is back, and then ingests every record once, in order.
func TestParallelParseStallsOnRegistryOutage(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	var down atomic.Bool
	down.Store(true)
	reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if down.Load() {
			http.Error(w, `{"error_code":50301,"message":"registry down"}`, http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	const schema = `{"type":"record","name":"r","fields":[{"name":"ts","type":"long"},{"name":"host","type":"string"}]}`
	id, _, err := reg.RegisterSchema("s-value", sr.Schema{Schema: schema, Type: sr.TypeAvro})
	if err != nil {
		t.Fatal(err)
	}
	const topic = "parallel-stall"
	broker := startKafka(t, topic, 1)
	const n = 500
	base := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC).UnixMilli()
	var hdr sr.ConfluentHeader
	recs := make([]*kgo.Record, n)
	for i := range recs {
		b, err := hdr.AppendEncode(nil, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		host := fmt.Sprintf("h%d", i%3)
		// Avro binary: the long and the string's length zig-zag varints, then the string.
		b = binary.AppendVarint(b, base+int64(i)*1000)
		b = binary.AppendVarint(b, int64(len(host)))
		recs[i] = &kgo.Record{Value: append(b, host...)}
	}
	produce(t, broker, topic, recs...)
	e := newEnv(t)
	raw := payload("parallel-stall", broker, topic, map[int32]int64{0: 0}, map[int32]int64{0: n}, func(p map[string]any) {
		p["tuningConfig"].(map[string]any)["numParseThreads"] = 2
		p["dataSchema"].(map[string]any)["timestampSpec"] = map[string]any{"column": "ts", "format": "millis"}
		p["dataSchema"].(map[string]any)["dimensionsSpec"] = map[string]any{"dimensions": []any{"host"}}
		p["ioConfig"].(map[string]any)["inputFormat"] = map[string]any{"type": "avro_stream",
			"avroBytesDecoder": map[string]any{"type": "schema_registry", "url": reg.URL()}}
	})
	s, err := DecodePayload(raw)
	if err != nil {
		t.Fatal(err)
	}
	tk := New(s, e.options(s.Payload.ID))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan Result, 1)
	go func() { done <- tk.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for tk.StallMessage() == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if tk.StallMessage() == "" {
		t.Fatal("the task did not stall while the registry was down")
	}
	if got := tk.Stats().Totals(); got.Processed != 0 || got.Unparseable != 0 {
		t.Errorf("while stalled: %+v, want nothing counted", got)
	}
	down.Store(false)
	res := <-done
	if !res.Success {
		t.Fatalf("task failed: %s", res.ErrorMsg)
	}
	if got := tk.Stats().Totals(); got.Processed != n || got.Unparseable != 0 || got.ThrownAway != 0 {
		t.Errorf("row counters %+v, want %d processed and nothing else", got, n)
	}
}

// TestParseAheadDefault: with numParseThreads unset, a fetch is parsed ahead only while the
// process runs fewer tasks than GOMAXPROCS (else inline, without the hand-over copy); set, it is
// parsed ahead whatever the process runs. A trickle, a stall or no pool always parse inline.
func TestParseAheadDefault(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	running := 1
	l := &loop{t: &Task{spec: &Spec{}, opts: Options{RunningTasks: func() int { return running }}},
		pool: &parsePool{}, backlog: make([]*kgo.Record, minParallelRecords)}
	for _, tt := range []struct {
		threads, running int
		want             bool
	}{
		{0, 1, procs > 1}, {0, procs - 1, procs > 1}, {0, procs, false}, {0, procs + 3, false},
		{2, procs, true}, {2, procs + 3, true}, {1, 1, true}, // a pool exists only when threads > 1; here it is forced
	} {
		l.t.spec.Tuning.NumParseThreads, running = tt.threads, tt.running
		if got := l.parseAhead(); got != tt.want {
			t.Errorf("numParseThreads %d, %d running tasks, GOMAXPROCS %d: parseAhead %v, want %v", tt.threads, tt.running, procs, got, tt.want)
		}
	}
	l.t.spec.Tuning.NumParseThreads = 2
	l.backlog = l.backlog[:minParallelRecords-1]
	if l.parseAhead() {
		t.Error("a backlog below minParallelRecords was parsed ahead")
	}
	l.backlog = l.backlog[:minParallelRecords]
	l.stall = &stall{}
	if l.parseAhead() {
		t.Error("a stalled backlog was parsed ahead")
	}
	l.stall, l.pool = nil, nil
	if l.parseAhead() {
		t.Error("parsed ahead without a pool")
	}
	l.pool, l.t.opts.RunningTasks, l.t.spec.Tuning.NumParseThreads = &parsePool{}, nil, 0
	if got := l.parseAhead(); got != (procs > 1) {
		t.Errorf("RunningTasks nil (one task): parseAhead %v, want %v", got, procs > 1)
	}
}

// TestRunnerRunningTasks: the runner hands each task a live count of the tasks in its slots
// (waiting ones not counted), which the numParseThreads default reads per fetch.
func TestRunnerRunningTasks(t *testing.T) {
	broker := startKafka(t, "running", 1)
	e := newEnv(t)
	r := NewRunner(RunnerOptions{Capacity: 2, WorkDir: filepath.Join(e.dir, "tasks"), Store: e.store, Storage: e.storage, Logger: testLogger()})
	defer r.Close()
	for _, id := range []string{"running-1", "running-2", "running-3"} {
		raw := payload(id, broker, "running", map[int32]int64{0: 0}, map[int32]int64{0: EndOfPartition}, nil)
		if _, err := r.Submit(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"running-1", "running-3"} {
		tk, ok := r.Task(id)
		if !ok {
			t.Fatalf("task %s not found", id)
		}
		if f := tk.opts.RunningTasks; f == nil {
			t.Fatalf("task %s: no RunningTasks", id)
		} else if got := f(); got != 2 {
			t.Fatalf("task %s: RunningTasks() = %d, want 2", id, got)
		}
	}
	if err := r.Shutdown(context.Background(), "running-1"); err != nil {
		t.Fatal(err)
	}
	tk, _ := r.Task("running-2")
	deadline := time.Now().Add(30 * time.Second)
	for running, _ := r.Running(); tk.opts.RunningTasks() != running || running != 2; running, _ = r.Running() {
		// running-3 takes the freed slot: back to 2 once it has.
		if time.Now().After(deadline) {
			t.Fatalf("RunningTasks %d, runner counts %d running", tk.opts.RunningTasks(), running)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
