package query

import (
	"context"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// RealtimeSegment is one segment a running indexing task is building (Druid's Peon-served
// segment): the id allocated for it, which the published segment will have, and its parts
// (persisted spills and a snapshot of the in-memory rows). Rows of the segment may be spread
// over several parts; queries aggregate across them.
type RealtimeSegment struct {
	ID         string
	DataSource string
	Interval   Interval
	Parts      []ColumnReader
	// Release, when not nil, tells the task that the parts are no longer read through this
	// listing, so it can close those it stopped serving. Realtime calls it once, after the
	// last query reading the listing is done.
	Release func()
}

// RealtimeTasks lists the segments of the running tasks. Replicas of one task group return
// segments with the same ids; the Realtime source keeps one of each.
type RealtimeTasks interface {
	RealtimeSegments(ctx context.Context) ([]RealtimeSegment, error)
}

// RealtimeFunc adapts a function to RealtimeTasks.
type RealtimeFunc func(ctx context.Context) ([]RealtimeSegment, error)

// RealtimeSegments implements RealtimeTasks.
func (f RealtimeFunc) RealtimeSegments(ctx context.Context) ([]RealtimeSegment, error) {
	return f(ctx)
}

// RealtimeOptions configures a Realtime source.
type RealtimeOptions struct {
	// MaxAge is how long one listing of the tasks' segments is reused (a query asks for the
	// datasources, then the segments). Zero means 100ms; negative means no reuse.
	MaxAge time.Duration
	// Timeout bounds one listing. Zero means 5s.
	Timeout time.Duration
	// Logger receives listing failures. Nil means slog.Default().
	Logger *slog.Logger
	// Context is the owner's (the daemon's root): a listing is shared by the queries that
	// wait for it, so it runs under the owner, not under one query, and ends when the owner
	// stops. Nil means listings are bounded by Timeout alone (tests).
	Context context.Context
}

// Realtime is the Source of rows still inside running indexing tasks (Druid's Broker querying
// Peons). Register it with Engine.AddSource after the Loader.
//
// Handoff: a realtime segment's id is the id its published segment gets. The Engine skips a
// segment id that an earlier Source returned, and the Loader is added first, so while both
// the task and the Loader hold a segment the loaded copy is read and the realtime one ignored:
// rows are counted once. (Deciding in the Engine, from what the Loader actually returned for
// the query, has no race with the Loader loading the segment between the two calls.) A
// realtime segment the Loader has loaded is also clipped to where the Loader's timeline shows
// it, so one fully overshadowed by a higher version (which the Loader does not return) stays
// hidden. Realtime segments the Loader has not loaded are not overshadowed by anything.
//
// Replicas return the same ids; Realtime keeps one copy of each, the one with the most rows
// (the freshest).
type Realtime struct {
	tasks  RealtimeTasks
	loader *Loader
	opts   RealtimeOptions

	listMu sync.Mutex // serialises listings

	mu   sync.Mutex
	view *realtimeView // nil once its MaxAge is over
	at   time.Time
	cols map[ColumnReader]*Columns // decoded columns of parts, reused across listings
}

// realtimeView is one listing: the parts of each datasource, ordered by interval start then
// segment id.
type realtimeView struct {
	byDS map[string][]*realtimePart
	segs []RealtimeSegment // as listed, replicas included: each is released

	// holders counts who reads the listing: the Realtime while it reuses it (until MaxAge
	// or a newer listing), and every query between Segments and the Engine's release. The
	// last one releases the listed segments, so tasks can close the parts behind them.
	holders atomic.Int64
	// dropOwn gives up the Realtime's hold, once: the expiry timer and a newer listing
	// race to do it.
	dropOwn sync.Once
	expiry  *time.Timer // set before the view is published in Realtime.view
}

func (v *realtimeView) unhold() {
	if v.holders.Add(-1) == 0 {
		for _, s := range v.segs {
			if s.Release != nil {
				s.Release()
			}
		}
	}
}

// realtimePart is one part of a realtime segment, as a Queryable.
type realtimePart struct {
	id   string
	iv   Interval
	cols *Columns
}

func (p *realtimePart) ID() string         { return p.id }
func (p *realtimePart) Interval() Interval { return p.iv }
func (p *realtimePart) Columns() *Columns  { return p.cols }

var _ Source = (*Realtime)(nil)

// NewRealtime returns the realtime source over tasks. loader, when not nil, is the Loader whose
// segments take precedence over realtime segments of the same id.
func NewRealtime(tasks RealtimeTasks, loader *Loader, opts RealtimeOptions) *Realtime {
	if opts.MaxAge == 0 {
		opts.MaxAge = 100 * time.Millisecond
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	return &Realtime{tasks: tasks, loader: loader, opts: opts, cols: map[ColumnReader]*Columns{}}
}

// current returns a listing no older than MaxAge, held for the caller (unhold it when done).
func (r *Realtime) current() *realtimeView {
	if v := r.fresh(); v != nil {
		return v
	}
	r.listMu.Lock()
	defer r.listMu.Unlock()
	if v := r.fresh(); v != nil {
		return v // listed by another caller meanwhile
	}
	ctx, cancel := context.WithTimeout(r.opts.Context, r.opts.Timeout)
	defer cancel()
	segs, err := r.tasks.RealtimeSegments(ctx)
	if err != nil {
		r.opts.Logger.Warn("list realtime segments", "err", err) // serve what was listed
	}
	v := r.build(segs)
	v.holders.Store(1) // the caller's
	if r.opts.MaxAge <= 0 {
		return v // not reused: the caller is the only holder
	}
	// The Realtime's own hold, for reuse, ends after MaxAge, so parts a task stopped serving
	// close soon after the last query reading them, not at the next query.
	v.holders.Add(1)
	v.expiry = time.AfterFunc(r.opts.MaxAge, func() { r.expire(v) })
	r.mu.Lock()
	old := r.view
	r.view, r.at = v, time.Now()
	r.mu.Unlock()
	if old != nil {
		old.expiry.Stop() // old was read under mu, after its timer was set
		r.expire(old)
	}
	return v
}

// expire ends the Realtime's hold on v (its timer, or a newer listing).
func (r *Realtime) expire(v *realtimeView) {
	v.dropOwn.Do(func() {
		r.mu.Lock()
		if r.view == v {
			r.view = nil
		}
		r.mu.Unlock()
		v.unhold()
	})
}

// fresh returns the current listing, held for the caller, while it is younger than MaxAge.
func (r *Realtime) fresh() *realtimeView {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.view != nil && r.opts.MaxAge > 0 && time.Since(r.at) < r.opts.MaxAge {
		// The Realtime holds r.view until it clears it under mu, so holders is not zero here.
		r.view.holders.Add(1)
		return r.view
	}
	return nil
}

// build deduplicates replicas and wraps the parts, reusing decoded columns.
func (r *Realtime) build(segs []RealtimeSegment) *realtimeView {
	best := map[string]int{} // id → index in segs
	rows := func(s RealtimeSegment) int {
		n := 0
		for _, p := range s.Parts {
			n += p.NumRows()
		}
		return n
	}
	for i, s := range segs {
		if j, ok := best[s.ID]; !ok || rows(s) > rows(segs[j]) {
			best[s.ID] = i
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cols := make(map[ColumnReader]*Columns, len(r.cols))
	v := &realtimeView{byDS: map[string][]*realtimePart{}, segs: segs}
	for _, i := range best {
		s := segs[i]
		for _, p := range s.Parts {
			c := r.cols[p]
			if c == nil {
				c = NewColumns(p)
			}
			cols[p] = c
			v.byDS[s.DataSource] = append(v.byDS[s.DataSource], &realtimePart{id: s.ID, iv: s.Interval, cols: c})
		}
	}
	r.cols = cols
	for _, parts := range v.byDS {
		sort.SliceStable(parts, func(i, j int) bool {
			if parts[i].iv.Start != parts[j].iv.Start {
				return parts[i].iv.Start < parts[j].iv.Start
			}
			return parts[i].id < parts[j].id
		})
	}
	return v
}

// loadedVisible returns, for every segment of dataSource the Loader has loaded, where its
// timeline shows it (empty when fully overshadowed by a higher version).
func (r *Realtime) loadedVisible(dataSource string) map[string][]Interval {
	if r.loader == nil {
		return nil
	}
	tl := r.loader.view.Load().timelines[dataSource]
	if tl == nil {
		return nil
	}
	out := make(map[string][]Interval, len(tl.entries))
	for _, e := range tl.entries {
		out[e.seg.ID()] = e.visible
	}
	return out
}

// DataSources lists the datasources running tasks hold rows for, sorted.
func (r *Realtime) DataSources() []string {
	v := r.current()
	defer v.unhold()
	out := make([]string, 0, len(v.byDS))
	for ds := range v.byDS {
		out = append(out, ds)
	}
	slices.Sort(out)
	return out
}

// Segments implements Source: every part of every realtime segment of dataSource, clipped to
// the intervals and, for a segment the Loader has loaded, to where the Loader's timeline shows
// it (so that a published segment overshadowed by a higher version is not resurrected).
func (r *Realtime) Segments(_ context.Context, dataSource string, intervals []Interval) ([]SegmentRef, error) {
	var out []SegmentRef
	v := r.current()
	defer v.unhold() // after the refs below took their own holds
	parts := v.byDS[dataSource]
	if len(parts) == 0 {
		return nil, nil
	}
	loaded := r.loadedVisible(dataSource)
	for _, p := range parts {
		visible := []Interval{p.iv}
		if v, ok := loaded[p.id]; ok {
			visible = v // the Engine skips this id anyway unless the Loader hides it here
		}
		var clipped []Interval
		for _, v := range visible {
			for _, q := range intervals {
				if c, ok := v.intersect(q); ok {
					clipped = append(clipped, c)
				}
			}
		}
		if len(clipped) > 0 {
			v.holders.Add(1)
			out = append(out, SegmentRef{Segment: p, Intervals: normalize(clipped), release: v.unhold})
		}
	}
	return out, nil
}
