package task

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/input"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/transform"
)

// loop is the state the run loop owns. Nothing else touches it.
type loop struct {
	t *Task
	// ctx is Run's context, for calls made deep inside ingestion (segment allocation in
	// builder.add) that the loop's call chain does not pass a context to: a kill or shutdown
	// cancels them. The loop lives exactly as long as Run, so it may hold it.
	ctx     context.Context
	seqs    []*sequence
	current Offsets
	client  *kgo.Client
	parser  *input.Parser
	// pool parses records ahead on numParseThreads goroutines; nil when parsing is inline.
	pool      *parsePool
	transform *transform.Transformer
	builder   *builder

	paused        bool
	stop          bool
	publishOnStop bool
	// pausedByChat is set while a pause asked for over the chat API holds: only the chat API
	// (resume, end offsets, stop) may end it, not an unanswered checkpoint request.
	pausedByChat bool
	ckpt         checkpointRequest
	ckptCall     checkpointCall        // the goroutine of the request in flight
	answers      chan checkpointAnswer // replies to ckpt requests; room for the one in flight
	// cut is set when a row filled the open sequence (segmentLimitReached): the rest of the
	// fetch waits in backlog until the checkpoint closed the sequence at that record.
	cut         bool
	backlog     []*kgo.Record
	lastPersist time.Time
	lastTick    time.Time
	published   []string    // segment ids published by this task, for handoff
	exported    RowCounters // row counters already handed to the metrics
	// thrownAway counts thrown-away rows by Druid's reason since the last export.
	thrownAway map[string]int64
	stalled    map[druidapi.Partition]time.Time
	stall      *stall // the backlog's first record waits for the schema registry (stall.go)

	// emit is emitRow bound once; emitSeq, emitPart and emitRows describe the record being
	// parsed (see ingest).
	emit     func(*input.Row) error
	emitSeq  *sequence
	emitPart druidapi.Partition
	emitRows int
}

// Run executes the task until it succeeds, fails, or ctx ends (the daemon stopping: the task
// is left unfinished so a restart can resume it). It never panics on input.
func (t *Task) Run(parent context.Context) (res Result) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	t.snapMu.Lock()
	t.cancel = cancel
	if t.killedBefore != nil {
		cancel(t.killedBefore) // shut down between getting a slot and starting
	}
	t.snapMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			t.log.Error("task crashed", "panic", r)
			res = Result{ErrorMsg: fmt.Sprintf("task crashed: %v", r)}
		}
		if res.Report == nil {
			res.Report = t.completionReport(res)
		}
		if !res.Success && parent.Err() == nil && t.opts.WorkDir != "" {
			// A failed or killed task is final (a supervisor replaces it with a new task id);
			// only a task interrupted by the daemon stopping keeps its directory to resume.
			_ = os.RemoveAll(t.opts.WorkDir)
		}
		t.snapMu.Lock()
		t.result = &res
		t.snapMu.Unlock()
		close(t.done)
	}()
	t.setStatus(StatusStarting)
	l, err := t.start(ctx)
	if err != nil {
		return t.fail(err)
	}
	defer l.close()
	defer l.exportRows()
	if err := l.run(ctx); err != nil {
		if ctx.Err() != nil {
			return Result{ErrorMsg: context.Cause(ctx).Error()}
		}
		return t.fail(err)
	}
	t.log.Info("task succeeded", "segments", len(l.published), "rows", t.stats.Totals().Processed)
	if t.opts.WorkDir != "" {
		_ = os.RemoveAll(t.opts.WorkDir)
	}
	return Result{Success: true}
}

func (t *Task) fail(err error) Result {
	t.log.Error("task failed", "err", err)
	return Result{ErrorMsg: err.Error()}
}

