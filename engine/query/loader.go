package query

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
)

// LoaderOptions configures a Loader.
type LoaderOptions struct {
	// Poll is how often Run polls the metadata store for used segments
	// (Druid's druid.coordinator.period plus the load queue). Zero or
	// negative means one second.
	Poll time.Duration
	// Logger receives load and drop failures. Nil means slog.Default().
	Logger *slog.Logger
	// CacheBytes bounds the bytes of segments kept in the cache directory
	// (--segment-cache-bytes; Druid's druid.segmentCache.locations maxSize).
	// Past it, the least recently queried segments that no query holds are
	// evicted from disk; they stay in the timeline and are pulled again from
	// deep storage by the next query that needs them. Zero or negative means
	// no bound: every used segment stays on disk and open.
	CacheBytes int64
}

// DefaultLoaderOptions returns the defaults: poll every second.
func DefaultLoaderOptions() LoaderOptions { return LoaderOptions{Poll: time.Second} }

func (o *LoaderOptions) validate() {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Loader is Druid's Historical segment loading: it pulls every used segment
// of every datasource from deep storage into a local cache directory, keeps
// it open, and serves them as a Source through a per-datasource timeline.
// With LoaderOptions.CacheBytes the cache is bounded: segments are still
// pulled once when they are published (that is the handoff), but the least
// recently used ones no query holds are evicted and pulled again on demand.
type Loader struct {
	store    metadata.Store
	deep     storage.Deep
	cacheDir string
	opts     LoaderOptions

	// syncMu serialises sync rounds; it guards segs and swept.
	syncMu sync.Mutex
	segs   map[string]*loadedSegment // by segment id
	swept  bool                      // the cache has been cleaned since start

	// view is the immutable state queries read, swapped after each round.
	view atomic.Pointer[loaderView]

	// changedMu guards changed, closed and replaced after every round so
	// WaitLoaded can wait for the next one.
	changedMu sync.Mutex
	changed   chan struct{}

	nudge  chan struct{}
	closed atomic.Bool
	stop   chan struct{}

	// cacheBytes is the size of the segments on disk; clock orders uses for LRU eviction.
	cacheBytes atomic.Int64
	clock      atomic.Int64
	// evictMu serialises eviction passes.
	evictMu sync.Mutex
}

// loaderView is what queries see: the timelines, the loaded ids and every
// segment in them.
type loaderView struct {
	timelines map[string]*timeline
	loaded    map[string]bool
	segs      []*loadedSegment
}

// loadedSegment is a used segment the loader serves: open in the cache, or
// evicted from it (r nil) and pulled again when a query needs it.
type loadedSegment struct {
	id        string
	dir       string
	iv        Interval
	version   string
	partition int
	ds        string
	spec      druidapi.LoadSpec // where to pull it from again after an eviction

	// Queries hold the segment from Segments until they are done with it, so dropping or
	// evicting it cannot close its file or delete its directory under them (TSDB's Block with
	// its pendingReaders). mu guards the fields below; once closing is set no query may take
	// the segment (acquire fails), and close waits for the holders before closing the reader.
	// Eviction takes only segments with no holders.
	mu             sync.Mutex
	closing        bool
	holders        int
	r              *segment.Reader // nil while evicted
	cols           *Columns
	bytes          int64 // on disk, while open
	lastUsed       int64 // Loader.clock at the last acquire
	pendingReaders sync.WaitGroup
}

// acquire takes the segment for a query, pulling it back into the cache first if it was
// evicted; false once the segment is being closed.
func (l *Loader) acquire(ctx context.Context, s *loadedSegment) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false, nil
	}
	if s.r == nil {
		if err := l.fetch(ctx, s); err != nil {
			return false, err
		}
	}
	s.holders++
	s.lastUsed = l.clock.Add(1)
	s.pendingReaders.Add(1)
	return true, nil
}

// release ends one acquire.
func (s *loadedSegment) release() {
	s.mu.Lock()
	s.holders--
	s.mu.Unlock()
	s.pendingReaders.Done()
}

// close waits until no query holds the segment, then closes its reader and, with remove,
// deletes its directory. Callers publish a view without the segment first, so the queries that
// find it closing look again and see that view.
func (l *Loader) close(s *loadedSegment, remove bool) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.pendingReaders.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil { // evicted: nothing open, nothing on disk
		return nil
	}
	err := s.r.Close()
	if remove {
		err = errors.Join(err, segment.Remove(s.dir))
	}
	l.cacheBytes.Add(-s.bytes)
	s.r, s.cols, s.bytes = nil, nil, 0
	return err
}

