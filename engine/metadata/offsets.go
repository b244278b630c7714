package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// DataSourceMetadata is the committed Kafka position of one supervisor: for
// each partition of Stream, the next offset to read (an exclusive end
// offset). It is Druid's KafkaDataSourceMetadata wrapping
// SeekableStreamEndSequenceNumbers, and its JSON form is exactly what Druid
// stores in druid_dataSource.commit_metadata_payload.
//
// Offsets may be nil for an empty position. Methods never modify their
// receiver or argument.
type DataSourceMetadata struct {
	// Stream is the Kafka topic, or the topic pattern of a multi-topic supervisor.
	Stream string
	// Offsets maps partition to offset. Partitions of a multi-topic stream carry their
	// topic, so the map (and the compare-and-swap over it) spans every topic.
	Offsets map[druidapi.Partition]int64
}

// Plus returns m with other's offsets laid over it: partitions in other take
// other's offset, partitions only in m are kept. If the streams differ, other
// replaces m entirely, as in Druid's SeekableStreamEndSequenceNumbers.plus.
func (m DataSourceMetadata) Plus(other DataSourceMetadata) DataSourceMetadata {
	if m.Stream != other.Stream {
		return other.Clone()
	}
	out := m.Clone()
	if out.Offsets == nil && len(other.Offsets) > 0 {
		out.Offsets = make(map[druidapi.Partition]int64, len(other.Offsets))
	}
	maps.Copy(out.Offsets, other.Offsets)
	return out
}

// Minus returns m without the partitions present in other. If the streams
// differ, m is returned unchanged, as in Druid's
// SeekableStreamEndSequenceNumbers.minus.
func (m DataSourceMetadata) Minus(other DataSourceMetadata) DataSourceMetadata {
	out := m.Clone()
	if m.Stream != other.Stream {
		return out
	}
	for p := range other.Offsets {
		delete(out.Offsets, p)
	}
	return out
}

// Matches reports whether m and other agree: the same stream and equal
// offsets on every partition present in both. Partitions present on one side
// only are ignored. This is Druid's DataSourceMetadata.matches
// (a.plus(b) equals b.plus(a)), the check Publish applies to start offsets.
func (m DataSourceMetadata) Matches(other DataSourceMetadata) bool {
	if m.Stream != other.Stream {
		return false
	}
	for p, off := range m.Offsets {
		if o, ok := other.Offsets[p]; ok && o != off {
			return false
		}
	}
	return true
}

