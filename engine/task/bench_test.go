package task

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
)

// BenchmarkPipeline drives the whole task pipeline: a Kafka-protocol broker (kfake) → kgo
// consumer → JSON parser → transforms → incremental index with rollup → persists → merge →
// push to local deep storage → transactional publish in the embedded metadata store. Each
// iteration runs one bounded task from offset 0 to the end of a one-partition topic.
//
// Run with (this is what `make bench` runs):
//
//	go test -run '^$' -bench '^BenchmarkPipeline$' -benchtime 1x -benchmem -timeout 30m ./engine/task/
//
// Rows are the anchors' row (docs/performance.md): ~200-byte JSON objects with 10 fields (an
// ISO timestamp, 5 strings, a bool, 2 ints, a float), seeded, spread over one hour, produced
// in LZ4-compressed batches before the timer starts. rollup=true keeps 3 dimensions at minute
// granularity (60 × 6 × 4 × 2 = 2,880 groups in the one hourly segment); rollup=false keeps 6
// dimensions and every row. rows=3e6 and rows=5e6 (a whole segment at the default
// maxRowsPerSegment) are the memory-boundedness checks with default tuning.
//
// By default the broker runs in a child process (this test binary re-executed as
// TestPipelineBrokerProcess), so the task's RSS is measured without the broker's in-memory
// log; BENCH_KFAKE=inproc runs it in-process instead (peak-rss and peak-heap then include it).
// BENCH_FETCH_BYTES=n sets the consumer's max.partition.fetch.bytes and fetch.max.bytes (the
// task defaults are 10 MiB and 50 MiB), to see how much of the reading heap is fetch buffers.
//
// Reported metrics, per iteration:
//   - rows/s: rows produced / timed seconds (the task from start to published).
//   - seg-B/row: uncompressed bytes of the published segment files / rows produced.
//   - zip-B/row: published DataSegment.size (the deep-storage zip) / rows produced.
//   - peak-heap-MiB: the highest HeapInuse (runtime/metrics heap objects + heap unused, which is
//     what runtime.MemStats.HeapInuse adds up; read without stopping the world), sampled every
//     10 ms by a goroutine while the task runs.
//   - read-heap-MiB, publish-heap-MiB: the same peak before and after every offset is read
//     (reading: fetch buffers, the incremental index, intermediate persists; publishing: the
//     final persist, merge, push).
//   - read-s, publish-s: seconds spent reading (consume, parse, index, intermediate persists)
//     and publishing (final persist, merge, zip, push, metadata commit), split at the first
//     10 ms sample that sees the current offset at the end.
//   - peak-rss-MiB: VmHWM of this process from /proc/self/status, reset through
//     /proc/self/clear_refs just before the timer starts (so producing is not counted).
//   - broker-rss-MiB: VmHWM of the broker child process (0 when in-process).
func BenchmarkPipeline(b *testing.B) {
	cases := []struct {
		rows   int
		rollup bool
	}{
		{1_000_000, true},
		{1_000_000, false},
		{3_000_000, false},
		{5_000_000, false}, // one segment of the default maxRowsPerSegment: peak RSS ≤ 512 MiB
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("rows=%s/rollup=%v", sci(c.rows), c.rollup), func(b *testing.B) {
			benchPipeline(b, c.rows, c.rollup)
		})
	}
}