func (s *loadedSegment) ID() string         { return s.id }
func (s *loadedSegment) Interval() Interval { return s.iv }

// Columns is only called between acquire and release, while the segment is open.
func (s *loadedSegment) Columns() *Columns {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cols
}

var _ Source = (*Loader)(nil)

// NewLoader returns a Loader caching segments under cacheDir. It starts
// nothing: call Run for background polling, or Sync.
func NewLoader(store metadata.Store, deep storage.Deep, cacheDir string, opts LoaderOptions) *Loader {
	opts.validate()
	l := &Loader{store: store, deep: deep, cacheDir: cacheDir, opts: opts, segs: map[string]*loadedSegment{},
		changed: make(chan struct{}), nudge: make(chan struct{}, 1), stop: make(chan struct{})}
	l.view.Store(&loaderView{timelines: map[string]*timeline{}, loaded: map[string]bool{}})
	return l
}

// Run syncs every Poll, or at once when WaitLoaded asks, until ctx is done or
// Close is called. Failed rounds are logged and retried on the next poll.
func (l *Loader) Run(ctx context.Context) error {
	t := time.NewTicker(l.opts.Poll)
	defer t.Stop()
	for {
		err := l.Sync(ctx)
		if errors.Is(err, ErrLoaderClosed) {
			return nil
		}
		if err != nil && ctx.Err() == nil {
			l.opts.Logger.Warn("segment loader sync failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-l.stop:
			return nil
		case <-t.C:
		case <-l.nudge:
		}
	}
}

// Close stops Run and closes every loaded segment, waiting for the queries
// still reading them; the segments stay in the cache directory for the next
// start. It is safe to call more than once.
func (l *Loader) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	close(l.stop)
	// After the round in progress, if any; Sync refuses to start another.
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	open := l.segs
	l.segs = map[string]*loadedSegment{}
	l.publish()
	var errs []error
	for _, s := range open {
		errs = append(errs, l.close(s, false))
	}
	return errors.Join(errs...)
}

// ErrLoaderClosed is returned by Sync after Close.
var ErrLoaderClosed = errors.New("segment loader is closed")

// Sync does one round: it loads every used segment that is not loaded yet
// and drops every loaded segment that is no longer used. Segments that fail
// to load are skipped (and logged) and retried next round; the error joins
// their failures.
func (l *Loader) Sync(ctx context.Context) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if l.closed.Load() {
		return ErrLoaderClosed // nothing may be opened that Close would not close
	}
	dss, err := l.store.DataSources(ctx)
	if err != nil {
		return fmt.Errorf("list datasources: %w", err)
	}
	used := map[string]metadata.Segment{}
	for _, ds := range dss {
		segs, err := l.store.Segments(ctx, ds, true)
		if err != nil {
			return fmt.Errorf("list segments of %s: %w", ds, err)
		}
		for _, s := range segs {
			used[s.ID] = s
		}
	}
	var errs []error
	// In id order, which is time order within a datasource: with a bounded cache the newest
	// segments are loaded last, so they are the most recently used and stay.
	for _, id := range slices.Sorted(maps.Keys(used)) {
		s := used[id]
		if l.segs[id] != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		ls, err := l.load(ctx, s)
		if err != nil {
			l.opts.Logger.Warn("load segment failed", "segment", id, "err", err)
			errs = append(errs, err)
			continue
		}
		l.segs[id] = ls
		l.evict() // keeps the cache near its bound while a round loads many segments
	}
	var dropped []*loadedSegment
	for id, s := range l.segs {
		if _, ok := used[id]; ok {
			continue
		}
		delete(l.segs, id)
		dropped = append(dropped, s)
	}
	if !l.swept {
		l.swept = true
		if err := l.sweep(); err != nil {
			l.opts.Logger.Warn("sweep segment cache failed", "dir", l.cacheDir, "err", err)
		}
	}
	l.publish()
	// Only now, with the new view published: queries still reading a dropped segment (columns
	// are decoded from its file on first use) finish first, then its file is closed and its
	// directory deleted. New queries no longer find it.
	for _, s := range dropped {
		if err := l.close(s, true); err != nil {
			l.opts.Logger.Warn("drop segment failed", "segment", s.id, "err", err)
		}
	}
	l.evict()
	return errors.Join(errs...)
}