// Uncommitted returns, in ascending order, the partitions of inherited that
// start has and m (the stored offsets, of the same stream) has not: the part of
// Publish's check that Matches leaves out, since Matches ignores a partition
// stored on one side only. A partition whose start offset was handed over from
// an earlier task group's end offsets (a taskDuration rollover, a scale action)
// follows on from the stored offsets only once that group has committed; until
// then a new supervisor may have nothing stored for it, and a check that ignored
// it would let the later group commit first and the earlier group's rows below
// the hand-over be lost. Nil when the streams differ (Matches fails then anyway).
func (m DataSourceMetadata) Uncommitted(start DataSourceMetadata, inherited []druidapi.Partition) []druidapi.Partition {
	if m.Stream != start.Stream {
		return nil
	}
	var out []druidapi.Partition
	for _, p := range inherited {
		_, inStart := start.Offsets[p]
		if _, stored := m.Offsets[p]; inStart && !stored {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, druidapi.ComparePartitions)
	return slices.Compact(out)
}

// Clone returns a deep copy of m.
func (m DataSourceMetadata) Clone() DataSourceMetadata {
	return DataSourceMetadata{Stream: m.Stream, Offsets: maps.Clone(m.Offsets)}
}

// Equal reports whether m and other have the same stream and exactly the same
// partitions and offsets. A nil and an empty Offsets map are equal.
func (m DataSourceMetadata) Equal(other DataSourceMetadata) bool {
	return m.Stream == other.Stream && maps.Equal(m.Offsets, other.Offsets)
}

// Sequence-number form names of Druid's SeekableStreamSequenceNumbers
// subtypes ("partitions.type" in the stored JSON).
const (
	sequenceTypeEnd   = "end"
	sequenceTypeStart = "start"
)

// dataSourceMetadataType is the Druid DataSourceMetadata subtype name for
// Kafka.
const dataSourceMetadataType = "kafka"

// MarshalJSON writes m in the shape Druid stores:
//
//	{"type":"kafka","partitions":{"type":"end","stream":"t","topic":"t",
//	  "partitionSequenceNumberMap":{"0":230985},"partitionOffsetMap":{"0":230985}}}
//
// topic and partitionOffsetMap are Druid's backward-compatibility aliases,
// written alongside. Partition keys are strings ("0", or "topic:0" for a topic pattern) in
// ascending order of topic, then partition number.
func (m DataSourceMetadata) MarshalJSON() ([]byte, error) {
	var offs bytes.Buffer
	offs.WriteByte('{')
	for i, p := range slices.SortedFunc(maps.Keys(m.Offsets), druidapi.ComparePartitions) {
		if i > 0 {
			offs.WriteByte(',')
		}
		key, err := json.Marshal(p.String())
		if err != nil {
			return nil, fmt.Errorf("marshal partition %s: %w", p, err)
		}
		offs.Write(key)
		offs.WriteString(`:`)
		offs.WriteString(strconv.FormatInt(m.Offsets[p], 10))
	}
	offs.WriteByte('}')
	stream, err := json.Marshal(m.Stream)
	if err != nil {
		return nil, fmt.Errorf("marshal stream: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(`{"type":"kafka","partitions":{"type":"end","stream":`)
	b.Write(stream)
	b.WriteString(`,"topic":`)
	b.Write(stream)
	b.WriteString(`,"partitionSequenceNumberMap":`)
	b.Write(offs.Bytes())
	b.WriteString(`,"partitionOffsetMap":`)
	b.Write(offs.Bytes())
	b.WriteString(`}}`)
	return b.Bytes(), nil
}

// wireDataSourceMetadata is the accepted input shape of DataSourceMetadata.
type wireDataSourceMetadata struct {
	Type       string `json:"type"`
	Partitions *struct {
		Type                       string           `json:"type"`
		Stream                     *string          `json:"stream"`
		Topic                      *string          `json:"topic"`
		PartitionSequenceNumberMap map[string]int64 `json:"partitionSequenceNumberMap"`
		PartitionOffsetMap         map[string]int64 `json:"partitionOffsetMap"`
	} `json:"partitions"`
}

// UnmarshalJSON accepts Druid's stored shape (see MarshalJSON) and its
// aliases: topic for stream, partitionOffsetMap for
// partitionSequenceNumberMap, and a missing partitions.type meaning "end".
// Both start and end forms are accepted (a start form's
// exclusivePartitions are ignored); any other partitions.type or a top-level
// type other than "kafka" is an error.
func (m *DataSourceMetadata) UnmarshalJSON(data []byte) error {
	var w wireDataSourceMetadata
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("decode kafka datasource metadata: %w", err)
	}
	if w.Type != "" && w.Type != dataSourceMetadataType {
		return fmt.Errorf("decode kafka datasource metadata: type %q: must be %q", w.Type, dataSourceMetadataType)
	}
	if w.Partitions == nil {
		return fmt.Errorf("decode kafka datasource metadata: partitions: missing")
	}
	p := w.Partitions
	switch p.Type {
	case "", sequenceTypeEnd, sequenceTypeStart:
	default:
		return fmt.Errorf("decode kafka datasource metadata: partitions.type %q: must be %q or %q",
			p.Type, sequenceTypeStart, sequenceTypeEnd)
	}
	var out DataSourceMetadata
	switch {
	case p.Stream != nil:
		out.Stream = *p.Stream
	case p.Topic != nil:
		out.Stream = *p.Topic
	}
	raw := p.PartitionSequenceNumberMap
	if raw == nil {
		raw = p.PartitionOffsetMap
	}
	if raw != nil {
		out.Offsets = make(map[druidapi.Partition]int64, len(raw))
	}
	for k, v := range raw {
		part, err := druidapi.ParsePartition(k)
		if err != nil {
			return fmt.Errorf("decode kafka datasource metadata: %w", err)
		}
		out.Offsets[part] = v
	}
	*m = out
	return nil
}
