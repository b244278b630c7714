package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/query"
)

// TestChatQuery: a running task answers the partial results of its realtime rows (every row
// it has read, unfinalised, under its allocated segment id); a query it cannot answer
// partially is Druid's 400, and a datasource it holds nothing of answers no segments.
func TestChatQuery(t *testing.T) {
	f := newChatFixture(t)
	f.submit("chat-rt", 1000, 50)
	f.waitReading("chat-rt", 10)
	q := `{"queryType":"groupBy","dataSource":"chat","granularity":"all","intervals":["2024-03-05/2024-03-06"],
		"dimensions":["host"],"aggregations":[{"type":"longSum","name":"n","fieldName":"count"},{"type":"cardinality","name":"u","fields":["host"]}]}`
	var res query.PartialResult
	f.waitFor("the task's 10 rows in its realtime answer", func() bool {
		code, typ, body := f.chat("POST", "chat-rt", "/query", q)
		if code != http.StatusOK || typ != "application/json" {
			t.Fatalf("query: %d %s %s", code, typ, body)
		}
		res = query.PartialResult{}
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			t.Fatalf("answer %s: %v", body, err)
		}
		rows := 0
		for _, s := range res.Segments {
			rows += s.Rows
		}
		return rows == 10
	})
	if len(res.Segments) != 1 || !strings.HasPrefix(res.Segments[0].ID, "chat_2024-03-05T") {
		t.Fatalf("segments %+v, want the task's one segment", res.Segments)
	}
	groups := res.Segments[0].Groups
	if len(groups) != 10 {
		t.Fatalf("%d groups, want one per host", len(groups))
	}
	for _, g := range groups {
		if len(g.Dims) != 1 || g.Dims[0] == nil || len(g.States) != 2 || g.States[0].L != 1 || len(g.States[1].HLL) == 0 {
			t.Errorf("group %+v: want one host, count 1 and a sketch", g)
		}
	}
	code, _, body := f.chat("POST", "chat-rt", "/query", `{"queryType":"scan","dataSource":"chat","intervals":["2024/2025"]}`)
	if code != http.StatusBadRequest || !strings.Contains(body, `"error":"Json parse failed"`) || !strings.Contains(body, "partial results are for") {
		t.Errorf("scan: %d %s", code, body)
	}
	code, _, body = f.chat("POST", "chat-rt", "/query", strings.Replace(q, `"dataSource":"chat"`, `"dataSource":"other"`, 1))
	if code != http.StatusOK || body != `{"segments":[]}` {
		t.Errorf("another datasource: %d %s", code, body)
	}
}
