package index

import (
	"math"
	"runtime/debug"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// InputRow is what Add reads: named values and, for schemaless discovery,
// the fields that become dimensions. *input.Row implements it, and it
// satisfies expr.Bindings for expression inputs. Strings a row returns may
// be reused after Add returns; the index copies what it keeps.
type InputRow interface {
	Get(name string) (expr.Value, bool)
	// EachDiscovered calls fn for every field schemaless ingestion turns
	// into a dimension (already without the timestamp column, exclusions,
	// metric inputs and names, and explicit dimensions).
	EachDiscovered(fn func(name string, v expr.Value))
}

// Options bounds an Index's memory. The zero value gives Druid's defaults.
type Options struct {
	// MaxRowsInMemory is the number of (rolled-up) rows after which the
	// index is Full, and beyond which Add refuses new rows with ErrFull.
	// Implements tuningConfig.maxRowsInMemory; zero means 150000.
	MaxRowsInMemory int
	// MaxBytesInMemory is the EstimatedBytes after which the index is Full.
	// Implements tuningConfig.maxBytesInMemory. Zero means a sixth of the
	// process memory limit (GOMEMLIMIT / debug.SetMemoryLimit; Druid uses a
	// sixth of the JVM heap), capped at 256 MiB, and 256 MiB when no limit is
	// set; -1 (any negative value) means no byte limit.
	MaxBytesInMemory int64
}

// DefaultOptions returns the options the zero Options stand for.
func DefaultOptions() Options { return Options{}.WithDefaults() }

// WithDefaults returns o with its zero values replaced as New replaces them:
// the limits an Index built with o enforces.
func (o Options) WithDefaults() Options {
	o.validate()
	return o
}

// Full reports whether rows (rolled-up) rows holding bytes estimated bytes
// reach either limit of o, which must have its defaults (WithDefaults).
// Index.Full applies it to one index; a task applies it to the sum over all
// its indexes, as Druid's appenderator counts rowsCurrentlyInMemory and
// bytesCurrentlyInMemory across its sinks.
func (o Options) Full(rows, bytes int64) bool {
	return rows >= int64(o.MaxRowsInMemory) || (o.MaxBytesInMemory > 0 && bytes >= o.MaxBytesInMemory)
}

const (
	defaultMaxRows  = 150000
	maxDefaultBytes = 256 << 20
)

// validate fills zero values.
func (o *Options) validate() {
	if o.MaxRowsInMemory <= 0 {
		o.MaxRowsInMemory = defaultMaxRows
	}
	if o.MaxBytesInMemory == 0 {
		o.MaxBytesInMemory = maxDefaultBytes
		if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < math.MaxInt64 {
			o.MaxBytesInMemory = min(lim/6, maxDefaultBytes)
		}
	}
	if o.MaxBytesInMemory < 0 {
		o.MaxBytesInMemory = -1
	}
}

// Index is an in-memory incremental index (Druid's OnheapIncrementalIndex
// inside a Sink): rows keyed by query-granularity time and dimension values,
// rolled up by the metricsSpec aggregators when rollup is on. It is not safe
// for concurrent use; a task's run loop owns it.
type Index struct {
	schema *Schema
	opts   Options

	dims      []*dim         // explicit dimensions, then discovered ones in first-seen order
	dimByName map[string]int // name → position in dims
	explicit  int            // number of explicit dimensions
	discover  func(name string, v expr.Value)
	aggs      []aggregator
	slab      *slab // row-major numeric state of the aggregators that keep it there

	// Rows. Row r has time times[r] and key keys[keyOff[r]:keyOff[r+1]]:
	// one id per dimension, trailing nulls trimmed.
	times  []int64
	keyOff []int32
	keys   []int32
	// Rollup only: probe records and the hash table over them (see add.go).
	probe   []int32
	table   []uint64
	entries int

	minTime, maxTime int64
	bytes            int64 // see EstimatedBytes

	// Add scratch.
	bucketStart, bucketEnd int64 // the last query-granularity bucket; empty at first
	ids                    []int32
	badCols                []int // dims (>= 0) or ^aggregator index with unparseable input
}

// Estimated per-row overheads, in bytes (see EstimatedBytes).
const (
	rowOverhead  = 8 + 4 // time, key offset
	tableBytes   = 16    // rollup: about two table slots of 8 per row (1.3–2.7 at up to 3/4 full)
	dictOverhead = 48    // map entry, slice slot and string header per dictionary value
)

// New returns an empty index for schema.
func New(schema *Schema, opts Options) *Index {
	opts.validate()
	ix := &Index{schema: schema, opts: opts, dimByName: map[string]int{}, keyOff: []int32{0},
		minTime: math.MaxInt64, maxTime: math.MinInt64}
	ix.discover = ix.discovered
	for _, d := range schema.dims {
		ix.addDim(d)
	}
	ix.explicit = len(ix.dims)
	for i := range schema.metrics {
		a, err := newAggregator(&schema.metrics[i], schema.filter)
		if err != nil {
			panic("index: schema metric no longer valid: " + err.Error()) // NewSchema built it once
		}
		ix.aggs = append(ix.aggs, a)
	}
	ix.slab = &slab{}
	for _, a := range ix.aggs {
		if u, ok := a.(slotUser); ok && u.slotsOf() != nil {
			x := u.slotsOf()
			x.s, x.base, x.own = ix.slab, ix.slab.stride, false
			ix.slab.stride += x.n
		}
	}
	return ix
}

func (ix *Index) addDim(d DimensionSpec) int {
	i := len(ix.dims)
	ix.dims = append(ix.dims, newDim(d, &ix.bytes))
	ix.dimByName[d.Name] = i
	ix.ids = append(ix.ids, 0)
	return i
}

// Schema returns the schema the index was built with.
func (ix *Index) Schema() *Schema { return ix.schema }

// Rows returns the number of in-memory rows (after rollup).
func (ix *Index) Rows() int { return len(ix.times) }

// EstimatedBytes estimates the heap the rows hold, like Druid's
// maxBytesInMemory accounting: per row the time, key (4 bytes per
// dimension id), hash and table slots plus each aggregator's state estimate
// (8 bytes for numbers, 17 for numeric first/last pairs, maxStringBytes for
// string first/last/any, ~1 KiB per hyperUnique sketch); per dictionary
// value its bytes plus a fixed overhead. It resets to zero on Persist.
func (ix *Index) EstimatedBytes() int64 { return ix.bytes }

// Full reports whether either limit of Options is reached: the caller
// should Persist.
func (ix *Index) Full() bool { return ix.opts.Full(int64(len(ix.times)), ix.bytes) }

// MinTime returns the smallest truncated row time, or math.MaxInt64 when empty.
func (ix *Index) MinTime() int64 { return ix.minTime }

// MaxTime returns the largest truncated row time, or math.MinInt64 when empty.
func (ix *Index) MaxTime() int64 { return ix.maxTime }

// Dimensions returns the segment schema of every dimension known so far:
// explicit ones, then discovered ones in first-seen order. A string
// dimension is multi-value once any row gave it several values.
func (ix *Index) Dimensions() []segment.DimensionSchema {
	out := make([]segment.DimensionSchema, len(ix.dims))
	for i, d := range ix.dims {
		out[i] = segment.DimensionSchema{Name: d.name, Type: d.typ, MultiValue: d.multi}
	}
	return out
}

// Metrics returns the segment schema of every metric.
func (ix *Index) Metrics() []segment.MetricSchema {
	out := make([]segment.MetricSchema, len(ix.aggs))
	for i, a := range ix.aggs {
		out[i] = a.schema()
	}
	return out
}

// Metadata returns segment metadata for the index's current schema with the
// identity given.
func (ix *Index) Metadata(interval segment.Interval, version string, partition int) segment.Metadata {
	m := ix.schema.Metadata(interval, version, partition)
	m.Dimensions = ix.Dimensions()
	return m
}

// reset empties the rows and dictionaries, keeping dimensions (discovered
// ones too, and their multi-value flags) and buffer capacity.
func (ix *Index) reset() {
	ix.times, ix.keyOff, ix.keys, ix.probe = ix.times[:0], ix.keyOff[:1], ix.keys[:0], ix.probe[:0]
	clear(ix.table)
	ix.entries = 0
	for _, d := range ix.dims {
		d.reset()
	}
	for _, a := range ix.aggs {
		a.reset()
	}
	ix.slab.v = ix.slab.v[:0]
	ix.minTime, ix.maxTime, ix.bytes = math.MaxInt64, math.MinInt64, 0
}

// Detach returns a new empty index that carries on from ix: the same schema
// and options, and the same dimensions in the same order (discovered ones
// and their multi-value flags too, so that later spills list the same
// dimensions first), with dictionaries pre-sized as reset sizes them. ix
// keeps its rows and must no longer be added to: it can be persisted on
// another goroutine while the new index takes rows (background persists).
func (ix *Index) Detach() *Index {
	nx := New(ix.schema, ix.opts)
	// The next index usually fills to about as many rows: sizing its rows and rollup table
	// like ix's saves their incremental growth (rehashing the rollup table from 1024 slots
	// up, and copying the row slices, were ~0.5 s of CPU per 2M rows in kafka-indexer bench).
	if n := len(ix.times); n > 0 {
		nx.times = make([]int64, 0, n)
		nx.keyOff = append(make([]int32, 0, n+1), 0)
		nx.keys = make([]int32, 0, len(ix.keys))
		nx.slab.v = make([]uint64, 0, len(ix.slab.v))
		if ix.schema.rollup {
			nx.probe = make([]int32, 0, len(ix.probe))
			nx.table = make([]uint64, rollupTableSize(ix.entries))
		}
	}
	for _, d := range ix.dims[ix.explicit:] {
		nx.addDim(DimensionSpec{Name: d.name, Type: d.typ, MultiValueHandling: d.mvh})
	}
	for i, d := range ix.dims {
		n := nx.dims[i]
		n.multi = d.multi
		if hint := d.strTab.len() + len(d.numIDs); hint > 0 {
			n.presize(hint)
		}
	}
	return nx
}
