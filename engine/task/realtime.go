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
// Options.RealtimeRefresh (a persist forces a rewrite, so spills and snapshot never share rows). Rows
// therefore become queryable within about Options.RealtimeRefresh + pollTimeout of being read. While
// the loop cannot answer (it is merging and publishing, or waiting for handoff) the task serves
// its last answer. A segment that leaves the loop's answer was published: its last parts are
// still served for Options.RealtimeHandoffGrace (or until the task ends), so that there is no gap
// before the published segment is loaded; the query side prefers the loaded segment by id.
//
// Readers are reference-counted: the task holds a part while its answer refers to it, and every
// listing QuerySegments returns holds its parts until the caller releases it
// (RealtimeSegment.Release). The last holder closes the Reader. A Reader keeps its data file
// open, so the loop deleting a part's directory (publish, a newer snapshot) does not break a
// query still reading it; the file goes when that query lets go.

// RealtimeSegment is one segment a running task is building, as queries see it.
type RealtimeSegment struct {
	// ID is the allocated segment id: the id of the segment once published.
	ID         string
	DataSource string
	// Start and End are the segment interval in epoch milliseconds.
	Start, End int64
	// Readers are the segment's parts: spills, then the in-memory snapshot. Rows of one
	// segment may appear in several parts (rollup across parts is not applied). They stay
	// open until Release.
	Readers []*segment.Reader

	parts   []*rtReader // Readers with their reference counts
	release func()      // set on the copies QuerySegments returns
}

// Release lets go of the segment's parts for the listing that returned it: a part the task
// no longer serves is closed once every listing holding it is released. Call it when done
// reading; calling it again does nothing.
func (s RealtimeSegment) Release() {
	if s.release != nil {
		s.release()
	}
}

// rtReader is an open part and the number of its holders (guarded by realtime.mu): the task
// while the part is in rt.readers, plus one per listing returned and not released yet.
type rtReader struct {
	r    *segment.Reader
	refs int
}

// unrefLocked drops one holder and closes the reader after the last. Callers hold rt.mu.
func (p *rtReader) unrefLocked() {
	if p.refs--; p.refs == 0 {
		_ = p.r.Close()
	}
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
	readers map[string]*rtReader   // open parts by directory, each holding one reference
	last    []RealtimeSegment      // built from the last loop answer
	gone    map[string]goneSegment // left the loop's answer (published), by id

	// released is set by Task.release: a flight that lands afterwards opens and keeps
	// nothing, since nobody would let go of it.
	released bool
}

type goneSegment struct {
	seg   RealtimeSegment
	since time.Time
}

type rtFlight struct {
	done    chan struct{}
	waiters int // callers sharing the flight besides the one making it (guarded by rt.mu)
	segs    []RealtimeSegment
}

// realtimeSnapshot answers reqSnapshot in the run loop.
func (l *loop) realtimeSnapshot() []rtSink {
	b := l.builder
	if b == nil {
		return nil
	}
	// Spills listed by the sinks are complete only once the background persists are done.
	if err := b.persists.wait(); err != nil {
		l.t.log.Warn("realtime snapshot: a persist failed", "err", err)
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
	_, err := ix.WriteSegment(dir, meta, spec)
	return err
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
		f.waiters++
		rt.mu.Unlock()
		select {
		case <-f.done:
			return rt.held(f.segs), nil
		case <-ctx.Done():
			rt.mu.Lock()
			if rt.flight == f {
				f.waiters-- // not counted when the flight lands
				rt.mu.Unlock()
			} else {
				rt.mu.Unlock()
				<-f.done // landed, holding our share: give it back
				for _, s := range rt.held(f.segs) {
					s.Release()
				}
			}
			return nil, ctx.Err()
		}
	}
	f := &rtFlight{done: make(chan struct{})}
	rt.flight = f
	rt.mu.Unlock()
	segs, fresh, ended := t.querySegments(context.WithoutCancel(ctx))
	rt.mu.Lock()
	rt.flight = nil
	if !ended {
		// Installed and taken for every caller of the flight under one lock, so no part can
		// be closed between the answer and the callers holding it.
		f.segs = rt.answerLocked(t.opts.Now(), t.opts.RealtimeHandoffGrace, segs, fresh, 1+f.waiters)
	}
	rt.mu.Unlock()
	close(f.done)
	return rt.held(f.segs), nil
}

