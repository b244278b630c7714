package supervisor

import (
	"context"
	"maps"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

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
func (r *runtime) measureTimeLag(ctx context.Context, latest, reading task.Offsets) map[int32]int64 {
	out := map[int32]int64{}
	behind := map[int32]kgo.Offset{}
	for p, pos := range reading {
		end, ok := latest[p]
		switch {
		case !ok:
		case pos >= end:
			out[p] = 0
		default:
			behind[p] = kgo.NewOffset().At(pos)
		}
	}
	if len(behind) == 0 {
		return out
	}
	// The newest timestamp comes from ListOffsets' max-timestamp query (KIP-734): one request.
	newest, err := r.admin.ListMaxTimestampOffsets(ctx, r.stream())
	if err != nil {
		r.log.Debug("list max-timestamp offsets", "err", err)
		return out
	}
	at := r.recordTimes(ctx, behind)
	newest.Each(func(o kadm.ListedOffset) {
		ts, ok := at[o.Partition]
		if o.Err == nil && ok && o.Timestamp >= 0 {
			out[o.Partition] = max(o.Timestamp-ts, 0)
		}
	})
	return out
}

// recordTimes reads the timestamp of the first record at or after each given offset, with a
// short-lived consumer (the admin client does not consume).
func (r *runtime) recordTimes(ctx context.Context, at map[int32]kgo.Offset) map[int32]int64 {
	opts, err := task.ClientOptions(r.spec.IOConfig.ConsumerProperties, r.deps.Getenv)
	if err != nil {
		return nil
	}
	opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{r.stream(): maps.Clone(at)}),
		kgo.FetchMaxPartitionBytes(64<<10))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, timeLagWait)
	defer cancel()
	out := map[int32]int64{}
	for len(out) < len(at) && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(rec *kgo.Record) {
			if _, ok := out[rec.Partition]; !ok {
				out[rec.Partition] = rec.Timestamp.UnixMilli()
			}
		})
	}
	return out
}
