package client

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// recorder is an httptest handler answering from a table keyed by
// "METHOD /path?query" and recording what it received.
type recorder struct {
	mu      sync.Mutex
	answers map[string]answer
	got     []request
}

type answer struct {
	status int
	body   string
}

type request struct {
	key    string
	body   string
	header http.Header
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	key := req.Method + " " + req.URL.EscapedPath()
	if req.URL.RawQuery != "" {
		key += "?" + req.URL.RawQuery
	}
	r.mu.Lock()
	r.got = append(r.got, request{key: key, body: string(b), header: req.Header.Clone()})
	a, ok := r.answers[key]
	r.mu.Unlock()
	if !ok {
		a = answer{http.StatusNotFound, `{"error":"no route ` + key + `"}`}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func newTestClient(t *testing.T, h http.Handler, opts ...Opt) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	opts = append([]Opt{WithRetryWait(time.Millisecond, 5*time.Millisecond)}, opts...)
	c, err := New(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewValidation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		endpoint string
		opts     []Opt
		wantErr  string
	}{
		{name: "ok", endpoint: "http://127.0.0.1:8090"},
		{name: "trailing slash", endpoint: "https://druid:8281/"},
		{name: "no scheme", endpoint: "127.0.0.1:8090", wantErr: "127.0.0.1:8090"},
		{name: "bad scheme", endpoint: "ftp://druid", wantErr: "absolute http or https"},
		{name: "negative retries", endpoint: "http://x", opts: []Opt{WithMaxRetries(-1)}, wantErr: "max retries"},
		{name: "password only", endpoint: "http://x", opts: []Opt{WithBasicAuth("", "p")}, wantErr: "without a username"},
		{name: "bad ca", endpoint: "http://x", opts: []Opt{WithCACert([]byte("junk"))}, wantErr: "no PEM"},
		{name: "client and tls", endpoint: "http://x", opts: []Opt{WithHTTPClient(http.DefaultClient), WithInsecureSkipVerify(true)}, wantErr: "cannot be combined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.endpoint, tc.opts...)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error = %v, want containing %q", err, tc.wantErr)
			}
		})
	}
}

const echoedSpec = `{"type":"kafka","spec":{"dataSchema":{"dataSource":"ds"}},"dataSchema":{"dataSource":"ds"},"suspended":true}`

