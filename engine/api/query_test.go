package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/query"
)

// stubEngine answers every query with a canned result, or Run's error.
type stubEngine struct {
	res  any
	err  error
	last string
}

func (s *stubEngine) Run(_ context.Context, raw []byte) (any, error) {
	s.last = string(raw)
	return s.res, s.err
}
func (s *stubEngine) DataSources() []string { return []string{"a", "b"} }
func (s *stubEngine) DataSourceColumns(_ context.Context, ds string) ([]string, []string, bool, error) {
	if ds != "a" {
		return nil, nil, false, nil
	}
	return []string{"page"}, []string{"count"}, true, nil
}

func TestQueryRoutes(t *testing.T) {
	stub := &stubEngine{res: []map[string]any{{"timestamp": "2026-01-01T00:00:00.000Z", "result": map[string]any{"n": 1}}}}
	mux := http.NewServeMux()
	registerQueryRoutes(mux, stub)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// The real engine maps its own errors; an unknown datasource is no rows, as in Druid.
	realMux := http.NewServeMux()
	registerQueryRoutes(realMux, query.New())
	real := httptest.NewServer(realMux)
	defer real.Close()

	for _, tc := range []struct {
		name, method, url, body string
		engineErr               error
		status                  int
		want                    string // substring of the body
	}{
		{name: "query", method: "POST", url: srv.URL + "/druid/v2", body: `{"queryType":"timeseries"}`, status: 200, want: `"result":{"n":1}`},
		{name: "query slash pretty", method: "POST", url: srv.URL + "/druid/v2/?pretty", body: `{}`, status: 200, want: "\n  {\n"},
		{name: "datasources", method: "GET", url: srv.URL + "/druid/v2/datasources", status: 200, want: `["a","b"]`},
		{name: "datasource columns", method: "GET", url: srv.URL + "/druid/v2/datasources/a", status: 200, want: `{"dimensions":["page"],"metrics":["count"]}`},
		{name: "unknown datasource columns", method: "GET", url: srv.URL + "/druid/v2/datasources/zz/", status: 200, want: `{"dimensions":[],"metrics":[]}`},
		{name: "datasources slash", method: "GET", url: srv.URL + "/druid/v2/datasources/", status: 200, want: `["a","b"]`},
		{name: "timeout", method: "POST", url: srv.URL + "/druid/v2", body: `{}`, status: 504, want: `"error":"Query timeout"`,
			engineErr: &query.Error{Status: 504, Code: query.CodeTimeout, Message: "Query [q] timed out.", Class: "java.util.concurrent.TimeoutException"}},
		{name: "plain error is 500", method: "POST", url: srv.URL + "/druid/v2", body: `{}`, status: 500, want: `"error":"Unknown exception"`,
			engineErr: io.ErrUnexpectedEOF},
		{name: "real bad query", method: "POST", url: real.URL + "/druid/v2", body: `{"queryType":"nope"}`, status: 400, want: `"errorMessage":"queryType: unknown query type \"nope\"`},
		{name: "real unknown datasource", method: "POST", url: real.URL + "/druid/v2", body: `{"queryType":"timeseries","dataSource":"x","intervals":["2026/2027"]}`, status: 200, want: "[]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stub.err = tc.engineErr
			req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
				t.Errorf("got %d %s, want %d containing %s", resp.StatusCode, b, tc.status, tc.want)
			}
			if resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("content type %q", resp.Header.Get("Content-Type"))
			}
			if resp.StatusCode >= 400 {
				var e map[string]any
				if err := json.Unmarshal(b, &e); err != nil || e["errorClass"] == nil {
					t.Errorf("error body %s is not Druid's QueryException JSON", b)
				}
			}
		})
	}
	if stub.last != `{}` {
		t.Errorf("engine got body %q", stub.last)
	}
}
