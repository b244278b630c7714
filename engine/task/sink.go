package task

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/index"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/input"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// sink holds the rows of one sequence for one segment interval (Druid's Sink): an incremental
// index in memory plus the spills persisted from it.
type sink struct {
	id          metadata.SegmentID
	idx         *index.Index
	spills      []*index.Spill
	spilledRows int64
}

// rows counts the sink's rows: persisted plus in memory (post-rollup within each part).
func (sk *sink) rows() int64 { return sk.spilledRows + int64(sk.idx.Rows()) }

func (sk *sink) interval() segment.Interval {
	return segment.Interval{Start: sk.id.Start, End: sk.id.End}
}

// builder turns rows into segments for every sequence of a task: it allocates segment ids,
// enforces the task-wide memory limits by persisting every sink, and merges spills into the
// final segments when a sequence is published.
type builder struct {
	t           *Task
	l           *loop // the run loop that owns the builder and its sequences
	dir         string
	finalSpec   segment.IndexSpec
	persistSpec segment.IndexSpec
	// mem is tuningConfig's maxRowsInMemory and maxBytesInMemory with the index's defaults.
	// Every sink's index is built with it (so none grows past maxRowsInMemory rows), and full
	// applies it to the sum over all sinks.
	mem    index.Options
	spills int
	// persists writes the spills in the background (tuningConfig.numPersistThreads and
	// maxPendingPersists); build waits for it.
	persists *persister

	// bucketStart and bucketEnd cache the segment-granularity bucket of the last row: rows
	// mostly arrive in time order, and Bucket costs ~90 ns (a calendar truncation) per row.
	bucketStart, bucketEnd int64
}

func toSegmentSpec(is *spec.IndexSpec) segment.IndexSpec {
	return segment.IndexSpec{Bitmap: is.Bitmap.Type, DimensionCompression: is.DimensionCompression, MetricCompression: is.MetricCompression, LongEncoding: is.LongEncoding}
}

func newBuilder(l *loop) (*builder, error) {
	t := l.t
	dir := t.opts.WorkDir
	if dir == "" {
		return nil, fmt.Errorf("task %s has no work directory", t.id)
	}
	// Spills of an earlier run are not reused: the task re-reads from the start of its first
	// unpublished sequence, which keeps restarts exactly-once without trusting half-written
	// files. Only the sequence boundaries (sequences.json) are kept.
	for _, sub := range []string{"spill", "merged"} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			return nil, fmt.Errorf("clean work directory: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create work directory: %w", err)
	}
	tc := &t.spec.Tuning
	b := &builder{t: t, l: l, dir: dir, finalSpec: toSegmentSpec(tc.IndexSpec), persistSpec: toSegmentSpec(tc.IndexSpecForIntermediatePersists),
		mem: index.Options{MaxRowsInMemory: int(tc.MaxRowsInMemory), MaxBytesInMemory: tc.MaxBytesInMemory}.WithDefaults()}
	if err := b.finalSpec.Validate(); err != nil {
		return nil, fmt.Errorf("tuningConfig.indexSpec: %w", err)
	}
	if err := b.persistSpec.Validate(); err != nil {
		return nil, fmt.Errorf("tuningConfig.indexSpecForIntermediatePersists: %w", err)
	}
	b.persists = newPersister(l.ctx, tc.NumPersistThreads, tc.MaxPendingPersists)
	return b, nil
}

// add puts a row into the sink of its sequence and interval, persisting first if the memory
// limits are reached. It returns the sink, for the segment limit, and the index's parse
// problems for a row that was added anyway, and an unparseable *input.ParseError as the error for
// a row whose interval cannot be a segment (checkBucket); nothing is added then.
func (b *builder) add(seq *sequence, row *input.Row) (*sink, *index.ParseError, error) {
	if err := b.persists.err(); err != nil {
		return nil, nil, err
	}
	if err := b.checkBucket(row.Time); err != nil {
		return nil, nil, err
	}
	start, end := b.bucketStart, b.bucketEnd
	sk, ok := seq.sinks[start]
	if !ok {
		var err error
		if sk, err = b.newSink(seq, start, end); err != nil {
			return nil, nil, err
		}
		seq.sinks[start] = sk
	}
	res, err := sk.idx.Add(row.Time, row)
	if errors.Is(err, index.ErrFull) {
		if err := b.persistAll(); err != nil {
			return nil, nil, err
		}
		res, err = sk.idx.Add(row.Time, row)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("add row to segment %s: %w", sk.id, err)
	}
	return sk, res.ParseError, nil
}

