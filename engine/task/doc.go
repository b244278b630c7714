// Package task implements the Kafka indexing task (Druid's KafkaIndexTask with its
// SeekableStreamIndexTaskRunner / IncrementalPublishingKafkaIndexTaskRunner): it reads assigned
// partitions from exact start offsets, parses and rolls up rows into per-interval incremental
// indexes, spills them to disk when memory limits are reached, merges spills into segments,
// pushes them to deep storage, and publishes them together with the Kafka end offsets in one
// metadata transaction (compare-and-swap against the start offsets) — the exactly-once step.
//
// A task's life is a sequence of sequences: sequence n covers [start_n, end_n) per partition and
// becomes one publish. Checkpoints close the current sequence and open the next one at the same
// offsets, so every replica of a task group produces identical sequences and segment ids.
//
// The Runner (Druid's TaskRunner/TaskQueue) runs tasks in a fixed number of worker slots and
// records their status in the metadata store.
package task
