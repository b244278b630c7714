package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/console"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
)

// TestHandler checks what the console serves: its index wherever a view may be deep-linked,
// its modules with a JavaScript type (browsers refuse module scripts served otherwise), and no
// directory listings.
func TestHandler(t *testing.T) {
	srv := httptest.NewServer(console.Handler())
	defer srv.Close()
	for _, tc := range []struct {
		name, path, wantType, wantBody string
	}{
		{"root", "/", "text/html", `<script type="module" src="/console/app.js">`},
		{"console root", "/console/", "text/html", `<script type="module" src="/console/app.js">`},
		{"index by name", "/console/index.html", "text/html", `<script type="module"`},
		{"unknown path is the SPA", "/console/supervisors/web", "text/html", `<script type="module"`},
		{"directory is the SPA, not a listing", "/console/views/", "text/html", `<script type="module"`},
		{"module", "/console/app.js", "text/javascript", "import * as supervisors"},
		{"view module", "/console/views/supervisors.js", "text/javascript", "export async function render"},
		{"stylesheet", "/console/style.css", "text/css", ":root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.wantType) || !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("GET %s: %d %q, body %.80q; want 200 %s containing %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.wantType, tc.wantBody)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("GET %s: Content-Security-Policy %q", tc.path, csp)
			}
		})
	}
}

// TestMountedInDaemon checks the daemon's routes: the console at / and /console/, the API
// beside it untouched, and other unknown paths still 404.
func TestMountedInDaemon(t *testing.T) {
	eng := enginetest.Start(t)
	for _, tc := range []struct {
		path     string
		wantCode int
		wantBody string
	}{
		{"/", 200, `<script type="module"`},
		{"/console/", 200, `<script type="module"`},
		{"/console/tasks", 200, `<script type="module"`},
		{"/console", 307, ""},
		{"/status/health", 200, "true"},
		{"/druid/indexer/v1/supervisor", 200, "[]"},
		{"/nope", 404, ""},
	} {
		hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := hc.Get(eng.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.wantCode || !strings.Contains(string(body), tc.wantBody) {
			t.Errorf("GET %s: %d %.80q, want %d containing %q", tc.path, resp.StatusCode, body, tc.wantCode, tc.wantBody)
		}
	}
}
