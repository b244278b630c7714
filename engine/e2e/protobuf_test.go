package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/input/protobuftest"
)

// pbEvent is what a produced fixture Event holds, for comparing with what the engine serves.
type pbEvent struct {
	time      time.Time
	page      string
	views     int64
	city      string
	tags      []string
	attrX     int32
	level     string
	bytesSent int64
	agent     string
}

func (e pbEvent) values() map[string]any {
	return map[string]any{
		"event_time": e.time, "page_name": e.page, "view_count": e.views,
		"geo": map[string]any{"city": e.city, "lat": 1.5}, "tags": e.tags,
		"attributes": map[string]int32{"x": e.attrX, "z": 7}, "level": e.level,
		"bytes_sent": e.bytesSent, "detail": map[string]any{"user_agent": e.agent},
	}
}

// row renders e as the scan query returns it, for the columns pbDimensions lists; multi-value
// dimensions are stored sorted (Druid's default multiValueHandling, SORTED_ARRAY).
func (e pbEvent) row() string {
	tags := slices.Sorted(slices.Values(e.tags))
	if tags == nil {
		tags = []string{}
	}
	return fmt.Sprintf("%d|%s|%s|%v|%d|%s|%d|%s|%d", e.time.UnixMilli(), e.page, e.city, tags, e.attrX, e.level, e.bytesSent, e.agent, e.views)
}

// pbFlatten reaches the nested message, the map and the nested message of a nested type by
// their JSON names, as Druid's ProtobufConverter names them.
var pbFlatten = map[string]any{"useFieldDiscovery": true, "fields": []any{
	map[string]any{"type": "path", "name": "city", "expr": "$.geo.city"},
	map[string]any{"type": "path", "name": "attrX", "expr": "$.attributes.x"},
	map[string]any{"type": "path", "name": "agent", "expr": "$.detail.userAgent"},
}}

var pbDimensions = []any{"pageName", "city", "tags", map[string]any{"type": "long", "name": "attrX"}, "level", map[string]any{"type": "long", "name": "bytesSent"}, "agent"}

