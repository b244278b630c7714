package console_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/chromedp/cdproto/network"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/daemon"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
)

const (
	user, password = "admin", "console-secret"
	topic          = "web"
)

// TestConsoleInBrowser drives the console in a real headless Chromium against an in-process
// engine with basic auth on, a supervisor ingesting from kfake: the list shows it RUNNING with
// its lag; Suspend (after its confirmation) suspends it, as the API confirms; the detail chart
// has points; a spec with a misspelt field gets the error's JSON path shown and marked in the
// editor, and once fixed it submits; tasks and the segment timeline render. Screenshots of every view go to
// $KAFKA_INDEXER_SCREENSHOT_DIR (else a temporary directory).
func TestConsoleInBrowser(t *testing.T) {
	chromium := findChromium(t)
	shots := os.Getenv("KAFKA_INDEXER_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	broker := startBroker(t)
	eng := enginetest.Start(t, func(o *daemon.Options) { o.Username, o.Password = user, password })

	// The console is behind the API's auth: without credentials even its index and modules
	// are a 401 that asks the browser for them.
	for _, p := range []string{"/", "/console/", "/console/app.js", "/console/anything/deep"} {
		if code, hdr := get(t, eng.URL+p, false); code != http.StatusUnauthorized || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("GET %s without credentials: %d %q, want 401 with a Basic challenge", p, code, hdr.Get("WWW-Authenticate"))
		}
		if code, _ := get(t, eng.URL+p, true); code != http.StatusOK {
			t.Errorf("GET %s with credentials: %d, want 200", p, code)
		}
	}

	cl, err := client.New(eng.URL, client.WithBasicAuth(user, password))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateOrUpdateSupervisor(t.Context(), supervisorSpec(broker, "taskCount")); err != nil {
		t.Fatal(err)
	}

	waitFor(t, "the supervisor RUNNING with a lag", func() bool {
		st, err := cl.SupervisorStatus(t.Context(), "web")
		return err == nil && st.Payload.State == "RUNNING" && st.Payload.AggregateLag != nil
	})
	ctx := startBrowser(t, chromium)
	b := &browser{t: t, ctx: ctx, shots: shots}

	// A browser without credentials gets nothing past the challenge: headless Chromium, having
	// no one to ask, fails the load (a desktop one shows its password prompt).
	if err := chromedp.Do(ctx, chromedp.Navigate(eng.URL+"/")); err == nil || !strings.Contains(err.Error(), "ERR_INVALID_AUTH_CREDENTIALS") {
		t.Fatalf("loading the console without credentials: %v, want net::ERR_INVALID_AUTH_CREDENTIALS", err)
	}

	// From here on the browser sends the credentials.
	sendCredentials(t, ctx)
	b.run(chromedp.Navigate(eng.URL + "/"))

	// Supervisors: RUNNING, with a lag and an ingest rate.
	row := `document.querySelector('#supervisors tr[data-id="web"]')`
	b.waitJS(row+`?.querySelector('.state')?.innerText === 'RUNNING' && /^\d[\d,]*$/.test(`+row+`.querySelector('.lag').innerText)`, "the supervisor row RUNNING with its lag")
	b.waitJS(row+`.querySelector('.rate').innerText !== '–'`, "the supervisor's rows/s")
	b.shot("console-supervisors")

	// Detail: the live chart collects a point per poll, and the saved parse errors show.
	waitFor(t, "the supervisor's saved parse errors", func() bool {
		var pe []json.RawMessage
		_ = cl.Do(t.Context(), "GET", "/druid/indexer/v1/supervisor/web/parseErrors", nil, &pe)
		return len(pe) > 0
	})
	b.setHash("#/supervisors/web")
	b.waitJS(`[...document.querySelectorAll('#charts polyline')].every((p) => p.points.numberOfItems >= 3) && document.querySelectorAll('#charts polyline').length === 2`, "both chart series with 3 points")
	b.waitJS(`document.querySelectorAll('#parse-errors tbody tr').length > 0`, "the parse errors table")
	b.waitJS(`document.querySelectorAll('#partitions tbody tr').length === 2`, "a row per partition")
	b.shot("console-supervisor-detail")

	// The dangerous actions say what they do, and Cancel does nothing.
	b.setHash("#/supervisors")
	b.waitJS(row+`?.querySelector('button[data-action="suspend"]') != null`, "the Suspend button")
	b.run(chromedp.Click(chromedp.CSS(`#supervisors tr[data-id="web"] button[data-action="reset"]`)))
	b.waitJS(`document.getElementById('confirm').open && document.querySelector('#confirm .body').innerText.includes('Rows between the stored offsets and latest will be skipped or re-read')`, "the reset warning")
	b.run(chromedp.Click(chromedp.CSS(`#confirm button.cancel`)))
	b.run(chromedp.Click(chromedp.CSS(`#supervisors tr[data-id="web"] button[data-action="reset-offsets"]`)))
	b.waitJS(`document.getElementById('confirm').open && /"0": \d+/.test(document.querySelector('#confirm .input').value)`, "the reset-offsets editor filled with the current offsets")
	b.run(chromedp.Evaluate[chromedp.Void](`document.querySelector('#confirm .input').value = '{"0": -5}'`))
	b.run(chromedp.Click(chromedp.CSS(`#confirm button.ok`)))
	b.waitJS(`document.getElementById('confirm').open && document.querySelector('#confirm .error').innerText.includes('whole number ≥ 0')`, "the reset-offsets input refused")
	b.run(chromedp.Click(chromedp.CSS(`#confirm button.cancel`)))
	b.waitJS(`!document.getElementById('confirm').open`, "the dialog closed")
	if st, err := cl.SupervisorStatus(t.Context(), "web"); err != nil || st.Payload.State != "RUNNING" {
		t.Fatalf("after cancelled actions: %v %+v, want RUNNING", err, st)
	}

	// Suspend from the list, through its confirmation dialog.
	b.run(chromedp.Click(chromedp.CSS(`#supervisors tr[data-id="web"] button[data-action="suspend"]`)))
	b.waitJS(`document.getElementById('confirm').open && document.querySelector('#confirm .body').innerText.includes('publish the segments')`, "the suspend confirmation")
	b.shot("console-confirm-suspend")
	b.run(chromedp.Click(chromedp.CSS(`#confirm button.ok`)))
	waitFor(t, "GET …/status to say SUSPENDED", func() bool {
		st, err := cl.SupervisorStatus(t.Context(), "web")
		return err == nil && st.Payload.State == "SUSPENDED"
	})
	b.waitJS(row+`?.querySelector('.state')?.innerText === 'SUSPENDED' && `+row+`.querySelector('button[data-action="resume"]') != null`, "the row SUSPENDED with Resume")

	// The history now has two versions; their diff is the suspended flag. The chart kept its
	// points across the navigation.
	b.setHash("#/supervisors/web")
	b.waitJS(`[...document.querySelectorAll('#spec-diff .add')].some((d) => d.innerText.includes('"suspended": true'))`, "the spec diff showing suspended: true")
	b.waitJS(`document.querySelector('#charts polyline')?.points.numberOfItems >= 3`, "the chart points kept client-side")

	// Submit: a misspelt field is named by its JSON path, and the editor marks its line.
	bad := string(supervisorSpec(broker, "taskCuont"))
	var pretty strings.Builder
	enc := json.NewEncoder(&pretty)
	enc.SetIndent("", "  ")
	var v any
	_ = json.Unmarshal([]byte(bad), &v)
	_ = enc.Encode(v)
	text := strings.TrimSpace(pretty.String())
	wantLine := strings.Count(text[:strings.Index(text, `"taskCuont"`)], "\n") + 1
	b.setHash("#/submit")
	b.waitJS(`document.getElementById('spec-text') != null`, "the spec editor")
	js, _ := json.Marshal(text)
	b.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById('spec-text').value = %s; document.getElementById('spec-text').dispatchEvent(new Event('input'))`, js)))
	b.run(chromedp.Click(chromedp.CSS(`#validate`)))
	b.waitJS(`document.getElementById('error-path')?.innerText === 'ioConfig.taskCuont' && document.getElementById('feedback').innerText.includes('did you mean taskCount')`, "the error naming ioConfig.taskCuont")
	b.waitJS(fmt.Sprintf(`document.querySelector('.gutter span.err')?.innerText === '%d'`, wantLine), fmt.Sprintf("line %d marked in the gutter", wantLine))
	selected := evaluate[string](b, `(() => { const t = document.getElementById('spec-text'); return t.value.slice(t.selectionStart, t.selectionEnd); })()`)
	if selected != `"taskCuont"` {
		t.Errorf("editor selection %q, want the key \"taskCuont\"", selected)
	}
	b.shot("console-submit-error")

	// Fixed, and for a new datasource, the same text validates and submits; the console then
	// opens the new supervisor.
	fixed, _ := json.Marshal(strings.ReplaceAll(strings.ReplaceAll(text, `"taskCuont"`, `"taskCount"`), `"dataSource": "web"`, `"dataSource": "web-copy"`))
	b.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById('spec-text').value = %s`, fixed)))
	b.run(chromedp.Click(chromedp.CSS(`#validate`)))
	b.waitJS(`document.getElementById('valid')?.innerText.includes('supervisor web-copy')`, "the fixed spec reported valid")
	b.run(chromedp.Click(chromedp.CSS(`#submit`)))
	b.waitJS(`location.hash === '#/supervisors/web-copy' && document.querySelector('h1')?.innerText.startsWith('web-copy')`, "the new supervisor's view")
	if _, err := cl.SupervisorStatus(t.Context(), "web-copy"); err != nil {
		t.Errorf("the supervisor submitted from the console: %v", err)
	}

	// Tasks: the suspended supervisor's task is listed; its reports open.
	b.setHash("#/tasks")
	b.waitJS(`document.querySelectorAll('#tasks tbody tr[data-id]').length > 0`, "the task list")
	b.shot("console-tasks")
	b.run(chromedp.Click(chromedp.CSS(`#tasks tbody tr[data-id] a`)))
	b.waitJS(`document.getElementById('task-report')?.innerText.includes('ingestionStatsAndErrors')`, "the task's reports")
	b.shot("console-task")

	// Datasources: the segments the suspended task published, on a timeline.
	waitFor(t, "published segments", func() bool {
		var ds []string
		_ = cl.Do(t.Context(), "GET", "/druid/coordinator/v1/metadata/datasources", nil, &ds)
		return len(ds) > 0
	})
	b.setHash("#/datasources")
	b.waitJS(`document.querySelector('#datasources tr[data-ds="web"]') != null`, "the datasource list")
	b.setHash("#/datasources/web")
	b.waitJS(`document.querySelectorAll('svg.timeline rect.segment').length > 0 && document.querySelectorAll('#segments tbody tr').length > 0`, "the segment timeline")
	b.shot("console-datasource")

	// The pure helpers, run in the page: the path mapper and the line diff.
	checks := evaluate[struct{ Nested, Wrapped, Parent, Diff string }](b, `(async () => {
		const { locate } = await import('/console/jsonpath.js');
		const { diffLines } = await import('/console/diff.js');
		const text = '{\n "dataSchema": {\n  "metricsSpec": [\n   {"name": "a"},\n   {"name": "b", "fieldName": "x"}\n  ]\n }\n}';
		const wrapped = '{"type": "kafka",\n "spec": {\n  "ioConfig": {\n   "topic": "t"\n  }\n }\n}';
		const at = (t, p) => { const r = locate(t, p); return r ? r.line + ':' + t.slice(r.start, r.end) + ':' + r.exact : 'none'; };
		return {
			nested: at(text, 'dataSchema.metricsSpec[1].fieldName'),
			wrapped: at(wrapped, 'ioConfig.topic'),
			parent: at(wrapped, 'ioConfig.inputFormat'),
			diff: diffLines('a\nb\nc', 'a\nc\nd').map(([op, l]) => op + l).join(','),
		};
	})()`, chromedp.EvalAwaitPromise)
	for _, c := range []struct{ name, got, want string }{
		{"nested path", checks.Nested, `5:"fieldName":true`},
		{"path inside the spec wrapper", checks.Wrapped, `4:"topic":true`},
		{"missing key falls back to its parent", checks.Parent, `3:"ioConfig":false`},
		{"line diff", checks.Diff, ` a,-b, c,+d`},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
	t.Logf("screenshots in %s", shots)
}

// findChromium returns Debian's chromium. Missing, it fails the test under CI=true (.ci/run
// installs it) and skips it elsewhere.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install chromium); the console's browser test needs it")
	}
	t.Skip("chromium is not installed")
	return ""
}

