package query

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/axiomhq/hyperloglog"
)

// Partial results: Druid's Broker asking the Peons (running tasks) for their unfinalised
// per-segment results and merging them with its own.
//
// A query node answers timeseries, topN and groupBy over a table by merging, per segment, the
// groups of the grouping engine (group.go): aggregator states keyed by time bucket and
// dimension values, combined with aggregator.combine and finalised once at the end. That form
// is mergeable, so it is what crosses the network: a worker runs the query over the realtime
// rows of one of its tasks (Engine.RunPartial, behind POST /druid/worker/v1/chat/{taskId}/query)
// and answers the groups of each realtime segment unfinalised (PartialResult); the query node
// (RemoteRealtime, set with Engine.SetRemote) collects them before it looks at its own
// segments and merges them into its grouping as if it had read the segments itself.
//
// De-duplication is by segment id, as Druid's Broker picks one server per segment: a remote
// segment is skipped when the query node reads a segment of that id itself (a published
// segment it has loaded: handed off, or a replica running in its own worker) or has it in its
// Loader's timeline at all (loaded, but overshadowed); among remote answers of one id
// (replicas of a task group asked anyway) the one with the most rows, the freshest, is kept.
// The workers are asked first and the local sources second: a task stops serving a segment
// only after it was published, so a segment a worker no longer answers for is in the store
// before the local lookup, and RemoteRealtime.Partials loads such segments before it returns
// (the task's handoff waits on its own node's loader, not on this one).
//
// The wire form keeps every state exact: doubles travel as their IEEE-754 bits (so NaN and
// ±Inf survive JSON, and sums are bit-identical), HyperLogLog sketches (hyperUnique,
// cardinality) as their binary form.

// PartialResult is a worker's answer for one task: the unfinalised groups of each of its
// realtime segments that the query reads.
type PartialResult struct {
	Segments []PartialSegment `json:"segments"`
}

// PartialSegment is the grouping of one realtime segment.
type PartialSegment struct {
	// ID is the segment id: the id of the segment once published.
	ID string `json:"id"`
	// Rows is the number of rows the task holds for the segment (all its parts); among
	// replicas the answer with the most rows is kept.
	Rows int `json:"rows"`
	// AllStart is the first data-bounded instant (granularity all); math.MaxInt64 for none.
	AllStart int64 `json:"allStart"`
	// Buckets are the time buckets of the data, for timeseries' empty buckets.
	Buckets []int64        `json:"buckets,omitempty"`
	Groups  []PartialGroup `json:"groups"`
}

// PartialGroup is one group: its bucket (math.MinInt64 for granularity all), its dimension
// values (null for a null value) and one state per aggregator of the query, in order.
type PartialGroup struct {
	Bucket int64          `json:"t"`
	Dims   []*string      `json:"d,omitempty"`
	States []PartialState `json:"a"`
}

// PartialState is one aggregator's unfinalised state (aggValue on the wire).
type PartialState struct {
	L    int64  `json:"l,omitempty"`
	D    uint64 `json:"d,omitempty"` // math.Float64bits: exact, and NaN/±Inf survive JSON
	T    int64  `json:"t,omitempty"`
	S    string `json:"s,omitempty"`
	Set  bool   `json:"set,omitempty"`
	Null bool   `json:"null,omitempty"`
	HLL  []byte `json:"hll,omitempty"` // hyperloglog.Sketch.MarshalBinary
}

func encodeState(v *aggValue) (PartialState, error) {
	ps := PartialState{L: v.l, D: math.Float64bits(v.d), T: v.t, S: v.s, Set: v.set, Null: v.null}
	if v.hll != nil {
		b, err := v.hll.MarshalBinary()
		if err != nil {
			return ps, fmt.Errorf("encode sketch: %w", err)
		}
		ps.HLL = b
	}
	return ps, nil
}

func decodeState(ps *PartialState) (aggValue, error) {
	v := aggValue{l: ps.L, d: math.Float64frombits(ps.D), t: ps.T, s: ps.S, set: ps.Set, null: ps.Null}
	if ps.HLL != nil {
		v.hll = &hyperloglog.Sketch{}
		if err := v.hll.UnmarshalBinary(ps.HLL); err != nil {
			return v, fmt.Errorf("decode sketch: %w", err)
		}
	}
	return v, nil
}

