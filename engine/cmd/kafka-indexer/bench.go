package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/api"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/embedkafka"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
)

// bench is `kafka-indexer bench`: the ingestion benchmark docs/performance.md states its figures
// with. It produces synthetic rows to an embedded broker, measures a bare consumer on them (the
// baseline), then ingests them with one supervisor through the real daemon and prints both.

const (
	benchTopic      = "bench"
	benchDataSource = "bench"
	// benchBrokerCommand is the hidden subcommand the benchmark re-executes itself with to run
	// the broker in a child process, so the peak RSS it reports is the engine's alone.
	benchBrokerCommand = "__bench-broker"
)

type benchConfig struct {
	Rows         int
	Rollup       bool
	Partitions   int
	RowBytes     int
	TaskCount    int
	ParseThreads int
	Broker       string // process or inproc
	DataDir      string // "" is a temporary directory, removed afterwards
	CPUProfile   string // "" is none: else a pprof CPU profile of POST → published is written here
}

func parseBenchFlags(args []string, stderr io.Writer) (*benchConfig, error) {
	c := &benchConfig{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.Rows, "rows", 2_000_000, "rows to produce and ingest")
	fs.BoolVar(&c.Rollup, "rollup", true, "rollup at MINUTE query granularity (false: every row is kept)")
	fs.IntVar(&c.Partitions, "partitions", 2, "partitions of the topic")
	fs.IntVar(&c.RowBytes, "row-bytes", 200, "approximate size of one JSON row (at least ~180)")
	fs.IntVar(&c.TaskCount, "task-count", 0, "the supervisor's taskCount (0: one task per partition)")
	fs.IntVar(&c.ParseThreads, "parse-threads", 0, "tuningConfig.numParseThreads (0: the default: min(GOMAXPROCS, 4) goroutines, used only while the process runs fewer tasks than GOMAXPROCS)")
	fs.StringVar(&c.Broker, "broker", "process", "where the embedded broker runs: process (a child process, not counted in peak RSS) or inproc")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) of the engine's work, POST → published, to this file")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory for the metadata store, segments and the daemon log (default: a temporary directory, removed afterwards)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: kafka-indexer bench [flags]\n\n"+
			"Measures ingestion on this machine. Produces synthetic JSON rows (10 fields: page ~50K values,\n"+
			"user ~20K, channel 10, namespace 3, isRobot and 4 numbers) to an embedded Kafka-protocol broker,\n"+
			"reads them once with a bare franz-go consumer decoding every record with encoding/json (the\n"+
			"baseline), then ingests them with one supervisor through the real daemon and prints rows/s\n"+
			"read and end to end (every row in a published segment), bytes per row of the published\n"+
			"index.zip files and the peak RSS of this process. A progress bar runs on stderr.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\nExample:\n  kafka-indexer bench --rows 1000000 --rollup=false\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, flag.ErrHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.TaskCount == 0 {
		c.TaskCount = c.Partitions
	}
	switch {
	case c.Rows < 1:
		return nil, fmt.Errorf("--rows must be ≥ 1, got %d", c.Rows)
	case c.Partitions < 1 || c.Partitions > 1000:
		return nil, fmt.Errorf("--partitions must be 1 – 1000, got %d", c.Partitions)
	case c.TaskCount < 1 || c.TaskCount > c.Partitions:
		return nil, fmt.Errorf("--task-count must be 1 – %d (the partitions), got %d", c.Partitions, c.TaskCount)
	case c.RowBytes < 1 || c.RowBytes > 1<<20:
		return nil, fmt.Errorf("--row-bytes must be 1 – 1048576, got %d", c.RowBytes)
	case c.ParseThreads < 0 || c.ParseThreads > 64:
		return nil, fmt.Errorf("--parse-threads must be 0 – 64, got %d", c.ParseThreads)
	case c.Broker != "process" && c.Broker != "inproc":
		return nil, fmt.Errorf("--broker must be process or inproc, got %q", c.Broker)
	}
	return c, nil
}

