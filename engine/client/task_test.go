package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
)

// TestTaskAndDataSourceMethods checks the paths, queries and decoding of the task and
// datasource methods against Druid's answers, and WithRawAnswer.
func TestTaskAndDataSourceMethods(t *testing.T) {
	const taskJSON = `{"id":"t1","groupId":"g","type":"index_kafka","createdTime":"2024-01-01T00:00:00.000Z","queueInsertionTime":"2024-01-01T00:00:00.000Z","statusCode":"RUNNING","status":"RUNNING","runnerStatusCode":"RUNNING","duration":-1,"location":{"host":"h","port":8100,"tlsPort":-1},"dataSource":"ds","errorMsg":null,"newField":1}`
	rec := &recorder{answers: map[string]answer{
		"GET /druid/indexer/v1/tasks":                                       {200, `[` + taskJSON + `]`},
		"GET /druid/indexer/v1/tasks?datasource=ds&state=running":           {200, `[` + taskJSON + `]`},
		"GET /druid/indexer/v1/task/t1/status":                              {200, `{"task":"t1","status":` + taskJSON + `}`},
		"GET /druid/indexer/v1/task/gone/status":                            {404, `{"task":"gone","status":null}`},
		"GET /druid/indexer/v1/task/t1/reports":                             {200, `{"ingestionStatsAndErrors":{}}`},
		"POST /druid/indexer/v1/task/t1/shutdown":                           {200, `{"task":"t1"}`},
		"GET /druid/coordinator/v1/metadata/datasources":                    {200, `["ds"]`},
		"GET /druid/coordinator/v1/metadata/datasources/ds/segments?full":   {200, `[{"dataSource":"ds","interval":"2024-01-01T00:00:00.000Z/2024-01-01T01:00:00.000Z","version":"v","shardSpec":{"type":"numbered","partitionNum":1,"partitions":0},"size":10,"identifier":"ds_x","numRows":3}]`},
		"GET /druid/coordinator/v1/metadata/datasources/none/segments?full": {404, ``},
	}}
	c := newTestClient(t, rec)
	ctx := context.Background()

	var raw json.RawMessage
	tasks, err := c.ListTasks(WithRawAnswer(ctx, &raw), TaskFilter{})
	if err != nil || len(tasks) != 1 || tasks[0].ID != "t1" || *tasks[0].Location.Host != "h" || tasks[0].Duration != -1 {
		t.Fatalf("ListTasks: %+v, %v", tasks, err)
	}
	if string(raw) != `[`+taskJSON+`]` {
		t.Errorf("WithRawAnswer kept %s, want the server's body with its unknown field", raw)
	}
	if _, err := c.ListTasks(ctx, TaskFilter{State: "running", DataSource: "ds"}); err != nil {
		t.Errorf("ListTasks with a filter: %v", err)
	}
	st, err := c.TaskStatus(ctx, "t1")
	if err != nil || st.StatusCode != "RUNNING" || st.DataSource != "ds" {
		t.Errorf("TaskStatus: %+v, %v", st, err)
	}
	_, err = c.TaskStatus(ctx, "gone")
	var ae *APIError
	if !errors.Is(err, ErrUnknownTask) || !errors.Is(err, ErrNotFound) || !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
		t.Errorf("TaskStatus of an unknown task: %v", err)
	}
	if r, err := c.TaskReports(ctx, "t1"); err != nil || string(r) != `{"ingestionStatsAndErrors":{}}` {
		t.Errorf("TaskReports: %s, %v", r, err)
	}
	if err := c.ShutdownTask(ctx, "t1"); err != nil {
		t.Errorf("ShutdownTask: %v", err)
	}
	if ds, err := c.ListDataSources(ctx); err != nil || len(ds) != 1 || ds[0] != "ds" {
		t.Errorf("ListDataSources: %q, %v", ds, err)
	}
	segs, err := c.DataSourceSegments(ctx, "ds")
	if err != nil || len(segs) != 1 || segs[0].NumRows != 3 || segs[0].ShardSpec.PartitionNum != 1 || segs[0].Identifier != "ds_x" {
		t.Errorf("DataSourceSegments: %+v, %v", segs, err)
	}
	if _, err := c.DataSourceSegments(ctx, "none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DataSourceSegments of a datasource without segments: %v", err)
	}
}

// TestResetOffsetsMetadataNotRetried: a lost answer to a reset must not be repeated.
func TestResetOffsetsMetadataNotRetried(t *testing.T) {
	rec := &recorder{answers: map[string]answer{
		"POST /druid/indexer/v1/supervisor/ds/resetOffsets": {503, `{"error":"not leader"}`},
	}}
	c := newTestClient(t, rec, WithMaxRetries(3))
	body := json.RawMessage(`{"type":"kafka","partitions":{"type":"end","stream":"t","partitionOffsetMap":{"0":5}}}`)
	if err := c.ResetOffsetsMetadata(context.Background(), "ds", body); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("ResetOffsetsMetadata: %v", err)
	}
	if len(rec.got) != 1 || rec.got[0].body != string(body) {
		t.Errorf("sent %d requests (%+v), want one with the body as given", len(rec.got), rec.got)
	}
}
