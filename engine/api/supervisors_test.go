package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

const base = "/druid/indexer/v1/supervisor"

// harness is an API server over a real metadata store, restartable on the same store.
type harness struct {
	t      *testing.T
	open   func() metadata.Store
	store  metadata.Store
	srv    *httptest.Server
	runner *task.Runner
	opts   Options
}

func newHarness(t *testing.T, open func() metadata.Store, opts Options) *harness {
	h := &harness{t: t, open: open, opts: opts}
	h.start()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) start() {
	h.store = h.open()
	opts := supervisor.DefaultOptions()
	opts.Logger = slog.New(slog.DiscardHandler)
	mgr := supervisor.NewManager(h.store, opts)
	if err := mgr.Load(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.runner = task.NewRunner(task.RunnerOptions{WorkDir: h.t.TempDir(), Store: h.store, Storage: &storage.Local{Root: h.t.TempDir()}, Logger: opts.Logger})
	h.srv = httptest.NewServer(New(Services{Supervisors: mgr, Tasks: h.runner, Segments: metadata.NewCatalog(h.store)}, h.opts))
}

func (h *harness) stop() {
	if h.srv != nil {
		h.srv.Close()
		h.runner.Close()
		h.store.Close()
		h.srv = nil
	}
}

// restart simulates a daemon restart on the same metadata store.
func (h *harness) restart() { h.stop(); h.start() }

func (h *harness) do(method, path, body string) (int, string) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// expect checks status and an exact body (or, with a leading "~", a substring).
func (h *harness) expect(method, path, body string, code int, want string) string {
	h.t.Helper()
	gotCode, full := h.do(method, path, body)
	got := full
	if len(got) > 2000 {
		got = got[:2000] + "…"
	}
	if gotCode != code {
		h.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, gotCode, code, got)
	}
	if sub, ok := strings.CutPrefix(want, "~"); ok {
		if !strings.Contains(full, sub) {
			h.t.Fatalf("%s %s: body %s\nwant it to contain %s", method, path, got, sub)
		}
	} else if want != "" && full != want {
		h.t.Fatalf("%s %s: body %s\nwant %s", method, path, got, want)
	}
	return full
}

