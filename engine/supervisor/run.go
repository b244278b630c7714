package supervisor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// runOnce is one pass of the run loop (Druid's runInternal, reference §2.4).
func (r *runtime) runOnce(ctx context.Context) {
	if r.stopping {
		return
	}
	r.lastRun = r.now()
	storeWasDown := r.storeDown
	r.storeDown = false
	defer func() {
		r.sm.runFinished()
		if !r.storeDown && storeWasDown && r.sm.wasRunUnhealthy {
			// Back, but not healthy yet: keep running often until healthinessThreshold
			// successful runs have passed.
			r.storeDown = true
		}
		r.publishSnapshot(ctx)
	}()
	if r.spec.Suspended && len(r.active) == 0 && len(r.pending) == 0 {
		// A suspended supervisor with no tasks to follow has no reason to reach Kafka; unlike
		// Druid, it stays SUSPENDED and healthy while the stream is unreachable.
		if err := r.discoverTasks(ctx); err != nil {
			r.fail(err)
			return
		}
		if len(r.active) == 0 && len(r.pending) == 0 {
			return
		}
	}
	r.sm.propose(StateConnectingToStream)
	if err := r.updatePartitions(ctx); err != nil {
		r.fail(err)
		return
	}
	if err := r.checkOffsetsBehindStream(ctx); err != nil {
		r.fail(err)
		return
	}
	r.sm.propose(StateDiscoveringInitialTasks)
	steps := []func(context.Context) error{r.discoverTasks, r.updateTaskStatus, r.checkStalledTasks, r.checkTaskDuration, r.checkPendingCompletion, r.checkCurrentTasks}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			r.fail(err)
			return
		}
	}
	if r.spec.Suspended {
		r.gracefulShutdown(ctx)
		return
	}
	if err := r.autoscale(ctx); err != nil {
		r.fail(err)
		return
	}
	idle, err := r.checkIdleOnStart(ctx)
	if err != nil {
		r.fail(err)
		return
	}
	if idle {
		return // started IDLE: nothing new since the stored offsets
	}
	r.checkIdle()
	if r.sm.state == StateIdle {
		return // no new tasks while idle; running ones finish their duration
	}
	r.sm.propose(StateCreatingTasks)
	if err := r.createNewTasks(ctx); err != nil {
		r.fail(err)
	}
}

func (r *runtime) stream() string { return r.spec.IOConfig.StreamName() }

// updatePartitions lists the topic's partitions, or those of every topic matching the topic
// pattern (topics.go). Partitions that appear after the first discovery (new partitions, new
// matching topics) start from the earliest offset and trigger an early hand-off of every
// reading group after repartitionTransitionDuration, so new groups pick up the new allocation.
func (r *runtime) updatePartitions(ctx context.Context) error {
	if err := r.connect(); err != nil {
		return &streamError{fmt.Errorf("connect to Kafka: %w", err)}
	}
	cctx, cancel := context.WithTimeout(ctx, kafkaTimeout)
	defer cancel()
	parts, err := r.listPartitions(cctx)
	if err != nil {
		return err
	}
	if r.discoveredOnce && len(parts) > len(r.partitions) {
		for _, p := range parts {
			if !slices.Contains(r.partitions, p) {
				r.log.Info("new partition discovered; it starts from the earliest offset", "partition", p.String())
				r.partitionOffset[p] = r.earliestMarker()
			}
		}
		d, _ := r.spec.TuningConfig.RepartitionTransitionDuration.Duration()
		r.earlyStop = r.now().Add(d)
	}
	r.partitions = parts
	r.discoveredOnce = true
	return nil
}

// kafkaTimeout bounds each Kafka metadata call of a run, so an unreachable broker delays spec
// changes (which wait for the current run) by at most this much.
const kafkaTimeout = 5 * time.Second

// earliestMarker is stored in partitionOffset for partitions that must start from the earliest
// offset whatever useEarliestOffset says (new partitions).
func (r *runtime) earliestMarker() int64 { return -2 }

