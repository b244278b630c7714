// Package fakedruid is an in-memory stand-in for the supervisor API of an
// Apache Druid Overlord (SupervisorResource), for provider tests.
//
// It echoes specs the way Druid does (reference §1.3): defaults added,
// ioConfig durations canonicalised to seconds (PT1H → PT3600S), aliases
// written next to each other, string dimensions expanded, granularities
// rewritten, the three sections duplicated inside "spec" and at the top
// level, and "suspended" set. Status codes and error bodies follow Druid:
// 404 {"error":"[id] does not exist"}, 400 "already suspended/running".
//
// Like real Druid it ignores validateOnly (the spec is stored) and its
// /status has no kafkaIndexer field, unless Options.KafkaIndexer is set, in
// which case it behaves like kafka-indexer: validateOnly validates without
// storing and /status says kafkaIndexer:true.
package fakedruid

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
)

// Options configure a Server.
type Options struct {
	// KafkaIndexer makes the server identify as kafka-indexer and honour
	// POST /supervisor?validateOnly=true.
	KafkaIndexer bool
}

// Server is a fake Overlord. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	srv  *httptest.Server

	mu      sync.Mutex
	specs   map[string]map[string]any // id → echoed spec
	history map[string][]historyEntry // id → newest first
	posts   []string                  // bodies of POST /supervisor, in order
}

type historyEntry struct {
	Spec    any    `json:"spec"`
	Version string `json:"version"`
}

