package task

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// Type is the task type string of Kafka indexing tasks.
const Type = "index_kafka"

// EndOfPartition is the open-ended end offset (Long.MAX_VALUE): read until told to stop.
const EndOfPartition = math.MaxInt64

// Offsets maps partition to offset. On the wire it is a JSON object keyed by the partition's
// Druid key as a string, "0" or "topic:0" for a topic pattern (druidapi.Partition).
type Offsets map[druidapi.Partition]int64

// MarshalJSON writes {"0":123,...}.
func (o Offsets) MarshalJSON() ([]byte, error) {
	m := make(map[string]int64, len(o))
	for p, off := range o {
		m[p.String()] = off
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads {"0":123,...} or {"topic:0":123,...}.
func (o *Offsets) UnmarshalJSON(b []byte) error {
	var m map[string]int64
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("must be an object of partition → offset: %v", err)
	}
	out := make(Offsets, len(m))
	for k, v := range m {
		p, err := druidapi.ParsePartition(k)
		if err != nil {
			return err
		}
		out[p] = v
	}
	*o = out
	return nil
}

// Clone copies the map.
func (o Offsets) Clone() Offsets { return maps.Clone(o) }

// Partitions returns the partitions in ascending order (topic, then number).
func (o Offsets) Partitions() []druidapi.Partition {
	return slices.SortedFunc(maps.Keys(o), druidapi.ComparePartitions)
}

// SequenceNumbers is Druid's SeekableStreamStartSequenceNumbers / EndSequenceNumbers JSON. The
// legacy names (topic, partitionOffsetMap) are written alongside, as Druid does.
type SequenceNumbers struct {
	Type          string  `json:"type"`
	Stream        string  `json:"stream"`
	Topic         string  `json:"topic,omitempty"`
	Offsets       Offsets `json:"partitionSequenceNumberMap"`
	LegacyOffsets Offsets `json:"partitionOffsetMap,omitempty"`
	// ExclusivePartitions is kept as given: Kafka start offsets are always inclusive, so the
	// list has no effect here (Druid's supervisor writes it empty).
	ExclusivePartitions []json.RawMessage `json:"exclusivePartitions,omitempty"`
	// InheritedPartitions (start offsets only; kafka-indexer's own, optional field) lists the
	// partitions whose start offset the supervisor handed over from the end offsets of an
	// earlier task group, which may not have committed them yet: a taskDuration rollover or a
	// scale action. The task's publish then commits only onto exactly those offsets stored
	// (metadata.PublishRequest.Inherited), waiting for the earlier group as long as they are
	// not, even on a supervisor with nothing stored yet. Partitions started from the stored
	// offsets or from Kafka's earliest or latest are not listed.
	//
	// It is not exclusivePartitions: in Druid that list means "the record at the start offset
	// was already read, skip it" (a Kinesis notion; Druid's Kafka supervisor writes it empty),
	// so giving it another meaning would mislead anything that reads the payload as Druid's. A
	// payload without the field (an older supervisor, Druid's) has nothing inherited, and
	// Druid's JSON mapper, which ignores unknown properties, reads ours unchanged.
	InheritedPartitions []druidapi.Partition `json:"inheritedPartitions,omitempty"`
}

func (s *SequenceNumbers) normalize(kind string) {
	if s.Stream == "" {
		s.Stream = s.Topic
	}
	if s.Offsets == nil {
		s.Offsets = s.LegacyOffsets
	}
	s.Type = kind
	s.Topic = s.Stream
	s.LegacyOffsets = s.Offsets
	if kind == "start" && s.ExclusivePartitions == nil {
		s.ExclusivePartitions = []json.RawMessage{}
	}
}

// IOConfig is the task's ioConfig (KafkaIndexTaskIOConfig).
type IOConfig struct {
	Type                 string          `json:"type"`
	TaskGroupID          *int            `json:"taskGroupId"`
	BaseSequenceName     string          `json:"baseSequenceName"`
	StartSequenceNumbers SequenceNumbers `json:"startSequenceNumbers"`
	EndSequenceNumbers   SequenceNumbers `json:"endSequenceNumbers"`
	ConsumerProperties   map[string]any  `json:"consumerProperties"`
	PollTimeout          int64           `json:"pollTimeout"`
	UseTransaction       bool            `json:"useTransaction"`
	MinimumMessageTime   *string         `json:"minimumMessageTime"`
	MaximumMessageTime   *string         `json:"maximumMessageTime"`
	InputFormat          json.RawMessage `json:"inputFormat"`
	// MultiTopic is set for tasks of a topicPattern supervisor, whose partitions are keyed
	// "topic:partition" and whose stream is the pattern (KafkaIndexTaskIOConfig.multiTopic).
	MultiTopic bool `json:"multiTopic,omitempty"`
}

// Payload is a Kafka indexing task as submitted to POST /druid/indexer/v1/task or created by a
// supervisor (Druid's KafkaIndexTask JSON).
type Payload struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	GroupID string `json:"groupId"`
	// DataSource is Druid's top-level dataSource (AbstractTask.getDataSource): written from
	// dataSchema.dataSource by Encode; on input optional, and when given it must match.
	DataSource   string          `json:"dataSource,omitempty"`
	Resource     *Resource       `json:"resource,omitempty"`
	DataSchema   json.RawMessage `json:"dataSchema"`
	TuningConfig json.RawMessage `json:"tuningConfig"`
	IOConfig     IOConfig        `json:"ioConfig"`
	Context      map[string]any  `json:"context"`
	// SupervisorID names the supervisor that created the task (the datasource metadata key);
	// empty for directly submitted tasks, which key by dataSource.
	SupervisorID string `json:"supervisorId,omitempty"`
}

