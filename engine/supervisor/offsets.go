package supervisor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// offsetAhead is a partition whose next offset to read lies beyond the partition's latest
// offset: the topic was deleted and recreated, or the broker came back without its data. Its
// offsets can no longer be trusted, so the partition gets no task until an operator resets
// the supervisor. Reading on would skip, without a word, every row the partition receives
// below the old offset.
type offsetAhead struct {
	next   int64 // furthest offset the supervisor knows was read (stored, handed over or reported)
	stored int64 // the stored (committed) offset, or -1 if none
	latest int64 // the partition's log end when it was found
}

// checkOffsetsBehindStream finds partitions whose known offsets are beyond the partition's log
// end and stops them: their reading group is killed and createNewTasks leaves them out. A
// partition stays stopped (and the supervisor unhealthy) until a reset, even once the new
// partition grows past the old offset, since by then the rows below it would be skipped.
//
// Druid copes with the opposite case, offsets below the earliest available (the availability
// check of §2.5, resetOffsetAutomatically); beyond the end it waits in the task, which after a
// broker lost its data means a silent skip. This is stricter on purpose.
func (r *runtime) checkOffsetsBehindStream(ctx context.Context) error {
	// Everything read must be collected before the log ends are listed: a publish committed
	// after the listing may legitimately go past the ends it saw.
	stored, err := r.store.GetDataSourceMetadata(ctx, r.id)
	if errors.Is(err, metadata.ErrNotFound) || (err == nil && stored.Stream != r.stream()) {
		stored = nil
	} else if err != nil {
		return fmt.Errorf("read stored offsets: %w", err)
	}
	next := map[druidapi.Partition]int64{}
	note := func(p druidapi.Partition, o int64) {
		if cur, ok := next[p]; o >= 0 && (!ok || o > cur) {
			next[p] = o
		}
	}
	if stored != nil {
		for p, o := range stored.Offsets {
			note(p, o)
		}
	}
	for p, o := range r.partitionOffset {
		note(p, o)
	}
	for _, g := range r.allGroups() {
		for p, o := range g.start {
			note(p, o)
		}
		for _, ts := range g.tasks {
			for p, o := range ts.current {
				note(p, o)
			}
		}
	}
	cctx, cancel := context.WithTimeout(ctx, kafkaTimeout)
	defer cancel()
	// The high watermark, not the last stable offset: nothing a task read can be beyond it.
	if len(next) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(next), druidapi.ComparePartitions)
	ends, err := r.admin.ListEndOffsets(cctx, r.topicsOf(keys)...)
	if err != nil {
		return &streamError{fmt.Errorf("list latest offsets of topic %s: %w", r.stream(), err)}
	}
	for _, p := range keys {
		if _, known := r.offsetsAhead[p]; known {
			continue
		}
		eo, ok := ends.Lookup(r.topicOf(p), p.ID)
		if !ok || eo.Err != nil || next[p] <= eo.Offset {
			continue // a partition without a leader right now is not evidence of lost data
		}
		a := offsetAhead{next: next[p], stored: -1, latest: eo.Offset}
		if stored != nil {
			if o, ok := stored.Offsets[p]; ok {
				a.stored = o
			}
		}
		r.offsetsAhead[p] = a
		r.log.Error("offsets beyond the end of the partition; the partition is stopped until the supervisor is reset",
			"partition", p.String(), "next", a.next, "stored", a.stored, "latest", a.latest)
		r.dropGroupOf(ctx, p)
	}
	if len(r.offsetsAhead) > 0 {
		// Recorded every run, so the supervisor turns and stays UNHEALTHY_SUPERVISOR; the
		// other partitions go on.
		r.fail(r.offsetsAheadError())
	}
	return nil
}

// offsetsAheadError describes the stopped partitions and the way out.
func (r *runtime) offsetsAheadError() error {
	var b strings.Builder
	for i, p := range slices.SortedFunc(maps.Keys(r.offsetsAhead), druidapi.ComparePartitions) {
		a := r.offsetsAhead[p]
		if i > 0 {
			b.WriteString("; ")
		}
		stored := "no stored offset"
		if a.stored >= 0 {
			stored = fmt.Sprintf("stored offset %d", a.stored)
		}
		fmt.Fprintf(&b, "partition %d of topic %s: %s, next offset %d, but the latest offset in Kafka is %d", p.ID, r.topicOf(p), stored, a.next, a.latest)
	}
	return &offsetsAheadError{fmt.Sprintf("stored offsets are beyond the end of the stream (%s); the topic was recreated or the broker lost data, "+
		"so these partitions are stopped rather than silently skipping rows. Reset the supervisor to read them again: "+
		"POST /druid/indexer/v1/supervisor/%s/reset (start over per useEarliestOffset) or POST /druid/indexer/v1/supervisor/%s/resetOffsets (resume at given offsets)",
		b.String(), r.id, r.id)}
}

// offsetsAheadError is the run error recorded while partitions are stopped.
type offsetsAheadError struct{ msg string }

func (e *offsetsAheadError) Error() string { return e.msg }