// start builds the sequences, skips those already published (a restarted task), and opens the
// parser and the Kafka client at the first unpublished sequence's start offsets.
func (t *Task) start(ctx context.Context) (*loop, error) {
	s := t.spec
	now := t.opts.Now()
	seqs, err := buildSequences(s, now)
	if err != nil {
		return nil, err
	}
	if t.opts.WorkDir != "" {
		saved, err := loadSequences(t.opts.WorkDir, s.Payload.IOConfig.BaseSequenceName, now)
		if err != nil {
			return nil, err
		}
		if saved != nil {
			t.log.Info("restored sequence boundaries", "sequences", len(saved))
			seqs = saved
		}
	}
	var stored *metadata.DataSourceMetadata
	err = t.retryStore(ctx, "read stored offsets", func() (err error) {
		stored, err = t.opts.Store.GetDataSourceMetadata(ctx, s.MetadataKey())
		return err
	})
	if err != nil && !errors.Is(err, metadata.ErrNotFound) {
		return nil, fmt.Errorf("read stored offsets: %w", err)
	}
	// The stored offsets equal the end of the last sequence that committed; it and every
	// sequence before it are published.
	first := 0
	for i := len(seqs) - 1; i >= 0; i-- {
		if alreadyPublished(seqs[i], stored, s.Stream()) {
			first = i + 1
			break
		}
	}
	for i := 0; i < first; i++ {
		seqs[i].published = true
	}
	l := &loop{t: t, ctx: ctx, seqs: seqs, lastPersist: now, lastTick: now, stalled: map[druidapi.Partition]time.Time{}, answers: make(chan checkpointAnswer, 1)}
	l.emit = l.emitRow
	if first == len(seqs) {
		l.current = seqs[len(seqs)-1].end.Clone()
		t.log.Info("every sequence of the task is already published")
		return l, nil
	}
	if first > 0 {
		t.log.Info("resuming after published sequences", "published", first, "sequence", seqs[first].name)
	}
	l.current = seqs[first].start.Clone()
	for p := range s.Start {
		if _, ok := l.current[p]; !ok {
			l.current[p] = s.Start[p]
		}
	}
	l.parser, err = input.NewParser(t.parserConfig(ctx))
	if err != nil {
		return nil, fmt.Errorf("input format: %w", err)
	}
	if l.transform, err = transform.New(s.DataSchema.TransformSpec); err != nil {
		return nil, fmt.Errorf("transformSpec: %w", err)
	}
	if l.builder, err = newBuilder(l); err != nil {
		return nil, err
	}
	opts, err := ClientOptions(s.Payload.IOConfig.ConsumerProperties, t.opts.Getenv)
	if err != nil {
		return nil, err
	}
	assign := map[string]map[int32]kgo.Offset{}
	last := seqs[len(seqs)-1]
	for p, off := range l.current {
		if off < last.end[p] {
			topic := p.TopicIn(s.Stream())
			if assign[topic] == nil {
				assign[topic] = map[int32]kgo.Offset{}
			}
			assign[topic][p.ID] = kgo.NewOffset().At(off)
		}
	}
	opts = append(opts, kgo.ConsumePartitions(assign))
	if l.client, err = kgo.NewClient(opts...); err != nil {
		return nil, fmt.Errorf("create Kafka client: %w", err)
	}
	// Last, so that no error return of start leaves the parse goroutines running: from here
	// on, loop.close stops them.
	if n := s.Tuning.EffectiveParseThreads(runtime.GOMAXPROCS(0)); n > 1 {
		if l.pool, err = newParsePool(ctx, t.parserConfig(ctx), n, !l.transform.Rewrites()); err != nil {
			l.client.Close()
			return nil, err
		}
	}
	st := t.opts.Now()
	t.snapMu.Lock()
	t.startTime = &st
	t.snapMu.Unlock()
	t.publishSnapshot(l.current, last.end, seqs)
	t.log.Info("task started", "stream", s.Stream(), "start", l.current, "end", last.end, "sequences", len(seqs)-first)
	return l, nil
}

