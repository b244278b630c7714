package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// publishReady publishes, oldest first, every sequence whose partitions are fully read.
func (l *loop) publishReady(ctx context.Context) error {
	for _, s := range l.seqs {
		if s.published {
			continue
		}
		if !s.fullyRead(l.current) {
			return nil
		}
		if err := l.publish(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// publish builds the sequence's segments, pushes them to deep storage and commits them with the
// sequence's offsets in one metadata transaction. A replica that finds its identical segments
// and offsets already committed succeeds without writing; any other mismatch fails the task.
func (l *loop) publish(ctx context.Context, s *sequence) error {
	t := l.t
	started := t.opts.Now()
	built, err := l.builder.build(ctx, s)
	if err != nil {
		return fmt.Errorf("build segments of sequence %s: %w", s.name, err)
	}
	ds := t.spec.DataSchema.DataSource
	var segs []metadata.Segment
	var ids []string
	for _, b := range built {
		ls, size, err := t.opts.Storage.Push(ctx, b.dir, b.id)
		if err != nil {
			return fmt.Errorf("push segment %s: %w", b.id, err)
		}
		// binaryVersion is the segment format version (docs/segment-format.md), not Druid's 9:
		// a Druid historical must not mistake our segments for its own.
		desc := druidapi.DataSegment{
			DataSource: ds, Interval: b.id.Interval(), Version: b.id.Version,
			LoadSpec: ls, Dimensions: strings.Join(b.dims, ","), Metrics: strings.Join(b.metrics, ","),
			ShardSpec: druidapi.ShardSpec{Type: "numbered", PartitionNum: b.id.Partition}, BinaryVersion: int(segment.CurrentFormat),
			Size: size, Identifier: b.id.String(), NumRows: b.rows,
		}
		payload, _ := json.Marshal(desc)
		seg := metadata.NewSegment(b.id)
		seg.Payload, seg.NumRows, seg.Size, seg.Used = payload, b.rows, size, true
		segs = append(segs, seg)
		ids = append(ids, seg.ID)
	}
	stream := t.spec.Stream()
	start := metadata.DataSourceMetadata{Stream: stream, Offsets: toMeta(s.start)}
	end := metadata.DataSourceMetadata{Stream: stream, Offsets: toMeta(s.end)}
	if len(segs) == 0 && maps.Equal(s.start, s.end) {
		recorded, err := l.startRecorded(ctx, s)
		if err != nil {
			return err
		}
		if recorded {
			l.markPublished(ctx, s, nil)
			return nil // nothing read, nothing to record
		}
		// Nothing read, but the start offsets are not stored yet (a new supervisor whose first
		// group found nothing to read): a metadata-only commit records them, so that a later
		// group that inherited them as its start (inheritedPartitions) can chain onto them
		// rather than wait for a commit that never comes.
	}
	req := metadata.PublishRequest{SupervisorID: t.spec.MetadataKey(), DataSource: ds, Segments: segs, Start: &start, End: &end,
		Inherited: l.inherited(s)}
	for attempt := 0; ; attempt++ {
		var already bool
		// While the store is unreachable the attempt is repeated in place. The commit of an
		// attempt whose connection broke may have landed: the repeat then loses the
		// compare-and-swap to our own end offsets, and publishedByReplica recognises them.
		err = t.retryStore(ctx, "publish sequence "+s.name, func() error {
			err := t.opts.Store.Publish(ctx, req)
			var mm *metadata.OffsetMismatchError
			if !errors.As(err, &mm) || mm.Retryable {
				return err
			}
			ok, cerr := l.publishedByReplica(ctx, s, ids)
			if cerr != nil {
				return cerr
			}
			already = ok
			if ok {
				return nil
			}
			return err
		})
		if already {
			t.log.Info("sequence already published (by a replica, or by this task before the store connection broke)", "sequence", s.name, "segments", len(ids))
			l.markPublished(ctx, s, ids)
			return nil
		}
		if err == nil {
			break
		}
		var mm *metadata.OffsetMismatchError
		if errors.As(err, &mm) && !mm.Retryable {
			return fmt.Errorf("publish sequence %s: %w", s.name, err)
		}
		if !metadata.IsRetryable(err) || attempt >= t.opts.PublishRetries {
			return fmt.Errorf("publish sequence %s (attempt %d): %w", s.name, attempt+1, err)
		}
		// Doubling from 200ms up to 30s: the default 10 retries wait about two minutes in all,
		// long enough for a predecessor generation that is still building and pushing large
		// segments when its successor (a rollover or a scale action) is ready to publish.
		wait := min(time.Duration(1<<attempt)*200*time.Millisecond, 30*time.Second)
		t.log.Info("publish must wait for an earlier sequence; retrying", "sequence", s.name, "in", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var rows int64
	for _, b := range built {
		rows += b.rows
	}
	if m := t.opts.Metrics; m != nil {
		m.ObservePublish(ds, t.opts.Now().Sub(started).Seconds(), len(ids))
	}
	t.log.Info("published", "sequence", s.name, "segments", len(ids), "rows", rows, "start", s.start, "end", s.end, "took", t.opts.Now().Sub(started).Round(time.Millisecond))
	l.markPublished(ctx, s, ids)
	return nil
}

// inherited lists the partitions whose start, in sequence s, is still the task's start offset
// that the supervisor handed over from an earlier task group: the publish of s must find those
// offsets stored exactly. In sequence 0 that is every inherited partition; in a later sequence
// only those not read at all before it.
func (l *loop) inherited(s *sequence) []druidapi.Partition {
	var out []druidapi.Partition
	for _, p := range l.t.spec.Inherited {
		if st, ok := s.start[p]; ok && st == l.t.spec.Start[p] {
			out = append(out, p)
		}
	}
	return out
}

// startRecorded reports whether an empty sequence need not be committed: the stored offsets
// already hold each of its partitions at its start (or belong to another stream, which no
// commit of this task could match).
func (l *loop) startRecorded(ctx context.Context, s *sequence) (bool, error) {
	var stored *metadata.DataSourceMetadata
	err := l.t.retryStore(ctx, "read stored offsets of empty sequence "+s.name, func() (err error) {
		stored, err = l.t.opts.Store.GetDataSourceMetadata(ctx, l.t.spec.MetadataKey())
		return err
	})
	if errors.Is(err, metadata.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read stored offsets of empty sequence %s: %w", s.name, err)
	}
	if stored.Stream != l.t.spec.Stream() {
		return true, nil
	}
	for p, o := range s.start {
		if got, ok := stored.Offsets[p]; !ok || got != o {
			return false, nil
		}
	}
	return true, nil
}

// publishedByReplica reports whether the stored offsets equal the sequence's end and all its
// segments exist: another replica committed exactly this sequence.
func (l *loop) publishedByReplica(ctx context.Context, s *sequence, ids []string) (bool, error) {
	stored, err := l.t.opts.Store.GetDataSourceMetadata(ctx, l.t.spec.MetadataKey())
	if err != nil {
		return false, fmt.Errorf("read stored offsets after a failed publish: %w", err)
	}
	if !alreadyPublished(s, stored, l.t.spec.Stream()) {
		return false, nil
	}
	if len(ids) == 0 {
		return true, nil
	}
	return l.t.opts.Store.SegmentsExist(ctx, ids)
}

// markPublished records a committed sequence. Its pending segments are deleted under the
// loop's context: a kill or shutdown right after the commit skips that cleanup (logged), which
// leaves only stale pending-segment rows behind.
func (l *loop) markPublished(ctx context.Context, s *sequence, ids []string) {
	s.published = true
	s.segments = ids
	l.published = append(l.published, ids...)
	l.builder.drop(s)
	if _, err := l.t.opts.Store.DeletePendingSegments(ctx, l.t.spec.DataSchema.DataSource, s.name); err != nil {
		l.t.log.Warn("delete pending segments", "sequence", s.name, "err", err)
	}
	l.t.publishSnapshot(l.current, l.last().end, l.seqs)
}

func toMeta(o Offsets) map[druidapi.Partition]int64 {
	m := make(map[druidapi.Partition]int64, len(o))
	for p, v := range o {
		m[p] = v
	}
	return m
}

// waitHandoff waits until the published segments are served, at most handoffConditionTimeout
// (0 = no limit). A timeout is logged, not a failure, as in Druid.
func (l *loop) waitHandoff(ctx context.Context) {
	h := l.t.opts.Handoff
	if h == nil || len(l.published) == 0 {
		return
	}
	if ms := l.t.spec.Tuning.HandoffConditionTimeout; ms > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
		defer cancel()
	}
	start := l.t.opts.Now()
	ds := l.t.spec.DataSchema.DataSource
	if err := h.WaitLoaded(ctx, ds, l.published); err != nil {
		l.t.log.Warn("segments not handed off in time", "segments", len(l.published), "err", err)
		if m := l.t.opts.Metrics; m != nil {
			m.ObserveHandoff(ds, len(l.published), true)
		}
		return
	}
	if m := l.t.opts.Metrics; m != nil {
		m.ObserveHandoff(ds, len(l.published), false)
	}
	l.t.handoffWait = l.t.opts.Now().Sub(start)
}

// completionReport is the ingestionStatsAndErrors report of a finished task.
func (t *Task) completionReport(res Result) map[string]any {
	var errMsg any
	if !res.Success {
		errMsg = res.ErrorMsg
	}
	payload := map[string]any{
		"ingestionState":                "COMPLETED",
		"unparseableEvents":             map[string]any{"buildSegments": t.stats.ParseExceptions()},
		"rowStats":                      map[string]any{"buildSegments": t.stats.Totals()},
		"errorMsg":                      errMsg,
		"segmentAvailabilityConfirmed":  t.handoffWait > 0,
		"segmentAvailabilityWaitTimeMs": t.handoffWait.Milliseconds(),
		"recordsProcessed":              t.stats.RecordsProcessed(),
	}
	return map[string]any{"ingestionStatsAndErrors": map[string]any{"taskId": t.id, "type": "ingestionStatsAndErrors", "payload": payload}}
}

// LiveReport is the report of a running task (chat API /liveReports).
func (t *Task) LiveReport() map[string]any {
	state := "BUILD_SEGMENTS"
	if t.Status() == StatusNotStarted {
		state = "NOT_STARTED"
	}
	payload := map[string]any{
		"ingestionState":    state,
		"unparseableEvents": map[string]any{"buildSegments": t.stats.ParseExceptions()},
		"rowStats":          t.stats.RowStats(),
	}
	if msg := t.StallMessage(); msg != "" {
		// Druid's report has errorMsg; a running task fills it only while it is stalled.
		payload["errorMsg"] = msg
	}
	return map[string]any{"ingestionStatsAndErrors": map[string]any{"taskId": t.id, "type": "ingestionStatsAndErrors", "payload": payload}}
}
