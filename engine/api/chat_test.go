package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// chatRoutes are every route of the chat API (chat.go), under /druid/worker/v1/chat/{id}.
var chatRoutes = []struct{ method, path string }{
	{"GET", "/status"}, {"GET", "/offsets/current"}, {"GET", "/offsets/end"}, {"POST", "/offsets/end"},
	{"POST", "/pause"}, {"POST", "/resume"}, {"POST", "/stop"}, {"GET", "/checkpoints"},
	{"GET", "/time/start"}, {"GET", "/rowStats"}, {"GET", "/liveReports"}, {"GET", "/unparseableEvents"},
	{"POST", "/query"},
}

// heldHandoff keeps a task in PUBLISHING: it waits for its segments to be served until the
// runner stops it.
type heldHandoff struct{}

func (heldHandoff) WaitLoaded(ctx context.Context, _ string, _ []string) error {
	<-ctx.Done()
	return ctx.Err()
}

// chatFixture is a runner with tasks held in each state the chat API answers differently in,
// served over the real API. Every task reads partition 0 of one topic holding 10 rows.
type chatFixture struct {
	t       *testing.T
	url     string
	runner  *task.Runner
	workDir string // the runner's: one directory per task
	broker  string
	topic   string
}

func newChatFixture(t *testing.T) *chatFixture {
	const topic = "chat"
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	store, err := embedded.Open(filepath.Join(dir, "metadata"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	r := task.NewRunner(task.RunnerOptions{Capacity: 4, WorkDir: filepath.Join(dir, "tasks"), Store: store,
		Storage: &storage.Local{Root: filepath.Join(dir, "deep")}, Handoff: heldHandoff{}, Logger: log})
	srv := httptest.NewServer(New(Services{Tasks: r}, Options{Logger: log}))
	t.Cleanup(func() { srv.Close(); r.Close(); store.Close(); cluster.Close() })
	f := &chatFixture{t: t, url: srv.URL, runner: r, workDir: filepath.Join(dir, "tasks"), broker: cluster.ListenAddrs()[0], topic: topic}
	f.produce(10)
	return f
}

func (f *chatFixture) produce(n int) {
	f.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(f.broker), kgo.DefaultProduceTopic(f.topic))
	if err != nil {
		f.t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Value: fmt.Appendf(nil, `{"ts":"2024-03-05T10:00:00Z","host":"h%d"}`, i)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		f.t.Fatal(err)
	}
}

// submit starts a task reading partition 0 from offset 0 to end.
func (f *chatFixture) submit(id string, end int64, pollTimeout int) {
	f.t.Helper()
	b, _ := json.Marshal(map[string]any{
		"type": "index_kafka", "id": id,
		"dataSchema": map[string]any{
			"dataSource":     "chat",
			"timestampSpec":  map[string]any{"column": "ts", "format": "iso"},
			"dimensionsSpec": map[string]any{"dimensions": []any{"host"}},
			"metricsSpec":    []any{map[string]any{"type": "count", "name": "count"}},
		},
		"ioConfig": map[string]any{
			"type":                 "kafka",
			"startSequenceNumbers": map[string]any{"type": "start", "stream": f.topic, "partitionSequenceNumberMap": map[string]int64{"0": 0}},
			"endSequenceNumbers":   map[string]any{"type": "end", "stream": f.topic, "partitionSequenceNumberMap": map[string]int64{"0": end}},
			"consumerProperties":   map[string]any{"bootstrap.servers": f.broker},
			"inputFormat":          map[string]any{"type": "json"},
			"pollTimeout":          pollTimeout,
		},
	})
	if code, body := call(f.t, "POST", f.url+"/druid/indexer/v1/task", string(b)); code != http.StatusOK {
		f.t.Fatalf("submit %s: %d %s", id, code, body)
	}
}

// chat calls a chat route of a task and returns the status code, Content-Type and body.
func (f *chatFixture) chat(method, id, path, body string) (int, string, string) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.url+"/druid/worker/v1/chat/"+id+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req) // a hung request fails, not stalls
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), strings.TrimSpace(string(b))
}

// status is the task's runner status, or "" for a task the runner does not know.
func (f *chatFixture) status(id string) task.Status {
	if tk, ok := f.runner.Task(id); ok {
		return tk.Status()
	}
	return ""
}

