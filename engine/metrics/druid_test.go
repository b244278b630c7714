package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
)

// TestDruidMetricNames runs a supervisor over a real (kfake) broker in a real engine, scrapes
// /metrics and checks every metric Druid's prometheus-emitter exports for Kafka ingestion, with
// its name, its labels and a value that follows from the rows produced: 30 good rows, 2
// unparseable ones and 1 empty record over two partitions.
func TestDruidMetricNames(t *testing.T) {
	const topic = "druidm"
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	broker := cluster.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := range 30 {
		recs = append(recs, &kgo.Record{Partition: int32(i % 2), Value: fmt.Appendf(nil, `{"ts":"2024-03-05T10:%02d:00Z","host":"h%d"}`, i, i%3)})
	}
	recs = append(recs, &kgo.Record{Partition: 0, Value: []byte("not json")}, &kgo.Record{Partition: 1, Value: []byte("{oops")}, &kgo.Record{Partition: 1, Value: nil})
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	eng := enginetest.Start(t)
	spec := fmt.Sprintf(`{"type":"kafka","spec":{
	  "dataSchema":{"dataSource":"druidm","timestampSpec":{"column":"ts","format":"iso"},
	    "dimensionsSpec":{"dimensions":["host"]},"metricsSpec":[{"type":"count","name":"count"}],
	    "granularitySpec":{"segmentGranularity":"hour","queryGranularity":"none","rollup":false}},
	  "ioConfig":{"topic":%q,"inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":%q},
	    "taskCount":1,"taskDuration":"PT2S","startDelay":"PT0.1S","period":"PT0.5S","useEarliestOffset":true},
	  "tuningConfig":{"type":"kafka","offsetFetchPeriod":"PT5S"}}}`, topic, broker)
	resp, err := http.Post(eng.URL+"/druid/indexer/v1/supervisor", "application/json", strings.NewReader(spec))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("create supervisor: %d %s", resp.StatusCode, b)
	}

	ds := `dataSource="druidm"`
	stream := `dataSource="druidm",stream="druidm"`
	// Exact values where the rows decide them; ">0" where only the count of tasks, persists or
	// handoffs (which depends on timing) does.
	want := map[string]string{
		`druid_ingest_events_processed_total{` + ds + `}`:                                    "30",
		`druid_ingest_events_unparseable_total{` + ds + `}`:                                  "2",
		`druid_ingest_events_thrownaway_total{` + ds + `,reason="null"}`:                     "1",
		`druid_ingest_rows_output_total{` + ds + `}`:                                         ">0",
		`druid_ingest_persists_count_total{` + ds + `}`:                                      ">0",
		`druid_ingest_handoff_count_total{` + ds + `}`:                                       ">0",
		`druid_task_success_count_total{` + ds + `}`:                                         ">0",
		`druid_ingest_kafka_lag{` + stream + `}`:                                             "0",
		`druid_ingest_kafka_maxlag{` + stream + `}`:                                          "0",
		`druid_ingest_kafka_avglag{` + stream + `}`:                                          "0",
		`druid_ingest_kafka_partitionlag{dataSource="druidm",partition="0",stream="druidm"}`: "0",
		`druid_ingest_kafka_partitionlag{dataSource="druidm",partition="1",stream="druidm"}`: "0",
		`druid_ingest_kafka_lag_time{` + stream + `}`:                                        "0",
		`druid_ingest_kafka_maxlag_time{` + stream + `}`:                                     "0",
		`druid_ingest_kafka_avglag_time{` + stream + `}`:                                     "0",
		`druid_task_running_count{` + ds + `}`:                                               "1",
		`druid_task_pending_count{` + ds + `}`:                                               "0",
		`druid_task_waiting_count{` + ds + `}`:                                               "0",
		// Our own names stay.
		`kafka_indexer_rows_total{datasource="druidm",outcome="processed"}`: "30",
	}
	var bad []string
	var body string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		body = scrape(t, eng.URL)
		bad = bad[:0]
		for series, v := range want {
			got, ok := sample(body, series)
			switch {
			case !ok:
				bad = append(bad, series+" missing")
			case v == ">0" && got <= 0, v != ">0" && strconv.FormatFloat(got, 'f', -1, 64) != v:
				bad = append(bad, fmt.Sprintf("%s = %v, want %s", series, got, v))
			}
		}
		if len(bad) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, b := range bad {
		t.Error(b)
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", druidLines(body))
	}
	// Prometheus types as Druid's default map has them: counts are counters, lags gauges.
	for _, typ := range []string{"druid_ingest_events_processed_total counter", "druid_ingest_kafka_lag gauge", "druid_ingest_kafka_partitionlag gauge", "druid_task_running_count gauge"} {
		if !strings.Contains(body, "# TYPE "+typ+"\n") {
			t.Errorf("no # TYPE %s", typ)
		}
	}

	// The status report carries the time lag under Druid's field names.
	var st struct {
		Payload struct {
			MinimumLagMillis   map[string]int64 `json:"minimumLagMillis"`
			AggregateLagMillis *int64           `json:"aggregateLagMillis"`
		} `json:"payload"`
	}
	resp, err = http.Get(eng.URL + "/druid/indexer/v1/supervisor/druidm/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if len(st.Payload.MinimumLagMillis) != 2 || st.Payload.AggregateLagMillis == nil || *st.Payload.AggregateLagMillis != 0 {
		t.Errorf("status time lag: minimumLagMillis %v aggregateLagMillis %v, want both partitions at 0", st.Payload.MinimumLagMillis, st.Payload.AggregateLagMillis)
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// sample finds one series (name{labels} exactly as exposed) and parses its value.
func sample(body, series string) (float64, bool) {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

func druidLines(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "druid_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