// startBroker runs a kfake broker with the topic, a few rows already in it (three of them not
// JSON, to be saved as parse errors) and a producer adding more until the test ends, so lag
// and rows/s keep moving.
func startBroker(t *testing.T) string {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	addr := cluster.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)
	n := 0
	row := func() *kgo.Record {
		n++
		return &kgo.Record{Value: fmt.Appendf(nil, `{"ts":%q,"host":"h%d","value":%d}`, base.Add(time.Duration(n)*time.Second).Format(time.RFC3339), n%5, n%97)}
	}
	var recs []*kgo.Record
	for range 1000 {
		recs = append(recs, row())
	}
	for i := range 3 {
		recs = append(recs, &kgo.Record{Value: fmt.Appendf(nil, "not json %d", i)})
	}
	if err := cl.ProduceSync(t.Context(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				batch := make([]*kgo.Record, 20)
				for i := range batch {
					batch[i] = row()
				}
				_ = cl.ProduceSync(ctx, batch...)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		cl.Close()
	})
	return addr
}

// supervisorSpec is the test's supervisor; countKey names ioConfig's taskCount key, so a
// misspelling makes the bad spec.
func supervisorSpec(broker, countKey string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "kafka", "spec": map[string]any{
		"dataSchema": map[string]any{
			"dataSource":      topic,
			"timestampSpec":   map[string]any{"column": "ts", "format": "iso"},
			"dimensionsSpec":  map[string]any{"dimensions": []any{"host"}},
			"metricsSpec":     []any{map[string]any{"type": "count", "name": "count"}, map[string]any{"type": "longSum", "name": "value", "fieldName": "value"}},
			"granularitySpec": map[string]any{"segmentGranularity": "hour", "queryGranularity": "minute", "rollup": true},
		},
		"ioConfig": map[string]any{"topic": topic, "inputFormat": map[string]any{"type": "json"},
			"consumerProperties": map[string]any{"bootstrap.servers": broker}, countKey: 1, "taskDuration": "PT1H",
			"startDelay": "PT0.1S", "period": "PT0.5S", "useEarliestOffset": true},
		"tuningConfig": map[string]any{"type": "kafka", "maxSavedParseExceptions": 10, "offsetFetchPeriod": "PT5S"},
	}})
	return b
}