// waitFor polls cond until it holds; the limit is for liveness only.
func (f *chatFixture) waitFor(what string, cond func() bool) {
	f.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// waitReading waits until a task is READING with every row of the topic read.
func (f *chatFixture) waitReading(id string, rows int64) {
	f.t.Helper()
	f.waitFor(id+" reading", func() bool {
		tk, ok := f.runner.Task(id)
		return ok && tk.Status() == task.StatusReading && tk.CurrentOffsets()[druidapi.Partition{ID: 0}] == rows
	})
}

// mustChat makes a chat call that has to succeed with the given code.
func (f *chatFixture) mustChat(method, id, path, body string, code int) {
	f.t.Helper()
	if got, _, b := f.chat(method, id, path, body); got != code {
		f.t.Fatalf("%s %s%s: %d %s, want %d", method, id, path, got, b, code)
	}
}

// TestChatErrors answers every chat error the way Druid's task chat handler does, against the
// real handlers and real tasks held in each state: 404 for a task not running here (unknown,
// finished), 400 for an id the API refuses, 409 for a pause the state does not allow, 400 for
// end offsets that are malformed or do not apply, 500 for a task that cannot record them. A
// refused request leaves the task's status as it was.
func TestChatErrors(t *testing.T) {
	f := newChatFixture(t)
	const pollTimeout = 100 // ms, Druid's default

	// A task that failed at start is known to the runner but not running.
	failed := "chat-failed"
	if code, body := call(t, "POST", f.url+"/druid/indexer/v1/task", failingTask(failed)); code != http.StatusOK {
		t.Fatalf("submit %s: %d %s", failed, code, body)
	}
	f.waitFor(failed+" finished", func() bool { tk, ok := f.runner.Task(failed); return ok && tk.Result() != nil })

	// Four tasks fill the four slots: reading, paused, paused with its end offsets set, and
	// publishing (held by the handoff). A fifth waits for a slot, NOT_STARTED.
	for _, id := range []string{"chat-reading", "chat-paused", "chat-ended"} {
		f.submit(id, 1000, pollTimeout)
	}
	f.submit("chat-publishing", 10, pollTimeout)
	f.submit("chat-queued", 1000, pollTimeout)
	for _, id := range []string{"chat-reading", "chat-paused", "chat-ended"} {
		f.waitReading(id, 10)
	}
	f.mustChat("POST", "chat-paused", "/pause", "", http.StatusOK)
	f.mustChat("POST", "chat-ended", "/pause", "", http.StatusOK)
	f.mustChat("POST", "chat-ended", "/offsets/end", `{"0":20}`, http.StatusOK)
	f.waitReading("chat-ended", 10)
	f.mustChat("POST", "chat-ended", "/pause", "", http.StatusOK)
	f.waitFor("chat-publishing publishing", func() bool { return f.status("chat-publishing") == task.StatusPublishing })
	want := map[string]task.Status{
		"chat-reading": task.StatusReading, "chat-paused": task.StatusPaused, "chat-ended": task.StatusPaused,
		"chat-publishing": task.StatusPublishing, "chat-queued": task.StatusNotStarted,
	}
	for id, st := range want {
		if got := f.status(id); got != st {
			t.Fatalf("fixture: %s is %s, want %s", id, got, st)
		}
	}

	type chatCase struct {
		name               string
		method, id, path   string
		body               string
		wantCode           int
		wantType, wantBody string // wantBody: a substring of the answer
	}
	var tests []chatCase
	for _, r := range chatRoutes {
		tests = append(tests,
			chatCase{"unknown task " + r.method + " " + r.path, r.method, "chat-nope", r.path, "{}", 404, "text/plain", "task [chat-nope] is not running here"},
			chatCase{"finished task " + r.method + " " + r.path, r.method, failed, r.path, "{}", 404, "text/plain", "task [chat-failed] is not running here"},
			chatCase{"refused id " + r.method + " " + r.path, r.method, ".chat", r.path, "{}", 400, "application/json", `taskId: must not start with '.'`},
		)
	}
	notPausable := "Can't pause, task is not in a pausable state (state: [%s])"
	badBody := "bad end offsets: request body must be a JSON object of partition → offset"
	tests = append(tests, []chatCase{
		{"pause before start", "POST", "chat-queued", "/pause", "", 409, "text/plain", fmt.Sprintf(notPausable, "NOT_STARTED")},
		{"pause while publishing", "POST", "chat-publishing", "/pause", "", 409, "text/plain", fmt.Sprintf(notPausable, "PUBLISHING")},
		// The loop of a queued or publishing task is not listening: these are answered at once
		// (they used to wait for the loop, i.e. until the caller gave up).
		{"resume before start", "POST", "chat-queued", "/resume", "", 200, "", ""},
		{"resume while publishing", "POST", "chat-publishing", "/resume", "", 200, "", ""},
		{"end offsets before start", "POST", "chat-queued", "/offsets/end", `{"0":10}`, 400, "text/plain", "bad end offsets: Task must be paused before changing the end offsets"},
		{"end offsets while publishing", "POST", "chat-publishing", "/offsets/end", `{"0":5}`, 400, "text/plain", "bad end offsets: Task must be paused before changing the end offsets"},
		{"end offsets while publishing, its own end again", "POST", "chat-publishing", "/offsets/end", `{"0":10}`, 200, "application/json", `{"0":10}`},
		{"end offsets while reading", "POST", "chat-reading", "/offsets/end", `{"0":10}`, 400, "text/plain", "bad end offsets: Task must be paused before changing the end offsets"},
		{"end offsets, empty body", "POST", "chat-paused", "/offsets/end", "", 400, "text/plain", badBody},
		{"end offsets, not JSON", "POST", "chat-paused", "/offsets/end", "ten", 400, "text/plain", badBody},
		{"end offsets, an array", "POST", "chat-paused", "/offsets/end", "[10]", 400, "text/plain", badBody},
		{"end offsets, null", "POST", "chat-paused", "/offsets/end", "null", 400, "text/plain", badBody},
		{"end offsets, a partition name", "POST", "chat-paused", "/offsets/end", `{"p0":10}`, 400, "text/plain", badBody},
		{"end offsets, a negative partition", "POST", "chat-paused", "/offsets/end", `{"-1":10}`, 400, "text/plain", badBody},
		{"end offsets, a string offset", "POST", "chat-paused", "/offsets/end", `{"0":"10"}`, 400, "text/plain", badBody},
		{"end offsets before the current offset", "POST", "chat-paused", "/offsets/end", `{"0":5}`, 400, "text/plain", "bad end offsets: end offset 5 of partition 0 is before the current offset 10"},
		{"end offsets past the task's end", "POST", "chat-paused", "/offsets/end", `{"0":1001}`, 400, "text/plain", "bad end offsets: end offset 1001 of partition 0 is past the task's end 1000"},
		{"end offsets of a partition not read", "POST", "chat-paused", "/offsets/end?finish=false", `{"7":10}`, 400, "text/plain", "bad end offsets: partition 7 is not read by this task"},
		{"end offsets already set", "POST", "chat-ended", "/offsets/end", `{"0":15}`, 400, "text/plain", "bad end offsets: sequence chat-ended_0 already has end offsets"},
		// Answers that change nothing, beside the refusals: the same ones a supervisor retries.
		{"pause a paused task", "POST", "chat-paused", "/pause", "", 200, "application/json", `{"0":10}`},
		{"end offsets already set, the same again", "POST", "chat-ended", "/offsets/end", `{"0":20}`, 200, "application/json", `{"0":20}`},
		{"status before start", "GET", "chat-queued", "/status", "", 200, "application/json", `"NOT_STARTED"`},
		{"status while publishing", "GET", "chat-publishing", "/status", "", 200, "application/json", `"PUBLISHING"`},
		{"end offsets of a task with its end set", "GET", "chat-ended", "/offsets/end", "", 200, "application/json", `{"0":20}`},
	}...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, ctype, body := f.chat(tc.method, tc.id, tc.path, tc.body)
			if code != tc.wantCode || !strings.HasPrefix(ctype, tc.wantType) || !strings.Contains(body, tc.wantBody) {
				t.Errorf("%s %s%s %q: %d (%s) %q; want %d (%s) containing %q", tc.method, tc.id, tc.path, tc.body, code, ctype, body, tc.wantCode, tc.wantType, tc.wantBody)
			}
			for id, st := range want {
				if got := f.status(id); got != st {
					t.Fatalf("after %s %s%s: %s is %s, want %s as before", tc.method, tc.id, tc.path, id, got, st)
				}
			}
		})
	}

	// 500: the task cannot record its new sequence boundaries (a directory stands where it
	// writes the temporary file), so the end offsets are not confirmed.
	if err := os.MkdirAll(filepath.Join(f.workDir, "chat-paused", "sequences.json.tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, ctype, body := f.chat("POST", "chat-paused", "/offsets/end?finish=false", `{"0":10}`)
	if code != http.StatusInternalServerError || !strings.HasPrefix(ctype, "text/plain") || !strings.Contains(body, "save sequences") {
		t.Errorf("end offsets that cannot be saved: %d (%s) %q, want 500 naming the save", code, ctype, body)
	}
	// Nothing was applied: once the task can save again, the same request is a fresh checkpoint
	// (200), not "already has end offsets", and the task reads on.
	if err := os.RemoveAll(filepath.Join(f.workDir, "chat-paused", "sequences.json.tmp")); err != nil {
		t.Fatal(err)
	}
	if st := f.status("chat-paused"); st != "PAUSED" {
		t.Fatalf("after a failed save the task is %s, want PAUSED", st)
	}
	f.mustChat("POST", "chat-paused", "/offsets/end?finish=false", `{"0":10}`, http.StatusOK)
	f.waitFor("the task reading again after the checkpoint", func() bool { return f.status("chat-paused") == task.StatusReading })
	// Exactly one checkpoint was taken: the closed sequence and the open one, no empty sequence
	// left over from the failed attempt.
	b, err := os.ReadFile(filepath.Join(f.workDir, "chat-paused", "sequences.json"))
	if err != nil {
		t.Fatal(err)
	}
	var seqs []struct {
		Start, End map[string]int64
		EndSet     bool
	}
	if err := json.Unmarshal(b, &seqs); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 2 || !seqs[0].EndSet || seqs[0].End["0"] != 10 || seqs[1].EndSet || seqs[1].Start["0"] != 10 {
		t.Errorf("sequences after a failed and a retried checkpoint: %s, want one closed at 10 and one open from 10", b)
	}
}

// TestChatPauseAccepted: a pause the task's loop does not take within the 2 s the handler
// waits (it is inside a long Kafka poll) is answered 202, as Druid answers, and still pauses
// the task once the poll returns; the supervisor polls /status for PAUSED after a 202.
func TestChatPauseAccepted(t *testing.T) {
	f := newChatFixture(t)
	const id = "chat-slow"
	f.submit(id, 1000, 20000) // a 20 s poll: the loop is there when the pause comes
	f.waitReading(id, 10)
	var code int
	var ctype, body string
	for try := 0; ; try++ {
		// The loop may be between polls and take the pause at once; undo it and try again.
		if code, ctype, body = f.chat("POST", id, "/pause", ""); code != http.StatusOK || try == 10 {
			break
		}
		f.mustChat("POST", id, "/resume", "", http.StatusOK)
	}
	if code != http.StatusAccepted || !strings.HasPrefix(ctype, "text/plain") || body != "Request accepted but task has not yet paused" {
		t.Fatalf("pause during a poll: %d (%s) %q, want 202", code, ctype, body)
	}
	if st := f.status(id); st != task.StatusReading {
		t.Fatalf("status %s right after a 202, want READING until the poll returns", st)
	}
	f.produce(1) // ends the poll
	f.waitFor("the pending pause to take effect", func() bool { return f.status(id) == task.StatusPaused })
	if code, _, body := f.chat("GET", id, "/status", ""); code != http.StatusOK || body != `"PAUSED"` {
		t.Errorf("status after the pending pause: %d %s", code, body)
	}
	if code, _, body := f.chat("GET", id, "/offsets/current", ""); code != http.StatusOK || body != `{"0":11}` {
		t.Errorf("current offsets after the pending pause: %d %s, want the row that ended the poll read", code, body)
	}
}