// alreadyPublished reports whether the stored offsets show that a closed sequence committed:
// they equal its end on every partition.
func alreadyPublished(seq *sequence, stored *metadata.DataSourceMetadata, stream string) bool {
	if stored == nil || stored.Stream != stream || seq.isOpen() {
		return false
	}
	for p, e := range seq.end {
		if e == seq.start[p] {
			continue
		}
		if got, ok := stored.Offsets[p]; !ok || got != e {
			return false
		}
	}
	return true
}

// parserConfig is what the task's parsers are built from; ctx (Run's) bounds their schema
// registry lookups.
func (t *Task) parserConfig(ctx context.Context) input.Config {
	s := t.spec
	return input.Config{Format: s.Input, Timestamp: s.DataSchema.TimestampSpec, Dimensions: s.DataSchema.DimensionsSpec, Metrics: s.DataSchema.MetricsSpec,
		Context: ctx, Getenv: t.opts.Getenv}
}

func (l *loop) close() {
	// First, so the request's goroutine is gone before anything it might touch is closed.
	l.ckptCall.stop()
	if l.pool != nil {
		l.pool.stop()
	}
	if l.client != nil {
		l.client.Close()
	}
	if l.builder != nil {
		l.builder.close() // waits for background persists: none writes after the task ends
	}
}

func (l *loop) last() *sequence { return l.seqs[len(l.seqs)-1] }

// run is the READING loop followed by PUBLISHING.
func (l *loop) run(ctx context.Context) error {
	t := l.t
	if l.client == nil {
		return nil // nothing left to read or publish
	}
	t.setStatus(StatusReading)
	pollTimeout := time.Duration(t.spec.Payload.IOConfig.PollTimeout) * time.Millisecond
	for {
		if err := l.serveRequests(ctx); err != nil {
			return err
		}
		if l.stop {
			if !l.publishOnStop {
				t.log.Info("stopped without publishing")
				return nil
			}
			l.closeAtCurrent()
		}
		if err := l.publishReady(ctx); err != nil {
			return err
		}
		if l.allPublished() {
			break
		}
		if l.last().fullyRead(l.current) {
			break
		}
		if err := l.poll(ctx, pollTimeout); err != nil {
			return err
		}
		if err := l.maintain(ctx); err != nil {
			return err
		}
	}
	t.setStatus(StatusPublishing)
	t.publishSnapshot(l.current, l.last().end, l.seqs)
	if err := l.publishReady(ctx); err != nil {
		return err
	}
	l.waitHandoff(ctx)
	return nil
}

// serveRequests answers chat requests and checkpoint replies; while paused it blocks until
// resumed or stopped, asking again for an unanswered checkpoint when its back-off is over.
func (l *loop) serveRequests(ctx context.Context) error {
	if l.t.pauseRequested.Swap(false) {
		if !l.paused {
			l.paused = true
			l.t.setStatus(StatusPaused)
			l.t.publishSnapshot(l.current, l.last().end, l.seqs)
		}
		l.pausedByChat = true
	}
	for {
		var retry <-chan time.Time
		var timer *time.Timer
		if l.paused && l.ckpt.active && !l.ckpt.inFlight {
			timer = time.NewTimer(max(l.ckpt.retryAt.Sub(l.t.opts.Now()), 0))
			retry = timer.C
		}
		var r request
		got := false
		if l.paused {
			select {
			case r = <-l.t.reqs:
				got = true
			case a := <-l.answers:
				l.checkpointAnswered(a)
			case <-retry:
				l.askCheckpoint(ctx)
			case <-ctx.Done():
				if timer != nil {
					timer.Stop()
				}
				return ctx.Err()
			}
		} else {
			select {
			case r = <-l.t.reqs:
				got = true
			case a := <-l.answers:
				l.checkpointAnswered(a)
			default:
				return nil
			}
		}
		if timer != nil {
			timer.Stop()
		}
		if got {
			l.handle(r)
		}
		if !l.paused {
			return nil
		}
	}
}

