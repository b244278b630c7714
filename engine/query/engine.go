package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"
)

// Engine runs native queries over the segments of its Sources (Druid's
// Broker merging the per-segment QueryRunners of its servers).
type Engine struct {
	sourcesMu sync.RWMutex
	sources   []Source
	// remote, when set, adds the realtime rows of other nodes' tasks (SetRemote).
	remote atomic.Pointer[RemoteRealtime]
}

// New returns an engine reading from sources. It starts nothing.
func New(sources ...Source) *Engine {
	return &Engine{sources: slices.Clone(sources)}
}

// AddSource registers another Source, e.g. the realtime rows of running
// tasks. Queries started afterwards read it too.
func (e *Engine) AddSource(s Source) {
	e.sourcesMu.Lock()
	defer e.sourcesMu.Unlock()
	e.sources = append(e.sources, s)
}

func (e *Engine) snapshotSources() []Source {
	e.sourcesMu.RLock()
	defer e.sourcesMu.RUnlock()
	return slices.Clone(e.sources)
}

// DataSources lists the datasources some source has data for, sorted
// (GET /druid/v2/datasources).
func (e *Engine) DataSources() []string {
	seen := map[string]bool{}
	for _, s := range e.snapshotSources() {
		for _, ds := range s.DataSources() {
			seen[ds] = true
		}
	}
	out := make([]string, 0, len(seen))
	for ds := range seen {
		out = append(out, ds)
	}
	slices.Sort(out)
	return out
}

// DataSourceColumns returns the dimensions and metrics of a datasource's
// visible segments, each in first-seen order (GET
// /druid/v2/datasources/{ds}); ok is false for an unknown datasource.
func (e *Engine) DataSourceColumns(ctx context.Context, dataSource string) (dims, metrics []string, ok bool, err error) {
	refs, known, err := e.segments(ctx, dataSource, []Interval{Eternity})
	if err != nil {
		return nil, nil, false, internalError(err)
	}
	defer releaseRefs(refs)
	if !known {
		return nil, nil, false, nil
	}
	seenD, seenM := map[string]bool{}, map[string]bool{}
	dims, metrics = []string{}, []string{}
	for _, r := range refs {
		m := r.Segment.Columns().Metadata()
		for _, d := range m.Dimensions {
			if !seenD[d.Name] {
				seenD[d.Name] = true
				dims = append(dims, d.Name)
			}
		}
		for _, mt := range m.Metrics {
			if !seenM[mt.Name] {
				seenM[mt.Name] = true
				metrics = append(metrics, mt.Name)
			}
		}
	}
	return dims, metrics, true, nil
}

// segments collects the visible segments of dataSource in intervals from
// every source; known is false when no source has the datasource. A segment
// id returned by an earlier source is skipped in later ones: the Loader
// (added first) wins over a realtime copy of the same segment during handoff.
// Sources are asked last to first: a task stops serving a segment only after
// the Loader has loaded it, so asking the task first never misses the
// segment in both.
func (e *Engine) segments(ctx context.Context, dataSource string, intervals []Interval) (refs []SegmentRef, known bool, err error) {
	srcs := e.snapshotSources()
	per := make([][]SegmentRef, len(srcs))
	for i := len(srcs) - 1; i >= 0; i-- {
		if slices.Contains(srcs[i].DataSources(), dataSource) {
			known = true
			if per[i], err = srcs[i].Segments(ctx, dataSource, intervals); err != nil {
				for _, got := range per {
					releaseRefs(got)
				}
				return nil, false, err
			}
		}
	}
	seen := map[string]bool{}
	for _, got := range per {
		for _, r := range got {
			if !seen[r.Segment.ID()] {
				refs = append(refs, r)
			} else if r.release != nil {
				r.release() // hidden by an earlier source: this query does not read it
			}
		}
		for _, r := range got { // a source may return several parts of one id
			seen[r.Segment.ID()] = true
		}
	}
	sort.SliceStable(refs, func(i, j int) bool {
		return refs[i].Segment.Interval().Start < refs[j].Segment.Interval().Start
	})
	return refs, known, nil
}

// Run decodes and runs one native query, returning its result in Druid's
// wire shape (marshal it with encoding/json). Errors are *Error.
func (e *Engine) Run(ctx context.Context, raw []byte) (any, error) {
	var q rawQuery
	if err := json.Unmarshal(raw, &q); err != nil {
		return nil, badQuery("", "query is not a JSON object: %v", err)
	}
	var qt string
	if err := q.decode("queryType", &qt); err != nil {
		return nil, err
	}
	run, ok := queryTypes[qt]
	if !ok {
		if qt == "" {
			return nil, badQuery("queryType", "missing (expected one of %s)", queryTypeNames())
		}
		return nil, badQuery("queryType", "unknown query type %q (expected one of %s)", qt, queryTypeNames())
	}
	return withQueryContext(ctx, q, func(ctx context.Context) (any, error) { return run(ctx, e, q) })
}

