package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// TestChatUnparseableEventsBareList answers GET /unparseableEvents as Druid's
// SeekableStreamIndexTaskRunner.getUnparseableEvents does: Response.ok(events) with events the
// List<ParseExceptionReport>, a bare JSON list, not the {"buildSegments":…} of the reports.
func TestChatUnparseableEventsBareList(t *testing.T) {
	f := newChatFixture(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(f.broker), kgo.DefaultProduceTopic(f.topic))
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Value: []byte("{not json")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	b, _ := json.Marshal(map[string]any{
		"type": "index_kafka", "id": "unparseable",
		"dataSchema": map[string]any{
			"dataSource":    "chat",
			"timestampSpec": map[string]any{"column": "ts", "format": "iso"},
			"metricsSpec":   []any{map[string]any{"type": "count", "name": "count"}},
		},
		"tuningConfig": map[string]any{"type": "kafka", "maxSavedParseExceptions": 5},
		"ioConfig": map[string]any{
			"type":                 "kafka",
			"startSequenceNumbers": map[string]any{"type": "start", "stream": f.topic, "partitionSequenceNumberMap": map[string]int64{"0": 0}},
			"endSequenceNumbers":   map[string]any{"type": "end", "stream": f.topic, "partitionSequenceNumberMap": map[string]int64{"0": 1000}},
			"consumerProperties":   map[string]any{"bootstrap.servers": f.broker},
			"inputFormat":          map[string]any{"type": "json"},
		},
	})
	if code, body := call(t, "POST", f.url+"/druid/indexer/v1/task", string(b)); code != http.StatusOK {
		t.Fatalf("submit: %d %s", code, body)
	}
	f.waitReading("unparseable", 11)
	code, ctype, body := f.chat("GET", "unparseable", "/unparseableEvents", "")
	if code != http.StatusOK || ctype != "application/json" {
		t.Fatalf("unparseableEvents: %d %s %s", code, ctype, body)
	}
	var evs []map[string]any
	if err := json.Unmarshal([]byte(body), &evs); err != nil {
		t.Fatalf("unparseableEvents is not a bare list: %v: %s", err, body)
	}
	if len(evs) != 1 || evs[0]["input"] != "{not json" || evs[0]["errorType"] != "unparseable" {
		t.Errorf("unparseableEvents = %s, want the one unparseable row", body)
	}
	// The supervisors' chat client (parseErrors) reads the bare list.
	cc := supervisor.NewChatClient(func() string { return f.url }, "", "")
	if got, err := cc.UnparseableEvents(context.Background(), "unparseable"); err != nil || len(got) != 1 {
		t.Errorf("ChatClient.UnparseableEvents = %s, %v; want the one event", got, err)
	}
}

// listIDs lists tasks at the query and returns their ids and status codes.
func listIDs(t *testing.T, url, query string) map[string]string {
	t.Helper()
	code, body := call(t, "GET", url+"/druid/indexer/v1/tasks"+query, "")
	if code != http.StatusOK {
		t.Fatalf("GET /tasks%s: %d %s", query, code, body)
	}
	var infos []task.Info
	if err := json.Unmarshal([]byte(body), &infos); err != nil {
		t.Fatalf("GET /tasks%s: %v: %s", query, err, body)
	}
	out := map[string]string{}
	for _, in := range infos {
		out[in.ID] = in.StatusCode
	}
	return out
}

