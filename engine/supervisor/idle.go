package supervisor

import (
	"context"
	"errors"
	"fmt"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// checkIdleOnStart is Druid's (≥ 31) start in IDLE: a supervisor with idleConfig enabled that
// starts (new spec, resubmit, resume, daemon restart) with no task to follow, stored offsets for
// every partition and nothing new in Kafka beyond them, creates no task and reports IDLE at
// once, instead of starting tasks that would read nothing for a whole taskDuration. It is
// checked on every run until the first one that finds new data (or a reason not to be idle);
// from then on checkIdle's inactiveAfterMillis rule applies. It reports whether the run must
// stop before creating tasks.
//
// A supervisor without stored offsets (brand new, or reset) starts normally.
func (r *runtime) checkIdleOnStart(ctx context.Context) (bool, error) {
	if r.startIdleDone {
		return false, nil
	}
	idle, err := r.streamUnchangedSinceStored(ctx)
	if err != nil {
		return false, err
	}
	if !idle {
		r.startIdleDone = true
		if r.sm.state == StateIdle {
			r.log.Info("new data in the stream; leaving IDLE")
			r.sm.state = StateRunning
		}
		return false, nil
	}
	if r.sm.state != StateIdle {
		r.log.Info("no new data since the stored offsets; starting IDLE without tasks (idleConfig)")
	}
	r.sm.state = StateIdle
	return true, nil
}

// streamUnchangedSinceStored reports whether the start-in-IDLE rule holds right now: idleConfig
// enabled, not suspended, no tracked task, no stopped partition, and for every partition a
// stored offset equal to the partition's latest offset (read_committed unless the consumer
// properties say read_uncommitted, as for lag).
func (r *runtime) streamUnchangedSinceStored(ctx context.Context) (bool, error) {
	c := r.spec.IOConfig.IdleConfig
	if c == nil || !c.Enabled || r.spec.Suspended || len(r.partitions) == 0 ||
		len(r.active) > 0 || len(r.pending) > 0 || len(r.offsetsAhead) > 0 {
		return false, nil
	}
	stored, err := r.store.GetDataSourceMetadata(ctx, r.id)
	if errors.Is(err, metadata.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("read stored offsets: %w", err)
	}
	if stored.Stream != r.stream() {
		return false, nil
	}
	cctx, cancel := context.WithTimeout(ctx, kafkaTimeout)
	defer cancel()
	offs, err := r.latestOffsets(cctx)
	if err != nil {
		return false, err
	}
	latest := r.offsetsOf(offs)
	for _, p := range r.partitions {
		s, ok := stored.Offsets[p]
		l, known := latest[p]
		if !ok || !known || s != l {
			return false, nil
		}
	}
	return true, nil
}
