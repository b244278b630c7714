package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/api"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/embedkafka"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
)

// The quickstart's names: the seeds' sample supervisor (engine/spec/testdata/specs/input_format.json)
// reading the topic the quickstart produces to.
const (
	quickstartDataSource = "metrics-kafka"
	quickstartTopic      = "metrics"
)

// quickstartSpec is the supervisor the quickstart submits: the seeds' sample spec (the
// inputFormat form) tuned for a demo. useEarliestOffset reads the topic from its start;
// startDelay/period make the supervisor act within a second and look again every 5 s;
// offsetFetchPeriod refreshes the lag the progress line shows every 5 s; and
// intermediateHandoffPeriod publishes a segment every 20 s of data, so the first segment appears
// about 20 s after start (quickstartFirstSegment) instead of at the end of a one-hour task. A production spec keeps
// Druid's defaults (and far fewer, larger segments). examples/quickstart/supervisor.json is the
// same spec for Terraform; TestQuickstartExampleInSync keeps the two equal.
func quickstartSpec(bootstrap string) map[string]any {
	return map[string]any{
		"type": "kafka",
		"dataSchema": map[string]any{
			"dataSource":     quickstartDataSource,
			"timestampSpec":  map[string]any{"column": "timestamp", "format": "auto"},
			"dimensionsSpec": map[string]any{"dimensions": []any{}, "dimensionExclusions": []any{"timestamp", "value"}},
			"metricsSpec": []any{
				map[string]any{"name": "count", "type": "count"},
				map[string]any{"name": "value_sum", "fieldName": "value", "type": "doubleSum"},
				map[string]any{"name": "value_min", "fieldName": "value", "type": "doubleMin"},
				map[string]any{"name": "value_max", "fieldName": "value", "type": "doubleMax"},
			},
			"granularitySpec": map[string]any{"type": "uniform", "segmentGranularity": "HOUR", "queryGranularity": "NONE"},
		},
		"ioConfig": map[string]any{
			"topic":              quickstartTopic,
			"inputFormat":        map[string]any{"type": "json"},
			"consumerProperties": map[string]any{"bootstrap.servers": bootstrap},
			"taskCount":          1,
			"replicas":           1,
			"taskDuration":       "PT10M",
			"startDelay":         "PT1S",
			"period":             "PT5S",
			"useEarliestOffset":  true,
		},
		"tuningConfig": map[string]any{
			"type":                      "kafka",
			"maxRowsPerSegment":         5000000,
			"intermediateHandoffPeriod": "PT20S",
			"offsetFetchPeriod":         "PT5S",
		},
	}
}

// quickstartFirstSegment is how long after a fresh start the first segment is published, as
// measured (21–22 s on two cores; TestQuickstart logs it): the task starts within a second or
// two and its first intermediate handoff comes intermediateHandoffPeriod (20 s) later, then the
// publish. README.md and examples/quickstart/README.md say the same.
const quickstartFirstSegment = "20 s"

type quickstartConfig struct {
	Listen     string
	Kafka      string
	DataDir    string
	Rate       int
	Duration   time.Duration
	Partitions int
}

func parseQuickstartFlags(args []string, stderr io.Writer) (*quickstartConfig, error) {
	c := &quickstartConfig{}
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8090", "address of the HTTP API")
	fs.StringVar(&c.Kafka, "kafka", "127.0.0.1:9092", "address of the embedded Kafka-protocol broker")
	fs.StringVar(&c.DataDir, "data-dir", "./var/quickstart", "directory for the metadata store, segments and the broker's log; a rerun on it resumes")
	fs.IntVar(&c.Rate, "rate", 200, "sample events produced per second")
	fs.DurationVar(&c.Duration, "duration", 0, "stop after this long (0: run until Ctrl-C)")
	fs.IntVar(&c.Partitions, "partitions", 2, "partitions of the topic "+quickstartTopic+" when it is created")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: kafka-indexer quickstart [flags]\n\n"+
			"Runs the daemon with an embedded Kafka-protocol broker, produces sample metrics to the topic\n"+
			quickstartTopic+" and ingests them with the supervisor "+quickstartDataSource+". Ctrl-C stops; running it\n"+
			"again on the same --data-dir resumes from the stored offsets.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\nExample:\n  kafka-indexer quickstart --rate 500 --data-dir ./var/quickstart\n")
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
	switch {
	case c.Rate < 1:
		return nil, fmt.Errorf("--rate must be ≥ 1, got %d", c.Rate)
	case c.Partitions < 1:
		return nil, fmt.Errorf("--partitions must be ≥ 1, got %d", c.Partitions)
	case c.Duration < 0:
		return nil, fmt.Errorf("--duration must be ≥ 0")
	}
	return c, nil
}