// groupOf maps a partition to its task group: partition % taskCount for a single topic, a
// hash of topic and partition for a topic pattern (druidapi.Partition.TaskGroup).
func (r *runtime) groupOf(p druidapi.Partition) int { return p.TaskGroup(r.spec.IOConfig.TaskCount) }

// groups returns group id → partitions for the current allocation.
func (r *runtime) groups() map[int][]druidapi.Partition {
	out := map[int][]druidapi.Partition{}
	for _, p := range r.partitions {
		g := r.groupOf(p)
		out[g] = append(out[g], p)
	}
	return out
}

// discoverTasks adopts running tasks of this supervisor that it does not track yet (after a
// restart or a spec update), keeps publishing ones as pending completion, and stops tasks that
// no longer match the spec or the allocation.
func (r *runtime) discoverTasks(ctx context.Context) error {
	active := true
	infos, err := r.deps.Runner.Infos(ctx, metadata.TaskFilter{Active: &active, DataSource: r.spec.DataSchema.DataSource})
	if err != nil {
		return fmt.Errorf("discover tasks: %w", err)
	}
	for _, in := range infos {
		if r.tracked(in.ID) {
			continue
		}
		_, raw, err := r.deps.Runner.Info(ctx, in.ID)
		if err != nil {
			continue
		}
		ts, err := task.DecodePayload(raw)
		if err != nil || ts.Payload.SupervisorID != r.id || ts.Stream() != r.stream() {
			continue
		}
		status, err := r.deps.Tasks.Status(ctx, in.ID)
		if err != nil {
			if errors.Is(err, ErrTaskNotRunning) && (in.RunnerStatusCode == task.RunnerWaiting || in.RunnerStatusCode == task.RunnerPending) {
				// Waiting for a worker slot, or for its worker to start it: adopt it as it is.
				status = task.StatusNotStarted
			} else {
				r.log.Warn("cannot reach task; killing it", "task", in.ID, "err", err)
				r.kill(ctx, in.ID)
				continue
			}
		}
		parts := ts.Start.Partitions()
		if len(parts) == 0 {
			continue
		}
		gid := r.groupOf(parts[0])
		if status == task.StatusPublishing {
			end, err := r.deps.Tasks.EndOffsets(ctx, in.ID)
			if err != nil {
				r.kill(ctx, in.ID)
				continue
			}
			r.adoptPublishing(in.ID, ts, gid, end)
			continue
		}
		sameGroup := true
		for _, p := range parts {
			if r.groupOf(p) != gid {
				sameGroup = false
			}
		}
		if !sameGroup || !r.isCurrent(ts) {
			r.log.Info("stopping task that no longer matches the spec", "task", in.ID)
			r.kill(ctx, in.ID)
			continue
		}
		g, ok := r.active[gid]
		if !ok {
			g = newTaskGroup(gid, ts.Start, ts.MinTime, ts.MaxTime, ts.Payload.IOConfig.BaseSequenceName)
			g.inherited = slices.Clone(ts.Inherited) // replacement replicas wait as the adopted one does
			for id, o := range ts.Checkpoints {
				g.checkpoints[id] = o
			}
			r.active[gid] = g
		} else if g.baseSequence != ts.Payload.IOConfig.BaseSequenceName {
			r.kill(ctx, in.ID)
			continue
		}
		g.tasks[in.ID] = &taskState{status: "RUNNING"}
		r.taskSpecs[in.ID] = ts
		r.log.Info("adopted running task", "task", in.ID, "group", gid)
		// Follow the group's checkpoints as the task reports them.
		if cps, err := r.deps.Tasks.Checkpoints(ctx, in.ID); err == nil {
			for id, o := range cps {
				g.checkpoints[id] = o
			}
		}
	}
	return nil
}