// benchResult is what one run measured.
type benchResult struct {
	Rows                int
	AvgRowBytes         float64
	BaselineRowsPerSec  float64
	ReadRowsPerSec      float64
	EndToEndRowsPerSec  float64
	ZipBytesPerRow      float64
	Segments            int
	StoredRows          int64
	PeakRSS, BrokerRSS  uint64
	ReadSecs, TotalSecs float64
	// CPUSecs is this process's user+system CPU time from POST to published: the engine's work,
	// which, unlike the wall-clock rates, hardly depends on what else the machine runs.
	CPUSecs float64
	// BaselineCPUSecs is the same for the baseline consumer.
	BaselineCPUSecs float64
}

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseBenchFlags(args, stderr)
	if err != nil {
		return err
	}
	r, err := runBench(ctx, c, stderr)
	if err != nil {
		return err
	}
	printBench(stdout, c, r)
	return nil
}

// runBench runs the benchmark; progress goes to progress.
func runBench(ctx context.Context, c *benchConfig, progress io.Writer) (*benchResult, error) {
	dir := c.DataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "kafka-indexer-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	broker, err := startBenchBroker(ctx, c)
	if err != nil {
		return nil, err
	}
	defer broker.close()
	bar := &progressBar{w: progress}
	r := &benchResult{Rows: c.Rows}

	bytes, err := benchProduce(ctx, broker.addr, c, bar)
	if err != nil {
		return nil, err
	}
	r.AvgRowBytes = float64(bytes) / float64(c.Rows)
	cpu0 := cpuSeconds()
	secs, err := benchBaseline(ctx, broker.addr, c.Rows, bar)
	if err != nil {
		return nil, err
	}
	r.BaselineCPUSecs = cpuSeconds() - cpu0
	r.BaselineRowsPerSec = float64(c.Rows) / secs
	if err := benchIngest(ctx, broker.addr, c, dir, bar, r); err != nil {
		return nil, err
	}
	r.BrokerRSS = broker.peakRSS()
	bar.done()
	return r, nil
}

// benchBrokerHandle is the broker in a child process or in this one.
type benchBrokerHandle struct {
	addr  string
	cmd   *exec.Cmd
	stdin io.Closer
	inner *embedkafka.Broker
}

func startBenchBroker(ctx context.Context, c *benchConfig) (*benchBrokerHandle, error) {
	if c.Broker == "inproc" {
		b, err := embedkafka.Start("127.0.0.1:0", "", map[string]int32{benchTopic: int32(c.Partitions)})
		if err != nil {
			return nil, err
		}
		return &benchBrokerHandle{addr: b.Addr(), inner: b}, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this binary to run the broker: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe, benchBrokerCommand, strconv.Itoa(c.Partitions))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the broker process: %w", err)
	}
	h := &benchBrokerHandle{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		h.close()
		return nil, fmt.Errorf("the broker process did not start: %w", err)
	}
	h.addr = strings.TrimSpace(line)
	return h, nil
}

// peakRSS is the child broker's VmHWM, 0 when the broker runs in this process.
func (h *benchBrokerHandle) peakRSS() uint64 {
	if h.cmd == nil || h.cmd.Process == nil {
		return 0
	}
	return procStatusBytes(strconv.Itoa(h.cmd.Process.Pid), "VmHWM")
}

// close stops the broker: closing its stdin ends the child process.
func (h *benchBrokerHandle) close() {
	if h.inner != nil {
		h.inner.Close()
		return
	}
	h.stdin.Close()
	_ = h.cmd.Wait()
}

// benchBroker is the child process: it runs the broker until its stdin is closed (the parent
// ended, however it ended) and prints the broker's address on stdout first.
func benchBroker(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: %s PARTITIONS", benchBrokerCommand)
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	b, err := embedkafka.Start("127.0.0.1:0", "", map[string]int32{benchTopic: int32(n)})
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintln(stdout, b.Addr())
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	select {
	case <-eof:
	case <-ctx.Done():
	}
	return nil
}