func (l *loop) handle(r request) {
	t := l.t
	switch r.kind {
	case reqPause:
		if !l.paused {
			l.paused = true
			t.setStatus(StatusPaused)
		}
		l.pausedByChat = true
		r.reply <- reply{offsets: l.current.Clone()}
	case reqResume:
		l.pausedByChat, l.cut = false, false
		if l.paused {
			l.paused = false
			t.setStatus(StatusReading)
		}
		r.reply <- reply{}
	case reqStop:
		l.stop, l.publishOnStop = true, r.publish
		l.pausedByChat, l.cut = false, false
		if l.paused {
			l.paused = false
			t.setStatus(StatusReading)
		}
		r.reply <- reply{}
	case reqSetEndOffsets:
		offs, err := l.setEndOffsets(r.offsets, r.finish)
		r.reply <- reply{offsets: offs, err: err}
	case reqSnapshot:
		r.reply <- reply{snap: l.realtimeSnapshot()}
	}
}

// setEndOffsets applies POST /offsets/end (Druid's setEndOffsets): checkpoint or finish.
func (l *loop) setEndOffsets(offsets Offsets, finish bool) (Offsets, error) {
	last := l.last()
	if last.endSet && maps.Equal(last.end, offsets) {
		return offsets, nil // a duplicate request: already applied
	}
	if !l.paused {
		return nil, fmt.Errorf("%w: %w", ErrBadOffsets, ErrNotPaused)
	}
	if last.endSet {
		return nil, fmt.Errorf("%w: sequence %s already has end offsets", ErrBadOffsets, last.name)
	}
	for p, e := range offsets {
		if _, ok := last.start[p]; !ok {
			return nil, fmt.Errorf("%w: partition %s is not read by this task", ErrBadOffsets, p)
		}
		if e < l.current[p] {
			return nil, fmt.Errorf("%w: end offset %d of partition %s is before the current offset %d", ErrBadOffsets, e, p, l.current[p])
		}
		if e > l.t.spec.End[p] {
			return nil, fmt.Errorf("%w: end offset %d of partition %s is past the task's end %d", ErrBadOffsets, e, p, l.t.spec.End[p])
		}
	}
	end := last.end.Clone()
	for p := range last.start {
		e, ok := offsets[p]
		if !ok {
			e = l.current[p]
		}
		end[p] = e
	}
	taskEnd := l.t.spec.End
	prevEnd, prevSeqs := last.end, l.seqs
	last.end, last.endSet = end, true
	checkpoint := !finish && !maps.Equal(end, taskEnd)
	if checkpoint {
		next := newSequence(l.t.spec.Payload.IOConfig.BaseSequenceName, last.id+1, end, taskEnd, l.t.opts.Now())
		l.seqs = append(slices.Clip(l.seqs), next)
	}
	if err := saveSequences(l.t.opts.WorkDir, l.seqs); err != nil {
		// Nothing was recorded, so nothing is applied: the sequences stay as they were and a
		// retry of the same request is judged afresh, not as a duplicate.
		last.end, last.endSet, l.seqs = prevEnd, false, prevSeqs
		return nil, fmt.Errorf("save sequences: %w", err)
	}
	if checkpoint {
		l.t.log.Info("checkpoint", "closed", last.name, "end", end)
	} else {
		l.t.log.Info("end offsets set; task will publish", "sequence", last.name, "end", end)
	}
	l.checkpointDone()
	l.paused = false
	l.t.setStatus(StatusReading)
	l.reassign()
	l.t.publishSnapshot(l.current, l.last().end, l.seqs)
	return offsets, nil
}

// closeAtCurrent ends the open sequence where reading stands (stop with publish).
func (l *loop) closeAtCurrent() {
	last := l.last()
	if last.endSet {
		return
	}
	for p := range last.end {
		last.end[p] = l.current[p]
	}
	last.endSet = true
	if err := saveSequences(l.t.opts.WorkDir, l.seqs); err != nil {
		l.t.log.Warn("save sequences", "err", err)
	}
}