// TestTaskListFilters lists tasks as Druid's OverlordResource.getTasks does: state in any
// case (StringUtils.toLowerCase before the check), an unknown state 400 text/plain "Invalid
// state : x, valid values are: [pending, waiting, running, complete]", type exact, and
// createdTimeInterval and max applied to completed tasks only (TaskQueryTool passes both to
// the complete-task lookup; active tasks are always listed).
func TestTaskListFilters(t *testing.T) {
	f := newChatFixture(t)
	f.submit("active-a", 1000, 100)
	f.submit("active-b", 1000, 100)
	for _, id := range []string{"done-1", "done-2", "done-3"} {
		if code, body := call(t, "POST", f.url+"/druid/indexer/v1/task", failingTask(id)); code != http.StatusOK {
			t.Fatalf("submit %s: %d %s", id, code, body)
		}
	}
	f.waitReading("active-a", 10)
	f.waitReading("active-b", 10)
	f.waitFor("failed tasks", func() bool { return len(listIDs(t, f.url, "?state=complete")) == 3 })

	for _, q := range []string{"?state=RUNNING", "?state=Running", "?state=running"} {
		if got := listIDs(t, f.url, q); len(got) != 2 || got["active-a"] != "RUNNING" || got["active-b"] != "RUNNING" {
			t.Errorf("GET /tasks%s = %v, want the two active tasks", q, got)
		}
	}
	if got := listIDs(t, f.url, "?state=COMPLETE"); len(got) != 3 {
		t.Errorf("state=COMPLETE = %v, want the three failed tasks", got)
	}
	code, body := call(t, "GET", f.url+"/druid/indexer/v1/tasks?state=Finished", "")
	if want := "Invalid state : Finished, valid values are: [pending, waiting, running, complete]"; code != 400 || body != want {
		t.Errorf("state=Finished: %d %q, want 400 %q", code, body, want)
	}

	if got := listIDs(t, f.url, "?type=index_kafka"); len(got) != 5 {
		t.Errorf("type=index_kafka = %v, want all five", got)
	}
	if got := listIDs(t, f.url, "?type=index_parallel"); len(got) != 0 {
		t.Errorf("type=index_parallel = %v, want none", got)
	}

	// max limits only completed tasks: every active task stays listed.
	got := listIDs(t, f.url, "?max=1")
	if len(got) != 3 || got["active-a"] == "" || got["active-b"] == "" {
		t.Errorf("max=1 = %v, want both active tasks and one completed", got)
	}
	if got := listIDs(t, f.url, "?max=0&state=complete"); len(got) != 0 {
		t.Errorf("max=0&state=complete = %v, want none", got)
	}
	if code, body := call(t, "GET", f.url+"/druid/indexer/v1/completeTasks?n=2", ""); code != 200 || strings.Count(body, `"id"`) != 2 {
		t.Errorf("completeTasks?n=2: %d %s, want two tasks", code, body)
	}
	if code, body := call(t, "GET", f.url+"/druid/indexer/v1/runningTasks?type=index_kafka", ""); code != 200 || strings.Count(body, `"id"`) != 2 {
		t.Errorf("runningTasks?type=index_kafka: %d %s, want the two active tasks", code, body)
	}

	// createdTimeInterval: completed tasks created within its duration before now.
	if got := listIDs(t, f.url, "?createdTimeInterval=2000-01-01T00:00:00Z_2000-01-02T00:00:00Z"); len(got) != 5 {
		t.Errorf("a one-day createdTimeInterval = %v, want all five", got)
	}
	time.Sleep(5 * time.Millisecond)
	got = listIDs(t, f.url, "?createdTimeInterval=2000-01-01T00:00:00.000Z/2000-01-01T00:00:00.001Z")
	if len(got) != 2 || got["active-a"] == "" || got["active-b"] == "" {
		t.Errorf("a 1 ms createdTimeInterval = %v, want only the active tasks", got)
	}
	if code, body := call(t, "GET", f.url+"/druid/indexer/v1/tasks?createdTimeInterval=yesterday", ""); code != 400 {
		t.Errorf("createdTimeInterval=yesterday: %d %s, want 400", code, body)
	}
}

