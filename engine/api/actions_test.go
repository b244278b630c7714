package api

import (
	"strings"
	"testing"
)

// TestTaskActionRejects checks that the task action endpoint answers a malformed or unknown
// action with 400 naming what is wrong, and 503 on a node without supervisors.
func TestTaskActionRejects(t *testing.T) {
	_, srv := boundedRunner(t, 1, 1)
	for _, tc := range []struct {
		body string
		code int
		want string
	}{
		{`{`, 400, "task action"},
		{`{"action":{"type":"checkPointDataSourceMetadata","taskGroupId":0,"sequenceStart":{"0":1}}}`, 400, "task is required"},
		{`{"task":"t","action":{"type":"lockAcquire"}}`, 400, "action.type"},
		{`{"task":"t","action":{"type":"checkPointDataSourceMetadata"}}`, 400, "taskGroupId and sequenceStart"},
		{`{"task":"t","action":{"type":"checkPointDataSourceMetadata","taskGroupId":0,"sequenceStart":{"0":1}}}`, 503, "no supervisors"},
	} {
		code, body := call(t, "POST", srv.URL+"/druid/indexer/v1/action", tc.body)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("POST /action %s: %d %s, want %d naming %q", tc.body, code, body, tc.code, tc.want)
		}
	}
}