// Start starts a fake Overlord on loopback; Close stops it.
func Start(opts Options) *Server {
	s := &Server{opts: opts, specs: map[string]map[string]any{}, history: map[string][]historyEntry{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the base URL to use as the provider's endpoint.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Posts returns the bodies of every POST /supervisor received so far.
func (s *Server) Posts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.posts...)
}

const base = "/druid/indexer/v1/supervisor"

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func errorf(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := r.URL.Path
	switch {
	case p == "/status" && r.Method == http.MethodGet:
		st := map[string]any{"version": "30.0.0", "modules": []any{}}
		if s.opts.KafkaIndexer {
			st = map[string]any{"version": "0.0.0-fake", "kafkaIndexer": true}
		}
		writeJSON(w, 200, st)
	case p == base && r.Method == http.MethodPost:
		s.post(w, r)
	case p == base && r.Method == http.MethodGet:
		s.list(w, r)
	case p == base+"/history" && r.Method == http.MethodGet:
		writeJSON(w, 200, s.history)
	case p == base+"/suspendAll" || p == base+"/resumeAll":
		for id, sp := range s.specs {
			s.setSuspended(id, sp, strings.HasSuffix(p, "suspendAll"))
		}
		writeJSON(w, 200, map[string]string{"status": "success"})
	case p == base+"/terminateAll":
		for id := range s.specs {
			s.terminate(id)
		}
		writeJSON(w, 200, map[string]string{"status": "success"})
	case strings.HasPrefix(p, base+"/"):
		rest := strings.TrimPrefix(r.URL.EscapedPath(), base+"/")
		idEsc, action, _ := strings.Cut(rest, "/")
		id, err := url.PathUnescape(idEsc)
		if err != nil {
			errorf(w, 400, "bad id")
			return
		}
		s.supervisor(w, r, id, action)
	default:
		errorf(w, 404, "no route %s %s", r.Method, p)
	}
}

func (s *Server) supervisor(w http.ResponseWriter, r *http.Request, id, action string) {
	sp, ok := s.specs[id]
	if action == "history" {
		h := s.history[id]
		if len(h) == 0 {
			errorf(w, 404, "No history for [%s].", id)
			return
		}
		writeJSON(w, 200, h)
		return
	}
	if !ok {
		if action == "health" {
			errorf(w, 404, "[%s] does not exist or health check not implemented", id)
			return
		}
		errorf(w, 404, "[%s] does not exist", id)
		return
	}
	suspended, _ := sp["suspended"].(bool)
	switch {
	case action == "" && r.Method == http.MethodGet:
		writeJSON(w, 200, sp)
	case action == "status" && r.Method == http.MethodGet:
		state := "RUNNING"
		if suspended {
			state = "SUSPENDED"
		}
		io, _ := sp["ioConfig"].(map[string]any)
		ds, _ := sp["dataSchema"].(map[string]any)
		writeJSON(w, 200, map[string]any{
			"id": id, "generationTime": time.Now().UTC().Format(client.TimeLayout),
			"payload": map[string]any{
				"dataSource": ds["dataSource"], "stream": io["topic"], "partitions": 2,
				"replicas": io["replicas"], "durationSeconds": 3600,
				"activeTasks": []any{}, "publishingTasks": []any{},
				"aggregateLag": 0, "suspended": suspended, "healthy": true,
				"state": state, "detailedState": state, "recentErrors": []any{},
			},
		})
	case action == "health" && r.Method == http.MethodGet:
		writeJSON(w, 200, map[string]bool{"healthy": true})
	case action == "stats" && r.Method == http.MethodGet:
		writeJSON(w, 200, map[string]any{})
	case action == "parseErrors" && r.Method == http.MethodGet:
		writeJSON(w, 200, []any{})
	case action == "suspend" && r.Method == http.MethodPost:
		if suspended {
			errorf(w, 400, "[%s] is already suspended", id)
			return
		}
		writeJSON(w, 200, s.setSuspended(id, sp, true))
	case action == "resume" && r.Method == http.MethodPost:
		if !suspended {
			errorf(w, 400, "[%s] is already running", id)
			return
		}
		writeJSON(w, 200, s.setSuspended(id, sp, false))
	case (action == "terminate" || action == "shutdown") && r.Method == http.MethodPost:
		s.terminate(id)
		writeJSON(w, 200, map[string]string{"id": id})
	case (action == "reset" || action == "resetOffsets") && r.Method == http.MethodPost:
		writeJSON(w, 200, map[string]string{"id": id})
	default:
		errorf(w, 404, "no route %s %s", r.Method, r.URL.Path)
	}
}

func (s *Server) record(id string, spec any) {
	s.history[id] = append([]historyEntry{{Spec: spec, Version: time.Now().UTC().Format(time.RFC3339Nano)}}, s.history[id]...)
}

func (s *Server) terminate(id string) {
	sp := s.specs[id]
	ds, _ := sp["dataSchema"].(map[string]any)
	delete(s.specs, id)
	s.record(id, map[string]any{"type": "NoopSupervisorSpec", "id": nil, "dataSources": []any{ds["dataSource"]}, "suspended": false, "source": "noop"})
}

func (s *Server) setSuspended(id string, sp map[string]any, v bool) map[string]any {
	sp["suspended"] = v
	s.record(id, sp)
	return sp
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ids := make([]string, 0, len(s.specs))
	for id := range s.specs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	_, full := q["full"]
	if !full && q.Get("state") != "true" {
		writeJSON(w, 200, ids)
		return
	}
	out := []map[string]any{}
	for _, id := range ids {
		sp := s.specs[id]
		suspended, _ := sp["suspended"].(bool)
		state := "RUNNING"
		if suspended {
			state = "SUSPENDED"
		}
		item := map[string]any{"id": id, "state": state, "detailedState": state, "healthy": true, "suspended": suspended}
		if full {
			item["spec"] = sp
		}
		out = append(out, item)
	}
	writeJSON(w, 200, out)
}

func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		errorf(w, 400, "Unable to parse spec: %v", err)
		return
	}
	spec, id, err := echo(in)
	if err != nil {
		errorf(w, 400, "%v", err)
		return
	}
	if s.opts.KafkaIndexer && r.URL.Query().Get("validateOnly") == "true" {
		writeJSON(w, 200, map[string]string{"id": id})
		return
	}
	s.posts = append(s.posts, string(body))
	s.specs[id] = spec
	s.record(id, spec)
	writeJSON(w, 200, map[string]string{"id": id})
}