func (r *runtime) adoptPublishing(id string, ts *task.Spec, gid int, end task.Offsets) {
	var g *taskGroup
	for _, pg := range r.pending[gid] {
		if maps.Equal(pg.start, ts.Start) {
			g = pg
		}
	}
	if g == nil {
		g = newTaskGroup(gid, ts.Start, ts.MinTime, ts.MaxTime, ts.Payload.IOConfig.BaseSequenceName)
		g.inherited = slices.Clone(ts.Inherited)
		ct, _ := r.spec.IOConfig.CompletionTimeout.Duration()
		g.completionDeadline = r.now().Add(ct)
		r.pending[gid] = append(r.pending[gid], g)
	}
	g.tasks[id] = &taskState{status: "RUNNING"}
	r.taskSpecs[id] = ts
	for p, e := range end {
		if e == task.EndOfPartition {
			r.partitionOffset[p] = notSet
		} else if cur, ok := r.partitionOffset[p]; !ok || e > cur {
			r.partitionOffset[p] = e
		}
	}
	r.log.Info("adopted publishing task", "task", id, "group", gid)
}

func (r *runtime) tracked(id string) bool {
	for _, g := range r.active {
		if _, ok := g.tasks[id]; ok {
			return true
		}
	}
	for _, gs := range r.pending {
		for _, g := range gs {
			if _, ok := g.tasks[id]; ok {
				return true
			}
		}
	}
	return false
}

// updateTaskStatus refreshes each tracked task's runner status and start time.
func (r *runtime) updateTaskStatus(ctx context.Context) error {
	var failed error
	each := func(g *taskGroup) {
		for id, ts := range g.tasks {
			if failed != nil {
				return
			}
			in, _, err := r.deps.Runner.Info(ctx, id)
			if errors.Is(err, task.ErrUnknownTask) {
				ts.status = "FAILED"
				continue
			}
			if err != nil {
				// The status is unknown, not failed: forgetting a publishing task here would
				// restart its partitions from stale stored offsets.
				failed = fmt.Errorf("read status of task %s: %w", id, err)
				return
			}
			ts.status = in.StatusCode
			if ts.startTime == nil && ts.status == "RUNNING" && in.RunnerStatusCode == task.RunnerRunning {
				if st, err := r.deps.Tasks.StartTime(ctx, id); err == nil && st != nil {
					ts.startTime = st
				}
			}
		}
	}
	for _, g := range r.active {
		each(g)
	}
	for _, gs := range r.pending {
		for _, g := range gs {
			each(g)
		}
	}
	return failed
}

// checkTaskDuration finalizes reading groups whose taskDuration elapsed (or that must stop
// early): pause every replica, take the highest offsets, set them as end offsets with finish,
// and start the next generation exactly there.
//
// With ioConfig.stopTaskCount set, at most that many generations publish at once (Druid's
// getMaxAllowedStops): groups already publishing count against it, groups are taken oldest
// first, and the rest keep reading past their taskDuration until a generation completes. A
// rollover then needs taskCount + stopTaskCount groups' worth of slots, not twice taskCount.
// Early stops (new partitions) and the handoff API are operator actions and ignore the limit,
// as in Druid.
func (r *runtime) checkTaskDuration(ctx context.Context) error {
	dur, _ := r.spec.IOConfig.TaskDuration.Duration()
	now := r.now()
	early := !r.earlyStop.IsZero() && !now.Before(r.earlyStop)
	stops := r.allowedStops()
	for _, gid := range r.activeOldestFirst() {
		g := r.active[gid]
		st := g.earliestStart()
		// A group named by the handoff API is finalized once its tasks have started reading.
		handoff := r.handoffEarly[gid] && st != nil
		if !early && !handoff && (st == nil || now.Before(st.Add(dur))) {
			continue
		}
		if st == nil && !early {
			continue
		}
		if !early && !handoff {
			if stops == 0 {
				continue // over stopTaskCount: keep reading until a generation completes
			}
			if stops > 0 {
				stops--
			}
		}
		r.finalize(ctx, gid, g)
		delete(r.handoffEarly, gid)
	}
	for gid := range r.handoffEarly {
		if _, ok := r.active[gid]; !ok {
			delete(r.handoffEarly, gid)
		}
	}
	if early {
		r.earlyStop = time.Time{}
	}
	return nil
}