// reassign stops fetching partitions that reached the last sequence's end.
func (l *loop) reassign() {
	last := l.last()
	var done []druidapi.Partition
	for p, e := range last.end {
		if l.current[p] >= e {
			done = append(done, p)
		}
	}
	if len(done) > 0 {
		l.client.PauseFetchPartitions(l.t.spec.Topics(done))
	}
}

func (l *loop) allPublished() bool {
	for _, s := range l.seqs {
		if !s.published {
			return false
		}
	}
	return true
}

// poll fetches one batch and ingests it, or, after a checkpoint, the rest of the previous
// batch: ingestion stops at the record that filled the open sequence (l.cut) so that its
// segments hold at most maxRowsPerSegment rows.
func (l *loop) poll(ctx context.Context, timeout time.Duration) error {
	if l.cut {
		return nil // fetch nothing more until the checkpoint is handled (maintain asks for it)
	}
	if l.stall != nil && !l.waitStall(ctx, timeout) {
		return nil // the stalled record is not due yet; serve requests meanwhile
	}
	if len(l.backlog) == 0 {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		fetches := l.client.PollRecords(pctx, 20000)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var fatal error
		fetches.EachError(func(topic string, p int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || fatal != nil {
				return
			}
			if errors.Is(err, kerr.OffsetOutOfRange) {
				fatal = l.outOfRange(ctx, l.t.spec.PartitionOf(topic, p))
				return
			}
			l.t.log.Warn("fetch error; will retry", "topic", topic, "partition", p, "err", err)
		})
		if fatal != nil {
			return fatal
		}
		fetches.EachRecord(func(rec *kgo.Record) { l.backlog = append(l.backlog, rec) })
	}
	n := 0
	var err error
	if l.parseAhead() {
		n, err = l.ingestParallel()
	}
	for err == nil && n < len(l.backlog) && !l.cut {
		if err = l.ingest(l.backlog[n], nil, nil, nil); err == nil {
			l.stallCleared()
			n++
		}
	}
	clear(l.backlog[:n])
	if err != nil {
		if !isStall(err) {
			return err
		}
		// Keep the record (and everything after it) for the next attempt, parsed inline.
		l.stallOn(l.t.spec.PartitionOf(l.backlog[n].Topic, l.backlog[n].Partition), l.backlog[n].Offset, err)
	}
	if n == len(l.backlog) {
		l.backlog = l.backlog[:0] // keep the capacity for the next fetch
	} else {
		l.backlog = l.backlog[n:]
	}
	l.reassign()
	l.t.publishSnapshot(l.current, l.last().end, l.seqs)
	return nil
}

// parseAhead reports whether the backlog is parsed on the parse goroutines rather than inline.
// With numParseThreads set, it is whenever the backlog is worth a hand-over. Unset, it is only
// while the process runs fewer tasks than GOMAXPROCS: when every core already has a task's run
// loop, parse goroutines take no core of their own, and the hand-over (each row copied from the
// parse goroutine's buffers to the run loop's, ~0.5 s of CPU per 1M rows of 200 B) is pure cost;
// docs/performance.md, "Read path CPU", has the figures. It is decided per fetch, so a task
// speeds up when others finish.
func (l *loop) parseAhead() bool {
	if l.pool == nil || l.stall != nil || len(l.backlog) < minParallelRecords {
		return false
	}
	if l.t.spec.Tuning.NumParseThreads > 0 {
		return true
	}
	running := 1
	if f := l.t.opts.RunningTasks; f != nil {
		running = f()
	}
	return running < runtime.GOMAXPROCS(0)
}

