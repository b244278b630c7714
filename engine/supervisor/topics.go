package supervisor

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// A supervisor reads either one topic (ioConfig.topic) or every topic matching
// ioConfig.topicPattern (Druid ≥ 28's multi-topic mode). In multi-topic mode every partition
// carries its topic (druidapi.Partition), so offsets, task assignments and reports are keyed
// "topic:partition", and the stream name stored with the offsets is the pattern itself.

// multiTopic reports whether the supervisor reads a topic pattern.
func (r *runtime) multiTopic() bool { return r.spec.IOConfig.TopicPattern != "" }

// partitionOf is the key of partition id of topic in the supervisor's mode.
func (r *runtime) partitionOf(topic string, id int32) druidapi.Partition {
	if r.multiTopic() {
		return druidapi.Partition{Topic: topic, ID: id}
	}
	return druidapi.Partition{ID: id}
}

// topicOf is the Kafka topic of partition p.
func (r *runtime) topicOf(p druidapi.Partition) string { return p.TopicIn(r.stream()) }

// topicsOf lists the distinct Kafka topics of parts, sorted.
func (r *runtime) topicsOf(parts []druidapi.Partition) []string {
	set := map[string]bool{}
	for _, p := range parts {
		set[r.topicOf(p)] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// topics lists the topics of the current allocation: the topic, or the matching topics found
// by the last partition discovery.
func (r *runtime) topics() []string {
	if !r.multiTopic() {
		return []string{r.stream()}
	}
	return r.topicsOf(r.partitions)
}

// offsetsOf converts listed Kafka offsets to the supervisor's partition keys.
func (r *runtime) offsetsOf(offs kadm.ListedOffsets) task.Offsets {
	out := task.Offsets{}
	offs.Each(func(o kadm.ListedOffset) { out[r.partitionOf(o.Topic, o.Partition)] = o.Offset })
	return out
}

// listPartitions lists the partitions to read: those of the topic, or those of every topic
// that matches the pattern (Druid's KafkaRecordSupplier.getPartitionIds). Internal topics
// (__consumer_offsets, __transaction_state) are never read, even by a pattern such as ".*".
// A pattern that matches nothing yet is not an error: topics created later are picked up by
// the next discovery.
func (r *runtime) listPartitions(ctx context.Context) ([]druidapi.Partition, error) {
	if !r.multiTopic() {
		md, err := r.admin.Metadata(ctx, r.stream())
		if err != nil {
			return nil, &streamError{fmt.Errorf("list partitions of topic %s: %w", r.stream(), err)}
		}
		t, ok := md.Topics[r.stream()]
		if !ok || t.Err != nil {
			if ok && t.Err != nil {
				return nil, &streamError{fmt.Errorf("topic %s: %w", r.stream(), t.Err)}
			}
			return nil, &streamError{fmt.Errorf("topic %s does not exist", r.stream())}
		}
		parts := make([]druidapi.Partition, 0, len(t.Partitions))
		for p := range t.Partitions {
			parts = append(parts, druidapi.Partition{ID: p})
		}
		slices.SortFunc(parts, druidapi.ComparePartitions)
		return parts, nil
	}
	re, err := spec.CompileTopicPattern(r.spec.IOConfig.TopicPattern)
	if err != nil {
		return nil, fmt.Errorf("ioConfig.topicPattern: %w", err) // validated at submit; cannot happen
	}
	md, err := r.admin.Metadata(ctx) // no topics: every topic of the cluster
	if err != nil {
		return nil, &streamError{fmt.Errorf("list topics matching %s: %w", r.stream(), err)}
	}
	var parts []druidapi.Partition
	for name, t := range md.Topics {
		if t.IsInternal || !re.MatchString(name) {
			continue
		}
		if t.Err != nil {
			// A matching topic being created or deleted right now: skip it this run rather
			// than stop every other topic.
			r.log.Debug("matching topic not readable yet", "topic", name, "err", t.Err)
			continue
		}
		for p := range t.Partitions {
			parts = append(parts, druidapi.Partition{Topic: name, ID: p})
		}
	}
	slices.SortFunc(parts, druidapi.ComparePartitions)
	return parts, nil
}

// checkPartitionKeys refuses partition keys of the other mode (a bare "0" for a topic pattern,
// "topic:0" for a single topic) and, for a pattern, topics it does not match, so that a
// resetOffsets body cannot store offsets no task would ever read.
func checkPartitionKeys(io *spec.IOConfig, offs map[druidapi.Partition]int64) error {
	if io.TopicPattern == "" {
		for _, p := range slices.SortedFunc(maps.Keys(offs), druidapi.ComparePartitions) {
			if p.MultiTopic() {
				return fmt.Errorf("partition %q: the supervisor reads the single topic %q, so partitions are plain numbers", p.String(), io.Topic)
			}
		}
		return nil
	}
	re, err := spec.CompileTopicPattern(io.TopicPattern)
	if err != nil {
		return err
	}
	for _, p := range slices.SortedFunc(maps.Keys(offs), druidapi.ComparePartitions) {
		if !p.MultiTopic() {
			return fmt.Errorf("partition %q: the supervisor reads topicPattern %q, so partitions are keyed topic:partition", p.String(), io.TopicPattern)
		}
		if !re.MatchString(p.Topic) {
			return fmt.Errorf("partition %q: topic %q does not match topicPattern %q", p.String(), p.Topic, io.TopicPattern)
		}
	}
	return nil
}
