package task

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/index"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// Realtime queries (Druid's Peon serving the segments it is building).
//
// A running task answers QuerySegments with, for every segment of its unpublished sequences,
// the segment id allocated for it (the id the published segment will have, identical on every
// replica of the task group), its interval and open readers over its parts: the spills
// persisted so far (immutable segment directories) and a snapshot of the in-memory index
// written as a small segment under <workDir>/realtime.
//
// Freshness: the run loop answers between two polls (within ioConfig.pollTimeout), and rewrites
// the in-memory snapshot only when something was read since the last one and at most once per
// RealtimeRefresh (a persist forces a rewrite, so spills and snapshot never share rows). Rows
// therefore become queryable within about RealtimeRefresh + pollTimeout of being read. While
// the loop cannot answer (it is merging and publishing, or waiting for handoff) the task serves
// its last answer. A segment that leaves the loop's answer was published: its last parts are
// still served for RealtimeHandoffGrace (or until the task ends), so that there is no gap
// before the published segment is loaded; the query side prefers the loaded segment by id.
//
// Readers are never closed by the task: a query may still read one that was replaced. A
// Reader keeps its data file open, so deleting the directory (publish, a new snapshot) does
// not break it; the file is closed when the Reader is garbage collected.

// RealtimeSegment is one segment a running task is building, as queries see it.
type RealtimeSegment struct {
	// ID is the allocated segment id: the id of the segment once published.
	ID         string
	DataSource string
	// Start and End are the segment interval in epoch milliseconds.
	Start, End int64
	// Readers are the segment's parts: spills, then the in-memory snapshot. Rows of one
	// segment may appear in several parts (rollup across parts is not applied).
	Readers []*segment.Reader
}

// rtSink is the loop's answer for one sink: its identity and part directories.
type rtSink struct {
	id         string
	start, end int64
	dirs       []string
}

// realtime is the task's realtime query state.
type realtime struct {
	// Owned by the run loop.
	memDirs    map[*sink]string // in-memory snapshot directory per sink
	memBuilt   time.Time
	memOffsets Offsets // l.current when the snapshots were written
	memSpills  int     // builder.spills when the snapshots were written
	memN       int
	memClean   bool // leftovers of an earlier run removed

	// mu guards the rest, shared by QuerySegments callers.
	mu      sync.Mutex
	flight  *rtFlight
	readers map[string]*segment.Reader // open parts by directory
	last    []RealtimeSegment          // built from the last loop answer
	gone    map[string]goneSegment     // left the loop's answer (published), by id
}

type goneSegment struct {
	seg   RealtimeSegment
	since time.Time
}

type rtFlight struct {
	done chan struct{}
	segs []RealtimeSegment
	err  error
}

// realtimeSnapshot answers reqSnapshot in the run loop.
func (l *loop) realtimeSnapshot() []rtSink {
	b := l.builder
	if b == nil {
		return nil
	}
	rt := &l.t.rt
	now := l.t.opts.Now()
	persisted := rt.memSpills != b.spills
	changed := persisted || !maps.Equal(rt.memOffsets, l.current)
	if changed && (persisted || rt.memDirs == nil || now.Sub(rt.memBuilt) >= l.t.opts.RealtimeRefresh) {
		l.writeMemSnapshots(now)
	}
	var out []rtSink
	b.each(func(_ *sequence, sk *sink) {
		s := rtSink{id: sk.id.String(), start: sk.id.Start.UnixMilli(), end: sk.id.End.UnixMilli()}
		for _, sp := range sk.spills {
			s.dirs = append(s.dirs, sp.Dir)
		}
		if d, ok := rt.memDirs[sk]; ok {
			s.dirs = append(s.dirs, d)
		}
		if len(s.dirs) > 0 {
			out = append(out, s)
		}
	})
	return out
}