// Resource is the task's resource block.
type Resource struct {
	AvailabilityGroup string `json:"availabilityGroup"`
	RequiredCapacity  int    `json:"requiredCapacity"`
}

// Task is a decoded, validated task: its payload plus the canonical spec sections.
type Spec struct {
	Payload    Payload
	DataSchema spec.DataSchema
	Tuning     spec.TuningConfig
	Input      *spec.InputFormat
	Start      Offsets // inclusive start offsets
	End        Offsets // exclusive end offsets; EndOfPartition when open-ended
	MinTime    *time.Time
	MaxTime    *time.Time
	// Checkpoints are the start offsets of sequences 1..n given by the supervisor in context
	// "checkpoints" (sequence 0 starts at Start), so a replacement replica rebuilds the same
	// sequence boundaries.
	Checkpoints map[int]Offsets
	// Inherited are the partitions of Start handed over from an earlier task group's end
	// offsets (ioConfig.startSequenceNumbers.inheritedPartitions), sorted, without duplicates.
	Inherited []druidapi.Partition
	// multiTopic: the stream is a topic pattern and every partition names its topic.
	multiTopic bool
}

// MetadataKey is the datasource-metadata row the task's offsets commit to.
func (s *Spec) MetadataKey() string {
	if s.Payload.SupervisorID != "" {
		return s.Payload.SupervisorID
	}
	return s.DataSchema.DataSource
}

// Stream is the topic the task reads, or the topic pattern of a multi-topic task.
func (s *Spec) Stream() string { return s.Payload.IOConfig.StartSequenceNumbers.Stream }

// MultiTopic reports whether the task reads several topics (a topicPattern supervisor's task).
func (s *Spec) MultiTopic() bool { return s.multiTopic }

// PartitionOf is the key of Kafka partition id of topic, in the task's mode.
func (s *Spec) PartitionOf(topic string, id int32) druidapi.Partition {
	if s.multiTopic {
		return druidapi.Partition{Topic: topic, ID: id}
	}
	return druidapi.Partition{ID: id}
}

// Topics groups parts by Kafka topic, the shape franz-go's partition
// assignment, pause and offset calls take.
func (s *Spec) Topics(parts []druidapi.Partition) map[string][]int32 {
	out := map[string][]int32{}
	for _, p := range parts {
		t := p.TopicIn(s.Stream())
		out[t] = append(out[t], p.ID)
	}
	return out
}

// Bounded reports whether every partition has a finite end offset.
func (s *Spec) Bounded() bool {
	for _, e := range s.End {
		if e == EndOfPartition {
			return false
		}
	}
	return true
}