// sweep removes from the cache what an earlier run left: half-extracted or
// half-deleted directories, and segments that are no longer used (Druid's
// SegmentLocalCacheManager cleanup at startup).
func (l *Loader) sweep() error {
	keep := map[string]bool{}
	for _, s := range l.segs {
		keep[s.dir] = true
	}
	dss, err := os.ReadDir(l.cacheDir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	var errs []error
	for _, ds := range dss {
		if !ds.IsDir() {
			continue
		}
		parent := filepath.Join(l.cacheDir, ds.Name())
		if err := segment.RemoveLeftovers(parent); err != nil {
			errs = append(errs, err)
			continue
		}
		ents, err := os.ReadDir(parent)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range ents {
			if dir := filepath.Join(parent, e.Name()); e.IsDir() && !keep[dir] {
				errs = append(errs, segment.Remove(dir))
			}
		}
	}
	return errors.Join(errs...)
}

// publish rebuilds the timelines and wakes WaitLoaded callers.
func (l *Loader) publish() {
	byDS := map[string][]timelineSegment{}
	loaded := make(map[string]bool, len(l.segs))
	all := make([]*loadedSegment, 0, len(l.segs))
	for id, s := range l.segs {
		byDS[s.ds] = append(byDS[s.ds], timelineSegment{seg: s, version: s.version, partition: s.partition})
		loaded[id] = true
		all = append(all, s)
	}
	v := &loaderView{timelines: make(map[string]*timeline, len(byDS)), loaded: loaded, segs: all}
	for ds, segs := range byDS {
		v.timelines[ds] = newTimeline(segs)
	}
	l.view.Store(v)
	l.changedMu.Lock()
	close(l.changed)
	l.changed = make(chan struct{})
	l.changedMu.Unlock()
}

// load opens segment s from the cache, pulling it first when it is not there
// (or the cached copy does not open).
func (l *Loader) load(ctx context.Context, s metadata.Segment) (*loadedSegment, error) {
	// The payload is the DataSegment the publishing task wrote; the loader needs its loadSpec.
	var ds druidapi.DataSegment
	if err := json.Unmarshal(s.Payload, &ds); err != nil {
		return nil, fmt.Errorf("decode payload of segment %s: %w", s.ID, err)
	}
	ls := &loadedSegment{id: s.ID, ds: s.DataSource, version: s.Version, partition: s.Partition, spec: ds.LoadSpec,
		dir: filepath.Join(l.cacheDir, cacheName(s.DataSource), cacheName(s.ID)),
		iv:  Interval{Start: s.Start.UnixMilli(), End: s.End.UnixMilli()}}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if err := l.fetch(ctx, ls); err != nil {
		return nil, err
	}
	ls.lastUsed = l.clock.Add(1)
	return ls, nil
}

// fetch opens s from the cache directory, pulling it from deep storage first when it is not
// there (or the cached copy does not open). s.mu is held.
func (l *Loader) fetch(ctx context.Context, s *loadedSegment) error {
	r, err := segment.Open(s.dir)
	if err != nil {
		if err := os.MkdirAll(filepath.Dir(s.dir), 0o755); err != nil {
			return fmt.Errorf("pull segment %s: %w", s.id, err)
		}
		if err := os.RemoveAll(s.dir); err != nil {
			return fmt.Errorf("pull segment %s: %w", s.id, err)
		}
		if err := l.deep.Pull(ctx, s.spec, s.dir); err != nil {
			return fmt.Errorf("pull segment %s: %w", s.id, err)
		}
		if r, err = segment.Open(s.dir); err != nil {
			return fmt.Errorf("open segment %s: %w", s.id, err)
		}
	}
	s.r, s.cols, s.bytes = r, NewColumns(r), dirBytes(s.dir)
	l.cacheBytes.Add(s.bytes)
	return nil
}

// dirBytes is the size of the files in a segment directory (it has no subdirectories).
func dirBytes(dir string) int64 {
	ents, _ := os.ReadDir(dir)
	var n int64
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}

// evict closes and deletes the least recently used segments that no query holds until the
// cache is within CacheBytes (Druid's SegmentLocalCacheManager with a bounded location). A
// segment busy right now (held, or being pulled by a query) is skipped, so the cache may stay
// above its bound while queries hold what it contains.
func (l *Loader) evict() {
	if l.opts.CacheBytes <= 0 || l.cacheBytes.Load() <= l.opts.CacheBytes {
		return
	}
	l.evictMu.Lock()
	defer l.evictMu.Unlock()
	type cand struct {
		s    *loadedSegment
		used int64
	}
	var cands []cand
	for _, s := range l.view.Load().segs {
		if !s.mu.TryLock() {
			continue
		}
		if s.r != nil && s.holders == 0 && !s.closing {
			cands = append(cands, cand{s, s.lastUsed})
		}
		s.mu.Unlock()
	}
	slices.SortFunc(cands, func(a, b cand) int { return cmp.Compare(a.used, b.used) })
	for _, c := range cands {
		if l.cacheBytes.Load() <= l.opts.CacheBytes {
			return
		}
		s := c.s
		if !s.mu.TryLock() {
			continue
		}
		if s.r != nil && s.holders == 0 && !s.closing && s.lastUsed == c.used {
			err := errors.Join(s.r.Close(), segment.Remove(s.dir))
			l.cacheBytes.Add(-s.bytes)
			s.r, s.cols, s.bytes = nil, nil, 0
			if err != nil {
				l.opts.Logger.Warn("evict segment failed", "segment", s.id, "err", err)
			} else {
				l.opts.Logger.Debug("evicted segment from the cache", "segment", s.id)
			}
		}
		s.mu.Unlock()
	}
}

// CacheBytes is the size of the segments in the cache directory now.
func (l *Loader) CacheBytes() int64 { return l.cacheBytes.Load() }

// maxCacheName bounds a cache directory name, leaving room in a 255-byte file name for the
// ".tmp-for-creation" and ".tmp-for-deletion" suffixes of extraction and removal.
const maxCacheName = 200

// cacheName turns a datasource name or segment id from the metadata store into one directory
// name under the cache: its path escape when that is a plain name of at most maxCacheName
// bytes, else "#" and a SHA-256 prefix (long names, ".", ".."). Path escapes never contain
// '#', so the two forms cannot collide, and whatever the store holds, the directory stays
// inside the cache.
func cacheName(s string) string {
	n := url.PathEscape(s)
	if len(n) <= maxCacheName && n != "." && filepath.IsLocal(n) && filepath.Base(n) == n {
		return n
	}
	sum := sha256.Sum256([]byte(s))
	return "#" + hex.EncodeToString(sum[:16])
}

// WaitLoaded blocks until every segment in segmentIDs is loaded (it may be
// overshadowed), or ctx is done. It syncs at once rather than waiting for
// the next poll, and again after each poll interval. It implements the
// indexing task's Handoff interface.
func (l *Loader) WaitLoaded(ctx context.Context, dataSource string, segmentIDs []string) error {
	for {
		if l.allLoaded(segmentIDs) {
			return nil
		}
		select { // wake Run if it is running
		case l.nudge <- struct{}{}:
		default:
		}
		if err := l.Sync(ctx); err != nil && ctx.Err() == nil {
			l.opts.Logger.Debug("handoff sync", "dataSource", dataSource, "err", err)
		}
		l.changedMu.Lock()
		changed := l.changed
		l.changedMu.Unlock()
		if l.allLoaded(segmentIDs) {
			return nil
		}
		t := time.NewTimer(l.opts.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for handoff of %d segments of %s: %w", len(segmentIDs), dataSource, ctx.Err())
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}

func (l *Loader) allLoaded(ids []string) bool {
	v := l.view.Load()
	for _, id := range ids {
		if !v.loaded[id] {
			return false
		}
	}
	return true
}

// Loaded reports whether the segment is loaded and served to queries (it may be
// overshadowed).
func (l *Loader) Loaded(segmentID string) bool { return l.view.Load().loaded[segmentID] }

// DataSources lists the datasources with loaded segments, sorted.
func (l *Loader) DataSources() []string {
	v := l.view.Load()
	out := make([]string, 0, len(v.timelines))
	for ds := range v.timelines {
		out = append(out, ds)
	}
	slices.Sort(out)
	return out
}

// Segments implements Source. Every returned segment is held for the query
// until the Engine releases it, so a round dropping it (or an eviction)
// meanwhile waits. Evicted segments are pulled back first; a failed pull is
// the error.
func (l *Loader) Segments(ctx context.Context, dataSource string, intervals []Interval) ([]SegmentRef, error) {
	for {
		t := l.view.Load().timelines[dataSource]
		if t == nil {
			return nil, nil
		}
		refs := t.lookup(intervals)
		ok, err := l.acquireLoaded(ctx, refs)
		if err != nil {
			return nil, err
		}
		if ok {
			l.evict() // what was pulled back may have pushed the cache past its bound
			return refs, nil
		}
		// A segment of this view is being dropped: the view without it is already
		// published (Sync publishes before it closes), so looking again finds that one.
	}
}

// acquireLoaded takes every segment of refs, or none when one is closing or fails to pull.
func (l *Loader) acquireLoaded(ctx context.Context, refs []SegmentRef) (bool, error) {
	for i := range refs {
		s := refs[i].Segment.(*loadedSegment)
		ok, err := l.acquire(ctx, s)
		if !ok {
			releaseRefs(refs[:i])
			return false, err
		}
		refs[i].release = func() {
			s.release()
			l.evict() // a segment a query held past the bound may go now
		}
	}
	return true, nil
}
