package druidapi

import (
	"encoding/json"
	"testing"
	"time"
)

func TestSegmentID(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 13, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name         string
		id           SegmentID
		want, wantIv string
	}{
		{"partition 0 is left out", SegmentID{DataSource: "wiki", Start: t0, End: t0.Add(time.Hour), Version: "v1"},
			"wiki_2024-05-01T11:00:00.000Z_2024-05-01T12:00:00.000Z_v1", "2024-05-01T11:00:00.000Z/2024-05-01T12:00:00.000Z"},
		{"partition appended", SegmentID{DataSource: "wiki", Start: t0, End: t0.Add(time.Hour + time.Millisecond), Version: "v1", Partition: 3},
			"wiki_2024-05-01T11:00:00.000Z_2024-05-01T12:00:00.001Z_v1_3", "2024-05-01T11:00:00.000Z/2024-05-01T12:00:00.001Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.id.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if got := tc.id.Interval(); got != tc.wantIv {
				t.Errorf("Interval() = %q, want %q", got, tc.wantIv)
			}
		})
	}
}

// TestReportJSON pins the keys a report carries before the first offset fetch: Druid omits
// the lag fields and offsetsLastUpdated then, but always sends recentErrors.
func TestReportJSON(t *testing.T) {
	b, err := json.Marshal(SupervisorReportPayload{ActiveTasks: []TaskReportData{{ID: "t", Type: "ACTIVE"}}, PublishingTasks: []TaskReportData{}, RecentErrors: []ExceptionEvent{}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"dataSource":"","stream":"","partitions":0,"replicas":0,"durationSeconds":0,` +
		`"activeTasks":[{"id":"t","startTime":null,"remainingSeconds":null,"type":"ACTIVE"}],"publishingTasks":[],` +
		`"suspended":false,"healthy":false,"state":"","detailedState":"","recentErrors":[]}`
	if string(b) != want {
		t.Errorf("payload JSON\n got %s\nwant %s", b, want)
	}
}

// TestServerStatusJSON pins GET /status as the server wrote it from maps: every key present,
// memory keys in alphabetical order.
func TestServerStatusJSON(t *testing.T) {
	b, err := json.Marshal(ServerStatus{Version: "v", KafkaIndexer: true, Modules: []json.RawMessage{}, Memory: ServerMemory{MaxMemory: 3, TotalMemory: 3, FreeMemory: 1, UsedMemory: 2}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":"v","kafkaIndexer":true,"modules":[],"memory":{"directMemory":0,"freeMemory":1,"maxMemory":3,"totalMemory":3,"usedMemory":2}}`
	if string(b) != want {
		t.Errorf("status JSON\n got %s\nwant %s", b, want)
	}
}
