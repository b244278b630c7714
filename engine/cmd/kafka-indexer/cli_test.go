package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	enginedaemon "github.com/kafka-indexer/terraform-provider-kafka/engine/daemon"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
)

// cliResult is one run of the binary's run function.
type cliResult struct {
	out, err string
	code     int
}

// cli runs `kafka-indexer ARGS` through run(), as main does.
func cli(t *testing.T, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return cliResult{out.String(), errOut.String(), code}
}

// ok fails the test unless the run exited 0, and returns its stdout.
func (r cliResult) ok(t *testing.T, args ...string) string {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%q: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.out, r.err)
	}
	return r.out
}

func cliOK(t *testing.T, args ...string) string {
	t.Helper()
	return cli(t, args...).ok(t, args...)
}

// cliJSON runs a command with -o json and decodes its output into out.
func cliJSON(t *testing.T, out any, args ...string) {
	t.Helper()
	s := cliOK(t, append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(s), out); err != nil {
		t.Fatalf("%q -o json printed no JSON (%v):\n%s", args, err, s)
	}
	if !strings.HasPrefix(s, "{\n  ") && !strings.HasPrefix(s, "[\n  ") && s != "[]\n" {
		t.Errorf("%q -o json is not indented:\n%s", args, s)
	}
}

func mustContain(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

// cliSpec is a small supervisor reading topic events from broker: four-second tasks, so
// segments are published within seconds.
func cliSpec(broker string, taskCount int) []byte {
	b, _ := json.Marshal(map[string]any{
		"type": "kafka",
		"spec": map[string]any{
			"dataSchema": map[string]any{
				"dataSource":      "events",
				"timestampSpec":   map[string]any{"column": "timestamp", "format": "iso"},
				"dimensionsSpec":  map[string]any{"dimensions": []any{"host"}},
				"metricsSpec":     []any{map[string]any{"type": "count", "name": "count"}},
				"granularitySpec": map[string]any{"segmentGranularity": "hour", "queryGranularity": "none", "rollup": false},
			},
			"ioConfig": map[string]any{
				"topic": "events", "inputFormat": map[string]any{"type": "json"},
				"consumerProperties": map[string]any{"bootstrap.servers": broker},
				"taskCount":          taskCount, "replicas": 1, "taskDuration": "PT4S",
				"startDelay": "PT0.1S", "period": "PT0.5S", "useEarliestOffset": true, "completionTimeout": "PT60S",
			},
			"tuningConfig": map[string]any{"type": "kafka", "offsetFetchPeriod": "PT5S"},
		},
	})
	return b
}

// startCLIEngine runs a kfake broker with 100 rows on two partitions of topic events and an
// in-process engine, and returns the engine and the broker's address.
func startCLIEngine(t *testing.T) (*enginetest.Engine, string) {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()[0]), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		b, _ := json.Marshal(map[string]any{"timestamp": time.Date(2024, 3, 5, 0, 0, i, 0, time.UTC).Format(time.RFC3339), "host": "h" + string(rune('a'+i%3))})
		cl.Produce(context.Background(), &kgo.Record{Topic: "events", Partition: int32(i % 2), Value: b}, nil)
	}
	if err := cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	return enginetest.Start(t), cluster.ListenAddrs()[0]
}

