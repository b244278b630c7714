package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
)

// The records of these tests are written by goavro (linkedin/goavro), not by the Avro library
// the engine decodes with, and framed the Confluent way by franz-go's sr package.

const orderSchemaV1 = `{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"id","type":"string"},
 {"name":"qty","type":"int"},
 {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
 {"name":"day","type":{"type":"int","logicalType":"date"}},
 {"name":"tags","type":{"type":"array","items":["null","string"]}},
 {"name":"attrs","type":{"type":"map","values":"string"}},
 {"name":"ship","type":{"type":"record","name":"Ship","fields":[{"name":"city","type":"string"}]}},
 {"name":"choice","type":["null","string","long"]},
 {"name":"note","type":"bytes"}`

// orderSchemaV2 adds a field: a new writer schema, registered mid-stream under a new id.
var (
	orderV1 = orderSchemaV1 + "]}"
	orderV2 = orderSchemaV1 + `,{"name":"channel","type":"string","default":"web"}]}`
)

var orderBase = time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)

// order returns the goavro native form of order i and the row the engine must ingest from it.
func order(i int, v2 bool) (map[string]any, map[string]any) {
	var choice any
	want := map[string]any{
		"__time": float64(orderBase.Add(time.Duration(i) * time.Second).UnixMilli()),
		"id":     fmt.Sprintf("o-%03d", i), "qty": float64(i), "price": float64(i) + 0.25,
		"day": float64(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).UnixMilli()), "tags": []any{fmt.Sprintf("t%d", i), "x"},
		"city": fmt.Sprintf("c%d", i%4), "attrK": fmt.Sprintf("v%d", i), "note": fmt.Sprintf("note-%d", i),
	}
	switch i % 3 {
	case 0:
		choice, want["choice"] = goavro.Union("string", fmt.Sprintf("s%d", i)), fmt.Sprintf("s%d", i)
	case 1:
		choice, want["choice"] = goavro.Union("long", int64(i)), fmt.Sprint(i)
	}
	native := map[string]any{
		"ts": orderBase.Add(time.Duration(i) * time.Second), "id": fmt.Sprintf("o-%03d", i), "qty": int32(i),
		"price": big.NewRat(int64(i)*100+25, 100), "day": time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
		"tags":  []any{goavro.Union("string", fmt.Sprintf("t%d", i)), nil, goavro.Union("string", "x")},
		"attrs": map[string]any{"k": fmt.Sprintf("v%d", i)}, "ship": map[string]any{"city": fmt.Sprintf("c%d", i%4)},
		"choice": choice, "note": []byte(fmt.Sprintf("note-%d", i)),
	}
	if v2 {
		native["channel"], want["channel"] = "app", "app"
	}
	return native, want
}

func avroBinary(t *testing.T, schema string, native map[string]any) []byte {
	t.Helper()
	c, err := goavro.NewCodec(schema)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.BinaryFromNative(nil, native)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// orderSpec is a Kafka supervisor spec in Druid's own shape for the orders topic.
func orderSpec(topic, broker string, inputFormat map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"type": "kafka", "spec": map[string]any{
		"dataSchema": map[string]any{
			"dataSource":    topic,
			"timestampSpec": map[string]any{"column": "ts", "format": "millis"},
			"dimensionsSpec": map[string]any{"dimensions": []any{"id", map[string]any{"type": "long", "name": "qty"},
				map[string]any{"type": "double", "name": "price"}, map[string]any{"type": "long", "name": "day"},
				"tags", "city", "attrK", "choice", "note", "channel"}},
			"metricsSpec":     []any{map[string]any{"type": "count", "name": "count"}},
			"granularitySpec": map[string]any{"segmentGranularity": "day", "queryGranularity": "none", "rollup": false},
		},
		"ioConfig": map[string]any{"topic": topic, "inputFormat": inputFormat,
			"consumerProperties": map[string]any{"bootstrap.servers": broker}, "taskCount": 1, "taskDuration": "PT1H",
			"startDelay": "PT0.1S", "period": "PT0.5S", "useEarliestOffset": true},
		"tuningConfig": map[string]any{"type": "kafka", "maxSavedParseExceptions": 10, "maxParseExceptions": 100, "logParseExceptions": true},
	}})
	return b
}

// orderFlatten reaches the nested record, the map and the union through flattenSpec paths.
var orderFlatten = map[string]any{"useFieldDiscovery": true, "fields": []any{
	map[string]any{"type": "path", "name": "city", "expr": "$.ship.city"},
	map[string]any{"type": "path", "name": "attrK", "expr": "$.attrs.k"},
	map[string]any{"type": "path", "name": "choice", "expr": "$.choice"},
}}

