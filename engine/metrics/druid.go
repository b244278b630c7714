package metrics

import (
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// Druid's prometheus-emitter turns a Druid metric into a Prometheus one by lowercasing its name,
// replacing '/' with '_' and prefixing the namespace "druid" (ingest/kafka/maxLag becomes
// druid_ingest_kafka_maxlag); the metric's dimensions become labels under their Druid names
// (dataSource, stream, partition). Its default metric map (defaultMetrics.json) decides the
// type: "count" metrics are counters, which its Java client (simpleclient 0.16) exposes with a
// _total suffix, and "gauge" metrics are gauges. The names below are those exposed names.
//
// One deliberate difference: task/running/count, task/pending/count and task/waiting/count are
// "count" in Druid's current map (older maps said "gauge"), so Druid adds every emission's count
// to an ever-growing counter. A number of tasks is a gauge; we export the current count as a
// gauge named without _total.

// Druid's reasons for a thrown-away row (the reason label of druid_ingest_events_thrownaway_total,
// Druid's ThrownAwayReason metric values).
const (
	ThrownAwayNull       = "null"                 // a null or empty record, or one with no row
	ThrownAwayBeforeMin  = "beforeMinMessageTime" // before lateMessageRejectionPeriod's bound
	ThrownAwayAfterMax   = "afterMaxMessageTime"  // after earlyMessageRejectionPeriod's bound
	ThrownAwayFiltered   = "filtered"             // dropped by transformSpec's filter
	druidDataSourceLabel = "dataSource"
)

// druidCounters are the emitter's counters, updated as tasks report.
type druidCounters struct {
	processed, processedWithError, unparseable, thrownAway *prometheus.CounterVec
	rowsOutput, persists, handoffs, handoffsFailed         *prometheus.CounterVec
	tasksSucceeded, tasksFailed                            *prometheus.CounterVec
}

func newDruidCounters(reg *prometheus.Registry) druidCounters {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, append([]string{druidDataSourceLabel}, labels...))
		reg.MustRegister(c)
		return c
	}
	return druidCounters{
		processed:          counter("druid_ingest_events_processed_total", "Rows processed (Druid's ingest/events/processed)."),
		processedWithError: counter("druid_ingest_events_processedwitherror_total", "Rows processed with partial errors, also counted as processed (Druid's ingest/events/processedWithError)."),
		unparseable:        counter("druid_ingest_events_unparseable_total", "Rows rejected as unparseable (Druid's ingest/events/unparseable)."),
		thrownAway:         counter("druid_ingest_events_thrownaway_total", "Rows thrown away: null, filtered, or outside the message rejection periods, by reason (Druid's ingest/events/thrownAway).", "reason"),
		rowsOutput:         counter("druid_ingest_rows_output_total", "Rows persisted, after rollup (Druid's ingest/rows/output)."),
		persists:           counter("druid_ingest_persists_count_total", "Intermediate persists (Druid's ingest/persists/count)."),
		handoffs:           counter("druid_ingest_handoff_count_total", "Published segments handed off: served by the segment loader (Druid's ingest/handoff/count)."),
		handoffsFailed:     counter("druid_ingest_handoff_failed_total", "Published segments not handed off within handoffConditionTimeout (Druid's ingest/handoff/failed)."),
		tasksSucceeded:     counter("druid_task_success_count_total", "Tasks that succeeded (Druid's task/success/count)."),
		tasksFailed:        counter("druid_task_failed_count_total", "Tasks that failed, killed ones included (Druid's task/failed/count)."),
	}
}

func (d druidCounters) addRows(dataSource string, processed, withError, unparseable int64) {
	for _, c := range []struct {
		vec *prometheus.CounterVec
		n   int64
	}{{d.processed, processed}, {d.processedWithError, withError}, {d.unparseable, unparseable}} {
		if c.n > 0 {
			c.vec.WithLabelValues(dataSource).Add(float64(c.n))
		}
	}
}

