package druidapi

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Partition names one Kafka partition the way Druid's KafkaTopicPartition does. A supervisor
// reading one topic (ioConfig.topic) leaves Topic empty: the topic is the stream's, and the
// partition's key is the bare number ("0"). A supervisor reading every topic matching
// ioConfig.topicPattern sets Topic, and the key is "topic:partition" ("metrics-a:0").
//
// The key is the partition's only JSON form, as a map key and as a value: in stored datasource
// metadata, task sequence numbers and checkpoints, supervisor reports and resetOffsets bodies.
// Partition implements encoding.TextMarshaler, so a map[Partition]int64 encodes as such an
// object.
type Partition struct {
	// Topic is the partition's topic in multi-topic mode, empty in single-topic mode.
	Topic string
	// ID is the partition number within its topic.
	ID int32
}

// String is the partition's key: "<id>" or "<topic>:<id>".
func (p Partition) String() string {
	if p.Topic == "" {
		return strconv.Itoa(int(p.ID))
	}
	return p.Topic + ":" + strconv.Itoa(int(p.ID))
}

// MultiTopic reports whether p belongs to a multi-topic (topicPattern) stream.
func (p Partition) MultiTopic() bool { return p.Topic != "" }

// TopicIn is the Kafka topic of p when it belongs to stream: its own topic in multi-topic mode,
// else stream itself.
func (p Partition) TopicIn(stream string) string {
	if p.Topic != "" {
		return p.Topic
	}
	return stream
}

// ParsePartition reads a partition key. As in Druid, the key is split at its last colon; a key
// without one is a single-topic partition number.
func ParsePartition(s string) (Partition, error) {
	topic, num := "", s
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		topic, num = s[:i], s[i+1:]
		if topic == "" {
			return Partition{}, fmt.Errorf("partition %q: empty topic before ':'", s)
		}
	}
	id, err := strconv.ParseInt(num, 10, 32)
	if err != nil || id < 0 {
		return Partition{}, fmt.Errorf("partition %q is not a partition number or topic:partition", s)
	}
	return Partition{Topic: topic, ID: int32(id)}, nil
}

// MarshalText writes the key (String).
func (p Partition) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads a key (ParsePartition).
func (p *Partition) UnmarshalText(b []byte) error {
	v, err := ParsePartition(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// ComparePartitions orders partitions by topic, then number: single-topic partitions in
// numeric order, as Druid lists them.
func ComparePartitions(a, b Partition) int {
	if c := cmp.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// TaskGroup is the task group reading p out of taskCount (Druid's
// KafkaSupervisor.getTaskGroupIdForPartition): partition % taskCount for a single topic, and
// abs(31 × hashCode(topic) + partition) % taskCount for a topic pattern, where hashCode is
// Java's String.hashCode and the arithmetic is Java's wrapping int32. Java's Math.abs leaves
// Integer.MIN_VALUE negative, which would give a negative group; that one value takes the
// group's absolute value instead, so groups are always in [0, taskCount).
func (p Partition) TaskGroup(taskCount int) int {
	if taskCount <= 0 {
		return 0
	}
	if p.Topic == "" {
		return int(p.ID) % taskCount
	}
	return groupOfHash(31*javaStringHash(p.Topic)+p.ID, taskCount) // int32: wraps like Java's int
}

// groupOfHash is abs(h) % taskCount, with abs(MinInt32) taken as 2^31.
func groupOfHash(h int32, taskCount int) int {
	g := int64(h) % int64(taskCount)
	if g < 0 {
		g = -g
	}
	return int(g)
}

// javaStringHash is Java's String.hashCode: h = 31·h + c over the string's UTF-16 code units,
// in wrapping int32 arithmetic.
func javaStringHash(s string) int32 {
	var h int32
	for _, c := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(c)
	}
	return h
}