type avroHarness struct {
	t      *testing.T
	url    string
	topic  string
	broker string
	kcl    *kgo.Client
}

func newAvroHarness(t *testing.T, topic string) *avroHarness {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	broker := cluster.ListenAddrs()[0]
	kcl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kcl.Close)
	eng := enginetest.Start(t)
	return &avroHarness{t: t, url: eng.URL, topic: topic, broker: broker, kcl: kcl}
}

func (h *avroHarness) produce(values ...[]byte) {
	h.t.Helper()
	for _, v := range values {
		if err := h.kcl.ProduceSync(context.Background(), &kgo.Record{Topic: h.topic, Value: v}).FirstErr(); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *avroHarness) submit(spec []byte) {
	h.t.Helper()
	resp, err := http.Post(h.url+"/druid/indexer/v1/supervisor", "application/json", bytes.NewReader(spec))
	if err != nil {
		h.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		h.t.Fatalf("submit: %d %s", resp.StatusCode, body)
	}
}

func (h *avroHarness) get(path string, out any) {
	h.t.Helper()
	resp, err := http.Get(h.url + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		h.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		h.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// scan returns every ingested row, keyed by id; a row seen twice fails the test.
func (h *avroHarness) scan() map[string]map[string]any {
	h.t.Helper()
	if !realtimeKnowsDS(h.url, h.topic) {
		return nil
	}
	var res []struct {
		Events []map[string]any `json:"events"`
	}
	query(h.t, h.url, map[string]any{"queryType": "scan", "dataSource": h.topic, "intervals": []string{"2024-05-01/2024-05-02"},
		"columns": []string{"__time", "id", "qty", "price", "day", "tags", "city", "attrK", "choice", "note", "channel"}, "resultFormat": "list"}, &res)
	out := map[string]map[string]any{}
	for _, seg := range res {
		for _, ev := range seg.Events {
			id, _ := ev["id"].(string)
			if _, dup := out[id]; dup {
				h.t.Fatalf("row %s ingested twice", id)
			}
			for k, v := range ev {
				if v == nil || v == "" {
					delete(ev, k) // a null column reads as absent, whichever way it is rendered
				}
			}
			out[id] = ev
		}
	}
	return out
}

func realtimeKnowsDS(url, ds string) bool {
	resp, err := http.Get(url + "/druid/v2/datasources")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var names []string
	_ = json.NewDecoder(resp.Body).Decode(&names)
	for _, n := range names {
		if n == ds {
			return true
		}
	}
	return false
}

// status is the part of the supervisor status these tests read.
type avroStatus struct {
	Payload struct {
		State        string `json:"state"`
		RecentErrors []struct {
			Message string `json:"message"`
		} `json:"recentErrors"`
		ActiveTasks []struct {
			ID string `json:"id"`
		} `json:"activeTasks"`
	} `json:"payload"`
}

func (h *avroHarness) status() avroStatus {
	var st avroStatus
	h.get("/druid/indexer/v1/supervisor/"+h.topic+"/status", &st)
	return st
}

// totals sums the row counters of every task of the supervisor (GET .../stats).
func (h *avroHarness) totals() (processed, unparseable int64) {
	var stats map[string]map[string]struct {
		Totals struct {
			BuildSegments struct{ Processed, Unparseable int64 } `json:"buildSegments"`
		} `json:"totals"`
	}
	h.get("/druid/indexer/v1/supervisor/"+h.topic+"/stats", &stats)
	for _, g := range stats {
		for _, ts := range g {
			processed += ts.Totals.BuildSegments.Processed
			unparseable += ts.Totals.BuildSegments.Unparseable
		}
	}
	return processed, unparseable
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkRows compares the ingested rows with the expected ones, value by value.
func checkRows(t *testing.T, got map[string]map[string]any, want []map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows ingested, want %d", len(got), len(want))
	}
	for _, w := range want {
		id := w["id"].(string)
		g, ok := got[id]
		if !ok {
			t.Errorf("row %s missing", id)
			continue
		}
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		if !bytes.Equal(gb, wb) {
			t.Errorf("row %s:\n got %s\nwant %s", id, gb, wb)
		}
	}
}

// TestAvroSchemaRegistryIngestion ingests Confluent-framed Avro through a schema_registry
// decoder, rides out a registry outage that hits a schema id first seen during the outage, and
// counts malformed records as parse exceptions.
func TestAvroSchemaRegistryIngestion(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	var down atomic.Bool
	reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if down.Load() {
			http.Error(w, `{"error_code":50301,"message":"registry down for maintenance"}`, http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	id1, _, err := reg.RegisterSchema("orders-value", sr.Schema{Schema: orderV1, Type: sr.TypeAvro})
	if err != nil {
		t.Fatal(err)
	}
	h := newAvroHarness(t, "orders")
	var hdr sr.ConfluentHeader
	frame := func(id int, datum []byte) []byte {
		b, err := hdr.AppendEncode(nil, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		return append(b, datum...)
	}
	var want []map[string]any
	for i := range 20 {
		native, row := order(i, false)
		h.produce(frame(id1, avroBinary(t, orderV1, native)))
		want = append(want, row)
	}
	h.submit(orderSpec("orders", h.broker, map[string]any{"type": "avro_stream", "binaryAsString": true, "flattenSpec": orderFlatten,
		"avroBytesDecoder": map[string]any{"type": "schema_registry", "url": reg.URL(), "capacity": 100,
			"headers": map[string]any{"X-Client": "kafka-indexer-e2e"}}}))
	waitFor(t, "the first 20 rows are queryable", func() bool { return len(h.scan()) == 20 })
	checkRows(t, h.scan(), want)

	// The registry goes down, and a new writer schema appears: its id is not cached, so the
	// next record cannot be decoded until the registry is back.
	down.Store(true)
	id2, _, err := reg.RegisterSchema("orders-value", sr.Schema{Schema: orderV2, Type: sr.TypeAvro})
	if err != nil || id2 == id1 {
		t.Fatalf("register v2: id %d, %v", id2, err)
	}
	for i := 20; i < 30; i++ {
		native, row := order(i, true)
		h.produce(frame(id2, avroBinary(t, orderV2, native)))
		want = append(want, row)
	}
	waitFor(t, "the supervisor reports the registry outage", func() bool {
		st := h.status()
		for _, e := range st.Payload.RecentErrors {
			if strings.Contains(e.Message, "schema registry unavailable") && st.Payload.State == "UNHEALTHY_SUPERVISOR" {
				return true
			}
		}
		return false
	})
	if processed, unparseable := h.totals(); unparseable != 0 || processed != 20 {
		t.Fatalf("during the outage: processed %d, unparseable %d; want 20 and 0", processed, unparseable)
	}
	// The stalled task says why in its live report.
	st := h.status()
	if len(st.Payload.ActiveTasks) != 1 {
		t.Fatalf("active tasks: %+v", st.Payload.ActiveTasks)
	}
	var rep struct {
		IngestionStatsAndErrors struct {
			Payload struct {
				ErrorMsg string `json:"errorMsg"`
			} `json:"payload"`
		} `json:"ingestionStatsAndErrors"`
	}
	h.get("/druid/indexer/v1/task/"+st.Payload.ActiveTasks[0].ID+"/reports", &rep)
	if msg := rep.IngestionStatsAndErrors.Payload.ErrorMsg; !strings.Contains(msg, "stalled at partition 0 offset 20") || !strings.Contains(msg, "schema registry unavailable") {
		t.Fatalf("live report errorMsg = %q", msg)
	}
	down.Store(false)
	waitFor(t, "every row after the outage is queryable", func() bool { return len(h.scan()) == 30 })
	checkRows(t, h.scan(), want)
	waitFor(t, "the supervisor is healthy again", func() bool { return h.status().Payload.State == "RUNNING" })

	// Malformed records: a datum that does not match its schema, an id the registry does not
	// know, a record too short for the header. Each is a parse exception, saved and counted.
	h.produce(frame(id1, []byte{0x02, 0xff, 0xff}), frame(9999, avroBinary(t, orderV1, must(order(1, false)))), []byte{0, 0})
	native, row := order(30, false)
	h.produce(frame(id1, avroBinary(t, orderV1, native)))
	want = append(want, row)
	waitFor(t, "the row after the malformed ones is queryable", func() bool { return len(h.scan()) == 31 })
	checkRows(t, h.scan(), want)
	if processed, unparseable := h.totals(); unparseable != 3 || processed != 31 {
		t.Fatalf("processed %d, unparseable %d; want 31 and 3", processed, unparseable)
	}
	var perrs []any
	h.get("/druid/indexer/v1/supervisor/orders/parseErrors", &perrs)
	raw, _ := json.Marshal(perrs)
	for _, wantMsg := range []string{"unable to decode Avro record", "schema id 9999", "too short"} {
		if !strings.Contains(string(raw), wantMsg) {
			t.Errorf("saved parse exceptions lack %q: %s", wantMsg, raw)
		}
	}
}

func must(native, _ map[string]any) map[string]any { return native }

// TestAvroInlineSchemaThroughKafkaFormat reads bare Avro datums with schema_inline, wrapped in
// the kafka input format (valueFormat), the shape Druid documents for reading record metadata.
func TestAvroInlineSchemaThroughKafkaFormat(t *testing.T) {
	h := newAvroHarness(t, "inline")
	var schema map[string]any
	if err := json.Unmarshal([]byte(orderV1), &schema); err != nil {
		t.Fatal(err)
	}
	var want []map[string]any
	for i := range 25 {
		native, row := order(i, false)
		h.produce(avroBinary(t, orderV1, native))
		want = append(want, row)
	}
	h.submit(orderSpec("inline", h.broker, map[string]any{"type": "kafka", "valueFormat": map[string]any{
		"type": "avro_stream", "binaryAsString": true, "flattenSpec": orderFlatten,
		"avroBytesDecoder": map[string]any{"type": "schema_inline", "schema": schema}}}))
	waitFor(t, "every row is queryable", func() bool { return len(h.scan()) == 25 })
	checkRows(t, h.scan(), want)
	if processed, unparseable := h.totals(); unparseable != 0 || processed != 25 {
		t.Fatalf("processed %d, unparseable %d; want 25 and 0", processed, unparseable)
	}
}

// TestAvroBadSpecs submits broken avro specs: each is refused with a 400 naming the path.
func TestAvroBadSpecs(t *testing.T) {
	eng := enginetest.Start(t)
	inline := func(dec map[string]any) map[string]any {
		return map[string]any{"type": "avro_stream", "avroBytesDecoder": dec}
	}
	tests := []struct {
		name   string
		format map[string]any
		want   string
	}{
		{"bad inline schema", inline(map[string]any{"type": "schema_inline", "schema": map[string]any{"type": "record", "name": "X", "fields": []any{map[string]any{"name": "a", "type": "nosuch"}}}}),
			"ioConfig.inputFormat.avroBytesDecoder.schema: not a valid Avro schema"},
		{"registry without url", inline(map[string]any{"type": "schema_registry"}), "ioConfig.inputFormat.avroBytesDecoder.url: missing"},
		{"unknown decoder", inline(map[string]any{"type": "schema_magic"}), `ioConfig.inputFormat.avroBytesDecoder.type: unknown avroBytesDecoder type "schema_magic"`},
		{"no decoder", map[string]any{"type": "avro_stream"}, "ioConfig.inputFormat.avroBytesDecoder: missing"},
		{"multiple schemas bad id", inline(map[string]any{"type": "multiple_schemas_inline", "schemas": map[string]any{"one": map[string]any{"type": "string"}}}),
			"ioConfig.inputFormat.avroBytesDecoder.schemas.one: the key must be an integer schema id"},
		{"field of another decoder", inline(map[string]any{"type": "schema_inline", "schema": map[string]any{"type": "string"}, "url": "http://x:1"}),
			"ioConfig.inputFormat.avroBytesDecoder.url: not a field of the schema_inline decoder"},
		{"unknown decoder field", inline(map[string]any{"type": "schema_registry", "url": "http://x:1", "cache": 3}),
			"ioConfig.inputFormat.avroBytesDecoder.cache: unknown field"},
		{"kafka value", map[string]any{"type": "kafka", "valueFormat": map[string]any{"type": "avro_stream", "avroBytesDecoder": map[string]any{"type": "schema_registry", "urls": []any{"ftp://x"}}}},
			`ioConfig.inputFormat.valueFormat.avroBytesDecoder.urls[0]: "ftp://x" is not an http(s) URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(eng.URL+"/druid/indexer/v1/supervisor", "application/json", bytes.NewReader(orderSpec("bad", "127.0.0.1:1", tt.format)))
			if err != nil {
				t.Fatal(err)
			}
			var e struct{ Error string }
			_ = json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if resp.StatusCode != 400 || !strings.Contains(e.Error, tt.want) {
				t.Fatalf("got %d %q, want 400 containing %q", resp.StatusCode, e.Error, tt.want)
			}
		})
	}
	var ids []string
	resp, err := http.Get(eng.URL + "/druid/indexer/v1/supervisor")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&ids)
	resp.Body.Close()
	sort.Strings(ids)
	if len(ids) != 0 {
		t.Fatalf("supervisors created from bad specs: %v", ids)
	}
}