// TestTaskUnknownAndFinished answers unknown and finished task ids as Druid's OverlordResource:
// getTaskPayload 404 {"task":id,"payload":null}; getTaskStatus 404 {"task":id,"status":null};
// getTaskReports 404 text "No task reports were found for this task. The task may not exist,
// or it may not have completed yet."; doShutdown 200 {"task":id} whatever the task's state,
// since TaskQueue.shutdown ignores a task it does not hold — and a finished task stays as it
// ended.
func TestTaskUnknownAndFinished(t *testing.T) {
	r, srv := boundedRunner(t, 4, 10)
	base := srv.URL + "/druid/indexer/v1"
	if code, body := call(t, "POST", base+"/task", failingTask("done")); code != 200 {
		t.Fatalf("submit: %d %s", code, body)
	}
	waitAllFinished(t, r)

	for _, c := range []struct{ method, path, want string }{
		{"GET", "/task/nope", `{"task":"nope","payload":null}`},
		{"GET", "/task/nope/status", `{"task":"nope","status":null}`},
		{"GET", "/task/nope/reports", "No task reports were found for this task. The task may not exist, or it may not have completed yet."},
	} {
		if code, body := call(t, c.method, base+c.path, ""); code != 404 || strings.TrimSpace(body) != c.want {
			t.Errorf("%s %s: %d %s, want 404 %s", c.method, c.path, code, body, c.want)
		}
	}
	for _, id := range []string{"nope", "done"} {
		if code, body := call(t, "POST", base+"/task/"+id+"/shutdown", ""); code != 200 || strings.TrimSpace(body) != `{"task":"`+id+`"}` {
			t.Errorf("shutdown %s: %d %s, want 200 {\"task\":%q}", id, code, body, id)
		}
	}
	code, body := call(t, "GET", base+"/task/done/status", "")
	if code != 200 || !strings.Contains(body, `"statusCode":"FAILED"`) || strings.Contains(body, "Shutdown request") {
		t.Errorf("status of the finished task after shutdown: %d %s, want it FAILED as it ended", code, body)
	}
}

// TestTaskStatusesPost answers POST /taskStatus as Druid's getMultipleTaskStatuses: a map of
// the known ids to their TaskStatus ({"id","status","duration","errorMsg","location"}),
// unknown ids left out; no ids (null, [], empty body) 400 text "No TaskIds provided.".
func TestTaskStatusesPost(t *testing.T) {
	f := newChatFixture(t)
	f.submit("live", 1000, 100)
	if code, body := call(t, "POST", f.url+"/druid/indexer/v1/task", failingTask("dead")); code != 200 {
		t.Fatalf("submit: %d %s", code, body)
	}
	f.waitReading("live", 10)
	f.waitFor("dead to fail", func() bool { return len(listIDs(t, f.url, "?state=complete")) == 1 })

	code, body := call(t, "POST", f.url+"/druid/indexer/v1/taskStatus", `["live","dead","nope","../x"]`)
	if code != 200 {
		t.Fatalf("taskStatus: %d %s", code, body)
	}
	var got map[string]map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("taskStatus: %v: %s", err, body)
	}
	if len(got) != 2 {
		t.Errorf("taskStatus = %s, want only live and dead", body)
	}
	if l := got["live"]; l["id"] != "live" || l["status"] != "RUNNING" || l["duration"] != float64(-1) || l["errorMsg"] != nil {
		t.Errorf("live = %v, want RUNNING, duration -1, errorMsg null", l)
	}
	if d := got["dead"]; d["id"] != "dead" || d["status"] != "FAILED" || d["errorMsg"] == nil {
		t.Errorf("dead = %v, want FAILED with its errorMsg", d)
	}
	if loc, ok := got["live"]["location"].(map[string]any); !ok || loc["port"] != float64(-1) {
		t.Errorf("live location = %v, want Druid's TaskLocation", got["live"]["location"])
	}
	for _, b := range []string{"", "null", "[]"} {
		if code, body := call(t, "POST", f.url+"/druid/indexer/v1/taskStatus", b); code != 400 || body != "No TaskIds provided." {
			t.Errorf("taskStatus with %q: %d %q, want 400 No TaskIds provided.", b, code, body)
		}
	}
	if code, body := call(t, "POST", f.url+"/druid/indexer/v1/taskStatus", `{"live":1}`); code != 400 {
		t.Errorf("taskStatus with an object: %d %s, want 400", code, body)
	}
}