// TestProtobufSupervisors ingests Protobuf records made by an independent producer (dynamicpb
// messages from a descriptor protocompile built, sent with franz-go to kfake) through three
// supervisors in Druid's spec shapes: the protobuf inputFormat with a file descriptor, the kafka
// inputFormat with a schema_registry protobuf value (mixing message indexes [0] and [1]), and the
// legacy protobuf parser. Every row and value comes back from a native query exactly once, and
// malformed records are counted unparseable and saved.
func TestProtobufSupervisors(t *testing.T) {
	fx := protobuftest.Compile(t)
	desc := fx.WriteDesc(t)
	reg := srfake.New()
	defer reg.Close()
	if _, _, err := reg.RegisterSchema("common.proto", sr.Schema{Schema: protobuftest.Source(t, "common.proto"), Type: sr.TypeProtobuf}); err != nil {
		t.Fatal(err)
	}
	schemaID, _, err := reg.RegisterSchema("pb-registry-value", sr.Schema{Schema: protobuftest.Source(t, "event.proto"), Type: sr.TypeProtobuf,
		References: []sr.SchemaReference{{Name: "common.proto", Subject: "common.proto", Version: 1}}})
	if err != nil {
		t.Fatal(err)
	}

	topics := []string{"pb-file", "pb-registry", "pb-legacy"}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topics...))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]

	base := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	levels := []string{"INFO", "WARN", "ERROR"}
	var events []pbEvent
	for i := range 30 {
		events = append(events, pbEvent{
			time: base.Add(time.Duration(i) * time.Minute).Add(time.Duration(i) * time.Millisecond), page: fmt.Sprintf("page-%02d", i),
			views: int64(i) * 1_000_000_007, city: []string{"Lyon", "Oslo", "Lima"}[i%3], tags: []string{fmt.Sprintf("t%d", i%4), "all"},
			attrX: int32(i - 10), level: levels[i%3], bytesSent: int64(i * 100), agent: fmt.Sprintf("agent/%d", i%5),
		})
	}
	// The registry topic also carries Other messages (index [1]), which have only pageName,
	// eventTime and note.
	var others []pbEvent
	for i := range 5 {
		others = append(others, pbEvent{time: base.Add(time.Duration(i)*time.Minute + 30*time.Second), page: fmt.Sprintf("other-%d", i)})
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	var h sr.ConfluentHeader
	framed := func(index []int, msg []byte) []byte {
		b, err := h.AppendEncode(nil, schemaID, index)
		if err != nil {
			t.Fatal(err)
		}
		return append(b, msg...)
	}
	produce := func(topic string, v []byte) {
		cl.Produce(context.Background(), &kgo.Record{Topic: topic, Value: v}, func(_ *kgo.Record, err error) {
			if err != nil {
				t.Errorf("produce to %s: %v", topic, err)
			}
		})
	}
	for i, e := range events {
		msg := fx.Message(t, "kafkaindexer.test.Event", e.values())
		produce("pb-file", msg)
		produce("pb-legacy", msg)
		produce("pb-registry", framed([]int{0}, msg))
		if i < len(others) {
			o := others[i]
			produce("pb-registry", framed([]int{1}, fx.Message(t, "kafkaindexer.test.Other", map[string]any{"page_name": o.page, "event_time": o.time, "note": "n"})))
		}
		if i == 10 {
			// Malformed records: truncated protobuf bytes, and (for the registry) an id the
			// registry does not know and a message index the schema does not have.
			produce("pb-file", msg[:len(msg)-3])
			produce("pb-legacy", []byte{0x0a, 0xff, 0xff, 0xff})
			bad, _ := h.AppendEncode(nil, schemaID+1000, []int{0})
			produce("pb-registry", append(bad, msg...))
			produce("pb-registry", framed([]int{7}, msg))
		}
	}
	if err := cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	cl.Close()

	eng := enginetest.Start(t)
	dataSchema := func(ds string) map[string]any {
		return map[string]any{
			"dataSource":      ds,
			"timestampSpec":   map[string]any{"column": "eventTime", "format": "iso"},
			"dimensionsSpec":  map[string]any{"dimensions": pbDimensions},
			"metricsSpec":     []any{map[string]any{"type": "count", "name": "count"}, map[string]any{"type": "longSum", "name": "viewCount", "fieldName": "viewCount"}},
			"granularitySpec": map[string]any{"segmentGranularity": "hour", "queryGranularity": "none", "rollup": false},
		}
	}
	ioConfig := func(topic string, format any) map[string]any {
		io := map[string]any{"topic": topic, "consumerProperties": map[string]any{"bootstrap.servers": broker}, "taskCount": 1,
			"taskDuration": "PT1H", "startDelay": "PT0.1S", "period": "PT0.5S", "useEarliestOffset": true}
		if format != nil {
			io["inputFormat"] = format
		}
		return io
	}
	tuning := map[string]any{"type": "kafka", "maxParseExceptions": 100, "maxSavedParseExceptions": 10}
	legacy := dataSchema("pb-legacy")
	legacy["parser"] = map[string]any{"type": "protobuf", "descriptor": "file://" + desc, "protoMessageType": "kafkaindexer.test.Event",
		"parseSpec": map[string]any{"format": "json", "timestampSpec": legacy["timestampSpec"], "dimensionsSpec": legacy["dimensionsSpec"], "flattenSpec": pbFlatten}}
	delete(legacy, "timestampSpec")
	delete(legacy, "dimensionsSpec")
	specs := map[string]map[string]any{
		"pb-file": {"dataSchema": dataSchema("pb-file"), "tuningConfig": tuning, "ioConfig": ioConfig("pb-file", map[string]any{"type": "protobuf",
			"protoBytesDecoder": map[string]any{"type": "file", "descriptor": "file://" + desc, "protoMessageType": "Event"}, "flattenSpec": pbFlatten})},
		"pb-registry": {"dataSchema": dataSchema("pb-registry"), "tuningConfig": tuning, "ioConfig": ioConfig("pb-registry", map[string]any{"type": "kafka",
			"valueFormat": map[string]any{"type": "protobuf", "protoBytesDecoder": map[string]any{"type": "schema_registry", "urls": []any{reg.URL()}, "capacity": 10,
				"headers": map[string]any{"X-Requested-By": "kafka-indexer-test"}}, "flattenSpec": pbFlatten}})},
		"pb-legacy": {"dataSchema": legacy, "tuningConfig": tuning, "ioConfig": ioConfig("pb-legacy", nil)},
	}
	// Bad decoders are refused at submission with the path of the field.
	for path, dec := range map[string]map[string]any{
		"ioConfig.inputFormat.protoBytesDecoder.descriptor":       {"type": "file", "protoMessageType": "Event"},
		"ioConfig.inputFormat.protoBytesDecoder.protoMessageType": {"type": "file", "descriptor": desc, "protoMessageType": "NoSuchMessage"},
		"ioConfig.inputFormat.protoBytesDecoder.descriptorString": {"type": "inline", "descriptorString": "not*base64"},
	} {
		b, _ := json.Marshal(map[string]any{"type": "kafka", "spec": map[string]any{"dataSchema": dataSchema("pb-bad"), "ioConfig": ioConfig("pb-bad",
			map[string]any{"type": "protobuf", "protoBytesDecoder": dec})}})
		if code, body := send(t, eng.URL, "POST", "/druid/indexer/v1/supervisor", string(b)); code != 400 || !strings.Contains(body, path+":") {
			t.Errorf("bad decoder %v: %d %s, want 400 naming %s", dec, code, body, path)
		}
	}
	for _, topic := range topics {
		b, _ := json.Marshal(map[string]any{"type": "kafka", "spec": specs[topic]})
		if code, body := send(t, eng.URL, "POST", "/druid/indexer/v1/supervisor", string(b)); code != 200 {
			t.Fatalf("submit %s: %d %s", topic, code, body)
		}
	}

	want := map[string][]string{}
	for _, e := range events {
		for _, topic := range topics {
			want[topic] = append(want[topic], e.row())
		}
	}
	for _, o := range others {
		want["pb-registry"] = append(want["pb-registry"], fmt.Sprintf("%d|%s||[]|0||0||0", o.time.UnixMilli(), o.page))
	}
	wantUnparseable := map[string]int{"pb-file": 1, "pb-legacy": 1, "pb-registry": 2}
	for _, topic := range topics {
		slices.Sort(want[topic])
		t.Run(topic, func(t *testing.T) {
			var got []string
			deadline := time.Now().Add(45 * time.Second)
			for {
				got = scanRows(t, eng.URL, topic)
				if len(got) >= len(want[topic]) || time.Now().After(deadline) {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if !slices.Equal(got, want[topic]) {
				t.Fatalf("rows of %s:\n%s\nwant:\n%s", topic, strings.Join(got, "\n"), strings.Join(want[topic], "\n"))
			}
			var parseErrors []map[string]any
			for time.Now().Before(deadline) {
				_, body := send(t, eng.URL, "GET", "/druid/indexer/v1/supervisor/"+topic+"/parseErrors", "")
				parseErrors = nil
				_ = json.Unmarshal([]byte(body), &parseErrors)
				if len(parseErrors) >= wantUnparseable[topic] {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if len(parseErrors) != wantUnparseable[topic] {
				t.Fatalf("parseErrors of %s: %v, want %d", topic, parseErrors, wantUnparseable[topic])
			}
			for _, pe := range parseErrors {
				if pe["errorType"] != "unparseable" || !strings.Contains(fmt.Sprint(pe["details"]), "protobuf message") && !strings.Contains(fmt.Sprint(pe["details"]), "schema") {
					t.Errorf("parse error %v is not an unparseable protobuf record", pe)
				}
			}
			_, stats := send(t, eng.URL, "GET", "/druid/indexer/v1/supervisor/"+topic+"/stats", "")
			if !strings.Contains(stats, fmt.Sprintf(`"unparseable":%d`, wantUnparseable[topic])) || !strings.Contains(stats, fmt.Sprintf(`"processed":%d`, len(want[topic]))) {
				t.Errorf("stats of %s: %s", topic, stats)
			}
		})
	}
}

// scanRows returns every row of a datasource, sorted, in pbEvent.row's layout.
func scanRows(t *testing.T, url, ds string) []string {
	t.Helper()
	if !slices.Contains(dataSources(t, url), ds) {
		return nil
	}
	var res []struct {
		Events []map[string]any `json:"events"`
	}
	query(t, url, map[string]any{"queryType": "scan", "dataSource": ds, "intervals": []string{"2026-12-01/2026-12-03"}, "resultFormat": "list",
		"columns": []string{"__time", "pageName", "city", "tags", "attrX", "level", "bytesSent", "agent", "viewCount"}}, &res)
	var out []string
	for _, batch := range res {
		for _, ev := range batch.Events {
			tags := ev["tags"]
			switch v := tags.(type) {
			case nil:
				tags = []any{}
			case string:
				tags = []any{v}
			}
			str := func(k string) string {
				if ev[k] == nil {
					return ""
				}
				return fmt.Sprint(ev[k])
			}
			num := func(k string) int64 {
				f, _ := ev[k].(float64)
				return int64(f)
			}
			out = append(out, fmt.Sprintf("%d|%s|%s|%v|%d|%s|%d|%s|%d", num("__time"), str("pageName"), str("city"), tags, num("attrX"), str("level"), num("bytesSent"), str("agent"), num("viewCount")))
		}
	}
	slices.Sort(out)
	return out
}

func dataSources(t *testing.T, url string) []string {
	t.Helper()
	_, body := send(t, url, "GET", "/druid/v2/datasources", "")
	var names []string
	_ = json.Unmarshal([]byte(body), &names)
	return names
}