// DecodePayload reads and validates a task payload. The dataSchema, tuningConfig and inputFormat
// go through the same decoder and rules as a supervisor spec, so errors name the same paths.
func DecodePayload(raw []byte) (*Spec, error) {
	var p Payload
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, &spec.FieldError{Msg: "malformed task JSON: " + err.Error()}
	}
	if p.Type != Type {
		return nil, &spec.FieldError{Path: "type", Msg: fmt.Sprintf("unknown task type %q (expected %q)", p.Type, Type)}
	}
	// The id names the task's work directory and report file; groupId and supervisorId are
	// store keys. All are checked here, where both POST /task and a restart decode payloads.
	if err := spec.ValidateID("id", p.ID); err != nil {
		return nil, err
	}
	io := &p.IOConfig
	if io.Type != "" && io.Type != "kafka" {
		return nil, &spec.FieldError{Path: "ioConfig.type", Msg: fmt.Sprintf("unknown type %q (expected \"kafka\")", io.Type)}
	}
	io.Type = "kafka"
	io.StartSequenceNumbers.normalize("start")
	io.EndSequenceNumbers.normalize("end")
	stream := io.StartSequenceNumbers.Stream
	if stream == "" {
		return nil, &spec.FieldError{Path: "ioConfig.startSequenceNumbers.stream", Msg: "missing (the Kafka topic)"}
	}
	if len(io.StartSequenceNumbers.Offsets) == 0 {
		return nil, &spec.FieldError{Path: "ioConfig.startSequenceNumbers.partitionSequenceNumberMap", Msg: "missing (start offset per partition)"}
	}
	if io.EndSequenceNumbers.Stream == "" {
		io.EndSequenceNumbers.Stream, io.EndSequenceNumbers.Topic = stream, stream
	}
	if io.EndSequenceNumbers.Stream != stream {
		return nil, &spec.FieldError{Path: "ioConfig.endSequenceNumbers.stream", Msg: fmt.Sprintf("%q differs from the start stream %q", io.EndSequenceNumbers.Stream, stream)}
	}
	multi, err := partitionMode(io)
	if err != nil {
		return nil, err
	}
	end := Offsets{}
	for part, start := range io.StartSequenceNumbers.Offsets {
		if start < 0 {
			return nil, &spec.FieldError{Path: "ioConfig.startSequenceNumbers.partitionSequenceNumberMap." + part.String(), Msg: "must be ≥ 0"}
		}
		e, ok := io.EndSequenceNumbers.Offsets[part]
		if !ok {
			e = EndOfPartition
		}
		if e < start {
			return nil, &spec.FieldError{Path: "ioConfig.endSequenceNumbers.partitionSequenceNumberMap." + part.String(), Msg: fmt.Sprintf("end %d is before start %d", e, start)}
		}
		end[part] = e
	}
	for part := range io.EndSequenceNumbers.Offsets {
		if _, ok := io.StartSequenceNumbers.Offsets[part]; !ok {
			return nil, &spec.FieldError{Path: "ioConfig.endSequenceNumbers.partitionSequenceNumberMap." + part.String(), Msg: "partition has no start offset"}
		}
	}
	io.EndSequenceNumbers.Offsets, io.EndSequenceNumbers.LegacyOffsets = end, end
	if len(io.EndSequenceNumbers.InheritedPartitions) > 0 {
		return nil, &spec.FieldError{Path: "ioConfig.endSequenceNumbers.inheritedPartitions", Msg: "only start offsets are inherited (set ioConfig.startSequenceNumbers.inheritedPartitions)"}
	}
	inherited, err := inheritedPartitions(io.StartSequenceNumbers)
	if err != nil {
		return nil, err
	}
	io.StartSequenceNumbers.InheritedPartitions = inherited
	if io.PollTimeout == 0 {
		io.PollTimeout = 100
	}
	io.UseTransaction = true

	// Decode the shared sections through the supervisor decoder by wrapping them.
	inputFormat := io.InputFormat
	wrapper := map[string]any{
		"type":       "kafka",
		"dataSchema": p.DataSchema,
		"ioConfig": map[string]any{
			"topic": stream, "consumerProperties": io.ConsumerProperties, "pollTimeout": io.PollTimeout,
			"inputFormat": inputFormat,
		},
	}
	if multi {
		// The stream is the pattern; decoding it as one checks that it compiles.
		wio := wrapper["ioConfig"].(map[string]any)
		delete(wio, "topic")
		wio["topicPattern"] = stream
	}
	if len(p.TuningConfig) > 0 && string(p.TuningConfig) != "null" {
		wrapper["tuningConfig"] = p.TuningConfig
	}
	if len(inputFormat) == 0 || string(inputFormat) == "null" {
		delete(wrapper["ioConfig"].(map[string]any), "inputFormat")
	}
	b, err := json.Marshal(wrapper)
	if err != nil {
		return nil, &spec.FieldError{Msg: err.Error()}
	}
	sup, err := spec.Decode(b)
	if err != nil {
		return nil, err
	}
	if multi {
		if err := checkTopics(sup.IOConfig.TopicPattern, io.StartSequenceNumbers.Offsets); err != nil {
			return nil, err
		}
	}
	s := &Spec{
		multiTopic: multi,
		Payload:    p,
		DataSchema: sup.DataSchema,
		Tuning:     sup.TuningConfig,
		Input:      sup.IOConfig.InputFormat,
		Start:      io.StartSequenceNumbers.Offsets.Clone(),
		End:        end,
		Inherited:  slices.Clone(inherited),
	}
	if p.DataSource != "" && p.DataSource != s.DataSchema.DataSource {
		return nil, &spec.FieldError{Path: "dataSource", Msg: fmt.Sprintf("%q differs from dataSchema.dataSource %q", p.DataSource, s.DataSchema.DataSource)}
	}
	s.Payload.DataSource = s.DataSchema.DataSource
	if p.GroupID == "" {
		s.Payload.GroupID = "index_kafka_" + s.DataSchema.DataSource
	} else if err := spec.ValidateID("groupId", p.GroupID); err != nil {
		return nil, err
	}
	if p.SupervisorID != "" {
		if err := spec.ValidateDataSource("supervisorId", p.SupervisorID); err != nil {
			return nil, err
		}
	}
	if io.BaseSequenceName == "" {
		s.Payload.IOConfig.BaseSequenceName = p.ID
	}
	for _, f := range []struct {
		path string
		v    *string
		dst  **time.Time
	}{{"ioConfig.minimumMessageTime", io.MinimumMessageTime, &s.MinTime}, {"ioConfig.maximumMessageTime", io.MaximumMessageTime, &s.MaxTime}} {
		if f.v == nil {
			continue
		}
		t, err := spec.ParseDateTime(*f.v)
		if err != nil {
			return nil, &spec.FieldError{Path: f.path, Msg: err.Error()}
		}
		*f.dst = &t
	}
	if cp, ok := p.Context["checkpoints"]; ok {
		if s.Checkpoints, err = decodeCheckpoints(cp); err != nil {
			return nil, &spec.FieldError{Path: "context.checkpoints", Msg: err.Error()}
		}
	}
	return s, nil
}

