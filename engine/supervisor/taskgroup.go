package supervisor

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// notSet marks a partition whose next start offset must come from the stored metadata or Kafka.
const notSet = -1

// taskGroup is one set of replica tasks reading the same partitions from the same offsets
// (Druid's TaskGroup).
type taskGroup struct {
	id           int
	start        task.Offsets // immutable starting offsets
	minTime      *time.Time
	maxTime      *time.Time
	baseSequence string
	// inherited are the partitions of start handed over from the previous group's end offsets,
	// sorted; the tasks' publish waits until those are committed (inheritedPartitions).
	inherited []druidapi.Partition
	// checkpoints are the start offsets of each sequence, by sequence id; 0 is start.
	checkpoints map[int]task.Offsets
	tasks       map[string]*taskState
	// completionDeadline is set when the group moves to pending completion.
	completionDeadline time.Time
}

// taskState is what the supervisor knows about one task of a group.
type taskState struct {
	startTime *time.Time
	current   task.Offsets
	status    string // RUNNING, SUCCESS, FAILED from the runner
}

func newTaskGroup(id int, start task.Offsets, minT, maxT *time.Time, base string) *taskGroup {
	return &taskGroup{id: id, start: start.Clone(), minTime: minT, maxTime: maxT, baseSequence: base,
		checkpoints: map[int]task.Offsets{0: start.Clone()}, tasks: map[string]*taskState{}}
}

// earliestStart is the earliest start time of the group's tasks, nil if none has started.
func (g *taskGroup) earliestStart() *time.Time {
	var out *time.Time
	for _, t := range g.tasks {
		if t.startTime != nil && (out == nil || t.startTime.Before(*out)) {
			out = t.startTime
		}
	}
	return out
}

func (g *taskGroup) taskIDs() []string { return slices.Sorted(maps.Keys(g.tasks)) }

func (g *taskGroup) latestCheckpoint() (int, task.Offsets) {
	id := slices.Max(slices.Collect(maps.Keys(g.checkpoints)))
	return id, g.checkpoints[id]
}

// offsetsString renders offsets as Druid does inside the base sequence hash: p(o)+p(o)….
func offsetsString(o task.Offsets) string {
	var b strings.Builder
	for i, p := range o.Partitions() {
		if i > 0 {
			b.WriteByte('+')
		}
		fmt.Fprintf(&b, "%s(%d)", p, o[p])
	}
	return b.String()
}

func millisOrEmpty(t *time.Time) string {
	if t == nil {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// baseSequenceName is index_kafka_<dataSource>_<15 hex chars of a SHA-1> over the dataSchema and
// tuningConfig JSON (sorted keys), the start offsets and the message-time bounds (Druid's
// generateSequenceName). Replicas share it; a change of dataSchema or tuningConfig changes it,
// which is how running tasks are found no longer current.
func baseSequenceName(dataSource string, dataSchema, tuning json.RawMessage, start task.Offsets, minT, maxT *time.Time) string {
	h := sha1.New()
	h.Write(dataSchema)
	h.Write(tuning)
	h.Write([]byte(offsetsString(start)))
	h.Write([]byte(millisOrEmpty(minT)))
	h.Write([]byte(millisOrEmpty(maxT)))
	return "index_kafka_" + dataSource + "_" + hex.EncodeToString(h.Sum(nil))[:15]
}

// taskID appends 8 random letters a–p to the base sequence name, like Druid.
func taskID(base string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = 'a' + b[i]%16
	}
	return base + "_" + string(b[:])
}

// taskPayload builds the index_kafka task a group runs (Druid's createTasksForGroup) as the
// task package's own Payload type, encoded. The caller decodes it with task.DecodePayload, the
// decoder a restart runs on the stored copy, so a task the supervisor creates and the same task
// read back after a restart are equal, and the task gets its own copies of the spec's maps.
func (r *runtime) taskPayload(g *taskGroup, id string) ([]byte, error) {
	s := r.spec
	ds, tuning, inputFormat := s.TaskSections()
	end := task.Offsets{}
	for p := range g.start {
		end[p] = task.EndOfPartition
	}
	cps := make(map[string]task.Offsets, len(g.checkpoints))
	for seq, o := range g.checkpoints {
		cps[strconv.Itoa(seq)] = o
	}
	cpJSON, err := json.Marshal(cps)
	if err != nil {
		return nil, err
	}
	ctxMap := maps.Clone(s.Context)
	if ctxMap == nil {
		ctxMap = map[string]any{}
	}
	ctxMap["checkpoints"] = string(cpJSON)
	ctxMap["IS_INCREMENTAL_HANDOFF_SUPPORTED"] = true
	var minT, maxT *string
	if g.minTime != nil {
		t := spec.FormatTime(*g.minTime)
		minT = &t
	}
	if g.maxTime != nil {
		t := spec.FormatTime(*g.maxTime)
		maxT = &t
	}
	stream := s.IOConfig.StreamName()
	groupID := g.id
	p := task.Payload{
		Type: task.Type, ID: id, GroupID: "index_kafka_" + s.DataSchema.DataSource,
		Resource:     &task.Resource{AvailabilityGroup: g.baseSequence, RequiredCapacity: 1},
		DataSchema:   ds,
		TuningConfig: tuning,
		IOConfig: task.IOConfig{
			Type: "kafka", TaskGroupID: &groupID, BaseSequenceName: g.baseSequence,
			StartSequenceNumbers: task.SequenceNumbers{Type: "start", Stream: stream, Offsets: g.start, ExclusivePartitions: []json.RawMessage{},
				InheritedPartitions: g.inherited},
			EndSequenceNumbers: task.SequenceNumbers{Type: "end", Stream: stream, Offsets: end},
			ConsumerProperties: s.IOConfig.ConsumerProperties,
			PollTimeout:        s.IOConfig.PollTimeout,
			UseTransaction:     true,
			MinimumMessageTime: minT,
			MaximumMessageTime: maxT,
			InputFormat:        inputFormat,
			MultiTopic:         s.IOConfig.TopicPattern != "",
		},
		Context:      ctxMap,
		SupervisorID: r.id,
	}
	return json.Marshal(p)
}

// isCurrent reports whether a task was created from the supervisor's current dataSchema and
// tuningConfig (Druid's isTaskCurrent): its base sequence name recomputed from its own start
// offsets and message-time bounds with the supervisor's sections must equal its own.
func (r *runtime) isCurrent(ts *task.Spec) bool {
	ds, tuning, _ := r.spec.TaskSections()
	want := baseSequenceName(r.spec.DataSchema.DataSource, ds, tuning, ts.Start, ts.MinTime, ts.MaxTime)
	return want == ts.Payload.IOConfig.BaseSequenceName
}