// RemoteRealtime asks the other nodes for the realtime rows of a datasource's running tasks
// (the daemon implements it over the metadata store's active tasks, their assignments and the
// live workers' URLs).
type RemoteRealtime interface {
	// Partials sends query (native query JSON) to one replica of every task group of
	// dataSource running on another node and returns their answers; before it returns,
	// the segments published meanwhile should be loaded (see above). An error fails the
	// query: a worker that does not answer must not make the result silently smaller
	// (return a *RemoteError naming it).
	Partials(ctx context.Context, dataSource string, query []byte) ([]PartialResult, error)
}

// RemoteError is a worker that did not answer a query's fan-out.
type RemoteError struct {
	// URL is the worker's query endpoint.
	URL string
	// Host is the worker's host:port, Druid's QueryException host.
	Host string
	Err  error
}

func (e *RemoteError) Error() string { return fmt.Sprintf("url[%s]: %v", e.URL, e.Err) }

// Unwrap returns the cause.
func (e *RemoteError) Unwrap() error { return e.Err }

// remoteFailure is the *Error of a query whose fan-out failed, in the shape Druid's Broker
// answers when a server fails (DirectDruidClient's "Failure getting results…", with the
// failing server as the host).
func remoteFailure(queryID string, err error) *Error {
	e := &Error{Status: http.StatusInternalServerError, Code: CodeUnknown, Class: "org.apache.druid.java.util.common.RE", err: err}
	var re *RemoteError
	if errors.As(err, &re) {
		e.Message = fmt.Sprintf("Failure getting results for query[%s] url[%s] because of [%v]", queryID, re.URL, re.Err)
		if re.Host != "" {
			h := re.Host
			e.Host = &h
		}
		return e
	}
	e.Message = fmt.Sprintf("Failure getting results for query[%s] because of [%v]", queryID, err)
	return e
}

// SetRemote makes table queries of the grouping engine (timeseries, topN, groupBy) also read
// the realtime rows of tasks running on other nodes, through r. Nil turns it off.
func (e *Engine) SetRemote(r RemoteRealtime) {
	if r == nil {
		e.remote.Store(nil)
		return
	}
	e.remote.Store(&r)
}

// knownSegments is implemented by sources (the Loader) whose segments hide remote realtime
// segments of the same id even when the query does not read them (overshadowed): Loaded
// reports every segment the source holds, visible or not.
type knownSegments interface {
	Loaded(segmentID string) bool
}

// groupAll is lookup + aggregateAll with the remote realtime rows merged in. g is nil when
// there is nothing to read (no local segment in the intervals and no remote one). Unless err,
// the caller calls release once it is done with g: the local segments stay held until then,
// as they were while the runners looked them up themselves.
func (e *Engine) groupAll(ctx context.Context, q rawQuery, gs *groupSpec) (g *grouping, release func(), err error) {
	c := gs.c
	var remote []PartialResult
	if rp := e.remote.Load(); rp != nil && c.ds.typ == "table" {
		id, _ := ctx.Value(queryIDKey{}).(string) // the query's own id, or the one Run gave it
		raw, err := workerQuery(q, id)
		if err != nil {
			return nil, nil, err
		}
		if remote, err = (*rp).Partials(ctx, c.ds.name, raw); err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err() // Run answers the timeout or the cancellation
			}
			return nil, nil, remoteFailure(id, err)
		}
	}
	refs, err := e.lookup(ctx, c)
	if err != nil && !(errors.Is(err, ErrUnknownDataSource) && hasSegments(remote)) {
		return nil, nil, err
	}
	release = func() { releaseRefs(refs) }
	segs := e.pickRemote(refs, remote)
	if len(refs) == 0 && len(segs) == 0 {
		return nil, release, nil
	}
	if g, err = aggregateAll(ctx, gs, refs); err != nil {
		release()
		return nil, nil, err
	}
	for _, s := range segs {
		if err := g.mergePartial(gs, s); err != nil {
			release()
			return nil, nil, fmt.Errorf("remote realtime segment %s: %w", s.ID, err)
		}
	}
	return g, release, nil
}

// queryIDKey carries the id Run gave a query without context.queryId, so that the workers
// and the errors of its fan-out name the same id (Druid's Broker forwards its queryId).
type queryIDKey struct{}