// partitionMode tells a multi-topic task (partitions keyed "topic:partition", the stream a
// topic pattern) from a single-topic one, and refuses a mix. The ioConfig's multiTopic flag
// is set to match, so the task's stored payload says it as Druid's does.
func partitionMode(io *IOConfig) (multi bool, err error) {
	keys := io.StartSequenceNumbers.Offsets.Partitions()
	multi = io.MultiTopic || slices.ContainsFunc(keys, druidapi.Partition.MultiTopic)
	for _, p := range keys {
		if !p.MultiTopic() && multi {
			return false, &spec.FieldError{Path: "ioConfig.startSequenceNumbers.partitionSequenceNumberMap." + p.String(),
				Msg: "must be keyed topic:partition, as in a multi-topic (topicPattern) task"}
		}
	}
	for p := range io.EndSequenceNumbers.Offsets {
		if p.MultiTopic() != multi {
			return false, &spec.FieldError{Path: "ioConfig.endSequenceNumbers.partitionSequenceNumberMap." + p.String(),
				Msg: "must be keyed like the start offsets"}
		}
	}
	io.MultiTopic = multi
	return multi, nil
}

// inheritedPartitions checks that every inherited partition has a start offset and returns
// them sorted, without duplicates (nil for none).
func inheritedPartitions(start SequenceNumbers) ([]druidapi.Partition, error) {
	if len(start.InheritedPartitions) == 0 {
		return nil, nil
	}
	out := slices.Clone(start.InheritedPartitions)
	for i, p := range out {
		if _, ok := start.Offsets[p]; !ok {
			return nil, &spec.FieldError{Path: fmt.Sprintf("ioConfig.startSequenceNumbers.inheritedPartitions[%d]", i),
				Msg: fmt.Sprintf("partition %q has no start offset in partitionSequenceNumberMap", p.String())}
		}
	}
	slices.SortFunc(out, druidapi.ComparePartitions)
	return slices.Compact(out), nil
}

// checkTopics refuses partitions of topics the task's topic pattern does not match.
func checkTopics(pattern string, start Offsets) error {
	re, err := spec.CompileTopicPattern(pattern)
	if err != nil {
		return &spec.FieldError{Path: "ioConfig.startSequenceNumbers.stream", Msg: err.Error()}
	}
	for _, p := range start.Partitions() {
		if !re.MatchString(p.Topic) {
			return &spec.FieldError{Path: "ioConfig.startSequenceNumbers.partitionSequenceNumberMap." + p.String(),
				Msg: fmt.Sprintf("topic %q does not match the stream's pattern %q", p.Topic, pattern)}
		}
	}
	return nil
}

// decodeCheckpoints reads context.checkpoints: a JSON string (or object) of
// {"<sequenceId>": {"<partition>": startOffset}}.
func decodeCheckpoints(v any) (map[int]Offsets, error) {
	var raw []byte
	switch x := v.(type) {
	case string:
		raw = []byte(x)
	default:
		raw, _ = json.Marshal(x)
	}
	var m map[string]Offsets
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	out := make(map[int]Offsets, len(m))
	for k, offs := range m {
		id, err := strconv.Atoi(k)
		if err != nil || id < 0 {
			return nil, fmt.Errorf("sequence id %q is not a number", k)
		}
		out[id] = offs
	}
	return out, nil
}

// Encode renders the payload as stored and served by GET /task/{id}.
func (s *Spec) Encode() json.RawMessage {
	p := s.Payload
	p.DataSource = s.DataSchema.DataSource
	b, err := json.Marshal(p)
	if err != nil {
		panic("task: encode payload: " + err.Error())
	}
	return b
}