func quickstart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseQuickstartFlags(args, stderr)
	if err != nil {
		return err
	}
	_, err = runQuickstart(ctx, c, stdout, nil)
	return err
}

// qsProgress is one reading of the quickstart's state.
type qsProgress struct {
	Rows     int64   // rows processed by the supervisor's tasks since this run started, from their row stats
	Rate     float64 // rows/s, smoothed (rateSmoothing)
	Lag      int64
	Segments int
	State    string
	Produced int64 // records in the topic
}

// runQuickstart runs the quickstart until ctx ends, c.Duration passes or until (when not nil)
// reports true for a progress reading, and returns the last reading.
func runQuickstart(ctx context.Context, c *quickstartConfig, stdout io.Writer, until func(qsProgress) bool) (last qsProgress, err error) {
	if c.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Duration)
		defer cancel()
	}
	// The data directory is resolved once and shown absolute: the default is relative to the
	// directory the quickstart runs from, and a run from elsewhere must say it starts afresh
	// rather than look like a resume that lost everything.
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return last, fmt.Errorf("resolve data directory: %w", err)
	}
	c.DataDir = abs
	entries, _ := os.ReadDir(c.DataDir)
	freshDir := len(entries) == 0
	if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
		return last, fmt.Errorf("create data directory: %w", err)
	}
	logPath := filepath.Join(c.DataDir, "kafka-indexer.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return last, fmt.Errorf("open log file: %w", err)
	}
	defer logFile.Close()

	broker, err := embedkafka.Start(c.Kafka, filepath.Join(c.DataDir, "kafka"), map[string]int32{quickstartTopic: int32(c.Partitions)})
	if err != nil {
		return last, fmt.Errorf("%w (pick another port with --kafka)", err)
	}
	defer broker.Close()

	cfg := &serveConfig{Listen: c.Listen, DataDir: c.DataDir, WorkerCapacity: 4, MaxBodyBytes: api.DefaultMaxBodyBytes, LogFormat: "text", LogLevel: "info",
		SupervisorThresholds: supervisor.DefaultThresholds()}
	d, err := startDaemon(ctx, cfg, logFile)
	if err != nil {
		return last, fmt.Errorf("%w (pick another address with --listen)", err)
	}
	daemonOpen := true
	defer func() {
		if daemonOpen {
			d.Close()
		}
	}()
	base := "http://" + d.Addr()

	prod, err := startProducer(broker.Addr(), c.Rate)
	if err != nil {
		return last, err
	}
	defer prod.stop()

	cl, err := client.New(base, client.WithTimeout(10*time.Second), client.WithMaxRetries(2))
	if err != nil {
		return last, err
	}
	resumed, err := ensureQuickstartSupervisor(ctx, cl, broker.Addr())
	if err != nil {
		return last, fmt.Errorf("submit the supervisor %s: %w", quickstartDataSource, err)
	}
	printBanner(stdout, c, base, broker, logPath, resumed, freshDir)

	tty := isTerminal(stdout)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	var (
		rows      = newRowCounter(ctx, cl)
		lastAt    time.Time // the previous reading, for rows/s
		rated     bool      // a rate has been measured
		shownHint bool
	)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
			continue
		case <-tick.C:
		}
		p := readProgress(ctx, cl, rows, last)
		p.Produced = sum(broker.HighWatermarks(quickstartTopic))
		now := time.Now()
		switch {
		case lastAt.IsZero():
		case !rated:
			// The first interval sets the rate; smoothing from 0 would show a slow ramp-up.
			p.Rate, rated = smoothRate(0, p.Rows-last.Rows, now.Sub(lastAt), 1), true
		default:
			p.Rate = smoothRate(last.Rate, p.Rows-last.Rows, now.Sub(lastAt), 0)
		}
		lastAt = now
		last = p
		line := fmt.Sprintf("rows ingested %s (%s rows/s) · lag %s · segments published %d · supervisor %s",
			thousands(p.Rows), thousands(int64(math.Round(p.Rate))), thousands(p.Lag), p.Segments, p.State)
		if tty {
			fmt.Fprintf(stdout, "\r\033[K%s", line)
		} else {
			fmt.Fprintln(stdout, line)
		}
		if !shownHint && p.Segments > 0 {
			shownHint = true
			if path := firstSegmentPath(ctx, cl); path != "" {
				if tty {
					fmt.Fprintln(stdout)
				}
				fmt.Fprintf(stdout, "segments published; read one with:\n  %s dump-segment --directory %s --dump rows --time-iso8601\n", selfCommand(), path)
			}
		}
		if until != nil && until(p) {
			done = true
		}
	}
	if tty {
		fmt.Fprintln(stdout)
	}
	fmt.Fprintln(stdout, "stopping: producer, daemon, broker…")
	produced, perr := prod.stop()
	daemonOpen = false
	derr := d.Close()
	berr := broker.Close()
	fmt.Fprintf(stdout, "stopped: %s events produced and %s rows ingested this run, %d segments published in all. "+
		"Run the same command again to resume from the stored offsets.\n", thousands(produced), thousands(last.Rows), last.Segments)
	return last, errors.Join(perr, derr, berr)
}