// checkBucket caches the segment-granularity interval of ms in bucketStart and bucketEnd. It
// returns an unparseable *input.ParseError when that interval cannot be a segment: both ends
// are written in segment ids and the metadata store with four-digit years, so the interval must
// lie within spec.MinTimestamp..spec.MaxTimestamp (the end too, although it is exclusive), and
// a period or duration so large that the arithmetic wraps gives no interval at all. Such a row
// would otherwise fail the allocation, and the task after every restart. (ALL, whose one
// interval is Druid's ETERNITY, is refused by spec validation.)
func (b *builder) checkBucket(ms int64) error {
	if ms >= b.bucketStart && ms < b.bucketEnd {
		return nil
	}
	g := b.t.spec.DataSchema.GranularitySpec.SegmentGranularity
	start, end := g.Bucket(ms)
	if start > ms || end <= ms || start < spec.MinTimestamp || end > spec.MaxTimestamp {
		return &input.ParseError{Details: []string{fmt.Sprintf("timestamp[%s] is unparseable: its %s segment interval %s/%s is outside the supported range %s",
			time.UnixMilli(ms).UTC().Format(druidapi.TimeLayout), g, time.UnixMilli(start).UTC().Format(druidapi.TimeLayout), time.UnixMilli(end).UTC().Format(druidapi.TimeLayout), spec.TimestampRangeText)}}
	}
	b.bucketStart, b.bucketEnd = start, end
	return nil
}