// waitCLI polls until cond holds for a fresh value, failing after a generous deadline.
func waitCLI(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCLIAgainstEngine runs the operator commands against a real engine ingesting from kfake,
// in both outputs.
func TestCLIAgainstEngine(t *testing.T) {
	e, broker := startCLIEngine(t)
	ep := []string{"--endpoint", e.URL}
	dir := t.TempDir()
	specFile := filepath.Join(dir, "events.json")
	if err := os.WriteFile(specFile, cliSpec(broker, 1), 0o644); err != nil {
		t.Fatal(err)
	}

	// Dry runs first: a bad spec names its JSON path, a good one stores nothing.
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, cliSpec(broker, 0), 0o644)
	r := cli(t, append([]string{"supervisor", "submit", bad, "--dry-run"}, ep...)...)
	if r.code != 1 || !strings.Contains(r.err, "ioConfig.taskCount") || !strings.Contains(r.err, "HTTP 400") {
		t.Errorf("dry run of a bad spec: exit %d, stderr %q; want 1 and the server's message naming ioConfig.taskCount", r.code, r.err)
	}
	out := cliOK(t, append([]string{"supervisor", "submit", specFile, "--dry-run"}, ep...)...)
	mustContain(t, "dry run", out, "Valid:", "yes (supervisor events; nothing was stored)", "new supervisor")
	var va struct {
		ID    string `json:"id"`
		Valid bool   `json:"valid"`
	}
	cliJSON(t, &va, append([]string{"supervisor", "submit", specFile, "--dry-run"}, ep...)...)
	if va.ID != "events" || !va.Valid {
		t.Errorf("dry run -o json: %+v", va)
	}
	if out := cliOK(t, append([]string{"supervisor", "list"}, ep...)...); strings.Contains(out, "events") {
		t.Fatalf("a dry run stored the supervisor:\n%s", out)
	}

	out = cliOK(t, append([]string{"supervisor", "submit", specFile}, ep...)...)
	mustContain(t, "submit", out, "supervisor events submitted")

	cl, err := client.New(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	waitCLI(t, "a published segment", func() bool {
		segs, err := cl.DataSourceSegments(context.Background(), "events")
		return err == nil && len(segs) > 0
	})
	waitCLI(t, "lag reported", func() bool {
		rep, err := cl.SupervisorStatus(context.Background(), "events")
		return err == nil && rep.Payload.AggregateLag != nil && rep.Payload.State == "RUNNING"
	})

	t.Run("supervisor list", func(t *testing.T) {
		out := cliOK(t, append([]string{"supervisor", "list"}, ep...)...)
		mustContain(t, "list", out, "ID", "STATE", "DETAILED STATE", "HEALTHY", "events", "RUNNING")
		var list []client.SupervisorStatus
		cliJSON(t, &list, append([]string{"supervisor", "list"}, ep...)...)
		if len(list) != 1 || list[0].ID != "events" || list[0].State != "RUNNING" {
			t.Errorf("list -o json: %+v", list)
		}
	})
	t.Run("supervisor status", func(t *testing.T) {
		out := cliOK(t, append([]string{"supervisor", "status", "events"}, ep...)...)
		mustContain(t, "status", out, "Supervisor:", "events", "State:", "RUNNING", "Healthy:", "yes", "Aggregate lag:", "PARTITION", "LATEST OFFSET", "LAG")
		var rep client.SupervisorReport
		cliJSON(t, &rep, append([]string{"supervisor", "status", "events"}, ep...)...)
		if rep.Payload.DataSource != "events" || rep.Payload.Partitions != 2 {
			t.Errorf("status -o json: %+v", rep)
		}
		r := cli(t, append([]string{"supervisor", "status", "nope"}, ep...)...)
		if r.code != 1 || !strings.Contains(r.err, "nope") || !strings.Contains(r.err, "HTTP 404") {
			t.Errorf("status of an unknown supervisor: exit %d, %q", r.code, r.err)
		}
	})
	t.Run("supervisor status --watch", func(t *testing.T) {
		for _, terminal := range []bool{false, true} {
			w := &blockCounter{want: 3, marker: "Supervisor:"}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			w.done = cancel
			env := cliEnv{stdin: strings.NewReader(""), stdoutTerminal: terminal, getenv: func(string) string { return "" }}
			err := runCLI(ctx, "supervisor", append([]string{"status", "events", "--watch", "--interval", "50ms"}, ep...), env, w, &bytes.Buffer{})
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			s := w.String()
			if got := strings.Count(s, "Supervisor:"); got < 3 {
				t.Fatalf("terminal=%v: %d blocks, want 3:\n%s", terminal, got, s)
			}
			if terminal {
				if !strings.Contains(s, "\x1b[") || strings.Contains(s, "--- ") {
					t.Errorf("on a terminal, blocks are not redrawn in place: %q", s)
				}
				// The cursor goes up exactly the lines of the block before.
				first := s[:strings.Index(s, "\x1b[")]
				if !strings.Contains(s, "\x1b["+strconv.Itoa(strings.Count(first, "\n"))+"A\x1b[J") {
					t.Errorf("cursor-up does not match the %d lines of the first block: %q", strings.Count(first, "\n"), s)
				}
			} else if strings.Contains(s, "\x1b[") || strings.Count(s, "--- ") < 3 {
				t.Errorf("off a terminal, blocks are not appended plainly: %q", s)
			}
		}
		// -o json --watch is JSON Lines: one report a line, nothing else.
		w := &blockCounter{want: 3, marker: "\n"}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		w.done = cancel
		env := cliEnv{stdin: strings.NewReader(""), stdoutTerminal: true, getenv: func(string) string { return "" }}
		if err := runCLI(ctx, "supervisor", append([]string{"status", "events", "-w", "--interval", "50ms", "-o", "json"}, ep...), env, w, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		cancel()
		for _, line := range strings.Split(strings.TrimSpace(w.String()), "\n") {
			var rep client.SupervisorReport
			if err := json.Unmarshal([]byte(line), &rep); err != nil || rep.ID != "events" {
				t.Errorf("--watch -o json line %q: %v", line, err)
			}
		}
	})
	t.Run("supervisor get", func(t *testing.T) {
		var spec struct {
			Type string `json:"type"`
			Spec struct {
				DataSchema struct {
					DataSource string `json:"dataSource"`
				} `json:"dataSchema"`
			} `json:"spec"`
		}
		for _, o := range []string{"table", "json"} {
			s := cliOK(t, append([]string{"supervisor", "get", "events", "-o", o}, ep...)...)
			if err := json.Unmarshal([]byte(s), &spec); err != nil || spec.Spec.DataSchema.DataSource != "events" {
				t.Errorf("get -o %s: %v\n%s", o, err, s)
			}
		}
	})
	t.Run("suspend resume history diff", func(t *testing.T) {
		mustContain(t, "suspend", cliOK(t, append([]string{"supervisor", "suspend", "events"}, ep...)...), "supervisor events suspended")
		r := cli(t, append([]string{"supervisor", "suspend", "events"}, ep...)...)
		if r.code != 1 || !strings.Contains(r.err, "already suspended") {
			t.Errorf("second suspend: exit %d, %q; want the server's message", r.code, r.err)
		}
		var echoed struct {
			Suspended bool `json:"suspended"`
		}
		cliJSON(t, &echoed, append([]string{"supervisor", "resume", "events"}, ep...)...)
		if echoed.Suspended {
			t.Error("resume -o json echoed suspended: true")
		}
		out := cliOK(t, append([]string{"supervisor", "history", "events"}, ep...)...)
		mustContain(t, "history", out, "VERSION", "TIME", "TYPE", "SUSPENDED", "kafka")
		var h []client.HistoryEntry
		cliJSON(t, &h, append([]string{"supervisor", "history", "events"}, ep...)...)
		if len(h) != 3 {
			t.Fatalf("history has %d versions after submit, suspend and resume, want 3", len(h))
		}
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[1], "3 ") || !strings.HasPrefix(lines[3], "1 ") {
			t.Errorf("history table is not numbered 3..1 newest first:\n%s", out)
		}
		// Default: the two newest, suspend (2) then resume (3).
		out = cliOK(t, append([]string{"supervisor", "diff", "events"}, ep...)...)
		mustContain(t, "diff", out, "--- events version 2 (", "+++ events version 3 (", "@@ -", `-  "suspended": true`, `+  "suspended": false`)
		out = cliOK(t, append([]string{"supervisor", "diff", "events", "--from", "1", "--to", "3"}, ep...)...)
		if !strings.Contains(out, "are the same spec") {
			t.Errorf("versions 1 and 3 (both running) differ:\n%s", out)
		}
		var d struct {
			From, To int
			Diff     string
		}
		cliJSON(t, &d, append([]string{"supervisor", "diff", "events", "--from", "1", "--to", "2"}, ep...)...)
		if d.From != 1 || d.To != 2 || !strings.Contains(d.Diff, `+  "suspended": true`) {
			t.Errorf("diff -o json: %+v", d)
		}
		if r := cli(t, append([]string{"supervisor", "diff", "events", "--to", "9"}, ep...)...); r.code != 2 || !strings.Contains(r.err, "versions 1 to 3") {
			t.Errorf("diff --to 9: exit %d, %q", r.code, r.err)
		}
	})
	t.Run("task", func(t *testing.T) {
		out := cliOK(t, append([]string{"task", "list"}, ep...)...)
		mustContain(t, "task list", out, "ID", "TYPE", "DATASOURCE", "STATUS", "index_kafka", "events")
		var tasks []client.TaskStatus
		cliJSON(t, &tasks, append([]string{"task", "list", "--datasource", "events"}, ep...)...)
		if len(tasks) == 0 || tasks[0].DataSource != "events" {
			t.Fatalf("task list -o json: %+v", tasks)
		}
		var none []client.TaskStatus
		cliJSON(t, &none, append([]string{"task", "list", "--datasource", "other"}, ep...)...)
		if len(none) != 0 {
			t.Errorf("--datasource other listed %+v", none)
		}
		var complete []client.TaskStatus
		cliJSON(t, &complete, append([]string{"task", "list", "--state", "complete"}, ep...)...)
		for _, tk := range complete {
			if tk.StatusCode == "RUNNING" {
				t.Errorf("--state complete listed a running task %s", tk.ID)
			}
		}
		id := tasks[0].ID
		out = cliOK(t, append([]string{"task", "status", id}, ep...)...)
		mustContain(t, "task status", out, "Task:", id, "Datasource:", "events", "Status:")
		var st struct {
			Task   string
			Status client.TaskStatus
		}
		cliJSON(t, &st, append([]string{"task", "status", id}, ep...)...)
		if st.Task != id || st.Status.ID != id {
			t.Errorf("task status -o json: %+v", st)
		}
		// A finished task always has its completion report (a queued one has none yet).
		waitCLI(t, "a completed task", func() bool {
			cliJSON(t, &complete, append([]string{"task", "list", "--state", "complete"}, ep...)...)
			return len(complete) > 0
		})
		var reports map[string]any
		cliJSON(t, &reports, append([]string{"task", "reports", complete[0].ID}, ep...)...)
		if len(reports) == 0 {
			t.Error("task reports printed an empty object")
		}
		r := cli(t, append([]string{"task", "status", "no-such-task"}, ep...)...)
		if r.code != 1 || !strings.Contains(r.err, "task no-such-task is unknown") {
			t.Errorf("status of an unknown task: exit %d, %q", r.code, r.err)
		}
		if r := cli(t, append([]string{"task", "list", "--state", "sleeping"}, ep...)...); r.code != 1 || !strings.Contains(r.err, "Invalid state") {
			t.Errorf("task list --state sleeping: exit %d, %q", r.code, r.err)
		}
	})
	t.Run("datasource", func(t *testing.T) {
		out := cliOK(t, append([]string{"datasource", "list"}, ep...)...)
		mustContain(t, "datasource list", out, "DATASOURCE", "events")
		var ds []string
		cliJSON(t, &ds, append([]string{"datasource", "list"}, ep...)...)
		if len(ds) != 1 || ds[0] != "events" {
			t.Errorf("datasource list -o json: %q", ds)
		}
		out = cliOK(t, append([]string{"datasource", "segments", "events"}, ep...)...)
		mustContain(t, "datasource segments", out, "INTERVAL", "VERSION", "ROWS", "SIZE", "2024-03-05T00:00:00.000Z/2024-03-05T01:00:00.000Z", "events_2024-03-05")
		var segs []client.DataSegment
		cliJSON(t, &segs, append([]string{"datasource", "segments", "events"}, ep...)...)
		if len(segs) == 0 || segs[0].DataSource != "events" || segs[0].NumRows == 0 {
			t.Errorf("datasource segments -o json: %+v", segs)
		}
		if r := cli(t, append([]string{"datasource", "segments", "other"}, ep...)...); r.code != 1 || !strings.Contains(r.err, "datasource other has no published segments") {
			t.Errorf("segments of an unknown datasource: exit %d, %q", r.code, r.err)
		}
	})
	t.Run("completion of ids", func(t *testing.T) {
		env := []string{"KAFKA_INDEXER_ENDPOINT=" + e.URL}
		if got := bashComplete(t, env, "kafka-indexer supervisor status "); len(got) != 1 || got[0] != "events" {
			t.Errorf("supervisor ids completed to %q", got)
		}
		if got := bashComplete(t, env, "kafka-indexer datasource segments ev"); len(got) != 1 || got[0] != "events" {
			t.Errorf("datasources completed to %q", got)
		}
		if got := bashComplete(t, env, "kafka-indexer task status index_kafka_"); len(got) == 0 || !strings.HasPrefix(got[0], "index_kafka_events_") {
			t.Errorf("task ids completed to %q", got)
		}
		if got := bashComplete(t, []string{"KAFKA_INDEXER_ENDPOINT=http://" + freePort(t)}, "kafka-indexer supervisor status "); len(got) != 0 {
			t.Errorf("ids from a server that is not there: %q", got)
		}
	})
	t.Run("dangerous commands", func(t *testing.T) {
		r := cli(t, append([]string{"supervisor", "reset", "events"}, ep...)...)
		if r.code != 1 || !strings.Contains(r.err, "rows between the stored offsets and latest will be skipped or re-read") || !strings.Contains(r.err, "pass --yes") {
			t.Errorf("reset without a terminal or --yes: exit %d, %q", r.code, r.err)
		}
		// A terminal answering "n" changes nothing; "y" goes ahead.
		for _, answer := range []string{"n\n", "y\n"} {
			var out, errOut bytes.Buffer
			env := cliEnv{stdin: strings.NewReader(answer), stdinTerminal: true, getenv: func(string) string { return "" }}
			err := runCLI(context.Background(), "supervisor", append([]string{"reset-offsets", "events", `{"0":0}`}, ep...), env, &out, &errOut)
			mustContain(t, "prompt", errOut.String(), "reset-offsets: supervisor events", "Continue? [y/N]")
			if answer == "n\n" && (err == nil || !strings.Contains(err.Error(), "aborted")) {
				t.Errorf("answer n: %v", err)
			}
			if answer == "y\n" && (err != nil || !strings.Contains(out.String(), "offsets reset")) {
				t.Errorf("answer y: %v, %s", err, out.String())
			}
		}
		mustContain(t, "reset --yes", cliOK(t, append([]string{"supervisor", "reset", "events", "--yes"}, ep...)...), "supervisor events reset")
		r = cli(t, append([]string{"supervisor", "terminate", "events", "-o", "json", "-y"}, ep...)...)
		var id struct{ ID string }
		if r.code != 0 || json.Unmarshal([]byte(r.out), &id) != nil || id.ID != "events" {
			t.Errorf("terminate -o json -y: exit %d, %s %s", r.code, r.out, r.err)
		}
		if out := cliOK(t, append([]string{"supervisor", "list"}, ep...)...); strings.Contains(out, "events") {
			t.Errorf("terminated supervisor still listed:\n%s", out)
		}
	})
}

// blockCounter collects --watch output and calls done once marker has been written want times.
type blockCounter struct {
	mu     sync.Mutex
	b      bytes.Buffer
	want   int
	marker string
	done   func()
}

func (w *blockCounter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if strings.Count(w.b.String(), w.marker) >= w.want {
		w.done()
	}
	return len(p), nil
}

func (w *blockCounter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestCLIEnvAndAuth checks the environment fallbacks of --endpoint, --username and --password
// against an engine with basic auth, and the errors of a wrong password and of no server.
func TestCLIEnvAndAuth(t *testing.T) {
	e := enginetest.Start(t, func(o *enginedaemon.Options) { o.Username, o.Password = "ops", "s3cret" })
	t.Setenv("KAFKA_INDEXER_ENDPOINT", e.URL)
	r := cli(t, "supervisor", "list")
	if r.code != 1 || !strings.Contains(r.err, "HTTP 401") {
		t.Errorf("no credentials: exit %d, %q", r.code, r.err)
	}
	t.Setenv("KAFKA_INDEXER_USERNAME", "ops")
	t.Setenv("KAFKA_INDEXER_PASSWORD", "s3cret")
	mustContain(t, "list with env credentials", cliOK(t, "supervisor", "list"), "ID", "STATE")
	if r := cli(t, "supervisor", "list", "--password", "wrong"); r.code != 1 || !strings.Contains(r.err, "HTTP 401") {
		t.Errorf("--password overrides env: exit %d, %q", r.code, r.err)
	}
	var ds []string
	cliJSON(t, &ds, "datasource", "list")
	if len(ds) != 0 {
		t.Errorf("datasources of an empty engine: %q", ds)
	}

	dead := "http://" + freePort(t)
	r = cli(t, "task", "list", "--endpoint", dead)
	if r.code != 1 || !strings.Contains(r.err, "cannot reach the server at "+dead) || !strings.Contains(r.err, "KAFKA_INDEXER_ENDPOINT") {
		t.Errorf("unreachable endpoint: exit %d, %q", r.code, r.err)
	}
}

// TestCLIUsage checks help and usage errors: every command's -h exits 0 with its description,
// flags with env fallbacks and an example; mistakes exit 2.
func TestCLIUsage(t *testing.T) {
	help := cliOK(t, "help")
	for _, g := range cliGroups {
		mustContain(t, "help", help, "kafka-indexer "+g.name)
	}
	mustContain(t, "help", help, "serve", "quickstart", "dump-segment", "reset-offsets", "segments")
	for _, c := range cliCommands {
		for _, h := range []string{"-h", "--help"} {
			args := append(strings.Fields(c.path()), h)
			out := cliOK(t, args...)
			mustContain(t, c.path()+" "+h, out, "Usage: kafka-indexer "+c.path(), capitalize(c.summary), "Example:\n  ", "kafka-indexer "+c.path())
			if c.group != "completion" {
				mustContain(t, c.path()+" "+h, out, "--endpoint URL", "env KAFKA_INDEXER_ENDPOINT, default http://127.0.0.1:8090", "env KAFKA_INDEXER_USERNAME", "-o, --output FORMAT", "default table")
			}
		}
	}
	for _, g := range cliGroups {
		mustContain(t, g.name+" -h", cliOK(t, g.name, "-h"), "Usage: kafka-indexer "+g.name+" SUBCOMMAND", "Subcommands:")
	}
	for _, cmd := range []string{"serve", "quickstart", "dump-segment"} {
		if r := cli(t, cmd, "-h"); r.code != 0 || !strings.Contains(r.out+r.err, "-data-dir") && !strings.Contains(r.out+r.err, "-directory") {
			t.Errorf("%s -h: exit %d, %s%s", cmd, r.code, r.out, r.err)
		}
	}
	for _, bad := range []struct {
		args []string
		msg  string
	}{
		{[]string{"supervisor"}, "a subcommand is required"},
		{[]string{"supervisor", "frobnicate"}, `unknown subcommand "frobnicate"`},
		{[]string{"supervisor", "status"}, "missing ID"},
		{[]string{"supervisor", "status", "a", "b"}, "unexpected arguments"},
		{[]string{"supervisor", "list", "-o", "yaml"}, "-o must be table or json"},
		{[]string{"task", "list", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"completion", "tcsh"}, `unknown subcommand "tcsh"`},
	} {
		r := cli(t, bad.args...)
		if r.code != 2 || !strings.Contains(r.err, bad.msg) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", bad.args, r.code, r.err, bad.msg)
		}
	}
}

// TestCLIQuickstart is the done-when: supervisor list, status, suspend, resume, history
// and task list work against the quickstart, in table and JSON output.
func TestCLIQuickstart(t *testing.T) {
	cfg := &quickstartConfig{Listen: freePort(t), Kafka: freePort(t), DataDir: t.TempDir(), Rate: 100, Partitions: 2, Duration: 2 * time.Minute}
	startQuickstart(t, cfg, 60*time.Second, running)
	t.Setenv("KAFKA_INDEXER_ENDPOINT", "http://"+cfg.Listen)
	const id = quickstartDataSource

	mustContain(t, "supervisor list", cliOK(t, "supervisor", "list"), id, "RUNNING")
	var list []client.SupervisorStatus
	cliJSON(t, &list, "supervisor", "list")
	if len(list) != 1 || list[0].ID != id {
		t.Errorf("supervisor list -o json: %+v", list)
	}
	mustContain(t, "supervisor status", cliOK(t, "supervisor", "status", id), "Supervisor:", id, "Stream:", quickstartTopic, "RUNNING")
	var rep client.SupervisorReport
	cliJSON(t, &rep, "supervisor", "status", id)
	if rep.Payload.Stream != quickstartTopic {
		t.Errorf("supervisor status -o json: %+v", rep)
	}
	mustContain(t, "supervisor suspend", cliOK(t, "supervisor", "suspend", id), "supervisor "+id+" suspended")
	mustContain(t, "status after suspend", cliOK(t, "supervisor", "status", id), "Suspended:", "yes")
	var echoed struct {
		Suspended bool `json:"suspended"`
	}
	cliJSON(t, &echoed, "supervisor", "resume", id)
	if echoed.Suspended {
		t.Error("resume -o json echoed suspended: true")
	}
	mustContain(t, "supervisor history", cliOK(t, "supervisor", "history", id), "VERSION", "3 ", "2 ", "1 ")
	var h []client.HistoryEntry
	cliJSON(t, &h, "supervisor", "history", id)
	if len(h) < 3 {
		t.Errorf("history after suspend and resume has %d versions", len(h))
	}
	mustContain(t, "task list", cliOK(t, "task", "list"), "index_kafka", id)
	var tasks []client.TaskStatus
	cliJSON(t, &tasks, "task", "list")
	if len(tasks) == 0 || tasks[0].DataSource != id {
		t.Errorf("task list -o json: %+v", tasks)
	}

	// Then docs/cli.md, as written: every line of its ```sh blocks, in order, through bash with
	// the built binary first on PATH, from the repository root. (Blocks meant to be read, not
	// run, such as --watch or installing completions, are ```bash or ```text.)
	cl, err := client.New("http://" + cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	waitCLI(t, "the quickstart's first segment", func() bool {
		segs, err := cl.DataSourceSegments(context.Background(), id)
		return err == nil && len(segs) > 0
	})
	root, _ := filepath.Abs(filepath.Join("..", "..", ".."))
	doc, err := os.ReadFile(filepath.Join(root, "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, block := range strings.Split(string(doc), "```sh\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		for _, line := range strings.Split(block, "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				cmds = append(cmds, line)
			}
		}
	}
	if len(cmds) < 20 {
		t.Fatalf("docs/cli.md has %d runnable commands; the parsing is off", len(cmds))
	}
	env := append(os.Environ(), "PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, c := range cmds {
		cmd := exec.Command("bash", "-o", "pipefail", "-c", c)
		cmd.Dir, cmd.Env = root, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("docs/cli.md: %s: %v\n%s", c, err, out)
		}
	}
}