// allowedStops is how many more reading groups may be finalized for their taskDuration in this
// run: stopTaskCount less the generations still publishing, never below 0; -1 when
// stopTaskCount is not set (no limit).
func (r *runtime) allowedStops() int {
	limit := r.spec.IOConfig.StopTaskCount
	if limit == nil || *limit <= 0 {
		return -1
	}
	n := *limit
	for _, gens := range r.pending {
		n -= len(gens)
	}
	return max(n, 0)
}

// activeOldestFirst lists the reading groups by the start of their earliest task, oldest first
// (not started last), group id breaking ties, so stopTaskCount rolls the longest-running first.
func (r *runtime) activeOldestFirst() []int {
	gids := slices.Sorted(maps.Keys(r.active))
	slices.SortStableFunc(gids, func(a, b int) int {
		sa, sb := r.active[a].earliestStart(), r.active[b].earliestStart()
		switch {
		case sa == nil && sb == nil:
			return 0
		case sa == nil:
			return 1
		case sb == nil:
			return -1
		}
		return sa.Compare(*sb)
	})
	return gids
}

// finalize moves a reading group to pending completion (Druid's checkpointTaskGroup with
// finalize=true).
func (r *runtime) finalize(ctx context.Context, gid int, g *taskGroup) {
	for id, ts := range g.tasks {
		if ts.status == "SUCCESS" {
			r.stopGroup(ctx, g, id)
			delete(r.active, gid)
			return
		}
	}
	end, paused := r.pauseReplicas(ctx, gid, g, "finalize")
	accepted := r.setEndOffsets(ctx, g, paused, end, true)
	delete(r.active, gid)
	if accepted == 0 {
		for _, p := range g.start.Partitions() {
			r.partitionOffset[p] = notSet
		}
		return
	}
	ct, _ := r.spec.IOConfig.CompletionTimeout.Duration()
	g.completionDeadline = r.now().Add(ct)
	r.pending[gid] = append(r.pending[gid], g)
	for p, o := range end {
		r.partitionOffset[p] = o
	}
	r.log.Info("task group finished reading; publishing", "group", gid, "end", end, "tasks", accepted)
}

// gracefulShutdown tells every reading group to publish now (suspend, update, terminate).
func (r *runtime) gracefulShutdown(ctx context.Context) {
	for _, gid := range slices.Sorted(maps.Keys(r.active)) {
		r.finalize(ctx, gid, r.active[gid])
	}
}

// checkPendingCompletion follows publishing generations: one successful replica completes the
// generation; a generation that fails entirely or times out is killed together with every newer
// generation and the reading group of the same id, which then restart from stored offsets.
func (r *runtime) checkPendingCompletion(ctx context.Context) error {
	now := r.now()
	for gid, gens := range r.pending {
		var keep []*taskGroup
		for i, g := range gens {
			succeeded := false
			for id, ts := range g.tasks {
				switch ts.status {
				case "SUCCESS":
					succeeded = true
					r.sm.taskCompleted(true)
				case "FAILED":
					r.sm.taskCompleted(false)
					delete(g.tasks, id)
					delete(r.taskSpecs, id)
				}
			}
			if succeeded {
				r.stopGroup(ctx, g, "")
				continue
			}
			if len(g.tasks) > 0 && now.Before(g.completionDeadline) {
				keep = append(keep, g)
				continue
			}
			reason := "all its tasks failed"
			if len(g.tasks) > 0 {
				reason = "completionTimeout elapsed"
			}
			r.log.Error("publishing task group failed; its partitions restart from the stored offsets", "group", gid, "reason", reason)
			r.sm.recordError(now, "TaskGroupFailed", fmt.Sprintf("task group %d did not publish: %s", gid, reason), false)
			for _, later := range gens[i:] {
				r.killGroup(ctx, later)
			}
			r.killReadingOn(ctx, gid, g)
			for _, p := range g.start.Partitions() {
				r.partitionOffset[p] = notSet
			}
			keep = nil
			break
		}
		if len(keep) == 0 {
			delete(r.pending, gid)
		} else {
			r.pending[gid] = keep
		}
	}
	return nil
}