// ensureQuickstartSupervisor submits the quickstart's supervisor unless one with its id exists,
// which is left as it is (a rerun resumes from its stored offsets). It reports whether it
// existed.
func ensureQuickstartSupervisor(ctx context.Context, cl *client.Client, bootstrap string) (bool, error) {
	_, err := cl.GetSupervisor(ctx, quickstartDataSource)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, client.ErrNotFound) {
		return false, err
	}
	spec, err := json.Marshal(quickstartSpec(bootstrap))
	if err != nil {
		return false, err
	}
	_, err = cl.CreateOrUpdateSupervisor(ctx, spec)
	return false, err
}

// readProgress reads the supervisor's report, its tasks' row stats and the published
// segments; a value it cannot read keeps its previous reading.
func readProgress(ctx context.Context, cl *client.Client, rows *rowCounter, prev qsProgress) qsProgress {
	p := prev
	p.Rate = prev.Rate
	r, err := cl.SupervisorStatus(ctx, quickstartDataSource)
	switch {
	case err == nil:
		p.State = r.Payload.DetailedState
		if r.Payload.Suspended {
			p.State = "SUSPENDED"
		}
		if r.Payload.AggregateLag != nil {
			p.Lag = max(*r.Payload.AggregateLag, 0)
		}
	case errors.Is(err, client.ErrNotFound):
		// The quickstart submitted it, so a supervisor that is gone was terminated (POST
		// …/terminate); its tasks stop and nothing more is read.
		p.State, p.Lag = "TERMINATED", 0
	}
	if n, err := rows.processed(ctx); err == nil {
		p.Rows = n
	}
	var ids []string
	if err := cl.Do(ctx, http.MethodGet, "/druid/coordinator/v1/metadata/datasources/"+quickstartDataSource+"/segments", nil, &ids); err == nil {
		p.Segments = len(ids)
	}
	return p
}

// rateSmoothing is the time constant of the progress line's rows/s: an exponentially weighted
// average, so the figure neither jumps with each 2 s reading nor lags a real change by long.
const rateSmoothing = 10 * time.Second

// smoothRate folds delta rows read over dt into the previous rate, with weight alpha for the
// new interval (0: the weight rateSmoothing gives dt).
func smoothRate(prev float64, delta int64, dt time.Duration, alpha float64) float64 {
	if dt <= 0 {
		return prev
	}
	inst := float64(max(delta, 0)) / dt.Seconds()
	if alpha == 0 {
		alpha = 1 - math.Exp(-dt.Seconds()/rateSmoothing.Seconds())
	}
	return prev + alpha*(inst-prev)
}

// rowCounter counts the rows processed by the tasks of the quickstart's datasource since the
// quickstart started, from the tasks' own row stats (their reports: live while a task runs, the
// completion report after), so that the figure is rows, not offsets (a null record or an
// unparseable one advances the offset but is not a row). Row stats live in the task's memory:
// a task resumed after a restart counts from zero, so the counter reports this run's rows, the
// sum at start (earlier runs' finished tasks) taken off. A finished task's count never changes
// and is read once.
type rowCounter struct {
	cl       *client.Client
	finished map[string]int64 // task id → processed, for complete tasks
	baseline int64            // the sum when the quickstart started
}

func newRowCounter(ctx context.Context, cl *client.Client) *rowCounter {
	c := &rowCounter{cl: cl, finished: map[string]int64{}}
	c.baseline, _ = c.total(ctx)
	return c
}

// processed is the rows processed since the counter was made.
func (c *rowCounter) processed(ctx context.Context) (int64, error) {
	n, err := c.total(ctx)
	return max(n-c.baseline, 0), err
}

