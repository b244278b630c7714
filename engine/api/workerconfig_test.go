package api

import (
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
)

// TestWorkerConfig serves GET/POST /druid/indexer/v1/worker and /worker/history over the
// embedded store: the default (the --worker-select-strategy) until a config is stored, each
// accepted POST stored and audited with its author and comment, and every refused body a 400
// naming its field, which changes nothing.
func TestWorkerConfig(t *testing.T) {
	store, err := embedded.Open(filepath.Join(t.TempDir(), "metadata"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := httptest.NewServer(New(Services{WorkerConfig: &WorkerConfig{Store: store, DefaultStrategy: "fillCapacity"}}, Options{}))
	defer srv.Close()
	base := srv.URL + "/druid/indexer/v1/worker"

	if code, body := call(t, "GET", base, ""); code != 200 || strings.TrimSpace(body) != `{"type":"default","selectStrategy":{"type":"fillCapacity"},"autoScaler":null}` {
		t.Fatalf("default config: %d %s", code, body)
	}
	if code, body := call(t, "GET", base+"/history", ""); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Fatalf("history before any change: %d %s", code, body)
	}
	post := func(body, author, comment string) (int, string) {
		t.Helper()
		return callWithHeaders(t, "POST", base, body, map[string]string{"X-Druid-Author": author, "X-Druid-Comment": comment})
	}
	for _, tc := range []struct{ body, want string }{
		{`{"type":"default","selectStrategy":{"type":"equalDistribution"},"autoScaler":null}`, `{"type":"default","selectStrategy":{"type":"equalDistribution"},"autoScaler":null}`},
		// Druid's defaults: no type is "default", a selectStrategy without one equalDistribution.
		{`{"selectStrategy":{"type":"fillCapacity","affinityConfig":null}}`, `{"type":"default","selectStrategy":{"type":"fillCapacity"},"autoScaler":null}`},
		{`{"selectStrategy":{}}`, `{"type":"default","selectStrategy":{"type":"equalDistribution"},"autoScaler":null}`},
	} {
		if code, body := post(tc.body, "ops", "set "+tc.body); code != 200 || body != "" {
			t.Fatalf("POST %s: %d %q, want 200 and no body", tc.body, code, body)
		}
		if code, body := call(t, "GET", base, ""); code != 200 || strings.TrimSpace(body) != tc.want {
			t.Fatalf("after POST %s: %d %s, want %s", tc.body, code, body, tc.want)
		}
	}
	for _, tc := range []struct{ body, field string }{
		{`{"selectStrategy":`, "body: must be a JSON object"},
		{`[]`, "body: must be a JSON object"},
		{`null`, "body: must be a JSON object, not null"},
		{`{"type":"remote"}`, `type: "remote" is not supported`},
		{`{"selectStrategy":{"type":"random"}}`, `selectStrategy.type: "random" is not a worker select strategy`},
		{`{"selectStrategy":{"type":"equalDistributionWithCategorySpec","workerCategorySpec":{}}}`, `selectStrategy.type: "equalDistributionWithCategorySpec" is not supported`},
		{`{"selectStrategy":{"type":"fillCapacity","affinityConfig":{"affinity":{}}}}`, "selectStrategy.affinityConfig: not supported"},
		{`{"selectStrategy":{"type":7}}`, "selectStrategy.type: must be a string"},
		{`{"selectStrategy":"fillCapacity"}`, "selectStrategy: must be a JSON object"},
		{`{"autoScaler":{"type":"ec2"}}`, "autoScaler: not supported"},
		{`{"selectStrategy":{"type":"fillCapacity"},"strategy":"x"}`, "strategy: unknown field"},
	} {
		code, body := post(tc.body, "ops", "bad")
		var e struct{ Error string }
		if code != 400 || json.Unmarshal([]byte(body), &e) != nil || !strings.HasPrefix(e.Error, tc.field) {
			t.Errorf("POST %s: %d %s, want 400 starting %q", tc.body, code, body, tc.field)
		}
	}
	if code, body := call(t, "GET", base, ""); code != 200 || !strings.Contains(body, `"equalDistribution"`) {
		t.Fatalf("a refused POST changed the config: %d %s", code, body)
	}

	var hist []struct {
		Key       string `json:"key"`
		Type      string `json:"type"`
		AuditInfo struct {
			Author  string `json:"author"`
			Comment string `json:"comment"`
		} `json:"auditInfo"`
		Payload   string `json:"payload"`
		AuditTime string `json:"auditTime"`
	}
	code, body := call(t, "GET", base+"/history", "")
	if err := json.Unmarshal([]byte(body), &hist); code != 200 || err != nil || len(hist) != 3 {
		t.Fatalf("history: %d %s, want the three accepted changes", code, body)
	}
	if h := hist[0]; h.Key != "worker.config" || h.Type != "worker.config" || h.AuditInfo.Author != "ops" ||
		h.AuditInfo.Comment != `set {"selectStrategy":{}}` || !strings.Contains(h.Payload, `"equalDistribution"`) || h.AuditTime == "" {
		t.Errorf("newest history entry: %+v", h)
	}
	if !strings.Contains(hist[1].Payload, `"fillCapacity"`) {
		t.Errorf("second entry: %+v", hist[1])
	}
	if code, body := call(t, "GET", base+"/history?count=1", ""); code != 200 || strings.Count(body, `"key"`) != 1 {
		t.Errorf("history?count=1: %d %s", code, body)
	}
	for _, q := range []string{"count=0", "count=x", "interval=yesterday"} {
		if code, body := call(t, "GET", base+"/history?"+q, ""); code != 400 || !strings.Contains(body, strings.Split(q, "=")[0]+": ") {
			t.Errorf("history?%s: %d %s, want 400 naming the parameter", q, code, body)
		}
	}
	past := time.Now().Add(-48*time.Hour).UTC().Format(time.RFC3339) + "/" + time.Now().Add(-24*time.Hour).UTC().Format(time.RFC3339)
	if code, body := call(t, "GET", base+"/history?interval="+past, ""); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("history of an interval before the changes: %d %s", code, body)
	}
	now := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) + "_" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if code, body := call(t, "GET", base+"/history?interval="+now, ""); code != 200 || strings.Count(body, `"key"`) != 3 {
		t.Errorf("history of an interval around the changes: %d %s", code, body)
	}
}
