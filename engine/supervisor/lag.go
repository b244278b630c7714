package supervisor

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// unknownLag is Druid's per-partition lag when the latest or current offset is unknown.
const unknownLag = math.MinInt32

func parseTime(s string) (time.Time, error) { return spec.ParseDateTime(s) }

// latestOffsets reads the log end per partition: the last stable offset under read_committed
// (the default), the high watermark under read_uncommitted.
func (r *runtime) latestOffsets(ctx context.Context) (kadm.ListedOffsets, error) {
	var (
		offs kadm.ListedOffsets
		err  error
	)
	topics := r.topics()
	if len(topics) == 0 {
		return kadm.ListedOffsets{}, nil // a pattern matching no topic yet; no topics would mean all
	}
	if v, _ := r.spec.IOConfig.ConsumerProperties["isolation.level"].(string); v == "read_uncommitted" {
		offs, err = r.admin.ListEndOffsets(ctx, topics...)
	} else {
		offs, err = r.admin.ListCommittedOffsets(ctx, topics...)
	}
	if err == nil {
		err = offs.Error()
	}
	if err != nil {
		return nil, &streamError{err}
	}
	return offs, nil
}

// refreshLag fetches the latest Kafka offsets and every task's current offsets (every
// offsetFetchPeriod), then republishes the report snapshot.
func (r *runtime) refreshLag(ctx context.Context) {
	if r.stopping || !r.discoveredOnce || r.admin == nil {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	offs, err := r.latestOffsets(cctx)
	if err != nil {
		r.log.Debug("fetch latest offsets", "err", err)
		return
	}
	r.latest, r.latestAt = r.offsetsOf(offs), r.now()
	var rate float64
	for _, g := range r.allGroups() {
		for id, ts := range g.tasks {
			if cur, err := r.deps.Tasks.CurrentOffsets(cctx, id); err == nil {
				ts.current = cur
			}
			if raw, err := r.deps.Tasks.RowStats(cctx, id); err == nil {
				var rs struct {
					MovingAverages struct {
						BuildSegments map[string]struct {
							Processed float64 `json:"processed"`
						} `json:"buildSegments"`
					} `json:"movingAverages"`
				}
				if json.Unmarshal(raw, &rs) == nil {
					rate += rs.MovingAverages.BuildSegments["1m"].Processed
				}
			}
		}
	}
	r.ingestRate = rate
	// The time lag is measured at the reading tasks' furthest positions; publishing tasks have
	// stopped reading, and a partition no task reads has no position to measure from.
	reading := task.Offsets{}
	for _, g := range r.active {
		for _, ts := range g.tasks {
			for p, o := range ts.current {
				if h, ok := reading[p]; !ok || o > h {
					reading[p] = o
				}
			}
		}
	}
	r.lagMillis = r.measureTimeLag(cctx, r.latest, reading)
	r.publishSnapshot(ctx)
}

func (r *runtime) allGroups() []*taskGroup {
	var out []*taskGroup
	for _, gid := range slices.Sorted(maps.Keys(r.active)) {
		out = append(out, r.active[gid])
	}
	for _, gid := range slices.Sorted(maps.Keys(r.pending)) {
		out = append(out, r.pending[gid]...)
	}
	return out
}

// publishSnapshot copies the loop's state into the report snapshot. ctx is the loop's: the
// stored offsets it reads for the lag fallback are not worth waiting for once the loop stops.
func (r *runtime) publishSnapshot(ctx context.Context) {
	now := r.now()
	dur, _ := r.spec.IOConfig.TaskDuration.Duration()
	snap := snapshot{state: r.sm.state, recentErrors: slices.Clone(r.sm.recentErrors), partitions: len(r.partitions), taskGroups: map[string][]string{}, ingestRate: r.ingestRate}
	if r.spec.Suspended && r.sm.state == StatePending {
		snap.state = StateSuspended
	}
	highest := task.Offsets{}
	report := func(g *taskGroup, publishing bool) []TaskReport {
		var out []TaskReport
		for _, id := range g.taskIDs() {
			ts := g.tasks[id]
			tr := TaskReport{ID: id, StartingOffsets: strOffsets(g.start), Type: "ACTIVE"}
			if ts.startTime != nil {
				s := spec.FormatTime(*ts.startTime)
				tr.StartTime = &s
			}
			if publishing {
				tr.Type = "PUBLISHING"
				rem := max(int64(g.completionDeadline.Sub(now)/time.Second), 0)
				tr.RemainingSeconds = &rem
			} else if ts.startTime != nil {
				rem := max(int64((dur-now.Sub(*ts.startTime))/time.Second), 0)
				tr.RemainingSeconds = &rem
			}
			if ts.current != nil {
				tr.CurrentOffsets = strOffsets(ts.current)
				for p, o := range ts.current {
					// Offset 0 counts too: an unread partition is not one without offsets.
					if h, ok := highest[p]; !ok || o > h {
						highest[p] = o
					}
				}
				if !publishing && r.latest != nil {
					tr.Lag = map[string]int64{}
					for p, o := range ts.current {
						if l, ok := r.latest[p]; ok {
							tr.Lag[p.String()] = l - o
						}
					}
				}
			}
			out = append(out, tr)
			snap.taskGroups[strconv.Itoa(g.id)] = append(snap.taskGroups[strconv.Itoa(g.id)], id)
		}
		return out
	}
	for _, gid := range slices.Sorted(maps.Keys(r.active)) {
		snap.active = append(snap.active, report(r.active[gid], false)...)
	}
	for _, gid := range slices.Sorted(maps.Keys(r.pending)) {
		for _, g := range r.pending[gid] {
			snap.publishing = append(snap.publishing, report(g, true)...)
		}
	}
	if r.latest != nil {
		snap.latest = strOffsets(r.latest)
		// Partitions no task reports (a suspended supervisor, tasks waiting for a worker slot,
		// no task at all) are as far as the next read would start: the reading group's start,
		// the previous generation's end or the stored offsets, whichever is furthest. So a
		// starved supervisor shows its real lag instead of 0.
		fallback := task.Offsets{}
		for p, o := range r.partitionOffset {
			if o >= 0 {
				fallback[p] = o
			}
		}
		for _, g := range r.active {
			for p, o := range g.start {
				fallback[p] = max(fallback[p], o)
			}
		}
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if md, err := r.store.GetDataSourceMetadata(sctx, r.id); err == nil && md.Stream == r.stream() {
			for p, o := range md.Offsets {
				if r.spec.Suspended {
					highest[p] = o
					continue
				}
				fallback[p] = max(fallback[p], o)
			}
		}
		cancel()
		for p, o := range fallback {
			if _, ok := highest[p]; !ok {
				highest[p] = o
			}
		}
		snap.minimumLag = map[string]int64{}
		var agg int64
		for p, l := range r.latest {
			lag := int64(unknownLag)
			if h, ok := highest[p]; ok {
				lag = l - h
				agg += max(lag, 0)
			}
			snap.minimumLag[p.String()] = lag
		}
		snap.aggregateLag = &agg
		if len(r.lagMillis) > 0 {
			snap.minimumLagMillis = map[string]int64{}
			var aggMillis int64
			for p, ms := range r.lagMillis {
				snap.minimumLagMillis[p.String()] = ms
				aggMillis += ms
			}
			snap.aggregateLagMillis = &aggMillis
		}
		at := spec.FormatTime(r.latestAt)
		snap.offsetsAt = &at
	}
	r.snapMu.Lock()
	r.snap = snap
	r.snapMu.Unlock()
}

func strOffsets(o task.Offsets) map[string]int64 {
	m := make(map[string]int64, len(o))
	for p, v := range o {
		m[p.String()] = v
	}
	return m
}

func (r *runtime) snapshot() snapshot {
	r.snapMu.Lock()
	defer r.snapMu.Unlock()
	return r.snap
}