// killReadingOn kills the groups that read on from where the failed publishing group g (of
// pending id gid) ends, as their publishes can never commit after it: the reading groups that
// own one of g's partitions and, in other pending ids, the newer generations of its partitions.
// Without a scale action both are just the groups of id gid; after one, the new allocation
// spreads g's partitions over other ids. The killed publishing generations fail and reset
// their partitions in a later run.
func (r *runtime) killReadingOn(ctx context.Context, gid int, g *taskGroup) {
	for agid, a := range r.active {
		if newerOn(a.start, g.start) {
			r.killGroup(ctx, a)
			delete(r.active, agid)
		}
	}
	for ogid, gens := range r.pending {
		if ogid == gid {
			continue
		}
		for _, o := range gens {
			if newerOn(o.start, g.start) {
				r.killGroup(ctx, o)
			}
		}
	}
}

// newerOn reports whether start shares a partition with base and starts after it there: a
// later generation of that partition.
func newerOn(start, base task.Offsets) bool {
	for p, o := range start {
		if b, ok := base[p]; ok && o > b {
			return true
		}
	}
	return false
}

// checkCurrentTasks drops failed reading tasks and retires groups in which a task succeeded.
func (r *runtime) checkCurrentTasks(ctx context.Context) error {
	for gid, g := range r.active {
		for id, ts := range g.tasks {
			switch ts.status {
			case "FAILED":
				r.log.Warn("reading task failed", "task", id, "group", gid)
				r.sm.taskCompleted(false)
				delete(g.tasks, id)
				delete(r.taskSpecs, id)
			case "SUCCESS":
				r.sm.taskCompleted(true)
				r.stopGroup(ctx, g, id)
				delete(r.active, gid)
			}
		}
	}
	return nil
}

// createNewTasks makes sure every group of the allocation has a reading group with `replicas`
// tasks, starting where the previous generation ends, else at the stored offsets, else at the
// earliest or latest Kafka offsets. Tasks are submitted replica round by replica round, groups in
// order, so that when the runner's queue is full (task.ErrQueueFull ends the run) every group has
// a reading task before any group gets a second replica.
func (r *runtime) createNewTasks(ctx context.Context) error {
	io := &r.spec.IOConfig
	groups := r.groups()
	for gid, parts := range groups {
		// A partition whose stored offsets are beyond its end stays stopped until a reset; a
		// group left with none gets no task.
		parts = slices.DeleteFunc(parts, func(p druidapi.Partition) bool { _, stopped := r.offsetsAhead[p]; return stopped })
		if len(parts) == 0 {
			delete(groups, gid)
		} else {
			groups[gid] = parts
		}
	}
	gids := slices.Sorted(maps.Keys(groups))
	for _, gid := range gids {
		if _, ok := r.active[gid]; ok {
			continue
		}
		start, inherited, err := r.startOffsets(ctx, groups[gid])
		if err != nil {
			return err
		}
		var minT, maxT *time.Time
		now := r.now()
		if io.LateMessageRejectionStartDateTime != nil {
			t, _ := parseTime(*io.LateMessageRejectionStartDateTime)
			minT = &t
		} else if p := io.LateMessageRejectionPeriod; p != nil {
			d, _ := p.Duration()
			t := now.Add(-d).UTC()
			minT = &t
		}
		if p := io.EarlyMessageRejectionPeriod; p != nil {
			d, _ := p.Duration()
			td, _ := io.TaskDuration.Duration()
			t := now.Add(td + d).UTC()
			maxT = &t
		}
		ds, tuning, _ := r.spec.TaskSections()
		g := newTaskGroup(gid, start, minT, maxT, baseSequenceName(r.spec.DataSchema.DataSource, ds, tuning, start, minT, maxT))
		g.inherited = inherited
		r.active[gid] = g
		r.log.Info("new task group", "group", gid, "start", start, "inherited", inherited)
	}
	for n := 0; n < io.Replicas; n++ {
		for _, gid := range gids {
			g := r.active[gid]
			if len(g.tasks) > n {
				continue
			}
			id := taskID(g.baseSequence)
			raw, err := r.taskPayload(g, id)
			if err != nil {
				return err
			}
			ts, err := task.DecodePayload(raw)
			if err != nil {
				return fmt.Errorf("build task for group %d: %w", gid, err)
			}
			if err := r.deps.Runner.SubmitSpec(ctx, ts); err != nil {
				return fmt.Errorf("submit task for group %d: %w", gid, err)
			}
			g.tasks[id] = &taskState{status: "RUNNING"}
			r.taskSpecs[id] = ts
			r.log.Info("task created", "task", id, "group", gid)
		}
	}
	return nil
}

