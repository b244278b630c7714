package supervisor

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
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
	g.inherited = []druidapi.Partition{{ID: 2}} // partition 2's start was handed over

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
	if !slices.Equal(ts.Inherited, g.inherited) {
		t.Errorf("inherited %v, want %v", ts.Inherited, g.inherited)
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

// TestTaskPayloadShapes pins the task ioConfig a supervisor writes: single-topic payloads keep
// plain partition numbers and no multiTopic field; a topicPattern supervisor's keys are
// topic:partition, its stream is the pattern, and multiTopic is set, as Druid writes them.
func TestTaskPayloadShapes(t *testing.T) {
	for _, tc := range []struct {
		name, io  string
		start     task.Offsets
		inherited []druidapi.Partition
		want      []string
		absent    string
	}{
		{
			name:  "single topic",
			io:    `"topic":"events"`,
			start: task.Offsets{{ID: 0}: 5, {ID: 2}: 7},
			want: []string{`"startSequenceNumbers":{"type":"start","stream":"events","topic":"events","partitionSequenceNumberMap":{"0":5,"2":7},"partitionOffsetMap":{"0":5,"2":7}}`,
				`"endSequenceNumbers":{"type":"end","stream":"events","topic":"events","partitionSequenceNumberMap":{"0":9223372036854775807,"2":9223372036854775807}`,
				`"checkpoints":"{\"0\":{\"0\":5,\"2\":7}}"`},
			absent: "multiTopic", // and no inheritedPartitions when nothing was handed over
		},
		{
			name:      "topic pattern",
			io:        `"topicPattern":"metrics-.*"`,
			start:     task.Offsets{{Topic: "metrics-a", ID: 0}: 5, {Topic: "metrics-b", ID: 2}: 7},
			inherited: []druidapi.Partition{{Topic: "metrics-b", ID: 2}},
			want: []string{`"startSequenceNumbers":{"type":"start","stream":"metrics-.*","topic":"metrics-.*","partitionSequenceNumberMap":{"metrics-a:0":5,"metrics-b:2":7},"partitionOffsetMap":{"metrics-a:0":5,"metrics-b:2":7},"inheritedPartitions":["metrics-b:2"]}`,
				`"endSequenceNumbers":{"type":"end","stream":"metrics-.*","topic":"metrics-.*","partitionSequenceNumberMap":{"metrics-a:0":9223372036854775807,"metrics-b:2":9223372036854775807}`,
				`"checkpoints":"{\"0\":{\"metrics-a:0\":5,\"metrics-b:2\":7}}"`,
				`"multiTopic":true`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := spec.Decode([]byte(`{"type":"kafka","spec":{"dataSchema":{"dataSource":"ds","timestampSpec":{"column":"ts"}},
				"ioConfig":{` + tc.io + `,"inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"127.0.0.1:9092"}}}}`))
			if err != nil {
				t.Fatal(err)
			}
			r := &runtime{spec: sp, id: "sup"}
			g := newTaskGroup(0, tc.start, nil, nil, "base")
			g.inherited = tc.inherited
			raw, err := r.taskPayload(g, "base_abcdefgh")
			if err != nil {
				t.Fatal(err)
			}
			ts, err := task.DecodePayload(raw)
			if err != nil {
				t.Fatal(err)
			}
			enc := string(ts.Encode())
			for _, w := range tc.want {
				if !strings.Contains(enc, w) {
					t.Errorf("payload lacks %s:\n%s", w, enc)
				}
			}
			if tc.absent != "" && strings.Contains(enc, tc.absent) {
				t.Errorf("payload has %s:\n%s", tc.absent, enc)
			}
		})
	}
}