var (
	druidStreamLabels   = []string{druidDataSourceLabel, "stream"}
	druidLagDesc        = prometheus.NewDesc("druid_ingest_kafka_lag", "Total Kafka lag across all partitions, in records (Druid's ingest/kafka/lag).", druidStreamLabels, nil)
	druidMaxLagDesc     = prometheus.NewDesc("druid_ingest_kafka_maxlag", "Highest partition lag, in records (Druid's ingest/kafka/maxLag).", druidStreamLabels, nil)
	druidAvgLagDesc     = prometheus.NewDesc("druid_ingest_kafka_avglag", "Average partition lag, in records (Druid's ingest/kafka/avgLag).", druidStreamLabels, nil)
	druidPartLagDesc    = prometheus.NewDesc("druid_ingest_kafka_partitionlag", "Lag of one partition, in records (Druid's ingest/kafka/partitionLag).", []string{druidDataSourceLabel, "partition", "stream"}, nil)
	druidLagTimeDesc    = prometheus.NewDesc("druid_ingest_kafka_lag_time", "Total time lag across all partitions in milliseconds: newest record's timestamp minus the timestamp of the next record to read (Druid's ingest/kafka/lag/time).", druidStreamLabels, nil)
	druidMaxLagTimeDesc = prometheus.NewDesc("druid_ingest_kafka_maxlag_time", "Highest partition time lag in milliseconds (Druid's ingest/kafka/maxLag/time).", druidStreamLabels, nil)
	druidAvgLagTimeDesc = prometheus.NewDesc("druid_ingest_kafka_avglag_time", "Average partition time lag in milliseconds (Druid's ingest/kafka/avgLag/time).", druidStreamLabels, nil)
	druidTaskDescs      = map[string]*prometheus.Desc{
		"running": prometheus.NewDesc("druid_task_running_count", "Tasks running in a worker slot (Druid's task/running/count).", []string{druidDataSourceLabel}, nil),
		"pending": prometheus.NewDesc("druid_task_pending_count", "Tasks given a worker slot but not started yet (Druid's task/pending/count).", []string{druidDataSourceLabel}, nil),
		"waiting": prometheus.NewDesc("druid_task_waiting_count", "Tasks queued for a worker slot (Druid's task/waiting/count).", []string{druidDataSourceLabel}, nil),
	}
)

type druidSupervisorCollector struct{ sample func() []SupervisorSample }

func (c *druidSupervisorCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{druidLagDesc, druidMaxLagDesc, druidAvgLagDesc, druidPartLagDesc, druidLagTimeDesc, druidMaxLagTimeDesc, druidAvgLagTimeDesc} {
		ch <- d
	}
}

// Collect emits the lag gauges the way Druid's supervisor computes them: over the partitions
// whose lag is known, negative lags (a task ahead of a stale latest offset) counted as zero.
func (c *druidSupervisorCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.sample() {
		if s.Lag != nil {
			var lags []int64
			for p, l := range s.Lag {
				if l < 0 {
					continue // unknown (Druid's MIN_INT marker) or ahead
				}
				lags = append(lags, l)
				ch <- prometheus.MustNewConstMetric(druidPartLagDesc, prometheus.GaugeValue, float64(l), s.DataSource, p, s.Stream)
			}
			emitAggregates(ch, lags, s, druidLagDesc, druidMaxLagDesc, druidAvgLagDesc)
		}
		if s.LagMillis != nil {
			var lags []int64
			for _, l := range s.LagMillis {
				lags = append(lags, max(l, 0))
			}
			emitAggregates(ch, lags, s, druidLagTimeDesc, druidMaxLagTimeDesc, druidAvgLagTimeDesc)
		}
	}
}

func emitAggregates(ch chan<- prometheus.Metric, lags []int64, s SupervisorSample, total, highest, avg *prometheus.Desc) {
	var sum, top int64
	for _, l := range lags {
		sum += l
		top = max(top, l)
	}
	mean := 0.0
	if len(lags) > 0 {
		mean = float64(sum) / float64(len(lags))
	}
	ch <- prometheus.MustNewConstMetric(total, prometheus.GaugeValue, float64(sum), s.DataSource, s.Stream)
	ch <- prometheus.MustNewConstMetric(highest, prometheus.GaugeValue, float64(top), s.DataSource, s.Stream)
	ch <- prometheus.MustNewConstMetric(avg, prometheus.GaugeValue, mean, s.DataSource, s.Stream)
}

type druidTaskCollector struct{ sample func() []TaskSample }

func (c *druidTaskCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range druidTaskDescs {
		ch <- d
	}
}

// Collect emits running, pending and waiting for every datasource with a task in any of them,
// zeros included, so a datasource's series do not vanish when its last task starts.
func (c *druidTaskCollector) Collect(ch chan<- prometheus.Metric) {
	counts := map[string]map[string]int{}
	for _, s := range c.sample() {
		if druidTaskDescs[s.State] == nil {
			continue
		}
		if counts[s.DataSource] == nil {
			counts[s.DataSource] = map[string]int{}
		}
		counts[s.DataSource][s.State] += s.Count
	}
	for ds, byState := range counts {
		for _, state := range slices.Sorted(maps.Keys(druidTaskDescs)) {
			ch <- prometheus.MustNewConstMetric(druidTaskDescs[state], prometheus.GaugeValue, float64(byState[state]), ds)
		}
	}
}