func TestMethods(t *testing.T) {
	rec := &recorder{answers: map[string]answer{
		"POST /druid/indexer/v1/supervisor":                 {200, `{"id":"ds"}`},
		"GET /druid/indexer/v1/supervisor":                  {200, `["a","b"]`},
		"GET /druid/indexer/v1/supervisor?full":             {200, `[{"id":"a","state":"RUNNING","detailedState":"RUNNING","healthy":true,"suspended":false,"spec":{"type":"kafka"}}]`},
		"GET /druid/indexer/v1/supervisor?state=true":       {200, `[{"id":"a","state":"SUSPENDED","detailedState":"SUSPENDED","healthy":true,"suspended":true}]`},
		"GET /druid/indexer/v1/supervisor/a%2Fb":            {200, echoedSpec},
		"GET /druid/indexer/v1/supervisor/ds/status":        {200, `{"id":"ds","generationTime":"2023-07-05T23:24:43.934Z","payload":{"dataSource":"ds","stream":"t","partitions":2,"replicas":1,"durationSeconds":3600,"activeTasks":[{"id":"t1","startTime":null,"remainingSeconds":null,"type":"ACTIVE","lag":{"0":3}}],"publishingTasks":[],"aggregateLag":3,"suspended":false,"healthy":true,"state":"RUNNING","detailedState":"RUNNING"}}`},
		"GET /druid/indexer/v1/supervisor/ds/health":        {200, `{"healthy":true}`},
		"GET /druid/indexer/v1/supervisor/sick/health":      {503, `{"healthy":false}`},
		"GET /druid/indexer/v1/supervisor/ds/stats":         {200, `{"0":{"t1":{"totals":{}}}}`},
		"GET /druid/indexer/v1/supervisor/ds/parseErrors":   {200, `[]`},
		"POST /druid/indexer/v1/supervisor/ds/suspend":      {200, echoedSpec},
		"POST /druid/indexer/v1/supervisor/ds/resume":       {200, `{"type":"kafka","suspended":false}`},
		"POST /druid/indexer/v1/supervisor/suspendAll":      {200, `{"status":"success"}`},
		"POST /druid/indexer/v1/supervisor/resumeAll":       {200, `{"status":"success"}`},
		"POST /druid/indexer/v1/supervisor/ds/reset":        {200, `{"id":"ds"}`},
		"POST /druid/indexer/v1/supervisor/ds/resetOffsets": {200, `{"id":"ds"}`},
		"POST /druid/indexer/v1/supervisor/ds/terminate":    {200, `{"id":"ds"}`},
		"POST /druid/indexer/v1/supervisor/terminateAll":    {200, `{"status":"success"}`},
		"GET /druid/indexer/v1/supervisor/history":          {200, `{"ds":[{"spec":{"type":"kafka"},"version":"2023-07-05T23:24:43.934Z"}]}`},
		"GET /druid/indexer/v1/supervisor/ds/history":       {200, `[{"spec":{"type":"kafka"},"version":"v2"},{"spec":{"type":"NoopSupervisorSpec"},"version":"v1"}]`},
		"GET /status": {200, `{"version":"0.1.0","kafkaIndexer":true}`},
		"POST /druid/indexer/v1/supervisor?validateOnly=true":       {200, `{"id":"ds"}`},
		"DELETE /druid/indexer/v1/supervisor/ds/taskGroups/handoff": {202, ``},
	}}
	c := newTestClient(t, rec)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	id, err := c.CreateOrUpdateSupervisor(ctx, json.RawMessage(`{"type":"kafka"}`))
	must(err)
	if id != "ds" || rec.got[len(rec.got)-1].body != `{"type":"kafka"}` ||
		rec.got[len(rec.got)-1].header.Get("Content-Type") != "application/json" {
		t.Fatalf("create: id %q, request %+v", id, rec.got[len(rec.got)-1])
	}
	id, err = c.ValidateSupervisor(ctx, json.RawMessage(`{"type":"kafka"}`))
	must(err)
	if id != "ds" {
		t.Fatalf("validate id = %q", id)
	}
	info, err := c.ServerInfo(ctx)
	must(err)
	if !info.KafkaIndexer || info.Version != "0.1.0" {
		t.Fatalf("server info = %+v", info)
	}

	ids, err := c.ListSupervisors(ctx)
	must(err)
	if !reflect.DeepEqual(ids, []string{"a", "b"}) {
		t.Fatalf("ids = %v", ids)
	}
	full, err := c.ListSupervisorsFull(ctx)
	must(err)
	if len(full) != 1 || full[0].State != "RUNNING" || string(full[0].Spec) != `{"type":"kafka"}` {
		t.Fatalf("full = %+v", full)
	}
	states, err := c.ListSupervisorStates(ctx)
	must(err)
	if len(states) != 1 || !states[0].Suspended || states[0].Spec != nil {
		t.Fatalf("states = %+v", states)
	}
	spec, err := c.GetSupervisor(ctx, "a/b")
	must(err)
	if string(spec) != echoedSpec {
		t.Fatalf("spec = %s", spec)
	}
	rep, err := c.SupervisorStatus(ctx, "ds")
	must(err)
	if rep.Payload.State != "RUNNING" || *rep.Payload.AggregateLag != 3 || len(rep.Payload.ActiveTasks) != 1 ||
		rep.Payload.ActiveTasks[0].Lag["0"] != 3 || rep.Payload.Partitions != 2 {
		t.Fatalf("report = %+v", rep)
	}
	healthy, err := c.SupervisorHealth(ctx, "ds")
	must(err)
	if !healthy {
		t.Fatal("ds should be healthy")
	}
	n := len(rec.got)
	healthy, err = c.SupervisorHealth(ctx, "sick")
	must(err)
	if healthy || len(rec.got) != n+1 {
		t.Fatalf("sick: healthy=%v, %d requests (503 {healthy:false} must not be retried)", healthy, len(rec.got)-n)
	}
	stats, err := c.SupervisorStats(ctx, "ds")
	must(err)
	if !strings.Contains(string(stats), "t1") {
		t.Fatalf("stats = %s", stats)
	}
	pe, err := c.SupervisorParseErrors(ctx, "ds")
	must(err)
	if string(pe) != "[]" {
		t.Fatalf("parse errors = %s", pe)
	}
	s, err := c.Suspend(ctx, "ds")
	must(err)
	if string(s) != echoedSpec {
		t.Fatalf("suspend echo = %s", s)
	}
	s, err = c.Resume(ctx, "ds")
	must(err)
	if !strings.Contains(string(s), `"suspended":false`) {
		t.Fatalf("resume echo = %s", s)
	}
	must(c.SuspendAll(ctx))
	must(c.ResumeAll(ctx))
	must(c.Reset(ctx, "ds"))
	must(c.ResetOffsets(ctx, "ds", "t", map[druidapi.Partition]int64{{ID: 0}: 100, {ID: 2}: 650}))
	var body map[string]any
	must(json.Unmarshal([]byte(rec.got[len(rec.got)-1].body), &body))
	want := map[string]any{"type": "kafka", "partitions": map[string]any{"type": "end", "stream": "t",
		"partitionOffsetMap": map[string]any{"0": 100.0, "2": 650.0}}}
	if !reflect.DeepEqual(body, want) {
		t.Fatalf("resetOffsets body = %v", body)
	}
	must(c.Terminate(ctx, "ds"))
	must(c.TerminateAll(ctx))
	h, err := c.History(ctx)
	must(err)
	if len(h["ds"]) != 1 || h["ds"][0].Version == "" {
		t.Fatalf("history = %+v", h)
	}
	sh, err := c.SupervisorHistory(ctx, "ds")
	must(err)
	if len(sh) != 2 || sh[1].Version != "v1" || !strings.Contains(string(sh[1].Spec), "Noop") {
		t.Fatalf("supervisor history = %+v", sh)
	}
	must(c.Do(ctx, http.MethodDelete, "/druid/indexer/v1/supervisor/ds/taskGroups/handoff", nil, nil))
}