// total is the sum of rowStats.buildSegments.processed over the datasource's tasks.
func (c *rowCounter) total(ctx context.Context) (int64, error) {
	var tasks []struct {
		ID         string `json:"id"`
		StatusCode string `json:"statusCode"`
	}
	if err := c.cl.Do(ctx, http.MethodGet, "/druid/indexer/v1/tasks?datasource="+quickstartDataSource, nil, &tasks); err != nil {
		return 0, err
	}
	var total int64
	for _, t := range tasks {
		if n, ok := c.finished[t.ID]; ok {
			total += n
			continue
		}
		n, err := c.taskProcessed(ctx, t.ID)
		if err != nil {
			continue // not started yet, or its report is not written yet: 0 for now
		}
		if t.StatusCode == "SUCCESS" || t.StatusCode == "FAILED" {
			c.finished[t.ID] = n
		}
		total += n
	}
	return total, nil
}

func (c *rowCounter) taskProcessed(ctx context.Context, id string) (int64, error) {
	type counts struct {
		Processed int64 `json:"processed"`
	}
	var rep struct {
		IngestionStatsAndErrors struct {
			Payload struct {
				RowStats struct {
					BuildSegments counts `json:"buildSegments"` // completion report
					Totals        struct {
						BuildSegments counts `json:"buildSegments"`
					} `json:"totals"` // live report
				} `json:"rowStats"`
			} `json:"payload"`
		} `json:"ingestionStatsAndErrors"`
	}
	if err := c.cl.Do(ctx, http.MethodGet, "/druid/indexer/v1/task/"+url.PathEscape(id)+"/reports", nil, &rep); err != nil {
		return 0, err
	}
	rs := rep.IngestionStatsAndErrors.Payload.RowStats
	return max(rs.BuildSegments.Processed, rs.Totals.BuildSegments.Processed), nil
}

// firstSegmentPath is the deep-storage path of a published segment, for the dump-segment hint.
func firstSegmentPath(ctx context.Context, cl *client.Client) string {
	var segs []druidapi.DataSegment
	if err := cl.Do(ctx, http.MethodGet, "/druid/coordinator/v1/metadata/datasources/"+quickstartDataSource+"/segments?full", nil, &segs); err != nil || len(segs) == 0 {
		return ""
	}
	return segs[0].LoadSpec.Path
}