// benchRows generates the synthetic rows: 10 fields like the workload, the timestamps
// rising through one hour (one hourly segment per task), seeded so every run produces the same
// data. page is padded so a row is about rowBytes long.
type benchRows struct {
	r     *rand.Rand
	base  time.Time
	rows  int
	pad   string
	buf   []byte
	chans [10]string
	nss   [3]string
}

func newBenchRows(rows, rowBytes int) *benchRows {
	g := &benchRows{r: rand.New(rand.NewPCG(10, 2026)), base: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), rows: rows}
	for i := range g.chans {
		g.chans[i] = fmt.Sprintf("#%s.wikipedia", []string{"en", "de", "fr", "ja", "es", "it", "ru", "pl", "nl", "pt"}[i])
	}
	g.nss = [3]string{"Main", "Talk", "User"}
	if n := rowBytes - len(g.row(0)); n > 0 {
		g.pad = strings.Repeat("x", n)
	}
	return g
}

func (g *benchRows) row(i int) []byte {
	r := g.r
	ts := g.base.Add(time.Duration(int64(i) * int64(time.Hour) / int64(g.rows)))
	b := g.buf[:0]
	b = append(b, `{"timestamp":"`...)
	b = ts.AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, `","page":"Page_`...)
	b = strconv.AppendInt(b, int64(r.IntN(50_000)), 10)
	b = append(b, g.pad...)
	b = append(b, `","user":"user_`...)
	b = strconv.AppendInt(b, int64(r.IntN(20_000)), 10)
	b = append(b, `","channel":"`...)
	b = append(b, g.chans[r.IntN(len(g.chans))]...)
	b = append(b, `","namespace":"`...)
	b = append(b, g.nss[r.IntN(len(g.nss))]...)
	b = append(b, `","isRobot":`...)
	b = strconv.AppendBool(b, r.IntN(5) == 0)
	added, deleted := r.IntN(2000), r.IntN(500)
	b = append(b, `,"added":`...)
	b = strconv.AppendInt(b, int64(added), 10)
	b = append(b, `,"deleted":`...)
	b = strconv.AppendInt(b, int64(deleted), 10)
	b = append(b, `,"delta":`...)
	b = strconv.AppendInt(b, int64(added-deleted), 10)
	b = append(b, `,"score":`...)
	b = strconv.AppendFloat(b, float64(r.IntN(100_000))/100, 'f', -1, 64)
	b = append(b, '}')
	g.buf = b
	return b
}