// newSink allocates the segment id for (sequence, interval). The allocation is keyed by the
// sequence name, so every replica of the task, and the task after a restart, gets the same id.
func (b *builder) newSink(seq *sequence, start, end int64) (*sink, error) {
	t := b.t
	schema, err := index.NewSchema(&t.spec.DataSchema)
	if err != nil {
		return nil, fmt.Errorf("dataSchema: %w", err)
	}
	ctx := b.l.ctx
	// Allocation is keyed by sequence and interval, so a retry after a broken connection gets
	// the id the lost answer carried.
	var id metadata.SegmentID
	err = t.retryStore(ctx, "allocate segment", func() (err error) {
		id, err = t.opts.Store.AllocateSegment(ctx, metadata.AllocateRequest{
			DataSource: t.spec.DataSchema.DataSource, SequenceName: seq.name,
			Start: msTime(start), End: msTime(end), Version: spec.FormatTime(t.opts.Now()),
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("allocate segment for %s in [%s, %s): %w", seq.name, spec.FormatTime(msTime(start)), spec.FormatTime(msTime(end)), err)
	}
	idx := index.New(schema, b.mem)
	return &sink{id: id, idx: idx}, nil
}

// inMemoryRows and inMemoryBytes sum over every sink not yet published.
func (b *builder) inMemoryRows() int64 {
	var n int64
	b.each(func(_ *sequence, sk *sink) { n += int64(sk.idx.Rows()) })
	return n
}

func (b *builder) inMemoryBytes() int64 {
	var n int64
	b.each(func(_ *sequence, sk *sink) { n += sk.idx.EstimatedBytes() })
	return n
}

func (b *builder) each(fn func(*sequence, *sink)) {
	for _, seq := range b.l.seqs {
		if seq.published {
			continue
		}
		for _, start := range slices.Sorted(maps.Keys(seq.sinks)) {
			fn(seq, seq.sinks[start])
		}
	}
}

// full reports whether the task-wide memory limits are reached: maxRowsInMemory rows or
// maxBytesInMemory estimated bytes across every in-memory index.
func (b *builder) full() bool { return b.mem.Full(b.inMemoryRows(), b.inMemoryBytes()) }

// persistAll spills every non-empty in-memory index to disk: each is detached, its sink carries
// on with a fresh index, and the persister writes it in the background. The sink lists the
// spill at once (filled in when written) so that spills keep their order; build and the
// realtime snapshot wait for the persister before reading them.
func (b *builder) persistAll() error {
	var err error
	n := 0
	b.each(func(seq *sequence, sk *sink) {
		if err != nil || sk.idx.Rows() == 0 {
			return
		}
		b.spills++
		dir := filepath.Join(b.dir, "spill", strconv.Itoa(seq.id), strconv.FormatInt(sk.id.Start.UnixMilli(), 10), strconv.Itoa(b.spills))
		meta := sk.idx.Metadata(sk.interval(), sk.id.Version, sk.id.Partition)
		meta.DataSource = b.t.spec.DataSchema.DataSource
		old := sk.idx
		sk.idx = old.Detach()
		sp := &index.Spill{}
		sk.spills = append(sk.spills, sp)
		sk.spilledRows += int64(old.Rows())
		j := &persistJob{idx: old, dir: dir, meta: meta, spec: b.persistSpec, out: sp,
			what: fmt.Sprintf("spill %d of task %s", b.spills, b.t.id),
			now:  func() float64 { return float64(b.t.opts.Now().UnixNano()) / 1e9 }}
		if m := b.t.opts.Metrics; m != nil {
			rows := old.Rows()
			j.observe = func(s float64) { m.ObservePersist(meta.DataSource, s, rows) }
		}
		err = b.persists.submit(j)
		n++
	})
	if n > 0 {
		b.t.log.Debug("persisting", "spills", n)
	}
	return err
}

// close waits for the background persists and ends their goroutines.
func (b *builder) close() { b.persists.close() }

// built is a finished segment directory ready to push.
type built struct {
	id      metadata.SegmentID
	dir     string
	rows    int64
	dims    []string
	metrics []string
}

// build merges each sink of the sequence into its final segment.
func (b *builder) build(ctx context.Context, seq *sequence) ([]built, error) {
	if err := b.persistAll(); err != nil {
		return nil, err
	}
	if err := b.persists.wait(); err != nil {
		return nil, err
	}
	var out []built
	for _, start := range slices.Sorted(maps.Keys(seq.sinks)) {
		sk := seq.sinks[start]
		if len(sk.spills) == 0 {
			continue
		}
		dst := b.mergedDir(sk)
		_ = os.RemoveAll(dst)
		meta := sk.spills[len(sk.spills)-1].Metadata
		meta.DataSource = b.t.spec.DataSchema.DataSource
		var merr error
		pprof.Do(ctx, pprof.Labels("phase", "merge"), func(context.Context) { merr = index.Merge(dst, meta, b.finalSpec, sk.spills) })
		if err := merr; err != nil {
			return nil, fmt.Errorf("merge segment %s: %w", sk.id, err)
		}
		r, err := segment.Open(dst)
		if err != nil {
			return nil, fmt.Errorf("open merged segment %s: %w", sk.id, err)
		}
		m := r.Metadata()
		r.Close()
		bt := built{id: sk.id, dir: dst, rows: m.NumRows}
		for _, d := range m.Dimensions {
			bt.dims = append(bt.dims, d.Name)
		}
		for _, mt := range m.Metrics {
			bt.metrics = append(bt.metrics, mt.Name)
		}
		out = append(out, bt)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// drop forgets a published sequence's sinks and removes their files.
func (b *builder) drop(seq *sequence) {
	_ = os.RemoveAll(filepath.Join(b.dir, "spill", strconv.Itoa(seq.id)))
	for _, sk := range seq.sinks {
		_ = os.RemoveAll(b.mergedDir(sk))
	}
	seq.sinks = map[int64]*sink{}
}

// mergedDir is where a sink's final segment is merged. It is not named by the segment id,
// which holds the datasource and would overflow a 255-byte file name for long datasource
// names (with the writer's ".tmp-for-creation" suffix); the interval start, partition and a
// hash of the id keep it short, free of user bytes, and unique per segment.
func (b *builder) mergedDir(sk *sink) string {
	h := fnv.New64a()
	h.Write([]byte(sk.id.String()))
	name := strconv.FormatInt(sk.id.Start.UnixMilli(), 10) + "_" + strconv.Itoa(sk.id.Partition) + "_" + strconv.FormatUint(h.Sum64(), 16)
	return filepath.Join(b.dir, "merged", name)
}