// writeMemSnapshots writes every sink's in-memory rows as a segment, leaving the index as it
// is, and removes the previous snapshots.
func (l *loop) writeMemSnapshots(now time.Time) {
	rt := &l.t.rt
	b := l.builder
	root := filepath.Join(b.dir, "realtime")
	if !rt.memClean {
		_ = os.RemoveAll(root)
		rt.memClean = true
	}
	old := rt.memDirs
	rt.memDirs = map[*sink]string{}
	rt.memBuilt, rt.memOffsets, rt.memSpills = now, l.current.Clone(), b.spills
	b.each(func(_ *sequence, sk *sink) {
		if sk.idx.Rows() == 0 {
			return
		}
		rt.memN++
		dir := filepath.Join(root, strconv.Itoa(rt.memN))
		meta := sk.idx.Metadata(sk.interval(), sk.id.Version, sk.id.Partition)
		meta.DataSource = l.t.spec.DataSchema.DataSource
		if err := writeIndex(dir, sk.idx, meta, b.persistSpec); err != nil {
			l.t.log.Warn("realtime snapshot of in-memory rows failed", "segment", sk.id, "err", err)
			rt.memOffsets = nil // try again on the next request
			return
		}
		rt.memDirs[sk] = dir
	})
	for _, d := range old {
		_ = os.RemoveAll(d)
	}
}

// writeIndex writes the index's rows as a segment at dir without resetting it (Persist does).
func writeIndex(dir string, ix *index.Index, meta segment.Metadata, spec segment.IndexSpec) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	meta.Dimensions, meta.Metrics = ix.Dimensions(), ix.Metrics()
	w, err := segment.NewWriter(dir, meta, spec)
	if err != nil {
		return err
	}
	it := ix.Iter()
	for it.Next() {
		if err := w.Add(it.Row()); err != nil {
			return errors.Join(err, w.Abort())
		}
	}
	return w.Finish()
}