func benchPipeline(b *testing.B, rows int, rollup bool) {
	const topic = "wiki"
	broker, brokerPID := benchBroker(b, topic)
	payloadBytes, groups := benchProduce(b, broker, topic, rows)
	want := int64(rows)
	if rollup {
		want = int64(groups)
	}
	raw := payload("bench", broker, topic, map[int32]int64{0: 0}, map[int32]int64{0: int64(rows)}, func(p map[string]any) {
		ds := p["dataSchema"].(map[string]any)
		ds["dataSource"] = "wiki"
		ds["timestampSpec"] = map[string]any{"column": "timestamp", "format": "iso"}
		dims := []any{"page", "user", "country", "channel", "agent", "isRobot"}
		gran := map[string]any{"segmentGranularity": "hour", "queryGranularity": "none", "rollup": false}
		if rollup {
			dims = []any{"country", "channel", "isRobot"}
			gran = map[string]any{"segmentGranularity": "hour", "queryGranularity": "minute", "rollup": true}
		}
		ds["dimensionsSpec"] = map[string]any{"dimensions": dims}
		ds["granularitySpec"] = gran
		if v := os.Getenv("BENCH_PARSE_THREADS"); v != "" {
			n, _ := strconv.Atoi(v)
			p["tuningConfig"].(map[string]any)["numParseThreads"] = n
		}
		if v := os.Getenv("BENCH_FETCH_BYTES"); v != "" {
			n, _ := strconv.Atoi(v)
			io := p["ioConfig"].(map[string]any)
			io["consumerProperties"].(map[string]any)["max.partition.fetch.bytes"] = n
			io["consumerProperties"].(map[string]any)["fetch.max.bytes"] = n
		}
		ds["metricsSpec"] = []any{
			map[string]any{"type": "count", "name": "count"},
			map[string]any{"type": "longSum", "name": "added", "fieldName": "added"},
			map[string]any{"type": "longSum", "name": "deleted", "fieldName": "deleted"},
			map[string]any{"type": "doubleSum", "name": "delta", "fieldName": "delta"},
		}
	})
	b.ReportAllocs()
	b.SetBytes(payloadBytes)
	var segBytes, zipBytes int64
	var peakHeap, peakHeapRead, peakHeapPublish, peakRSS uint64
	var readSecs, publishSecs float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dir, err := os.MkdirTemp("", "bench-pipeline-")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) }) // on failure; a passing iteration removes it below
		st, err := embedded.Open(filepath.Join(dir, "metadata"))
		if err != nil {
			b.Fatal(err)
		}
		s, err := DecodePayload(raw)
		if err != nil {
			b.Fatal(err)
		}
		e := &env{store: st, storage: &storage.Local{Root: filepath.Join(dir, "deep")}, dir: dir}
		tk := New(s, e.options("bench"))
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS()
		sampler := startHeapSampler(tk, int64(rows))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		started := time.Now()
		b.StartTimer()

		res := tk.Run(ctx)

		b.StopTimer()
		ended := time.Now()
		cancel()
		sampler.stop()
		peakHeap = max(peakHeap, sampler.peak)
		peakHeapRead, peakHeapPublish = max(peakHeapRead, sampler.peakRead), max(peakHeapPublish, sampler.peakPublish)
		if !sampler.published.IsZero() {
			readSecs += sampler.published.Sub(started).Seconds()
			publishSecs += ended.Sub(sampler.published).Seconds()
		}
		peakRSS = max(peakRSS, procStatus("self", "VmHWM"))
		if !res.Success {
			b.Fatalf("task failed: %s", res.ErrorMsg)
		}
		if tot := tk.Stats().Totals(); tot.Processed != int64(rows) || tot.Unparseable != 0 || tot.ProcessedWithError != 0 {
			b.Fatalf("row stats %+v, want %d processed and no errors", tot, rows)
		}
		seg, zipped, numRows := publishedSizes(b, e, "wiki")
		if numRows != want {
			b.Fatalf("published %d rows, want %d", numRows, want)
		}
		segBytes, zipBytes = seg, zipped
		st.Close()
		os.RemoveAll(dir)
		b.StartTimer()
	}
	b.StopTimer()
	if secs := b.Elapsed().Seconds(); secs > 0 {
		b.ReportMetric(float64(rows)*float64(b.N)/secs, "rows/s")
	}
	b.ReportMetric(float64(segBytes)/float64(rows), "seg-B/row")
	b.ReportMetric(float64(zipBytes)/float64(rows), "zip-B/row")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(peakHeapRead)/(1<<20), "read-heap-MiB")
	b.ReportMetric(float64(peakHeapPublish)/(1<<20), "publish-heap-MiB")
	b.ReportMetric(readSecs/float64(b.N), "read-s")
	b.ReportMetric(publishSecs/float64(b.N), "publish-s")
	b.ReportMetric(float64(peakRSS)/(1<<20), "peak-rss-MiB")
	var brokerRSS uint64
	if brokerPID > 0 {
		brokerRSS = procStatus(strconv.Itoa(brokerPID), "VmHWM")
	}
	b.ReportMetric(float64(brokerRSS)/(1<<20), "broker-rss-MiB")
}

// sci names a row count like 1e6.
func sci(n int) string {
	e := 0
	for n >= 10 && n%10 == 0 {
		n /= 10
		e++
	}
	return fmt.Sprintf("%de%d", n, e)
}

// benchRow appends the anchors' row i of n (seeded by rng) to dst. Timestamps rise through one
// hour, as a stream's would.
func benchRow(dst []byte, rng *rand.Rand, i, n int) (out []byte, minute int64, country, channel string, robot bool) {
	countries := [...]string{"France", "Germany", "United States", "Japan", "Brazil", "India"}
	channels := [...]string{"#en.wikipedia", "#fr.wikipedia", "#de.wikipedia", "#ja.wikipedia"}
	base := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)
	ts := base.Add(time.Duration(int64(i) * int64(time.Hour) / int64(n)))
	country = countries[rng.Intn(len(countries))]
	channel = channels[rng.Intn(len(channels))]
	robot = rng.Intn(2) == 1
	dst = append(dst, `{"timestamp":"`...)
	dst = ts.AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	dst = fmt.Appendf(dst, `","page":"Wikipedia:Article_%06d","user":"user-%05d","country":"%s","channel":"%s","agent":"Mozilla/5.0 (build %d)","isRobot":%v,"added":%d,"deleted":%d,"delta":%.3f}`,
		rng.Intn(1000000), rng.Intn(50000), country, channel, rng.Intn(1000), robot, rng.Intn(5000), rng.Intn(500), rng.Float64()*100)
	return dst, ts.Unix() / 60, country, channel, robot
}