func get(t *testing.T, url string, auth bool) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// startBrowser starts headless Chromium with a fresh profile. The machine has no network:
// the flags turn off everything that would try to reach one (and hang waiting for it).
func startBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.WindowSize(1400, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	// The whole browser session is bounded, so a hang fails the test instead of stalling it.
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// sendCredentials makes the browser send the test's basic-auth credentials with every
// request, page loads and the console's fetch calls alike, as a browser does once its user
// has answered the password prompt. (Answering the challenge itself through the DevTools
// Fetch domain also loads the console, but with every request paused that way the mouse
// clicks of this test never reached the page.)
func sendCredentials(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enable the network domain: %v", err)
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}}); err != nil {
		t.Fatalf("set the Authorization header: %v", err)
	}
}

type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string
	n     int
}

func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// setHash switches the console's view the way a click on a link does.
func (b *browser) setHash(h string) {
	b.t.Helper()
	b.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf("location.hash = %q", h)))
}

// waitJS polls a JavaScript condition in the page until it holds.
func (b *browser) waitJS(expr, what string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf("(() => { try { return !!(%s); } catch { return false; } })()", expr)))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			text, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
			b.shot("failed")
			b.t.Fatalf("timed out waiting for %s (err %v); page text:\n%s", what, err, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shot saves a full-page PNG screenshot.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	b.n++
	path := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Error(err)
	}
}

// evaluate runs a JavaScript expression in the page and decodes its value.
func evaluate[T any](b *browser, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		b.t.Fatalf("evaluate: %v", err)
	}
	return v
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
