package supervisor

import (
	"bytes"
	"maps"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// TestTaskPayloadSurvivesRestart: the task a supervisor builds decodes to the group's offsets,
// checkpoints and message-time bounds, and reading back its stored copy (what a restart does)
// gives the same task.
func TestTaskPayloadSurvivesRestart(t *testing.T) {
	sp, err := spec.Decode([]byte(`{"type":"kafka","context":{"priority":75},"spec":{
		"dataSchema":{"dataSource":"ds","timestampSpec":{"column":"ts","format":"iso"},"dimensionsSpec":{"dimensions":["a"]},"granularitySpec":{"segmentGranularity":"hour"}},
		"ioConfig":{"topic":"events","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"127.0.0.1:9092"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := &runtime{spec: sp, id: "sup"}
	minT := time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC)
	maxT := minT.Add(time.Hour)
	g := newTaskGroup(3, task.Offsets{{ID: 0}: 5, {ID: 2}: 7}, &minT, &maxT, "base")
	g.checkpoints[1] = task.Offsets{{ID: 0}: 9, {ID: 2}: 10}

	raw, err := r.taskPayload(g, "base_abcdefgh")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := task.DecodePayload(raw)
	if err != nil {
		t.Fatal(err)
	}
	p := ts.Payload
	if p.ID != "base_abcdefgh" || p.GroupID != "index_kafka_ds" || p.SupervisorID != "sup" || p.IOConfig.TaskGroupID == nil || *p.IOConfig.TaskGroupID != 3 ||
		p.IOConfig.BaseSequenceName != "base" || p.Resource == nil || p.Resource.AvailabilityGroup != "base" || p.Context["priority"] != 75.0 {
		t.Errorf("payload %+v", p)
	}
	if !maps.Equal(ts.Start, g.start) || !maps.Equal(ts.End, task.Offsets{{ID: 0}: task.EndOfPartition, {ID: 2}: task.EndOfPartition}) {
		t.Errorf("start %v end %v", ts.Start, ts.End)
	}
	if len(ts.Checkpoints) != 2 || !maps.Equal(ts.Checkpoints[1], g.checkpoints[1]) {
		t.Errorf("checkpoints %v", ts.Checkpoints)
	}
	if ts.MinTime == nil || !ts.MinTime.Equal(minT) || ts.MaxTime == nil || !ts.MaxTime.Equal(maxT) {
		t.Errorf("message-time bounds %v %v", ts.MinTime, ts.MaxTime)
	}
	restarted, err := task.DecodePayload(ts.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(restarted.Encode(), ts.Encode()) {
		t.Errorf("stored payload reads back differently:\n%s\n%s", restarted.Encode(), ts.Encode())
	}
}
