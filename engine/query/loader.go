package query

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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

// Loader is Druid's Historical segment loading: it keeps every used segment
// of every datasource pulled from deep storage into a local cache directory
// and open, and serves them as a Source through a per-datasource timeline.
type Loader struct {
	store    metadata.Store
	deep     *storage.Local
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
}

// loaderView is what queries see: the timelines and the loaded ids.
type loaderView struct {
	timelines map[string]*timeline
	loaded    map[string]bool
}

// loadedSegment is an open segment in the cache.
type loadedSegment struct {
	id        string
	dir       string
	iv        Interval
	version   string
	partition int
	ds        string
	r         *segment.Reader
	cols      *Columns

	// Queries hold the segment from Segments until they are done with it, so dropping it
	// cannot close its file or delete its directory under them (TSDB's Block with its
	// pendingReaders). closingMu guards closing; once it is set no query may take the segment
	// (acquire fails), and close waits for the holders before closing the reader.
	closingMu      sync.Mutex
	closing        bool
	pendingReaders sync.WaitGroup
}

// acquire takes the segment for a query; false once the segment is being closed.
func (s *loadedSegment) acquire() bool {
	s.closingMu.Lock()
	defer s.closingMu.Unlock()
	if s.closing {
		return false
	}
	s.pendingReaders.Add(1)
	return true
}

// release ends one acquire.
func (s *loadedSegment) release() { s.pendingReaders.Done() }

// close waits until no query holds the segment, then closes its reader and, with remove,
// deletes its directory. Callers publish a view without the segment first, so the queries that
// find it closing look again and see that view.
func (s *loadedSegment) close(remove bool) error {
	s.closingMu.Lock()
	s.closing = true
	s.closingMu.Unlock()
	s.pendingReaders.Wait()
	err := s.r.Close()
	if remove {
		err = errors.Join(err, segment.Remove(s.dir))
	}
	return err
}

func (s *loadedSegment) ID() string         { return s.id }
func (s *loadedSegment) Interval() Interval { return s.iv }
func (s *loadedSegment) Columns() *Columns  { return s.cols }

var _ Source = (*Loader)(nil)

// NewLoader returns a Loader caching segments under cacheDir. It starts
// nothing: call Run for background polling, or Sync.
func NewLoader(store metadata.Store, deep *storage.Local, cacheDir string, opts LoaderOptions) *Loader {
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
		errs = append(errs, s.close(false))
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
	for id, s := range used {
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
		if err := s.close(true); err != nil {
			l.opts.Logger.Warn("drop segment failed", "segment", s.id, "err", err)
		}
	}
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
	for id, s := range l.segs {
		byDS[s.ds] = append(byDS[s.ds], timelineSegment{seg: s, version: s.version, partition: s.partition})
		loaded[id] = true
	}
	v := &loaderView{timelines: make(map[string]*timeline, len(byDS)), loaded: loaded}
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
	dir := filepath.Join(l.cacheDir, cacheName(s.DataSource), cacheName(s.ID))
	r, err := segment.Open(dir)
	if err != nil {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return nil, fmt.Errorf("pull segment %s: %w", s.ID, err)
		}
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("pull segment %s: %w", s.ID, err)
		}
		if err := l.deep.Pull(ctx, ds.LoadSpec, dir); err != nil {
			return nil, fmt.Errorf("pull segment %s: %w", s.ID, err)
		}
		if r, err = segment.Open(dir); err != nil {
			return nil, fmt.Errorf("open segment %s: %w", s.ID, err)
		}
	}
	return &loadedSegment{id: s.ID, dir: dir, ds: s.DataSource, version: s.Version, partition: s.Partition,
		iv: Interval{Start: s.Start.UnixMilli(), End: s.End.UnixMilli()},
		r:  r, cols: NewColumns(r)}, nil
}

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
// until the Engine releases it, so a round dropping it meanwhile waits.
func (l *Loader) Segments(dataSource string, intervals []Interval) []SegmentRef {
	for {
		t := l.view.Load().timelines[dataSource]
		if t == nil {
			return nil
		}
		refs := t.lookup(intervals)
		if acquireLoaded(refs) {
			return refs
		}
		// A segment of this view is being dropped: the view without it is already
		// published (Sync publishes before it closes), so looking again finds that one.
	}
}

// acquireLoaded takes every segment of refs, or none when one is closing.
func acquireLoaded(refs []SegmentRef) bool {
	for i := range refs {
		s := refs[i].Segment.(*loadedSegment)
		if !s.acquire() {
			releaseRefs(refs[:i])
			return false
		}
		refs[i].release = s.release
	}
	return true
}