// workerQuery is q as sent to the workers: with context.queryId set to id.
func workerQuery(q rawQuery, id string) ([]byte, error) {
	qctx := map[string]json.RawMessage{}
	if q.has("context") {
		if err := json.Unmarshal(q["context"], &qctx); err != nil {
			return nil, badQuery("context", "not an object: %v", err)
		}
	}
	if _, ok := qctx["queryId"]; !ok && id != "" {
		b, _ := json.Marshal(id)
		qctx["queryId"] = b
	}
	out := make(rawQuery, len(q))
	for k, v := range q {
		out[k] = v
	}
	b, err := json.Marshal(qctx)
	if err != nil {
		return nil, err
	}
	out["context"] = b
	return json.Marshal(out)
}

func hasSegments(rs []PartialResult) bool {
	for _, r := range rs {
		if len(r.Segments) > 0 {
			return true
		}
	}
	return false
}

// pickRemote keeps one answer per remote segment id, the one with the most rows, and drops
// the ids the query node serves itself.
func (e *Engine) pickRemote(refs []SegmentRef, remote []PartialResult) []*PartialSegment {
	if !hasSegments(remote) {
		return nil
	}
	local := map[string]bool{}
	for _, r := range refs {
		local[r.Segment.ID()] = true
	}
	var known []knownSegments
	for _, s := range e.snapshotSources() {
		if k, ok := s.(knownSegments); ok {
			known = append(known, k)
		}
	}
	held := func(id string) bool {
		if local[id] {
			return true
		}
		for _, k := range known {
			if k.Loaded(id) {
				return true
			}
		}
		return false
	}
	best := map[string]*PartialSegment{}
	var order []string
	for i := range remote {
		for j := range remote[i].Segments {
			s := &remote[i].Segments[j]
			if held(s.ID) {
				continue
			}
			if b, ok := best[s.ID]; !ok {
				order = append(order, s.ID)
				best[s.ID] = s
			} else if s.Rows > b.Rows {
				best[s.ID] = s
			}
		}
	}
	slices.Sort(order)
	out := make([]*PartialSegment, len(order))
	for i, id := range order {
		out[i] = best[id]
	}
	return out
}

// mergePartial combines one remote segment's groups into g, as aggregateSegment merges a
// local segment's.
func (g *grouping) mergePartial(gs *groupSpec, s *PartialSegment) error {
	aggs := gs.c.aggs
	g.allStart = min(g.allStart, s.AllStart)
	for _, b := range s.Buckets {
		g.buckets[b] = true
	}
	var mk []byte
	states := make([]aggValue, len(aggs))
	dims := make([]dimValue, len(gs.dims))
	for i := range s.Groups {
		pg := &s.Groups[i]
		if len(pg.States) != len(aggs) {
			return fmt.Errorf("group %d has %d aggregator states, the query has %d aggregators", i, len(pg.States), len(aggs))
		}
		if len(pg.Dims) != len(gs.dims) {
			return fmt.Errorf("group %d has %d dimension values, the query has %d dimensions", i, len(pg.Dims), len(gs.dims))
		}
		for k := range pg.States {
			v, err := decodeState(&pg.States[k])
			if err != nil {
				return fmt.Errorf("group %d, aggregator %s: %w", i, aggs[k].name, err)
			}
			states[k] = v
		}
		for d, v := range pg.Dims {
			if v == nil {
				dims[d] = dimValue{null: true}
			} else {
				dims[d] = dimValue{s: *v}
			}
		}
		mk = groupKey(mk[:0], pg.Bucket, dims)
		gr := g.groups[string(mk)]
		if gr == nil {
			gr = &group{bucket: pg.Bucket, dims: slices.Clone(dims), states: slices.Clone(states)}
			g.groups[string(mk)] = gr
			g.order = append(g.order, gr)
			continue
		}
		for k, a := range aggs {
			a.combine(&gr.states[k], &states[k])
		}
	}
	return nil
}

// groupKey appends the key of a group in grouping.groups: the bucket, then per dimension 0
// for null or 1, the length and the bytes (the key aggregateSegment builds from dictionaries).
func groupKey(dst []byte, bucket int64, dims []dimValue) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(bucket))
	for _, v := range dims {
		dst = appendDimKey(dst, v.s, v.null)
	}
	return dst
}