func printBanner(w io.Writer, c *quickstartConfig, base string, broker *embedkafka.Broker, logPath string, resumed, freshDir bool) {
	sup := "submitted; the first segment is published in about " + quickstartFirstSegment
	if resumed {
		sup = "already there; resuming from its stored offsets"
	}
	dir := "existing directory, resumed"
	if freshDir {
		dir = "new directory: a fresh start; a rerun with the same --data-dir resumes"
	}
	terraform := "make install-provider && cd examples/quickstart && terraform init && terraform apply   (see examples/quickstart/README.md)"
	if fi, err := os.Stat(filepath.Join("examples", "quickstart")); err != nil || !fi.IsDir() {
		terraform = "from the repository root: " + terraform
	}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	query := fmt.Sprintf(`{"queryType":"timeseries","dataSource":"%s","granularity":"minute","intervals":["%s/%s"],`+
		`"aggregations":[{"type":"longSum","name":"rows","fieldName":"count"},{"type":"doubleMax","name":"value_max","fieldName":"value_max"}]}`,
		quickstartDataSource, day.AddDate(0, 0, -1).Format("2006-01-02"), day.AddDate(0, 0, 2).Format("2006-01-02"))
	fmt.Fprintf(w, `kafka-indexer quickstart
  API         %[1]s  (Druid's supervisor, task, segment and query API)
  console     %[1]s/  (web console: supervisors, lag, tasks, segments; docs/console.md)
  Kafka       %[2]s  embedded broker, topic %[3]s (%[4]d partitions), ~%[5]d sample events/s
  supervisor  %[6]s: %[7]s
  data        %[8]s  (%[11]s; daemon log: %[9]s)

Try next (Ctrl-C stops everything; rerunning resumes):
  curl %[1]s/druid/indexer/v1/supervisor/%[6]s/status
  curl %[1]s/druid/indexer/v1/supervisor/%[6]s
  curl %[1]s/druid/coordinator/v1/metadata/datasources/%[6]s/segments
  curl -X POST -H 'Content-Type: application/json' %[1]s/druid/v2 -d '%[10]s'
  kcat -b %[2]s -t %[3]s -C -o -3 -c 3 -e -q
  %[12]s

`, base, broker.Addr(), quickstartTopic, broker.Partitions(quickstartTopic), c.Rate, quickstartDataSource, sup, c.DataDir, logPath, query, dir, terraform)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// thousands formats n with comma separators: 12345 → "12,345".
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func sum(m map[int32]int64) int64 {
	var t int64
	for _, v := range m {
		t += v
	}
	return t
}

// producer writes sample metrics events to the quickstart topic at a steady rate.
type producer struct {
	cl       *kgo.Client
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	produced atomic.Int64
	failed   atomic.Int64
	once     sync.Once
	err      error
}

type sampleHost struct {
	name, service, region string
	base                  map[string]float64 // the metric's typical level on this host
}

var sampleMetrics = []string{"cpu", "mem", "disk", "latency"}

func sampleHosts() []sampleHost {
	services := []string{"checkout", "search", "auth", "catalog", "payments"}
	regions := []string{"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"}
	r := rand.New(rand.NewPCG(1, 2)) // the same fleet every run
	hosts := make([]sampleHost, 20)
	for i := range hosts {
		hosts[i] = sampleHost{
			name:    fmt.Sprintf("%s-%02d", services[i%len(services)], i+1),
			service: services[i%len(services)],
			region:  regions[(i/len(services))%len(regions)],
			base: map[string]float64{
				"cpu": 15 + r.Float64()*50, "mem": 30 + r.Float64()*50, "disk": 20 + r.Float64()*60, "latency": 20 + r.Float64()*120,
			},
		}
	}
	return hosts
}

// sampleValue is a plausible reading of metric around base: percentages stay in [0,100],
// latency (ms) has a long tail.
func sampleValue(r *rand.Rand, metric string, base float64) float64 {
	var v float64
	switch metric {
	case "latency":
		v = base * math.Exp(r.NormFloat64()*0.35)
		if r.IntN(200) == 0 {
			v *= 8 // an occasional slow request
		}
	case "disk":
		v = base + r.NormFloat64()*0.5
	default:
		v = base + r.NormFloat64()*base*0.15
	}
	v = max(0, v)
	if metric != "latency" {
		v = min(100, v)
	}
	return math.Round(v*100) / 100
}

func startProducer(bootstrap string, rate int) (*producer, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.DefaultProduceTopic(quickstartTopic),
		kgo.ProducerLinger(50*time.Millisecond), kgo.MaxBufferedRecords(100_000))
	if err != nil {
		return nil, fmt.Errorf("start the sample producer: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &producer{cl: cl, cancel: cancel}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.loop(ctx, rate)
	}()
	return p, nil
}

func (p *producer) loop(ctx context.Context, rate int) {
	hosts := sampleHosts()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last, owed := time.Now(), 0.0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			owed += now.Sub(last).Seconds() * float64(rate)
			last = now
			for ; owed >= 1; owed-- {
				h := hosts[r.IntN(len(hosts))]
				metric := sampleMetrics[r.IntN(len(sampleMetrics))]
				b, _ := json.Marshal(map[string]any{
					"timestamp": druidapi.FormatTime(now),
					"host":      h.name, "service": h.service, "region": h.region,
					"metric": metric, "value": sampleValue(r, metric, h.base[metric]),
				})
				// TryProduce: a full buffer (the broker is gone) drops the event rather than block.
				p.cl.TryProduce(context.Background(), &kgo.Record{Key: []byte(h.name), Value: b}, func(_ *kgo.Record, err error) {
					if err != nil {
						p.failed.Add(1)
					} else {
						p.produced.Add(1)
					}
				})
			}
		}
	}
}

// stop ends the producer, waiting up to 5 s for buffered events, and returns how many events
// were written. It is safe to call more than once.
func (p *producer) stop() (int64, error) {
	p.once.Do(func() {
		p.cancel()
		p.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.cl.Flush(ctx); err != nil {
			p.err = fmt.Errorf("flush the sample producer: %w", err)
		}
		p.cl.Close()
	})
	return p.produced.Load(), p.err
}

// selfCommand is how to run this binary again, in the form the user ran it, for hints the
// quickstart prints: under `go run` (a binary in Go's build cache) the same `go run` from the
// repository root, else the path it was started by (bin/kafka-indexer, kafka-indexer on PATH…).
func selfCommand() string {
	exe := os.Args[0]
	if !strings.Contains(filepath.ToSlash(exe), "/go-build") {
		return exe
	}
	if fi, err := os.Stat(filepath.Join("engine", "cmd", "kafka-indexer")); err == nil && fi.IsDir() {
		return "go run ./engine/cmd/kafka-indexer"
	}
	// Elsewhere in the module the import path works as well.
	return "go run github.com/kafka-indexer/terraform-provider-kafka/engine/cmd/kafka-indexer"
}