// outOfRange handles a partition whose next offset Kafka no longer (or not yet) has. Offsets
// past the end mean the data is not written yet: keep waiting, as Druid does. Offsets before the
// earliest available mean data was deleted: the task fails, naming the reset API, because
// skipping ahead would silently lose rows.
func (l *loop) outOfRange(ctx context.Context, p druidapi.Partition) error {
	want := l.current[p]
	topic := p.TopicIn(l.t.spec.Stream())
	adm := kadm.NewClient(l.client)
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("offset %d of partition %d of topic %s is out of range and the earliest offset could not be read: %w", want, p.ID, topic, err)
	}
	if so, ok := starts.Lookup(topic, p.ID); ok && want < so.Offset {
		return fmt.Errorf("offset %d of partition %d of topic %s is no longer available (earliest is %d): rows were deleted before they were ingested; "+
			"reset the supervisor's offsets (POST /druid/indexer/v1/supervisor/{id}/reset or resetOffsets) or set tuningConfig.resetOffsetAutomatically",
			want, p.ID, topic, so.Offset)
	}
	// Ahead of the log end: wait and consume from the same offset again.
	l.client.SetOffsets(map[string]map[int32]kgo.EpochOffset{topic: {p.ID: {Epoch: -1, Offset: want}}})
	if _, seen := l.stalled[p]; !seen {
		l.t.log.Warn("offset is beyond the end of the partition; waiting for data", "partition", p, "offset", want)
		l.stalled[p] = l.t.opts.Now()
	}
	return nil
}

// maintain runs the periodic work between polls: stats, persists, checkpoints.
func (l *loop) maintain(ctx context.Context) error {
	now := l.t.opts.Now()
	if now.Sub(l.lastTick) >= time.Second {
		l.t.stats.tick(now)
		l.lastTick = now
		l.exportRows()
	}
	tc := &l.t.spec.Tuning
	persistEvery, _ := tc.IntermediatePersistPeriod.Duration()
	if l.builder.full() || (persistEvery > 0 && now.Sub(l.lastPersist) >= persistEvery && l.builder.inMemoryRows() > 0) {
		if err := l.builder.persistAll(); err != nil {
			return err
		}
		l.lastPersist = now
	}
	if l.needCheckpoint(now) && l.mayAskCheckpoint(now) {
		return l.checkpoint(ctx)
	}
	return nil
}

// exportRows hands the row counters' growth since the last export to the metrics.
func (l *loop) exportRows() {
	m := l.t.opts.Metrics
	if m == nil {
		return
	}
	cur := l.t.stats.Totals()
	d := l.exported
	m.AddRows(l.t.spec.DataSchema.DataSource, cur.Processed-d.Processed, cur.ProcessedBytes-d.ProcessedBytes,
		cur.ProcessedWithError-d.ProcessedWithError, cur.Unparseable-d.Unparseable, cur.ThrownAway-d.ThrownAway)
	l.exported = cur
	for reason, n := range l.thrownAway {
		m.AddThrownAway(l.t.spec.DataSchema.DataSource, reason, n)
	}
	clear(l.thrownAway)
}

// throwAway counts a thrown-away row, with its reason for the metrics.
func (l *loop) throwAway(reason string) {
	l.t.stats.add(func(c *RowCounters) { c.ThrownAway++ })
	if l.thrownAway == nil {
		l.thrownAway = map[string]int64{}
	}
	l.thrownAway[reason]++
}

// needCheckpoint reports whether the open sequence hit a segment limit: a segment with
// maxRowsPerSegment rows, maxTotalRows across unpublished sequences, or intermediateHandoffPeriod.
func (l *loop) needCheckpoint(now time.Time) bool {
	last := l.last()
	if last.endSet || l.stop {
		return false
	}
	tc := &l.t.spec.Tuning
	var total int64
	for _, s := range l.seqs {
		if !s.published {
			total += s.rows
		}
	}
	if total >= tc.EffectiveMaxTotalRows() {
		return true
	}
	for _, sk := range last.sinks {
		if sk.rows() >= tc.MaxRowsPerSegment {
			return true
		}
	}
	handoff, _ := tc.IntermediateHandoffPeriod.Duration()
	return last.rows > 0 && now.Sub(last.opened) >= handoff
}