// appendDimKey appends one dimension's part of a group key: 0 for null, else 1, the length
// and the bytes. groupKey and aggregateSegment both build keys with it, so local and remote
// groups of the same values meet in grouping.groups.
func appendDimKey(dst []byte, s string, null bool) []byte {
	if null {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// parseGroupQuery parses what the grouping engine needs of a timeseries, topN or groupBy
// query: the common fields, the aggregators and the dimensions. The rest (limits, having,
// ordering, post-aggregation) is the query node's, which finalises.
func parseGroupQuery(qt string, q rawQuery) (*groupSpec, error) {
	c, err := parseCommon(q, true)
	if err != nil {
		return nil, err
	}
	if err := c.parseAggs(q); err != nil {
		return nil, err
	}
	gs := &groupSpec{c: c}
	switch qt {
	case "timeseries":
		gs.fill = !c.ctx.skipEmptyBuckets
	case "topN":
		if !q.has("dimension") {
			return nil, badQuery("dimension", "missing")
		}
		d, err := parseDimSpec(q["dimension"], "dimension")
		if err != nil {
			return nil, err
		}
		gs.dims = []dimSpec{d}
	case "groupBy":
		var rawDims []json.RawMessage
		if err := q.decode("dimensions", &rawDims); err != nil {
			return nil, err
		}
		for i, r := range rawDims {
			d, err := parseDimSpec(r, fmt.Sprintf("dimensions[%d]", i))
			if err != nil {
				return nil, err
			}
			gs.dims = append(gs.dims, d)
		}
	}
	return gs, nil
}

// partialQueryTypes are the query types a worker answers partial results for.
var partialQueryTypes = []string{"timeseries", "topN", "groupBy"}

// RunPartial runs a timeseries, topN or groupBy query on a table over this engine's sources
// and returns each segment's groups unfinalised (the worker's side of the fan-out: its engine
// reads one task's realtime rows). A datasource the sources do not know has no segments.
// Errors are *Error.
func (e *Engine) RunPartial(ctx context.Context, raw []byte) (*PartialResult, error) {
	var q rawQuery
	if err := json.Unmarshal(raw, &q); err != nil {
		return nil, badQuery("", "query is not a JSON object: %v", err)
	}
	var qt string
	if err := q.decode("queryType", &qt); err != nil {
		return nil, err
	}
	if !slices.Contains(partialQueryTypes, qt) {
		return nil, badQuery("queryType", "partial results are for %s queries, not %q", strings.Join(partialQueryTypes, ", "), qt)
	}
	return withQueryContext(ctx, q, func(ctx context.Context) (*PartialResult, error) { return e.runPartial(ctx, qt, q) })
}

func (e *Engine) runPartial(ctx context.Context, qt string, q rawQuery) (*PartialResult, error) {
	gs, err := parseGroupQuery(qt, q)
	if err != nil {
		return nil, err
	}
	if gs.c.ds.typ != "table" {
		return nil, badQuery("dataSource", "partial results are for table datasources, not %s", gs.c.ds.typ)
	}
	out := &PartialResult{Segments: []PartialSegment{}}
	refs, err := e.lookup(ctx, gs.c)
	if errors.Is(err, ErrUnknownDataSource) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer releaseRefs(refs)
	byID := map[string][]SegmentRef{}
	var ids []string
	for _, r := range refs {
		id := r.Segment.ID()
		if _, ok := byID[id]; !ok {
			ids = append(ids, id)
		}
		byID[id] = append(byID[id], r)
	}
	slices.Sort(ids)
	for _, id := range ids {
		parts := byID[id]
		g, err := aggregateAll(ctx, gs, parts)
		if err != nil {
			return nil, err
		}
		ps := PartialSegment{ID: id, AllStart: g.allStart, Groups: make([]PartialGroup, 0, len(g.order))}
		for _, r := range parts {
			ps.Rows += r.Segment.Columns().NumRows()
		}
		for b := range g.buckets {
			ps.Buckets = append(ps.Buckets, b)
		}
		slices.Sort(ps.Buckets)
		for _, gr := range g.order {
			pg := PartialGroup{Bucket: gr.bucket, States: make([]PartialState, len(gr.states))}
			if len(gr.dims) > 0 {
				pg.Dims = make([]*string, len(gr.dims))
				for d, v := range gr.dims {
					if !v.null {
						s := v.s
						pg.Dims[d] = &s
					}
				}
			}
			for k := range gr.states {
				if pg.States[k], err = encodeState(&gr.states[k]); err != nil {
					return nil, err
				}
			}
			ps.Groups = append(ps.Groups, pg)
		}
		out.Segments = append(out.Segments, ps)
	}
	return out, nil
}
