// Package metrics exposes the engine's Prometheus metrics at /metrics: row counters per
// datasource (Druid's ingest/events/* metrics), persist and publish latencies, segments
// published, and, read at scrape time, Kafka lag per partition, supervisor states and task
// counts (Druid's ingest/kafka/lag, ingest/kafka/partitionLag, task/running/count…).
//
// Each of those is exported twice: under our own kafka_indexer_* names, and under the names and
// labels Druid's prometheus-emitter gives them with its default metric map (druid.go), so
// dashboards and alerts written for a Druid cluster work unchanged.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every engine metric in its own registry (no global state).
type Metrics struct {
	reg *prometheus.Registry

	rows              *prometheus.CounterVec
	processedBytes    *prometheus.CounterVec
	persistSeconds    *prometheus.HistogramVec
	publishSeconds    *prometheus.HistogramVec
	segmentsPublished *prometheus.CounterVec

	druid druidCounters
}

// New builds the metrics and registers the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.rows = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kafka_indexer_rows_total",
		Help: "Rows seen by indexing tasks, by datasource and outcome: processed, processed_with_error, unparseable, thrown_away (Druid's ingest/events/*).",
	}, []string{"datasource", "outcome"})
	m.processedBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kafka_indexer_processed_bytes_total",
		Help: "Bytes of Kafka record values read by indexing tasks (Druid's ingest/events/processedBytes).",
	}, []string{"datasource"})
	buckets := []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}
	m.persistSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kafka_indexer_persist_duration_seconds", Help: "Time to persist in-memory rows to an intermediate spill (Druid's ingest/persists/time).", Buckets: buckets,
	}, []string{"datasource"})
	m.publishSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kafka_indexer_publish_duration_seconds", Help: "Time to merge, push and transactionally publish one sequence's segments (Druid's ingest/handoff/time).", Buckets: buckets,
	}, []string{"datasource"})
	m.segmentsPublished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kafka_indexer_segments_published_total", Help: "Segments published with their Kafka offsets (Druid's segment/added/count).",
	}, []string{"datasource"})
	m.reg.MustRegister(m.rows, m.processedBytes, m.persistSeconds, m.publishSeconds, m.segmentsPublished,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.druid = newDruidCounters(m.reg)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// AddRows adds row counts of one datasource (deltas since the last call).
func (m *Metrics) AddRows(dataSource string, processed, processedBytes, withError, unparseable, thrownAway int64) {
	if m == nil {
		return
	}
	add := func(outcome string, n int64) {
		if n > 0 {
			m.rows.WithLabelValues(dataSource, outcome).Add(float64(n))
		}
	}
	add("processed", processed)
	add("processed_with_error", withError)
	add("unparseable", unparseable)
	add("thrown_away", thrownAway)
	m.druid.addRows(dataSource, processed, withError, unparseable)
	if processedBytes > 0 {
		m.processedBytes.WithLabelValues(dataSource).Add(float64(processedBytes))
	}
}

// AddThrownAway counts rows thrown away for one of Druid's reasons (ThrownAwayNull…). The
// total is also in AddRows; only Druid's metric carries the reason.
func (m *Metrics) AddThrownAway(dataSource, reason string, n int64) {
	if m != nil && n > 0 {
		m.druid.thrownAway.WithLabelValues(dataSource, reason).Add(float64(n))
	}
}

// ObservePersist records one intermediate persist of rows (after rollup).
func (m *Metrics) ObservePersist(dataSource string, seconds float64, rows int) {
	if m == nil {
		return
	}
	m.persistSeconds.WithLabelValues(dataSource).Observe(seconds)
	m.druid.persists.WithLabelValues(dataSource).Inc()
	if rows > 0 {
		m.druid.rowsOutput.WithLabelValues(dataSource).Add(float64(rows))
	}
}

// ObserveHandoff records the end of a task's wait for its published segments to be served:
// segments handed off, or, when the wait timed out, segments that were not.
func (m *Metrics) ObserveHandoff(dataSource string, segments int, failed bool) {
	if m == nil || segments <= 0 {
		return
	}
	c := m.druid.handoffs
	if failed {
		c = m.druid.handoffsFailed
	}
	c.WithLabelValues(dataSource).Add(float64(segments))
}

// TaskFinished counts a task that ended, successfully or not (Druid's task/success/count and
// task/failed/count).
func (m *Metrics) TaskFinished(dataSource string, success bool) {
	if m == nil {
		return
	}
	c := m.druid.tasksFailed
	if success {
		c = m.druid.tasksSucceeded
	}
	c.WithLabelValues(dataSource).Inc()
}

// ObservePublish records one publish of a sequence and its segments.
func (m *Metrics) ObservePublish(dataSource string, seconds float64, segments int) {
	if m == nil {
		return
	}
	m.publishSeconds.WithLabelValues(dataSource).Observe(seconds)
	m.segmentsPublished.WithLabelValues(dataSource).Add(float64(segments))
}

// SupervisorSample is one supervisor's state at scrape time.
type SupervisorSample struct {
	ID, DataSource, Stream string
	State                  string // detailed state
	Healthy                bool
	Lag                    map[string]int64 // per partition key ("0", "topic:0"); absent until the first offset fetch
	AggregateLag           *int64
	// LagMillis is the time lag per partition: how far, in record timestamps, the task is
	// behind the newest record. Absent until measured; partitions whose lag is unknown are left
	// out.
	LagMillis  map[string]int64 // keyed as Lag
	IngestRate float64          // rows/s over the last minute, summed over the supervisor's tasks
}

// TaskSample counts tasks at scrape time.
type TaskSample struct {
	DataSource string
	State      string // running, pending, waiting
	Count      int
}

// RegisterSupervisors adds a collector that reads supervisor samples at scrape time.
func (m *Metrics) RegisterSupervisors(sample func() []SupervisorSample) {
	m.reg.MustRegister(&supervisorCollector{sample: sample}, &druidSupervisorCollector{sample: sample})
}

// RegisterTasks adds a collector that reads task counts at scrape time.
func (m *Metrics) RegisterTasks(sample func() []TaskSample) {
	m.reg.MustRegister(&taskCollector{sample: sample}, &druidTaskCollector{sample: sample})
}

var (
	stateDesc  = prometheus.NewDesc("kafka_indexer_supervisor_state", "1 for the supervisor's current detailed state.", []string{"supervisor", "datasource", "state"}, nil)
	healthDesc = prometheus.NewDesc("kafka_indexer_supervisor_healthy", "1 when the supervisor is healthy (its health endpoint answers 200).", []string{"supervisor", "datasource"}, nil)
	lagDesc    = prometheus.NewDesc("kafka_indexer_partition_lag", "Kafka lag per partition: latest offset minus the highest offset read (Druid's ingest/kafka/partitionLag).", []string{"supervisor", "datasource", "stream", "partition"}, nil)
	aggLagDesc = prometheus.NewDesc("kafka_indexer_lag", "Total Kafka lag of the supervisor, negative lags counted as zero (Druid's ingest/kafka/lag).", []string{"supervisor", "datasource", "stream"}, nil)
	rateDesc   = prometheus.NewDesc("kafka_indexer_ingest_rate_rows_per_second", "Rows processed per second over the last minute, summed over the supervisor's tasks.", []string{"supervisor", "datasource"}, nil)
	tasksDesc  = prometheus.NewDesc("kafka_indexer_tasks", "Indexing tasks by datasource and state (Druid's task/running/count, task/waiting/count…).", []string{"datasource", "state"}, nil)
)

type supervisorCollector struct{ sample func() []SupervisorSample }

func (c *supervisorCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{stateDesc, healthDesc, lagDesc, aggLagDesc, rateDesc} {
		ch <- d
	}
}

func (c *supervisorCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.sample() {
		ch <- prometheus.MustNewConstMetric(stateDesc, prometheus.GaugeValue, 1, s.ID, s.DataSource, s.State)
		ch <- prometheus.MustNewConstMetric(healthDesc, prometheus.GaugeValue, boolFloat(s.Healthy), s.ID, s.DataSource)
		for p, l := range s.Lag {
			ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(l), s.ID, s.DataSource, s.Stream, p)
		}
		if s.AggregateLag != nil {
			ch <- prometheus.MustNewConstMetric(aggLagDesc, prometheus.GaugeValue, float64(*s.AggregateLag), s.ID, s.DataSource, s.Stream)
		}
		ch <- prometheus.MustNewConstMetric(rateDesc, prometheus.GaugeValue, s.IngestRate, s.ID, s.DataSource)
	}
}

type taskCollector struct{ sample func() []TaskSample }

func (c *taskCollector) Describe(ch chan<- *prometheus.Desc) { ch <- tasksDesc }

func (c *taskCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.sample() {
		ch <- prometheus.MustNewConstMetric(tasksDesc, prometheus.GaugeValue, float64(s.Count), s.DataSource, s.State)
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