// TestTaskPayloadDataSource serves the payload with Druid's top-level dataSource (a Task's
// JSON carries AbstractTask.getDataSource beside dataSchema) and takes it back on submit, so a
// payload copied from GET /task/{id} can be posted again; one that disagrees with
// dataSchema.dataSource is a 400.
func TestTaskPayloadDataSource(t *testing.T) {
	_, srv := boundedRunner(t, 4, 10)
	base := srv.URL + "/druid/indexer/v1"
	if code, body := call(t, "POST", base+"/task", failingTask("first")); code != 200 {
		t.Fatalf("submit: %d %s", code, body)
	}
	code, body := call(t, "GET", base+"/task/first", "")
	var got struct {
		Task    string         `json:"task"`
		Payload map[string]any `json:"payload"`
	}
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
		t.Fatalf("GET /task/first: %d %v %s", code, err, body)
	}
	if got.Payload["dataSource"] != "bounded" {
		t.Errorf("payload dataSource = %v, want bounded: %s", got.Payload["dataSource"], body)
	}
	got.Payload["id"] = "again"
	b, _ := json.Marshal(got.Payload)
	if code, body := call(t, "POST", base+"/task", string(b)); code != 200 || !strings.Contains(body, `"again"`) {
		t.Errorf("resubmitting the served payload: %d %s, want 200", code, body)
	}
	got.Payload["id"], got.Payload["dataSource"] = "other", "elsewhere"
	b, _ = json.Marshal(got.Payload)
	if code, body := call(t, "POST", base+"/task", string(b)); code != 400 || !strings.Contains(body, "dataSource") {
		t.Errorf("a payload whose dataSource differs: %d %s, want 400", code, body)
	}
}

// TestTaskLog serves a task's own log as Druid's doGetLog does: 200 text/plain with the task's
// records (each carrying task=<id>), ?offset= as LogUtils.streamFile reads it (positive skips
// bytes, past the end is empty, negative keeps that many from the end), and 404 text "No log was
// found for this task. The task may not exist, or it may not have begun running yet." for an
// unknown task. The log outlives the task and holds only that task's records.
func TestTaskLog(t *testing.T) {
	f := newChatFixture(t)
	f.submit("logged", 1000, 100)
	if code, body := call(t, "POST", f.url+"/druid/indexer/v1/task", failingTask("other")); code != 200 {
		t.Fatalf("submit: %d %s", code, body)
	}
	f.waitReading("logged", 10)
	f.waitFor("other to fail", func() bool { return len(listIDs(t, f.url, "?state=complete")) == 1 })

	get := func(path string) (int, string, string) {
		t.Helper()
		resp, err := http.Get(f.url + "/druid/indexer/v1/task/" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	code, ctype, full := get("logged/log")
	if code != 200 || !strings.HasPrefix(ctype, "text/plain") {
		t.Fatalf("log of a running task: %d %s %s", code, ctype, full)
	}
	if !strings.Contains(full, "task started") || !strings.Contains(full, "task=logged") || strings.Contains(full, "task=other") {
		t.Errorf("log of logged = %q, want its own records only", full)
	}
	if _, _, tail := get("logged/log?offset=-10"); tail != full[len(full)-10:] {
		t.Errorf("offset=-10 = %q, want %q", tail, full[len(full)-10:])
	}
	if _, _, rest := get("logged/log?offset=5"); rest != full[5:] {
		t.Errorf("offset=5 = %q, want the log from byte 5", rest)
	}
	if code, _, body := get("logged/log?offset=-100000000"); code != 200 || body != full {
		t.Errorf("offset beyond the start: %d, want the whole log", code)
	}
	if code, _, body := get("logged/log?offset=100000000"); code != 200 || body != "" {
		t.Errorf("offset past the end: %d %q, want 200 empty", code, body)
	}
	if code, _, body := get("logged/log?offset=x"); code != 400 {
		t.Errorf("offset=x: %d %s, want 400", code, body)
	}
	if code, _, body := get("other/log"); code != 200 || !strings.Contains(body, "task failed") {
		t.Errorf("log of the failed task: %d %q, want its failure", code, body)
	}
	want := "No log was found for this task. The task may not exist, or it may not have begun running yet."
	if code, ctype, body := get("nope/log"); code != 404 || body != want || !strings.HasPrefix(ctype, "text/plain") {
		t.Errorf("log of an unknown task: %d %s %q, want 404 %q", code, ctype, body, want)
	}
}