// startOffsets picks a new group's start offset per partition (reference §2.5). inherited are
// the partitions whose start is the end offset of the previous group that read them (a
// rollover, a scale action), which may not be committed yet: the new group's publish must wait
// until it is (task.SequenceNumbers.InheritedPartitions), as the stored offsets of a new
// supervisor may not have the partition at all.
func (r *runtime) startOffsets(ctx context.Context, parts []druidapi.Partition) (_ task.Offsets, inherited []druidapi.Partition, _ error) {
	stored, err := r.store.GetDataSourceMetadata(ctx, r.id)
	if errors.Is(err, metadata.ErrNotFound) || (err == nil && stored.Stream != r.stream()) {
		stored = nil
	} else if err != nil {
		return nil, nil, fmt.Errorf("read stored offsets: %w", err)
	}
	out := task.Offsets{}
	var needEarliest, needLatest []druidapi.Partition
	for _, p := range parts {
		if o, ok := r.partitionOffset[p]; ok && o >= 0 {
			out[p] = o
			inherited = append(inherited, p)
			continue
		}
		if o, ok := r.partitionOffset[p]; ok && o == r.earliestMarker() {
			needEarliest = append(needEarliest, p)
			continue
		}
		if stored != nil {
			if o, ok := stored.Offsets[p]; ok {
				out[p] = o
				continue
			}
		}
		if r.spec.IOConfig.UseEarliestOffset {
			needEarliest = append(needEarliest, p)
		} else {
			needLatest = append(needLatest, p)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, kafkaTimeout)
	defer cancel()
	starts, err := r.admin.ListStartOffsets(cctx, r.topicsOf(parts)...)
	if err != nil {
		return nil, nil, &streamError{fmt.Errorf("list earliest offsets: %w", err)}
	}
	// Stored offsets must still be available in Kafka.
	var lost []druidapi.Partition
	for p, o := range out {
		if so, ok := starts.Lookup(r.topicOf(p), p.ID); ok && o < so.Offset && !r.spec.TuningConfig.SkipSequenceNumberAvailabilityCheck {
			if _, fromPrev := r.partitionOffset[p]; fromPrev && r.partitionOffset[p] >= 0 {
				continue // handed over by the previous generation, which read it
			}
			lost = append(lost, p)
		}
	}
	if len(lost) > 0 {
		slices.SortFunc(lost, druidapi.ComparePartitions)
		if r.spec.TuningConfig.ResetOffsetAutomatically {
			md := metadata.DataSourceMetadata{Stream: r.stream(), Offsets: map[druidapi.Partition]int64{}}
			for _, p := range lost {
				md.Offsets[p] = out[p]
			}
			if err := r.store.RemovePartitions(ctx, r.id, md); err != nil && !errors.Is(err, metadata.ErrNotFound) {
				return nil, nil, err
			}
			r.log.Warn("stored offsets no longer available; reset automatically (rows may be lost)", "partitions", lost)
			return nil, nil, &streamError{fmt.Errorf("stored offsets of partitions %v are no longer available in Kafka; they were reset (resetOffsetAutomatically)", lost)}
		}
		return nil, nil, &streamError{fmt.Errorf("stored offsets of partitions %v of topic %s are no longer available in Kafka (data was deleted before it was ingested); "+
			"reset the supervisor (POST /druid/indexer/v1/supervisor/%s/reset or resetOffsets) or set tuningConfig.resetOffsetAutomatically", lost, r.stream(), r.id)}
	}
	for _, p := range needEarliest {
		if so, ok := starts.Lookup(r.topicOf(p), p.ID); ok {
			out[p] = so.Offset
		}
	}
	if len(needLatest) > 0 {
		ends, err := r.latestOffsets(cctx)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range needLatest {
			if eo, ok := ends.Lookup(r.topicOf(p), p.ID); ok {
				out[p] = eo.Offset
			}
		}
	}
	for _, p := range parts {
		if _, ok := out[p]; !ok {
			return nil, nil, &streamError{fmt.Errorf("no offsets for partition %d of topic %s", p.ID, r.topicOf(p))}
		}
	}
	slices.SortFunc(inherited, druidapi.ComparePartitions)
	return out, inherited, nil
}

// checkpoint handles a task's request for incremental handoff (Druid's CheckpointNotice): if
// the given start is the group's latest checkpoint, pause every replica, take the highest
// offsets and set them as the end of the current sequence on all of them.
//
// Every error goes back to the asking task, which stays paused and asks again with back-off
// (engine/task/checkpoint.go), so nothing here may leave it waiting for an answer that will
// never come: a checkpoint is recorded only once some replica was paused and its offsets are
// known, never empty.
func (r *runtime) checkpoint(ctx context.Context, taskID string, gid int, start task.Offsets) error {
	g, ok := r.active[gid]
	if !ok || g.tasks[taskID] == nil {
		// Not adopted yet (the supervisor restarted and has not run since), or no longer
		// reading: the next run adopts it or finishes it, and the task's next request finds out.
		return fmt.Errorf("%w: task %s is not a reading task of group %d yet", ErrCheckpointNotReady, taskID, gid)
	}
	latestID, latest := g.latestCheckpoint()
	if !maps.Equal(latest, start) {
		for _, o := range g.checkpoints {
			if maps.Equal(o, start) {
				return nil // an older one: another replica already triggered it
			}
		}
		r.log.Warn("checkpoint request does not match the group's sequences", "task", taskID, "group", gid, "start", start)
		return fmt.Errorf("checkpoint for group %d starts at %v, which is not one of its sequences", gid, start)
	}
	end, paused := r.pauseReplicas(ctx, gid, g, "checkpoint")
	if len(paused) == 0 {
		return fmt.Errorf("checkpoint of group %d: no task could be paused; the group's tasks will be replaced", gid)
	}
	r.setEndOffsets(ctx, g, paused, end, false)
	g.checkpoints[latestID+1] = end
	r.log.Info("checkpoint", "group", gid, "sequence", latestID+1, "start", end)
	return nil
}

// pauseReplicas pauses every replica of reading group g and returns, per partition, the
// highest offset any of them reached, with the ids of the replicas it paused: the first half of
// Druid's checkpointTaskGroup, shared by finalize (end of taskDuration, finish) and checkpoint
// (incremental handoff, the current sequence ends). why ("finalize", "checkpoint") only labels
// the logs. A replica that has not started or cannot be paused is killed and dropped from g;
// createNewTasks replaces it in the next run.
func (r *runtime) pauseReplicas(ctx context.Context, gid int, g *taskGroup, why string) (end task.Offsets, paused []string) {
	end = task.Offsets{}
	for _, id := range g.taskIDs() {
		ts := g.tasks[id]
		if ts.startTime == nil {
			// The run loop may not have seen the start yet (rows were waiting, so the first
			// checkpoint comes within a second); ask the task itself.
			if st, err := r.deps.Tasks.StartTime(ctx, id); err == nil && st != nil {
				ts.startTime = st
			}
		}
		if ts.startTime == nil {
			// Not started (waiting for a worker slot): nothing read, nothing to publish, and
			// it cannot be paused. Started later with the old checkpoints in its context it
			// would lay out different sequences from its replicas, so Druid kills a replica it
			// cannot pause; its replacement gets the group's new checkpoints.
			r.log.Info("replica has not started; replacing it", "task", id, "group", gid, "for", why)
			r.kill(ctx, id)
			delete(g.tasks, id)
			continue
		}
		cur, err := r.deps.Tasks.Pause(ctx, id)
		if err != nil || len(cur) == 0 {
			r.log.Warn("pause failed; killing task", "task", id, "group", gid, "for", why, "err", err)
			r.kill(ctx, id)
			delete(g.tasks, id)
			continue
		}
		for p, o := range cur {
			// A partition still at offset 0 counts too: leaving it out would record a
			// checkpoint that no task's sequence starts at.
			if e, seen := end[p]; !seen || o > e {
				end[p] = o
			}
		}
		paused = append(paused, id)
	}
	return end, paused
}

// setEndOffsets sets end as the end offsets of every paused replica in ids (finish: the last
// sequence, publish after it) and returns how many accepted; a replica that refuses is killed
// and dropped from g. The second half of Druid's checkpointTaskGroup.
func (r *runtime) setEndOffsets(ctx context.Context, g *taskGroup, ids []string, end task.Offsets, finish bool) (accepted int) {
	for _, id := range ids {
		if err := r.deps.Tasks.SetEndOffsets(ctx, id, end, finish); err != nil {
			r.log.Warn("set end offsets failed; killing task", "task", id, "finish", finish, "err", err)
			r.kill(ctx, id)
			delete(g.tasks, id)
			continue
		}
		accepted++
	}
	return accepted
}

// resetAll forgets every allocation and kills reading tasks (POST /reset).
func (r *runtime) resetAll(ctx context.Context) {
	for gid, g := range r.active {
		r.killGroup(ctx, g)
		delete(r.active, gid)
	}
	r.partitionOffset = map[druidapi.Partition]int64{}
	r.offsetsAhead = map[druidapi.Partition]offsetAhead{}
}

// dropGroupOf kills the reading group that owns partition p and forgets the offsets of all its
// partitions, so a later run creates the group afresh from the stored offsets.
func (r *runtime) dropGroupOf(ctx context.Context, p druidapi.Partition) {
	gid := r.groupOf(p)
	if g, ok := r.active[gid]; ok {
		r.killGroup(ctx, g)
		delete(r.active, gid)
	}
	for _, q := range r.groups()[gid] {
		r.partitionOffset[q] = notSet
	}
}

// resetPartitions kills the groups owning the given partitions so they restart from the new
// stored offsets (POST /resetOffsets).
func (r *runtime) resetPartitions(ctx context.Context, offsets task.Offsets) {
	for p := range offsets {
		delete(r.offsetsAhead, p)
		r.dropGroupOf(ctx, p)
	}
}

func (r *runtime) kill(ctx context.Context, id string) {
	if err := r.deps.Runner.Shutdown(ctx, id); err != nil && !errors.Is(err, task.ErrUnknownTask) {
		r.log.Warn("kill task", "task", id, "err", err)
	}
	delete(r.taskSpecs, id)
}

func (r *runtime) killGroup(ctx context.Context, g *taskGroup) {
	for id := range g.tasks {
		r.kill(ctx, id)
	}
}

// stopGroup stops every task of a group except keep (a replica finished first).
func (r *runtime) stopGroup(ctx context.Context, g *taskGroup, keep string) {
	for id, ts := range g.tasks {
		if id != keep && ts.status == "RUNNING" {
			r.kill(ctx, id)
		}
		delete(r.taskSpecs, id)
	}
}