func TestValidateSupervisorRefusesDruid(t *testing.T) {
	rec := &recorder{answers: map[string]answer{
		"GET /status": {200, `{"version":"30.0.0","modules":[]}`},
		"POST /druid/indexer/v1/supervisor?validateOnly=true": {200, `{"id":"ds"}`},
	}}
	c := newTestClient(t, rec)
	_, err := c.ValidateSupervisor(context.Background(), json.RawMessage(`{}`))
	if !errors.Is(err, ErrDryRunUnsupported) {
		t.Fatalf("err = %v, want ErrDryRunUnsupported", err)
	}
	for _, r := range rec.got {
		if strings.HasPrefix(r.key, "POST") {
			t.Fatalf("spec was posted to Druid: %s", r.key)
		}
	}
}

func TestErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		sentinel error
		message  string
	}{
		{"not found", 404, `{"error":"[ds] does not exist"}`, ErrNotFound, "[ds] does not exist"},
		{"already suspended", 400, `{"error":"[ds] is already suspended"}`, ErrBadRequest, "[ds] is already suspended"},
		{"dry run", 400, `{"error":"ioConfig.taskCount: must be ≥ 1"}`, ErrBadRequest, "ioConfig.taskCount: must be ≥ 1"},
		{"druid exception", 400, `{"error":"druidException","errorCode":"invalidInput","errorMessage":"bad stream"}`, ErrBadRequest, "bad stream"},
		{"conflict", 409, `{"error":"busy"}`, ErrConflict, "busy"},
		{"text body", 403, "Forbidden by policy\n", nil, "Forbidden by policy"},
		{"unavailable empty", 503, ``, ErrUnavailable, "Service Unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{answers: map[string]answer{"GET /druid/indexer/v1/supervisor/ds": {tc.status, tc.body}}}
			c := newTestClient(t, rec, WithMaxRetries(1))
			_, err := c.GetSupervisor(context.Background(), "ds")
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if ae.StatusCode != tc.status || ae.Message != tc.message {
				t.Fatalf("APIError = %+v", ae)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tc.sentinel)
			}
			for _, s := range []error{ErrNotFound, ErrBadRequest, ErrConflict, ErrUnavailable} {
				if s != tc.sentinel && errors.Is(err, s) {
					t.Fatalf("error also matches %v", s)
				}
			}
		})
	}
}

