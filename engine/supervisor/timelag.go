package supervisor

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// timeLagWait bounds the fetch of the records at the reading tasks' positions: a position
// followed only by aborted or control records returns nothing, and the loop must not wait for it.
const timeLagWait = 3 * time.Second

// measureTimeLag returns, per partition a reading task reports, how far behind the newest
// record the task is in milliseconds (Druid's minimumLagMillis, which Druid ≥ 33 also emits as
// ingest/kafka/lag/time): the newest record's timestamp minus that of the next record the task
// will read, 0 for a partition read to its end. Partitions whose timestamps cannot be read now
// are left out. reading holds the furthest current offset per partition; latest the log ends.
func (r *runtime) measureTimeLag(ctx context.Context, latest, reading task.Offsets) map[druidapi.Partition]int64 {
	out := map[druidapi.Partition]int64{}
	behind := map[string]map[int32]kgo.Offset{} // topic → partition → next offset to read
	for p, pos := range reading {
		end, ok := latest[p]
		switch {
		case !ok:
		case pos >= end:
			out[p] = 0
		default:
			t := r.topicOf(p)
			if behind[t] == nil {
				behind[t] = map[int32]kgo.Offset{}
			}
			behind[t][p.ID] = kgo.NewOffset().At(pos)
		}
	}
	if len(behind) == 0 {
		return out
	}
	// The newest timestamp comes from ListOffsets' max-timestamp query (KIP-734): one request.
	newest, err := r.admin.ListMaxTimestampOffsets(ctx, slices.Sorted(maps.Keys(behind))...)
	if err != nil {
		r.log.Debug("list max-timestamp offsets", "err", err)
		return out
	}
	at := r.recordTimes(ctx, behind)
	newest.Each(func(o kadm.ListedOffset) {
		ts, ok := at[o.Topic][o.Partition]
		if o.Err == nil && ok && o.Timestamp >= 0 {
			out[r.partitionOf(o.Topic, o.Partition)] = max(o.Timestamp-ts, 0)
		}
	})
	return out
}

// recordTimes reads the timestamp of the first record at or after each given offset, with a
// short-lived consumer (the admin client does not consume).
func (r *runtime) recordTimes(ctx context.Context, at map[string]map[int32]kgo.Offset) map[string]map[int32]int64 {
	opts, err := task.ClientOptions(r.spec.IOConfig.ConsumerProperties, r.deps.Getenv)
	if err != nil {
		return nil
	}
	want := 0
	parts := map[string]map[int32]kgo.Offset{}
	for t, ps := range at {
		parts[t] = maps.Clone(ps)
		want += len(ps)
	}
	opts = append(opts, kgo.ConsumePartitions(parts), kgo.FetchMaxPartitionBytes(64<<10))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, timeLagWait)
	defer cancel()
	out := map[string]map[int32]int64{}
	got := 0
	for got < want && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(rec *kgo.Record) {
			if out[rec.Topic] == nil {
				out[rec.Topic] = map[int32]int64{}
			}
			if _, ok := out[rec.Topic][rec.Partition]; !ok {
				out[rec.Topic][rec.Partition] = rec.Timestamp.UnixMilli()
				got++
			}
		})
	}
	return out
}
