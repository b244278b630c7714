package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestChatUnparseableEventsBareList answers GET /unparseableEvents as Druid's
// SeekableStreamIndexTaskRunner.getUnparseableEvents does: Response.ok(events) with events the
// List<ParseExceptionReport>, a bare JSON list, not the {"buildSegments":…} of the reports.
func TestChatUnparseableEventsBareList(t *testing.T) {
	f := newChatFixture(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(f.broker), kgo.DefaultProduceTopic(f.topic))
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Value: []byte("{not json")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	b, _ := json.Marshal(map[string]any{
		"type": "index_kafka", "id": "unparseable",
		"dataSchema": map[string]any{
			"dataSource":    "chat",
			"timestampSpec": map[string]any{"column": "ts", "format": "iso"},
			"metricsSpec":   []any{map[string]any{"type": "count", "name": "count"}},
		},
		"tuningConfig": map[string]any{"type": "kafka", "maxSavedParseExceptions": 5},
		"ioConfig": map[string]any{
			"type":                 "kafka",
			"startSequenceNumbers": map[string]any{"type": "start", "stream": f.topic, "partitionSequenceNumberMap": map[string]int64{"0": 0}},
			"endSequenceNumbers":   map[string]any{"type": "end", "stream": f.topic, "partitionSequenceNumberMap": map[string]int64{"0": 1000}},
			"consumerProperties":   map[string]any{"bootstrap.servers": f.broker},
			"inputFormat":          map[string]any{"type": "json"},
		},
	})
	if code, body := call(t, "POST", f.url+"/druid/indexer/v1/task", string(b)); code != http.StatusOK {
		t.Fatalf("submit: %d %s", code, body)
	}
	f.waitReading("unparseable", 11)
	code, ctype, body := f.chat("GET", "unparseable", "/unparseableEvents", "")
	if code != http.StatusOK || ctype != "application/json" {
		t.Fatalf("unparseableEvents: %d %s %s", code, ctype, body)
	}
	var evs []map[string]any
	if err := json.Unmarshal([]byte(body), &evs); err != nil {
		t.Fatalf("unparseableEvents is not a bare list: %v: %s", err, body)
	}
	if len(evs) != 1 || evs[0]["input"] != "{not json" || evs[0]["errorType"] != "unparseable" {
		t.Errorf("unparseableEvents = %s, want the one unparseable row", body)
	}
}
