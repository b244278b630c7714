package supervisor

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// autoscaler is the lag-based task autoscaler (Druid's LagBasedAutoScaler, reference §2.13):
// it samples the aggregate lag into a ring buffer and, every scaleActionPeriodMillis, scales the
// task count out when enough samples are above scaleOutThreshold, or in when enough are below
// scaleInThreshold. The run loop owns it.
type autoscaler struct {
	cfg         spec.AutoScalerConfig
	samples     []int64
	next        int
	full        bool
	started     time.Time
	lastCollect time.Time
	lastAction  time.Time
	lastScale   time.Time
	// forced, when positive, is the task count the next scale action goes to whatever the
	// lag says (noticeForceScale, sent only by tests to make a decision deterministic).
	forced int
}

func newAutoscaler(cfg *spec.AutoScalerConfig, now time.Time) *autoscaler {
	if cfg == nil || !cfg.EnableTaskAutoScaler {
		return nil
	}
	n := int(cfg.LagCollectionRangeMillis/max(cfg.LagCollectionIntervalMillis, 1)) + 1
	return &autoscaler{cfg: *cfg, samples: make([]int64, n), started: now}
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// collect records a lag sample when one is due.
func (a *autoscaler) collect(now time.Time, lag int64) {
	if now.Sub(a.started) < ms(a.cfg.ScaleActionStartDelayMillis) || now.Sub(a.lastCollect) < ms(a.cfg.LagCollectionIntervalMillis) {
		return
	}
	a.lastCollect = now
	a.samples[a.next] = max(lag, 0)
	a.next = (a.next + 1) % len(a.samples)
	if a.next == 0 {
		a.full = true
	}
}

func (a *autoscaler) reset() { a.next, a.full = 0, false }

// desired returns the task count to scale to, or -1 to do nothing (computeDesiredTaskCount).
func (a *autoscaler) desired(now time.Time, current, partitions int) int {
	if now.Sub(a.started) < ms(a.cfg.ScaleActionStartDelayMillis+a.cfg.LagCollectionRangeMillis) || now.Sub(a.lastAction) < ms(a.cfg.ScaleActionPeriodMillis) {
		return -1
	}
	a.lastAction = now
	n := a.next
	if a.full {
		n = len(a.samples)
	}
	if n == 0 {
		return -1
	}
	var beyond, within int
	for _, s := range a.samples[:n] {
		if s >= a.cfg.ScaleOutThreshold {
			beyond++
		}
		if s <= a.cfg.ScaleInThreshold {
			within++
		}
	}
	if float64(beyond)/float64(n) >= a.cfg.TriggerScaleOutFractionThreshold {
		cap := min(a.cfg.TaskCountMax, partitions)
		if current >= cap {
			return -1
		}
		return min(current+a.cfg.ScaleOutStep, cap)
	}
	if float64(within)/float64(n) >= a.cfg.TriggerScaleInFractionThreshold {
		if current <= a.cfg.TaskCountMin {
			return -1
		}
		return max(current-a.cfg.ScaleInStep, a.cfg.TaskCountMin)
	}
	return -1
}

// autoscale runs the autoscaler's part of a run: sample, decide, and scale (Druid's
// changeTaskCount). A scale action is exactly-once by the same hand-over as a taskDuration
// rollover:
//
//  1. every reading group is checkpointed for the last time (paused, end offsets set to where
//     it is) and moves to pending completion, where it publishes as usual; partitionOffset
//     keeps each partition's end offset;
//  2. the spec with the new taskCount is stored as a new version (visible in history) and
//     replaces the running one, so the partitions are allocated to groups anew
//     (partition % taskCount);
//  3. the createNewTasks of this same run starts the new groups, each partition exactly at
//     the end offset of the publishing group that read it.
//
// The new tasks read on while the old ones publish. Their realtime rows begin where the old
// ones' end, so no row is served twice, and their own publish starts at the old group's end,
// which the compare-and-swap accepts only once the old group has committed (until then it is
// the retryable "start is ahead of stored offsets", engine/task/publish.go). On a supervisor
// with nothing stored yet that holds too: the new groups' payloads list those partitions as
// inherited, and a partition not stored yet is waited for rather than ignored. The publishing
// groups stay followed under their old group ids; if one fails, checkPendingCompletion
// restarts every reading group that owns one of its partitions from the stored offsets.
func (r *runtime) autoscale(ctx context.Context) error {
	a := r.scaler
	if a == nil || r.spec.Suspended || r.sm.state == StateIdle {
		return nil
	}
	now := r.now()
	if lag, ok := r.aggregateLag(); ok {
		a.collect(now, lag)
	}
	if len(r.pending) > 0 || now.Sub(a.lastScale) < ms(a.cfg.MinTriggerScaleActionFrequencyMillis) {
		return nil
	}
	current := len(r.active)
	if current == 0 {
		current = r.spec.IOConfig.TaskCount
	}
	want := a.desired(now, current, len(r.partitions))
	if a.forced > 0 {
		want, a.forced = min(a.forced, len(r.partitions)), 0
	}
	if want < 0 || want == r.spec.IOConfig.TaskCount {
		return nil
	}
	next := *r.spec
	next.IOConfig.TaskCount = want
	if next.IOConfig.AutoScalerConfig != nil {
		cfg := *next.IOConfig.AutoScalerConfig
		cfg.TaskCountStart = &want // keep the new count when the spec is decoded again
		next.IOConfig.AutoScalerConfig = &cfg
	}
	if _, err := r.store.InsertSupervisor(ctx, r.id, next.Echo()); err != nil {
		return fmt.Errorf("store autoscaled spec: %w", err)
	}
	r.log.Info("autoscaler changes task count", "from", r.spec.IOConfig.TaskCount, "to", want)
	r.gracefulShutdown(ctx)
	r.setSpec(&next)
	// Group ids now name other partitions: an early hand-off asked for an old group must not
	// finalize the new group of the same id.
	clear(r.handoffEarly)
	a.lastScale = now
	a.reset()
	return nil
}

// aggregateLag is Σ max(latest − highest current, 0) over partitions, from the last refresh.
func (r *runtime) aggregateLag() (int64, bool) {
	snap := r.snapshot()
	if snap.aggregateLag == nil {
		return 0, false
	}
	return *snap.aggregateLag, true
}

// idle tracks idleConfig (reference §2.12): the stream is inactive when the latest offsets did
// not move since the previous run and nothing is lagging.
func (r *runtime) checkIdle() {
	c := r.spec.IOConfig.IdleConfig
	if c == nil || !c.Enabled || r.spec.Suspended || r.latest == nil {
		return
	}
	after := int64(spec.DefaultIdleInactiveAfterMillis)
	if c.InactiveAfterMillis != nil {
		after = *c.InactiveAfterMillis
	}
	lag, ok := r.aggregateLag()
	moved := !maps.Equal(r.latest, r.idleLatest)
	r.idleLatest = r.latest.Clone()
	now := r.now()
	if moved || !ok || lag > 0 {
		r.inactiveSince = time.Time{}
		if r.sm.state == StateIdle {
			r.sm.state = StateRunning
		}
		return
	}
	if r.inactiveSince.IsZero() {
		r.inactiveSince = now
	}
	if now.Sub(r.inactiveSince) >= ms(after) {
		r.sm.state = StateIdle
	}
}