// withQueryContext runs fn under the query's context: its queryId (a new one when it names
// none), its timeout (a 504 past it), and Druid's error shapes for whatever fn returns.
func withQueryContext[T any](ctx context.Context, q rawQuery, fn func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	qc, err := parseContext(q)
	if err != nil {
		return zero, err
	}
	if qc.queryID == "" {
		qc.queryID = uuid.NewString()
	}
	ctx = context.WithValue(ctx, queryIDKey{}, qc.queryID)
	var cancel context.CancelFunc
	if qc.timeout > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, qc.timeout, ErrTimeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	res, err := fn(ctx)
	if err == nil {
		err = ctx.Err() // a loop that saw the deadline may have stopped early
	}
	if err != nil {
		var qe *Error
		switch {
		case errors.Is(context.Cause(ctx), ErrTimeout):
			return zero, timeoutError(qc.queryID)
		case errors.As(err, &qe):
			return zero, qe
		case ctx.Err() != nil:
			return zero, cancelledError(qc.queryID, err)
		}
		return zero, internalError(err)
	}
	return res, nil
}

type runFunc func(ctx context.Context, e *Engine, q rawQuery) (any, error)

var queryTypes map[string]runFunc

func init() {
	queryTypes = map[string]runFunc{
		"timeseries":         runTimeseries,
		"topN":               runTopN,
		"groupBy":            runGroupBy,
		"scan":               runScan,
		"timeBoundary":       runTimeBoundary,
		"segmentMetadata":    runSegmentMetadata,
		"dataSourceMetadata": runDataSourceMetadata,
	}
}

func queryTypeNames() string {
	return "timeseries, topN, groupBy, scan, timeBoundary, segmentMetadata, dataSourceMetadata"
}

// lookup returns the query's segments, or the 404 for an unknown
// datasource. The caller releases them (releaseRefs) when it is done
// reading; their sources keep them open until then.
func (e *Engine) lookup(ctx context.Context, c *common) ([]SegmentRef, error) {
	return e.resolve(ctx, c.ds, c)
}

// lookupTable is lookup for query types that read only tables (Druid's
// segmentMetadata and dataSourceMetadata are about stored segments).
func (e *Engine) lookupTable(ctx context.Context, c *common) ([]SegmentRef, error) {
	if c.ds.typ != "table" {
		return nil, badQuery("dataSource", "a %s query needs a table datasource, not %s", c.queryType, c.ds.typ)
	}
	return e.lookup(ctx, c)
}

// segCtx is one segment as a query sees it. It is used by one goroutine.
type segCtx struct {
	ctx   context.Context
	ref   SegmentRef
	cols  *Columns
	times []int64
	scope *roaring.Bitmap // rows inside the clipped intervals
	fc    *filterCache

	virtual *virtualColumns    // the query's virtual columns; nil when none
	vcols   map[string]*column // virtual columns computed on this segment
}

func newSegCtx(ctx context.Context, ref SegmentRef, c *common) (*segCtx, error) {
	cols := ref.Segment.Columns()
	times, err := cols.Times()
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", ref.Segment.ID(), err)
	}
	scope := roaring.New()
	for _, iv := range ref.Intervals {
		lo := sort.Search(len(times), func(i int) bool { return times[i] >= iv.Start })
		hi := sort.Search(len(times), func(i int) bool { return times[i] >= iv.End })
		if lo < hi {
			scope.AddRange(uint64(lo), uint64(hi))
		}
	}
	return &segCtx{ctx: ctx, ref: ref, cols: cols, times: times, scope: scope, fc: c.fc, virtual: c.virtual}, nil
}

// column returns a column of the segment as the query sees it: a virtual
// column of the query, or else the segment's own.
func (sc *segCtx) column(name string) (*column, error) {
	if sc.virtual != nil {
		if vc := sc.virtual.byName[name]; vc != nil {
			return sc.virtualColumn(vc)
		}
	}
	return sc.cols.column(name)
}

// forEachSegment runs fn on every segment with up to GOMAXPROCS workers and
// returns the first error. fn must be safe for concurrent use.
func forEachSegment(ctx context.Context, refs []SegmentRef, c *common, fn func(i int, sc *segCtx) error) error {
	workers := min(runtime.GOMAXPROCS(0), len(refs))
	next := make(chan int)
	errs := make(chan error, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				sc, err := newSegCtx(ctx, refs[i], c)
				if err == nil {
					err = fn(i, sc)
				}
				if err != nil {
					errs <- err
					cancel()
					for range next { // drain
					}
					return
				}
			}
		}()
	}
feed:
	for i := range refs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

// forRows calls fn for each row of rows, checking ctx every few thousand.
func forRows(ctx context.Context, rows *roaring.Bitmap, fn func(row int)) error {
	it := rows.ManyIterator()
	buf := make([]uint32, 4096)
	for {
		n := it.NextMany(buf)
		if n == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, r := range buf[:n] {
			fn(int(r))
		}
	}
}