// benchProduce writes the rows, round-robin over the partitions, in LZ4-compressed batches, and
// returns the bytes of JSON produced.
func benchProduce(ctx context.Context, addr string, c *benchConfig, bar *progressBar) (int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(benchTopic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(kgo.Lz4Compression()),
		kgo.ProducerBatchMaxBytes(1<<20), kgo.ProducerLinger(20*time.Millisecond), kgo.MaxBufferedRecords(200_000),
		kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	g := newBenchRows(c.Rows, c.RowBytes)
	var total int64
	var failed error
	failures := make(chan error, 1)
	for i := range c.Rows {
		v := append([]byte(nil), g.row(i)...)
		total += int64(len(v))
		cl.Produce(ctx, &kgo.Record{Partition: int32(i % c.Partitions), Value: v}, func(_ *kgo.Record, err error) {
			if err != nil {
				select {
				case failures <- err:
				default:
				}
			}
		})
		if i%20_000 == 0 {
			bar.show("producing", int64(i), int64(c.Rows))
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return 0, fmt.Errorf("produce: %w", err)
	}
	select {
	case failed = <-failures:
		return 0, fmt.Errorf("produce: %w", failed)
	default:
	}
	bar.show("producing", int64(c.Rows), int64(c.Rows))
	return total, nil
}

// benchBaseline is the bare consumer: franz-go reading every partition from the start and
// encoding/json decoding each record into a map, on one goroutine. It returns the seconds from
// creating the client to the last record decoded.
func benchBaseline(ctx context.Context, addr string, rows int, bar *progressBar) (float64, error) {
	start := time.Now()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(benchTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	n := 0
	var decodeErr error
	for n < rows {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		fs.EachRecord(func(rec *kgo.Record) {
			var m map[string]any
			if err := json.Unmarshal(rec.Value, &m); err != nil && decodeErr == nil {
				decodeErr = err
			}
			n++
		})
		if decodeErr != nil {
			return 0, fmt.Errorf("baseline: decode: %w", decodeErr)
		}
		bar.show("baseline (franz-go + encoding/json)", int64(n), int64(rows))
	}
	return time.Since(start).Seconds(), nil
}

// benchSpec is the supervisor the benchmark submits: 5 string dimensions, count plus 4 sums,
// hourly segments; rollup at MINUTE granularity, or every row kept. taskDuration is long: the
// benchmark suspends the supervisor to publish.
func benchSpec(c *benchConfig, addr string) map[string]any {
	qg := "NONE"
	if c.Rollup {
		qg = "MINUTE"
	}
	tuning := map[string]any{"type": "kafka"}
	if c.ParseThreads > 0 {
		tuning["numParseThreads"] = c.ParseThreads
	}
	return map[string]any{
		"type": "kafka",
		"dataSchema": map[string]any{
			"dataSource":     benchDataSource,
			"timestampSpec":  map[string]any{"column": "timestamp", "format": "iso"},
			"dimensionsSpec": map[string]any{"dimensions": []any{"page", "user", "channel", "namespace", "isRobot"}},
			"metricsSpec": []any{
				map[string]any{"type": "count", "name": "count"},
				map[string]any{"type": "longSum", "name": "added", "fieldName": "added"},
				map[string]any{"type": "longSum", "name": "deleted", "fieldName": "deleted"},
				map[string]any{"type": "longSum", "name": "delta", "fieldName": "delta"},
				map[string]any{"type": "doubleSum", "name": "score", "fieldName": "score"},
			},
			"granularitySpec": map[string]any{"type": "uniform", "segmentGranularity": "HOUR", "queryGranularity": qg, "rollup": c.Rollup},
		},
		"ioConfig": map[string]any{
			"topic":              benchTopic,
			"inputFormat":        map[string]any{"type": "json"},
			"consumerProperties": map[string]any{"bootstrap.servers": addr},
			"taskCount":          c.TaskCount,
			"replicas":           1,
			"taskDuration":       "PT1H",
			"startDelay":         "PT0S",
			"period":             "PT1S",
			"useEarliestOffset":  true,
		},
		"tuningConfig": tuning,
	}
}

// benchIngest runs the daemon, submits the supervisor and times it: POST → every row read
// (the tasks' current offsets), then suspend → every task finished with its segments published.
func benchIngest(ctx context.Context, addr string, c *benchConfig, dir string, bar *progressBar, r *benchResult) error {
	logFile, err := os.Create(filepath.Join(dir, "kafka-indexer.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	cfg := &serveConfig{Listen: "127.0.0.1:0", DataDir: dir, WorkerCapacity: 2 * c.TaskCount, MaxBodyBytes: api.DefaultMaxBodyBytes,
		LogFormat: "text", LogLevel: "warn", SupervisorThresholds: supervisor.DefaultThresholds()}
	d, err := startDaemon(ctx, cfg, logFile)
	if err != nil {
		return err
	}
	defer d.Close()
	cl, err := client.New("http://"+d.Addr(), client.WithTimeout(30*time.Second), client.WithMaxRetries(2))
	if err != nil {
		return err
	}
	spec, err := json.Marshal(benchSpec(c, addr))
	if err != nil {
		return err
	}
	// The peak RSS is the engine's: producing and the baseline are over, their memory returned.
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)

	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start, startCPU := time.Now(), cpuSeconds()
	if _, err := cl.CreateOrUpdateSupervisor(ctx, spec); err != nil {
		return fmt.Errorf("submit the supervisor: %w", err)
	}
	total := int64(c.Rows)
	highest := map[string]int64{} // partition → the highest current offset any task reported
	for {
		read, err := benchRead(ctx, cl, highest)
		if err != nil {
			return err
		}
		bar.show("ingesting: read", read, total)
		if read >= total {
			break
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	readAt := time.Now()
	if _, err := cl.Suspend(ctx, benchDataSource); err != nil {
		return fmt.Errorf("suspend the supervisor: %w", err)
	}
	for {
		running, err := cl.ListTasks(ctx, client.TaskFilter{State: "running", DataSource: benchDataSource})
		if err != nil {
			return err
		}
		segs, err := cl.DataSourceSegments(ctx, benchDataSource)
		if err != nil && !errors.Is(err, client.ErrNotFound) {
			return err
		}
		var stored, size int64
		for _, s := range segs {
			stored += s.NumRows
			size += s.Size
		}
		bar.show("publishing: tasks done", int64(c.TaskCount-len(running)), int64(c.TaskCount))
		if len(running) == 0 && len(segs) > 0 {
			r.Segments, r.StoredRows = len(segs), stored
			r.ZipBytesPerRow = float64(size) / float64(c.Rows)
			break
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	end := time.Now()
	r.CPUSecs = cpuSeconds() - startCPU
	r.PeakRSS = procStatusBytes("self", "VmHWM")
	if err := benchCheckTasks(ctx, cl); err != nil {
		return err
	}
	if !c.Rollup && r.StoredRows != total {
		return fmt.Errorf("published segments hold %d rows, want %d", r.StoredRows, total)
	}
	r.ReadSecs, r.TotalSecs = readAt.Sub(start).Seconds(), end.Sub(start).Seconds()
	r.ReadRowsPerSec = float64(c.Rows) / r.ReadSecs
	r.EndToEndRowsPerSec = float64(c.Rows) / r.TotalSecs
	return nil
}

// benchRead sums, over partitions, the highest current offset of the supervisor's reading
// tasks (read from their chat API): the topic is read from offset 0 with one row per record,
// so that is the rows read.
func benchRead(ctx context.Context, cl *client.Client, highest map[string]int64) (int64, error) {
	tasks, err := cl.ListTasks(ctx, client.TaskFilter{State: "running", DataSource: benchDataSource})
	if err != nil {
		return 0, err
	}
	for _, t := range tasks {
		var offs map[string]int64
		if err := cl.Do(ctx, "GET", "/druid/worker/v1/chat/"+t.ID+"/offsets/current", nil, &offs); err != nil {
			continue // not reading yet, or already done
		}
		for p, o := range offs {
			highest[p] = max(highest[p], o)
		}
	}
	var n int64
	for _, o := range highest {
		n += o
	}
	return n, nil
}

// benchCheckTasks fails the run if a task of the supervisor failed.
func benchCheckTasks(ctx context.Context, cl *client.Client) error {
	done, err := cl.ListTasks(ctx, client.TaskFilter{State: "complete", DataSource: benchDataSource})
	if err != nil {
		return err
	}
	for _, t := range done {
		if t.StatusCode != "SUCCESS" {
			msg := ""
			if t.ErrorMsg != nil {
				msg = *t.ErrorMsg
			}
			return fmt.Errorf("task %s %s: %s", t.ID, t.StatusCode, msg)
		}
	}
	return nil
}

// cpuSeconds is the user+system CPU time this process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// procStatusBytes reads a "kB" field of /proc/PID/status (VmHWM, VmRSS) in bytes; 0 off Linux.
func procStatusBytes(pid, field string) uint64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// progressBar redraws one line on its writer (stderr), at most every 100 ms.
type progressBar struct {
	w     io.Writer
	phase string
	last  time.Time
	drawn bool
}

func (b *progressBar) show(phase string, n, total int64) {
	now := time.Now()
	if phase == b.phase && now.Sub(b.last) < 100*time.Millisecond && n < total {
		return
	}
	if phase != b.phase && b.drawn {
		fmt.Fprintln(b.w)
	}
	b.phase, b.last, b.drawn = phase, now, true
	const width = 30
	frac := 1.0
	if total > 0 {
		frac = min(float64(n)/float64(total), 1)
	}
	filled := int(frac * width)
	fmt.Fprintf(b.w, "\r\033[K%-40s [%s%s] %3.0f%%  %s / %s", phase, strings.Repeat("#", filled), strings.Repeat(".", width-filled), frac*100, thousands(n), thousands(total))
}

func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}

func printBench(w io.Writer, c *benchConfig, r *benchResult) {
	threads := "default"
	if c.ParseThreads > 0 {
		threads = strconv.Itoa(c.ParseThreads)
	}
	fmt.Fprintf(w, "kafka-indexer bench: %s rows of %.0f B, %d partitions, taskCount %d, rollup %v, numParseThreads %s, GOMAXPROCS %d, broker %s\n\n",
		thousands(int64(r.Rows)), r.AvgRowBytes, c.Partitions, c.TaskCount, c.Rollup, threads, runtime.GOMAXPROCS(0), c.Broker)
	ratio := func(v float64) string { return fmt.Sprintf("%.2f×", v/r.BaselineRowsPerSec) }
	rows := [][3]string{
		{"measure", "value", "vs baseline"},
		{"baseline: franz-go + encoding/json into a map", thousands(int64(r.BaselineRowsPerSec)) + " rows/s", "1.00×"},
		{fmt.Sprintf("read: POST → all rows processed (%.1f s)", r.ReadSecs), thousands(int64(r.ReadRowsPerSec)) + " rows/s", ratio(r.ReadRowsPerSec)},
		{fmt.Sprintf("end to end: → every row in a published segment (%.1f s)", r.TotalSecs), thousands(int64(r.EndToEndRowsPerSec)) + " rows/s", ratio(r.EndToEndRowsPerSec)},
		{fmt.Sprintf("published index.zip (%d segments, %s rows stored)", r.Segments, thousands(r.StoredRows)), fmt.Sprintf("%.1f B/row", r.ZipBytesPerRow), ""},
		{fmt.Sprintf("baseline CPU (%.1f s user+sys)", r.BaselineCPUSecs), thousands(int64(float64(r.Rows)/r.BaselineCPUSecs)) + " rows/CPU-s", "1.00×"},
		{fmt.Sprintf("engine CPU, POST → published (%.1f s user+sys)", r.CPUSecs), thousands(int64(float64(r.Rows)/r.CPUSecs)) + " rows/CPU-s",
			fmt.Sprintf("%.2f×", r.BaselineCPUSecs/r.CPUSecs)},
		{"peak RSS of this process (VmHWM)", fmt.Sprintf("%d MiB", r.PeakRSS>>20), ""},
	}
	if r.BrokerRSS > 0 {
		rows = append(rows, [3]string{"peak RSS of the broker process", fmt.Sprintf("%d MiB", r.BrokerRSS>>20), ""})
	}
	var wid [3]int
	for _, row := range rows {
		for i, s := range row {
			wid[i] = max(wid[i], len([]rune(s)))
		}
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%s%s  %s%s  %s\n", row[0], strings.Repeat(" ", wid[0]-len([]rune(row[0]))),
			strings.Repeat(" ", wid[1]-len([]rune(row[1]))), row[1], row[2])
	}
}