func specFile(t *testing.T, name string) string {
	b, err := os.ReadFile(filepath.Join("..", "spec", "testdata", "specs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func embeddedStore(t *testing.T) func() metadata.Store {
	dir := t.TempDir()
	return func() metadata.Store {
		s, err := embedded.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

func postgresStore(t *testing.T) func() metadata.Store {
	dsn := metadatatest.FreshPostgresSchema(t)
	return func() metadata.Store {
		s, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

func TestSupervisorLifecycle(t *testing.T) {
	for _, store := range []struct {
		name string
		open func(t *testing.T) func() metadata.Store
	}{{"embedded", embeddedStore}, {"postgres", postgresStore}} {
		t.Run(store.name, func(t *testing.T) {
			h := newHarness(t, store.open(t), Options{Version: "test"})
			testLifecycle(t, h)
		})
	}
}

func testLifecycle(t *testing.T, h *harness) {
	// The three spec shapes the seeds show are all accepted.
	h.expect("POST", base, specFile(t, "legacy_parser.json"), 200, `{"id":"metrics-kafka"}`)
	h.expect("POST", base, specFile(t, "wrapped.json"), 200, `{"id":"wikipedia"}`)
	h.expect("POST", base, specFile(t, "input_format.json"), 200, `{"id":"metrics-kafka"}`) // replaces
	h.expect("GET", base, "", 200, `["metrics-kafka","wikipedia"]`)

	// GET spec echoes Druid's shape.
	sp := h.expect("GET", base+"/metrics-kafka", "", 200, "")
	var echo map[string]any
	if err := json.Unmarshal([]byte(sp), &echo); err != nil {
		t.Fatal(err)
	}
	io := echo["ioConfig"].(map[string]any)
	if io["taskDuration"] != "PT3600S" || io["stream"] != "metrics" || echo["suspended"] != false || echo["spec"] == nil {
		t.Errorf("echo not in Druid's shape: %s", sp)
	}

	h.expect("GET", base+"?state=true", "", 200,
		`[{"id":"metrics-kafka","state":"PENDING","detailedState":"PENDING","healthy":true,"suspended":false},{"id":"wikipedia","state":"PENDING","detailedState":"PENDING","healthy":true,"suspended":false}]`)
	full := h.expect("GET", base+"?full", "", 200, `~"spec":{"type":"kafka"`)
	if strings.Contains(full, "specString") {
		t.Errorf("?full carries specString: %s", full)
	}
	h.expect("GET", base+"?system", "", 200, `~"specString":"{\"type\":\"kafka\"`)
	h.expect("GET", base+"?system", "", 200, `~"type":"kafka","source":"metrics"`)

	// Status, health, stats, parseErrors.
	h.expect("GET", base+"/metrics-kafka/status", "", 200, `~"payload":{"dataSource":"metrics-kafka","stream":"metrics","partitions":0,"replicas":1,"durationSeconds":3600,"activeTasks":[],"publishingTasks":[],"suspended":false,"healthy":true,"state":"PENDING","detailedState":"PENDING","recentErrors":[]}`)
	h.expect("GET", base+"/metrics-kafka/health", "", 200, `{"healthy":true}`)
	h.expect("GET", base+"/metrics-kafka/stats", "", 200, `{}`)
	h.expect("GET", base+"/metrics-kafka/parseErrors", "", 200, `[]`)

	// Suspend and resume, with Druid's 400s when already in that state.
	h.expect("POST", base+"/metrics-kafka/suspend", "", 200, `~"suspended":true}`)
	h.expect("POST", base+"/metrics-kafka/suspend", "", 400, `{"error":"[metrics-kafka] is already suspended"}`)
	h.expect("GET", base+"/metrics-kafka/status", "", 200, `~"state":"SUSPENDED","detailedState":"SUSPENDED"`)
	h.expect("POST", base+"/metrics-kafka/resume", "", 200, `~"suspended":false}`)
	h.expect("POST", base+"/metrics-kafka/resume", "", 400, `{"error":"[metrics-kafka] is already running"}`)
	h.expect("POST", base+"/suspendAll", "", 200, `{"status":"success"}`)
	h.expect("GET", base+"?state=true", "", 200, `~"id":"wikipedia","state":"SUSPENDED","detailedState":"SUSPENDED","healthy":true,"suspended":true`)
	h.expect("POST", base+"/resumeAll", "", 200, `{"status":"success"}`)
	h.expect("POST", base+"/wikipedia/suspend", "", 200, "")

	// Reset and resetOffsets.
	h.expect("POST", base+"/metrics-kafka/reset", "", 200, `{"id":"metrics-kafka"}`)
	h.expect("POST", base+"/metrics-kafka/resetOffsets", `{"type":"kafka","partitions":{"type":"end","stream":"metrics","partitionOffsetMap":{"0":100,"2":650}}}`, 200, `{"id":"metrics-kafka"}`)
	h.expect("POST", base+"/metrics-kafka/resetOffsets", `{"type":"kafka","partitions":{"topic":"metrics","partitionSequenceNumberMap":{"1":7}}}`, 200, `{"id":"metrics-kafka"}`)
	md, err := h.store.GetDataSourceMetadata(context.Background(), "metrics-kafka")
	if err != nil || md.Offsets[druidapi.Partition{ID: 0}] != 100 || md.Offsets[druidapi.Partition{ID: 1}] != 7 || md.Offsets[druidapi.Partition{ID: 2}] != 650 {
		t.Fatalf("resetOffsets did not merge: %+v %v", md, err)
	}
	h.expect("POST", base+"/metrics-kafka/resetOffsets", `{"type":"kinesis","partitions":{"stream":"metrics","partitionOffsetMap":{"0":1}}}`, 400, `~metadata type must be \"kafka\"`)
	h.expect("POST", base+"/metrics-kafka/resetOffsets", `{"type":"kafka","partitions":{"type":"start","stream":"metrics","partitionOffsetMap":{"0":1}}}`, 400, `~partitions.type must be \"end\"`)
	h.expect("POST", base+"/metrics-kafka/resetOffsets", `{"type":"kafka","partitions":{"type":"end","stream":"other","partitionOffsetMap":{"0":1}}}`, 400, `~does not match the supervisor's stream \"metrics\"`)
	h.expect("POST", base+"/metrics-kafka/reset", "", 200, "")
	if _, err := h.store.GetDataSourceMetadata(context.Background(), "metrics-kafka"); err == nil {
		t.Fatal("reset kept the stored offsets")
	}

	// Restart: both come back in the state they had.
	h.restart()
	h.expect("GET", base+"?state=true", "", 200,
		`[{"id":"metrics-kafka","state":"PENDING","detailedState":"PENDING","healthy":true,"suspended":false},{"id":"wikipedia","state":"SUSPENDED","detailedState":"SUSPENDED","healthy":true,"suspended":true}]`)

	// Terminate (and its alias), history kept, not restarted.
	h.expect("POST", base+"/wikipedia/terminate", "", 200, `{"id":"wikipedia"}`)
	h.expect("POST", base+"/wikipedia/terminate", "", 404, `{"error":"[wikipedia] does not exist"}`)
	h.expect("POST", base+"/metrics-kafka/shutdown", "", 200, `{"id":"metrics-kafka"}`)
	h.restart()
	h.expect("GET", base, "", 200, `[]`)
	hist := h.expect("GET", base+"/wikipedia/history", "", 200, `~"type":"NoopSupervisorSpec"`)
	var entries []supervisor.HistoryEntry
	if err := json.Unmarshal([]byte(hist), &entries); err != nil || len(entries) != 5 {
		// create, suspendAll, resumeAll, suspend, terminate
		t.Fatalf("wikipedia history: %d entries (%v), want 5", len(entries), err)
	}
	if !strings.Contains(string(entries[0].Spec), "NoopSupervisorSpec") || !strings.Contains(string(entries[1].Spec), `"suspended":true`) {
		t.Errorf("history not newest first")
	}
	if entries[0].Version <= entries[1].Version {
		t.Errorf("versions not descending: %s, %s", entries[0].Version, entries[1].Version)
	}
	h.expect("GET", base+"/wikipedia/history?count=1", "", 200, `~"version"`)
	all := h.expect("GET", base+"/history", "", 200, "")
	var allHist map[string][]supervisor.HistoryEntry
	if err := json.Unmarshal([]byte(all), &allHist); err != nil || len(allHist["metrics-kafka"]) < 5 || len(allHist["wikipedia"]) != 5 {
		t.Fatalf("all history: %v, %d and %d entries", err, len(allHist["metrics-kafka"]), len(allHist["wikipedia"]))
	}
	// A terminated id can be created again.
	h.expect("POST", base, specFile(t, "wrapped.json"), 200, `{"id":"wikipedia"}`)
	h.expect("POST", base+"/terminateAll", "", 200, `{"status":"success"}`)
	h.expect("GET", base, "", 200, `[]`)
}

func TestSupervisorErrors(t *testing.T) {
	h := newHarness(t, embeddedStore(t), Options{})
	h.expect("POST", base, `{"type":"kafka",`, 400, `~malformed JSON`)
	h.expect("POST", base, `{"type":"kinesis"}`, 400, `{"error":"type: unknown supervisor type \"kinesis\" (expected \"kafka\")"}`)
	h.expect("POST", base, `{"type":"kafka","dataSchema":{"dataSource":"d"},"ioConfig":{"topic":"t","taskCount":0,"inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`,
		400, `{"error":"ioConfig.taskCount: must be ≥ 1, got 0"}`)
	for _, p := range []string{"", "/status", "/stats", "/parseErrors"} {
		h.expect("GET", base+"/nope"+p, "", 404, `{"error":"[nope] does not exist"}`)
	}
	h.expect("GET", base+"/nope/health", "", 404, `{"error":"[nope] does not exist or health check not implemented"}`)
	h.expect("GET", base+"/nope/history", "", 404, `{"error":"No history for [nope]."}`)
	for _, p := range []string{"/suspend", "/resume", "/reset", "/terminate", "/shutdown"} {
		h.expect("POST", base+"/nope"+p, "", 404, `{"error":"[nope] does not exist"}`)
	}
	h.expect("POST", base+"/nope/resetOffsets", `{"type":"kafka"}`, 404, "")

	// A declared non-JSON content type is a 415.
	req, _ := http.NewRequest("POST", h.srv.URL+base, strings.NewReader("<xml/>"))
	req.Header.Set("Content-Type", "application/xml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("xml body: status %d, want 415", resp.StatusCode)
	}

	// validateOnly checks without storing.
	h.expect("POST", base+"?validateOnly=true", specFile(t, "wrapped.json"), 200, `{"id":"wikipedia","valid":true}`)
	h.expect("POST", base+"?validateOnly=true", `{"type":"kafka","dataSchema":{"dataSource":"d","metricsSpec":[{"type":"doubleSum","name":"x"}]},"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`,
		400, `{"error":"dataSchema.metricsSpec[0].fieldName: missing (required by doubleSum)"}`)
	h.expect("GET", base, "", 200, `[]`)

	// Status endpoints.
	h.expect("GET", "/status/health", "", 200, "true")
	h.expect("GET", "/status", "", 200, `~"kafkaIndexer":true`)
}

func TestBodyLimit(t *testing.T) {
	h := newHarness(t, embeddedStore(t), Options{MaxBodyBytes: 100})
	h.expect("POST", base, specFile(t, "wrapped.json"), 413, `~request body too large`)
}

func TestBasicAuth(t *testing.T) {
	h := newHarness(t, embeddedStore(t), Options{Username: "admin", Password: "s3cret"})
	h.expect("GET", base, "", 401, `~requires HTTP basic auth`)
	h.expect("GET", "/status", "", 401, "")
	h.expect("GET", "/status/health", "", 200, "true") // load balancers need no credentials
	req, _ := http.NewRequest("GET", h.srv.URL+base, nil)
	req.SetBasicAuth("admin", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("with credentials: %d", resp.StatusCode)
	}
	req.SetBasicAuth("admin", "wrong")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
}