// querySegments asks the loop for its parts and opens them; fresh is false when the last
// answer is to be served instead, and ended when the task has finished.
func (t *Task) querySegments(ctx context.Context) (segs []RealtimeSegment, fresh, ended bool) {
	rt := &t.rt
	if t.Status() == StatusPublishing {
		// The loop has stopped reading and answers no more requests: serve the last answer.
		return nil, false, false
	}
	for attempt := 0; ; attempt++ {
		snap, err := t.loopSnapshot(ctx)
		if errors.Is(err, ErrBadState) {
			return nil, false, true
		}
		if err != nil {
			// The loop is busy (building, publishing, waiting for handoff): serve the last answer.
			return nil, false, false
		}
		segs, err := rt.open(t.spec.DataSchema.DataSource, snap)
		if err == nil {
			return segs, true, false
		}
		// A part was removed between the answer and the open (its sequence was published,
		// or a newer snapshot replaced it): ask again.
		if attempt == 2 {
			t.log.Debug("realtime snapshot changed while opening; serving the last one", "err", err)
			return nil, false, false
		}
	}
}

// held returns one caller's copy of segs, whose parts answerLocked has already taken for it,
// each segment with its own Release.
func (rt *realtime) held(segs []RealtimeSegment) []RealtimeSegment {
	if segs == nil {
		return nil
	}
	out := make([]RealtimeSegment, len(segs))
	for i, s := range segs {
		var once sync.Once
		parts := s.parts
		s.release = func() {
			once.Do(func() {
				rt.mu.Lock()
				defer rt.mu.Unlock()
				for _, p := range parts {
					p.unrefLocked()
				}
			})
		}
		out[i] = s
	}
	return out
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

// open opens (or reuses) a reader for every part of the loop's answer. A new reader enters
// rt.readers with the task's reference; answerLocked drops it once no answer refers to it.
// Only the caller making the flight opens, so nobody else adds readers meanwhile.
func (rt *realtime) open(ds string, snap []rtSink) ([]RealtimeSegment, error) {
	var segs []RealtimeSegment
	for _, s := range snap {
		seg := RealtimeSegment{ID: s.id, DataSource: ds, Start: s.start, End: s.end}
		for _, d := range s.dirs {
			rt.mu.Lock()
			p := rt.readers[d]
			rt.mu.Unlock()
			if p == nil {
				r, err := segment.Open(d)
				if err != nil {
					return nil, err
				}
				p = &rtReader{r: r, refs: 1}
				rt.mu.Lock()
				if rt.released {
					rt.mu.Unlock()
					_ = r.Close()
					return nil, fmt.Errorf("%w: the task has finished", ErrBadState)
				}
				if rt.readers == nil {
					rt.readers = map[string]*rtReader{}
				}
				rt.readers[d] = p
				rt.mu.Unlock()
			}
			seg.Readers = append(seg.Readers, p.r)
			seg.parts = append(seg.parts, p)
		}
		segs = append(segs, seg)
	}
	return segs, nil
}

// answerLocked installs segs as the last answer (when fresh) and returns it with the
// published segments still in their grace period, every part taken holders times. Callers
// hold rt.mu.
func (rt *realtime) answerLocked(now time.Time, grace time.Duration, segs []RealtimeSegment, fresh bool, holders int) []RealtimeSegment {
	if rt.released {
		return nil // the task finished while the flight was out
	}
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
	keep := map[string]*rtReader{}
	for id, g := range rt.gone {
		if now.Sub(g.since) > grace {
			delete(rt.gone, id)
			continue
		}
		out = append(out, g.seg)
	}
	for _, s := range out {
		for _, p := range s.parts {
			p.refs += holders
		}
	}
	if fresh {
		// Let go of readers no answer refers to any more (queries holding them keep them open).
		for _, s := range out {
			for _, p := range s.parts {
				keep[p.r.Dir()] = p
			}
		}
		for d, p := range rt.readers {
			if keep[d] != p {
				p.unrefLocked()
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

// release drops the realtime query state of a finished task and the task's references to its
// readers: each closes now, or when the last query holding it releases it.
func (t *Task) release() {
	rt := &t.rt
	rt.mu.Lock()
	for _, p := range rt.readers {
		p.unrefLocked()
	}
	rt.readers, rt.last, rt.gone, rt.released = nil, nil, nil, true
	rt.mu.Unlock()
	rt.memDirs = nil // the loop has returned; nobody else touches these
}