// QuerySegments returns the segments the task is building, for realtime queries (see
// RealtimeSegment). A finished task returns none. Concurrent calls share one round trip to the
// run loop.
func (t *Task) QuerySegments(ctx context.Context) ([]RealtimeSegment, error) {
	select {
	case <-t.done:
		return nil, nil
	default:
	}
	rt := &t.rt
	rt.mu.Lock()
	if f := rt.flight; f != nil {
		rt.mu.Unlock()
		select {
		case <-f.done:
			return f.segs, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &rtFlight{done: make(chan struct{})}
	rt.flight = f
	rt.mu.Unlock()
	f.segs, f.err = t.querySegments(context.WithoutCancel(ctx))
	rt.mu.Lock()
	rt.flight = nil
	rt.mu.Unlock()
	close(f.done)
	return f.segs, f.err
}

func (t *Task) querySegments(ctx context.Context) ([]RealtimeSegment, error) {
	rt := &t.rt
	if t.Status() == StatusPublishing {
		// The loop has stopped reading and answers no more requests: serve the last answer.
		return rt.answer(t.opts.Now(), t.opts.RealtimeHandoffGrace, nil, false), nil
	}
	for attempt := 0; ; attempt++ {
		snap, err := t.loopSnapshot(ctx)
		if errors.Is(err, ErrBadState) {
			return nil, nil // the task ended
		}
		if err != nil {
			// The loop is busy (building, publishing, waiting for handoff): serve the last answer.
			return rt.answer(t.opts.Now(), t.opts.RealtimeHandoffGrace, nil, false), nil
		}
		segs, err := rt.open(t.spec.DataSchema.DataSource, snap)
		if err == nil {
			return rt.answer(t.opts.Now(), t.opts.RealtimeHandoffGrace, segs, true), nil
		}
		// A part was removed between the answer and the open (its sequence was published,
		// or a newer snapshot replaced it): ask again.
		if attempt == 2 {
			t.log.Debug("realtime snapshot changed while opening; serving the last one", "err", err)
			return rt.answer(t.opts.Now(), t.opts.RealtimeHandoffGrace, nil, false), nil
		}
	}
}

// loopSnapshot asks the run loop for its sinks, waiting at most Options.RealtimeWait.
func (t *Task) loopSnapshot(ctx context.Context) ([]rtSink, error) {
	ctx, cancel := context.WithTimeout(ctx, t.opts.RealtimeWait)
	defer cancel()
	r := request{kind: reqSnapshot, reply: make(chan reply, 1)}
	select {
	case t.reqs <- r:
	case <-t.done:
		return nil, fmt.Errorf("%w: task %s is no longer running", ErrBadState, t.id)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case rep := <-r.reply:
		return rep.snap, nil
	case <-t.done:
		return nil, fmt.Errorf("%w: task %s stopped", ErrBadState, t.id)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// open opens (or reuses) a reader for every part of the loop's answer.
func (rt *realtime) open(ds string, snap []rtSink) ([]RealtimeSegment, error) {
	rt.mu.Lock()
	cached := rt.readers
	rt.mu.Unlock()
	var segs []RealtimeSegment
	for _, s := range snap {
		seg := RealtimeSegment{ID: s.id, DataSource: ds, Start: s.start, End: s.end}
		for _, d := range s.dirs {
			r := cached[d]
			if r == nil {
				var err error
				if r, err = segment.Open(d); err != nil {
					return nil, err
				}
				rt.mu.Lock()
				if rt.readers == nil {
					rt.readers = map[string]*segment.Reader{}
				}
				rt.readers[d] = r
				cached = rt.readers
				rt.mu.Unlock()
			}
			seg.Readers = append(seg.Readers, r)
		}
		segs = append(segs, seg)
	}
	return segs, nil
}

// answer installs segs as the last answer (when fresh) and returns it with the published
// segments still in their grace period.
func (rt *realtime) answer(now time.Time, grace time.Duration, segs []RealtimeSegment, fresh bool) []RealtimeSegment {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if fresh {
		ids := make(map[string]bool, len(segs))
		for _, s := range segs {
			ids[s.ID] = true
		}
		if rt.gone == nil {
			rt.gone = map[string]goneSegment{}
		}
		for _, s := range rt.last {
			if !ids[s.ID] {
				rt.gone[s.ID] = goneSegment{seg: s, since: now}
			}
		}
		rt.last = segs
	}
	out := make([]RealtimeSegment, 0, len(rt.last)+len(rt.gone))
	out = append(out, rt.last...)
	keep := map[string]*segment.Reader{}
	for id, g := range rt.gone {
		if now.Sub(g.since) > grace {
			delete(rt.gone, id)
			continue
		}
		out = append(out, g.seg)
	}
	if fresh {
		// Forget readers no answer refers to any more (queries holding them keep them usable).
		for _, s := range out {
			for _, r := range s.Readers {
				keep[r.Dir()] = r
			}
		}
		rt.readers = keep
	}
	return out
}

// QuerySegments returns the realtime segments of every task running in this runner (see
// Task.QuerySegments), asking the tasks concurrently. Replicas of one task group return
// segments with the same ids; callers keep one of each.
func (r *Runner) QuerySegments(ctx context.Context) ([]RealtimeSegment, error) {
	r.mu.Lock()
	var tasks []*Task
	for _, e := range r.tasks {
		if e.runner == RunnerRunning && e.result == nil {
			tasks = append(tasks, e.task)
		}
	}
	r.mu.Unlock()
	res := make([][]RealtimeSegment, len(tasks))
	errs := make([]error, len(tasks))
	var wg sync.WaitGroup
	for i, tk := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = tk.QuerySegments(ctx)
		}()
	}
	wg.Wait()
	var out []RealtimeSegment
	for _, segs := range res {
		out = append(out, segs...)
	}
	return out, errors.Join(errs...)
}

// release drops the realtime query state of a finished task. Readers are not closed: a query
// that started before the task finished may still read them, and the garbage collector closes
// their files once it is done.
func (t *Task) release() {
	rt := &t.rt
	rt.mu.Lock()
	rt.readers, rt.last, rt.gone = nil, nil, nil
	rt.mu.Unlock()
	rt.memDirs = nil // the loop has returned; nobody else touches these
}