// benchProduce writes rows seeded records to partition 0 in LZ4 batches and returns their
// total value size and the number of distinct rollup groups (minute, country, channel, robot).
func benchProduce(b *testing.B, broker, topic string, rows int) (int64, int) {
	b.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.Lz4Compression()),
		kgo.ProducerBatchMaxBytes(1<<20), kgo.ProducerLinger(20*time.Millisecond),
		kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	type group struct {
		minute           int64
		country, channel string
		robot            bool
	}
	groups := map[group]struct{}{}
	rng := rand.New(rand.NewSource(1))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var total int64
	const chunk = 20000
	recs := make([]*kgo.Record, 0, chunk)
	for i := 0; i < rows; i += chunk {
		recs = recs[:0]
		for j := i; j < min(i+chunk, rows); j++ {
			v, minute, country, channel, robot := benchRow(make([]byte, 0, 224), rng, j, rows)
			groups[group{minute, country, channel, robot}] = struct{}{}
			total += int64(len(v))
			recs = append(recs, &kgo.Record{Partition: 0, Value: v})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			b.Fatalf("produce: %v", err)
		}
	}
	return total, len(groups)
}

// publishedSizes sums, over the used segments of ds, the uncompressed size of the segment
// files (from the zip's directory), the zip size (DataSegment.size) and the row count.
func publishedSizes(b *testing.B, e *env, ds string) (seg, zipped, rows int64) {
	b.Helper()
	segs, err := e.store.Segments(context.Background(), ds, true)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range segs {
		var d druidapi.DataSegment
		if err := json.Unmarshal(s.Payload, &d); err != nil {
			b.Fatal(err)
		}
		zipped += d.Size
		rows += d.NumRows
		zr, err := zip.OpenReader(d.LoadSpec.Path)
		if err != nil {
			b.Fatalf("open %s: %v", d.LoadSpec.Path, err)
		}
		for _, f := range zr.File {
			seg += int64(f.UncompressedSize64)
		}
		zr.Close()
	}
	return seg, zipped, rows
}

// heapSampler records the highest HeapInuse seen every 10 ms, overall and while the task
// publishes (every offset read: final persist, merge, push), and when that started.
type heapSampler struct {
	done        chan struct{}
	wg          sync.WaitGroup
	peak        uint64
	peakRead    uint64
	peakPublish uint64
	published   time.Time // first sample in StatusPublishing
}

func startHeapSampler(tk *Task, end int64) *heapSampler {
	h := &heapSampler{done: make(chan struct{})}
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	read := func() {
		metrics.Read(samples)
		v := samples[0].Value.Uint64() + samples[1].Value.Uint64()
		h.peak = max(h.peak, v)
		// The task publishes a bounded sequence as soon as it is fully read, still READING.
		if tk.CurrentOffsets()[druidapi.Partition{ID: 0}] >= end {
			if h.published.IsZero() {
				h.published = time.Now()
			}
			h.peakPublish = max(h.peakPublish, v)
		} else {
			h.peakRead = max(h.peakRead, v)
		}
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		for {
			read()
			select {
			case <-h.done:
				return
			case <-tk.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) stop() {
	close(h.done)
	h.wg.Wait()
}

// resetPeakRSS sets VmHWM back to the current RSS (Linux ≥ 4.0); elsewhere it does nothing and
// peak-rss includes the setup.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// procStatus reads a kB field of /proc/<pid>/status in bytes, 0 if unavailable.
func procStatus(pid, field string) uint64 {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// benchBroker starts kfake with a one-partition topic and returns its address and, when it
// runs in a child process, the child's pid.
func benchBroker(b *testing.B, topic string) (string, int) {
	b.Helper()
	if os.Getenv("BENCH_KFAKE") == "inproc" {
		return startKafka(b, topic, 1), 0
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestPipelineBrokerProcess$", "-test.timeout", "0")
	cmd.Env = append(os.Environ(), "BENCH_KFAKE_CHILD="+topic)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close() // the child exits when its stdin closes
		if err := cmd.Wait(); err != nil {
			b.Logf("broker process: %v", err)
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "kfake-listening "); ok {
			go io.Copy(io.Discard, stdout)
			return addr, cmd.Process.Pid
		}
	}
	b.Fatalf("broker process did not start: %v", sc.Err())
	return "", 0
}

// TestPipelineBrokerProcess is not a test: BenchmarkPipeline re-executes the test binary with
// BENCH_KFAKE_CHILD set to run kfake in its own process, until stdin closes.
func TestPipelineBrokerProcess(t *testing.T) {
	topic := os.Getenv("BENCH_KFAKE_CHILD")
	if topic == "" {
		t.Skip("helper process for BenchmarkPipeline")
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Printf("kfake-listening %s\n", c.ListenAddrs()[0])
	_, _ = io.Copy(io.Discard, os.Stdin)
}