// echo validates a posted spec and builds what GET /supervisor/{id} returns.
func echo(in map[string]any) (map[string]any, string, error) {
	if t, _ := in["type"].(string); t != "kafka" {
		//lint:ignore ST1005 the fake answers with Druid's exact (Jackson) message
		return nil, "", fmt.Errorf("Could not resolve type id '%v' as a subtype of SupervisorSpec", in["type"])
	}
	sec := map[string]map[string]any{}
	for _, name := range []string{"dataSchema", "ioConfig", "tuningConfig"} {
		v, _ := in[name].(map[string]any)
		if inner, ok := in["spec"].(map[string]any); ok {
			if iv, ok := inner[name].(map[string]any); ok {
				v = iv
			}
		}
		sec[name] = clone(v)
	}
	ds, io, tc := sec["dataSchema"], sec["ioConfig"], sec["tuningConfig"]
	if ds == nil || ds["dataSource"] == nil || ds["dataSource"] == "" {
		return nil, "", fmt.Errorf("dataSchema.dataSource: must not be empty")
	}
	if io == nil {
		return nil, "", fmt.Errorf("ioConfig: must not be null")
	}
	if n, ok := io["taskCount"].(json.Number); ok {
		if v, _ := n.Int64(); v < 1 {
			return nil, "", fmt.Errorf("ioConfig.taskCount: must be ≥ 1")
		}
	}
	id, _ := ds["dataSource"].(string)
	if s, ok := in["id"].(string); ok && s != "" {
		id = s
	}

	// ioConfig (KafkaSupervisorIOConfig): defaults, aliases, Joda durations.
	if io["topic"] == nil {
		io["topic"] = io["stream"]
	}
	if io["useEarliestOffset"] == nil {
		io["useEarliestOffset"] = io["useEarliestSequenceNumber"]
	}
	defaults(io, map[string]any{
		"replicas": json.Number("1"), "taskCount": json.Number("1"), "taskDuration": "PT1H",
		"autoScalerConfig": nil, "pollTimeout": json.Number("100"), "startDelay": "PT5S", "period": "PT30S",
		"useEarliestOffset": false, "completionTimeout": "PT30M", "lateMessageRejectionPeriod": nil,
		"earlyMessageRejectionPeriod": nil, "lateMessageRejectionStartDateTime": nil,
		"configOverrides": nil, "idleConfig": nil,
	})
	for _, k := range []string{"taskDuration", "startDelay", "period", "completionTimeout", "lateMessageRejectionPeriod", "earlyMessageRejectionPeriod"} {
		if s, ok := io[k].(string); ok {
			io[k] = seconds(s)
		}
	}
	io["stream"] = io["topic"]
	io["useEarliestSequenceNumber"] = io["useEarliestOffset"]
	if f, ok := io["inputFormat"].(map[string]any); ok && f["type"] == "json" {
		defaults(f, map[string]any{"keepNullColumns": false, "assumeNewlineDelimited": false, "useJsonNodeReader": false})
	}

	// tuningConfig (KafkaIndexTaskTuningConfig).
	if tc == nil {
		tc = map[string]any{}
	}
	defaults(tc, map[string]any{
		"type": "kafka", "appendableIndexSpec": map[string]any{"type": "onheap", "preserveExistingMetrics": false},
		"maxRowsInMemory": json.Number("150000"), "maxBytesInMemory": json.Number("0"),
		"skipBytesInMemoryOverheadCheck": false, "maxRowsPerSegment": json.Number("5000000"),
		"maxTotalRows": nil, "intermediatePersistPeriod": "PT10M", "maxPendingPersists": json.Number("0"),
		"reportParseExceptions": false, "handoffConditionTimeout": json.Number("900000"),
		"resetOffsetAutomatically": false, "segmentWriteOutMediumFactory": nil, "workerThreads": nil,
		"chatRetries": json.Number("8"), "httpTimeout": "PT10S", "shutdownTimeout": "PT80S",
		"offsetFetchPeriod": "PT30S", "intermediateHandoffPeriod": "P2147483647D",
		"logParseExceptions": false, "maxParseExceptions": json.Number("2147483647"),
		"maxSavedParseExceptions": json.Number("0"), "skipSequenceNumberAvailabilityCheck": false,
		"repartitionTransitionDuration": "PT120S", "numPersistThreads": json.Number("1"), "chatAsync": true,
	})

	// dataSchema: expanded dimensions, exclusions, granularitySpec objects.
	ts, _ := ds["timestampSpec"].(map[string]any)
	if ts == nil {
		ts = map[string]any{"column": "timestamp", "format": "auto"}
		ds["timestampSpec"] = ts
	}
	defaults(ts, map[string]any{"column": "timestamp", "format": "auto", "missingValue": nil})
	dsp, _ := ds["dimensionsSpec"].(map[string]any)
	if dsp == nil {
		dsp = map[string]any{}
		ds["dimensionsSpec"] = dsp
	}
	dims, _ := dsp["dimensions"].([]any)
	expanded := []any{}
	for _, d := range dims {
		var m map[string]any
		switch t := d.(type) {
		case string:
			m = map[string]any{"type": "string", "name": t}
		case map[string]any:
			m = t
		}
		defaults(m, map[string]any{"type": "string", "multiValueHandling": "SORTED_ARRAY"})
		defaults(m, map[string]any{"createBitmapIndex": m["type"] == "string"})
		expanded = append(expanded, m)
	}
	dsp["dimensions"] = expanded
	excl, _ := dsp["dimensionExclusions"].([]any)
	have := map[any]bool{}
	for _, e := range excl {
		have[e] = true
	}
	for _, e := range []any{"__time", ts["column"]} {
		if !have[e] {
			excl = append(excl, e)
			have[e] = true
		}
	}
	sort.Slice(excl, func(i, j int) bool { return fmt.Sprint(excl[i]) < fmt.Sprint(excl[j]) })
	dsp["dimensionExclusions"] = excl
	defaults(dsp, map[string]any{"includeAllDimensions": false, "useSchemaDiscovery": false})
	defaults(ds, map[string]any{"metricsSpec": []any{}, "transformSpec": map[string]any{"filter": nil, "transforms": []any{}}})
	gs, _ := ds["granularitySpec"].(map[string]any)
	if gs == nil {
		gs = map[string]any{}
		ds["granularitySpec"] = gs
	}
	defaults(gs, map[string]any{"type": "uniform", "segmentGranularity": "DAY", "queryGranularity": "NONE", "rollup": true, "intervals": []any{}})
	if s, ok := gs["segmentGranularity"].(string); ok {
		gs["segmentGranularity"] = strings.ToUpper(s)
	}
	if s, ok := gs["queryGranularity"].(string); ok {
		gs["queryGranularity"] = map[string]any{"type": strings.ToLower(s)}
	}

	suspended, _ := in["suspended"].(bool)
	out := map[string]any{
		"type": "kafka",
		"spec": map[string]any{"dataSchema": ds, "ioConfig": io, "tuningConfig": tc},
		// The top-level copies are separate objects, as after a JSON round trip in Druid.
		"dataSchema": clone(ds), "ioConfig": clone(io), "tuningConfig": clone(tc),
		"context":   in["context"],
		"suspended": suspended,
	}
	return out, id, nil
}

func defaults(m map[string]any, d map[string]any) {
	for k, v := range d {
		if cur, ok := m[k]; !ok || cur == nil {
			m[k] = v
		}
	}
}

func clone(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	var out map[string]any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	_ = dec.Decode(&out)
	return out
}

var isoRE = regexp.MustCompile(`^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$`)

// seconds rewrites PTnHnMnS as Joda's Duration.toString does (PT3600S).
func seconds(s string) string {
	m := isoRE.FindStringSubmatch(s)
	if m == nil || s == "PT" {
		return s
	}
	var total int64
	for i, mult := range []int64{3600, 60, 1} {
		if m[i+1] != "" {
			n, _ := strconv.ParseInt(m[i+1], 10, 64)
			total += n * mult
		}
	}
	return fmt.Sprintf("PT%dS", total)
}