// flaky answers with the given statuses in turn, then 200.
type flaky struct {
	statuses []int
	calls    atomic.Int32
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(f.calls.Add(1)) - 1
	if n < len(f.statuses) {
		w.WriteHeader(f.statuses[n])
		_, _ = io.WriteString(w, `{"error":"try later"}`)
		return
	}
	_, _ = io.WriteString(w, `{"id":"ds"}`)
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	t.Run("5xx and 429 retried", func(t *testing.T) {
		f := &flaky{statuses: []int{503, 500, 429}}
		c := newTestClient(t, f, WithMaxRetries(3))
		if _, err := c.CreateOrUpdateSupervisor(ctx, json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
		if got := f.calls.Load(); got != 4 {
			t.Fatalf("calls = %d, want 4", got)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		f := &flaky{statuses: []int{503, 503, 503, 503}}
		c := newTestClient(t, f, WithMaxRetries(2))
		_, err := c.CreateOrUpdateSupervisor(ctx, json.RawMessage(`{}`))
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "try later") {
			t.Fatalf("err = %v, want ErrUnavailable with the server's message", err)
		}
		if got := f.calls.Load(); got != 3 {
			t.Fatalf("calls = %d, want 3", got)
		}
	})
	t.Run("4xx not retried", func(t *testing.T) {
		f := &flaky{statuses: []int{400}}
		c := newTestClient(t, f, WithMaxRetries(3))
		if _, err := c.CreateOrUpdateSupervisor(ctx, json.RawMessage(`{}`)); !errors.Is(err, ErrBadRequest) {
			t.Fatalf("err = %v", err)
		}
		if got := f.calls.Load(); got != 1 {
			t.Fatalf("calls = %d, want 1", got)
		}
	})
	t.Run("reset never retried", func(t *testing.T) {
		f := &flaky{statuses: []int{503}}
		c := newTestClient(t, f, WithMaxRetries(3))
		if err := c.Reset(ctx, "ds"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v", err)
		}
		if err := c.ResetOffsets(ctx, "ds", "t", map[druidapi.Partition]int64{{ID: 0}: 1}); err != nil {
			t.Fatalf("second call should reach the 200: %v", err)
		}
		if got := f.calls.Load(); got != 2 {
			t.Fatalf("calls = %d, want 2", got)
		}
	})
	t.Run("connection refused retried", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		var attempts atomic.Int32
		c, err := New(url, WithMaxRetries(2), WithRetryWait(time.Millisecond, time.Millisecond),
			WithLogger(func(_ context.Context, msg string, _ map[string]any) {
				if strings.Contains(msg, "request") {
					attempts.Add(1)
				}
			}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ListSupervisors(ctx); err == nil {
			t.Fatal("want a connection error")
		}
		if got := attempts.Load(); got != 3 {
			t.Fatalf("attempts = %d, want 3", got)
		}
	})
	t.Run("health 503 without body retried", func(t *testing.T) {
		f := &flaky{statuses: []int{503}}
		c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if f.calls.Add(1) == 1 {
				w.WriteHeader(503)
				return
			}
			_, _ = io.WriteString(w, `{"healthy":true}`)
		}))
		ok, err := c.SupervisorHealth(ctx, "ds")
		if err != nil || !ok {
			t.Fatalf("healthy = %v, err = %v", ok, err)
		}
	})
}

func TestHeadersAndAuth(t *testing.T) {
	rec := &recorder{answers: map[string]answer{"GET /druid/indexer/v1/supervisor": {200, `[]`}}}
	c := newTestClient(t, rec, WithBasicAuth("admin", "s3cret"), WithHeader("X-Tenant", "a"),
		WithHeaders(map[string]string{"X-Other": "b"}), WithUserAgent("tf/1"))
	if _, err := c.ListSupervisors(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := rec.got[0].header
	r := &http.Request{Header: h}
	u, p, ok := r.BasicAuth()
	if !ok || u != "admin" || p != "s3cret" || h.Get("X-Tenant") != "a" || h.Get("X-Other") != "b" || h.Get("User-Agent") != "tf/1" {
		t.Fatalf("headers = %v", h)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(&recorder{answers: map[string]answer{"GET /druid/indexer/v1/supervisor": {200, `["x"]`}}})
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate case logs a handshake error
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ctx := context.Background()

	c, err := New(srv.URL, WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListSupervisors(ctx); err == nil {
		t.Fatal("untrusted certificate accepted")
	}
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	for name, o := range map[string]Opt{"ca cert": WithCACert(pemCert), "insecure": WithInsecureSkipVerify(true)} {
		c, err := New(srv.URL, o, WithMaxRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		if ids, err := c.ListSupervisors(ctx); err != nil || len(ids) != 1 {
			t.Fatalf("%s: ids %v, err %v", name, ids, err)
		}
	}
	c, err = New(srv.URL, WithHTTPClient(srv.Client()), WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListSupervisors(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestTimeout(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}), WithTimeout(20*time.Millisecond), WithMaxRetries(0))
	if _, err := c.ListSupervisors(context.Background()); err == nil {
		t.Fatal("want a timeout")
	}
}
