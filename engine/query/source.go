package query

import (
	"context"
	"math"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// Interval is a half-open range [Start, End) of epoch milliseconds, UTC.
type Interval struct {
	Start, End int64
}

// Eternity is Druid's ETERNITY interval (JodaUtils MIN_INSTANT/MAX_INSTANT),
// used when a query names no intervals.
var Eternity = Interval{Start: math.MinInt64 / 2, End: math.MaxInt64 / 2}

// String formats the interval as Druid does.
func (iv Interval) String() string { return formatMillis(iv.Start) + "/" + formatMillis(iv.End) }

// Overlaps reports whether the two intervals share an instant.
func (iv Interval) Overlaps(o Interval) bool { return iv.Start < o.End && o.Start < iv.End }

// intersect returns iv ∩ o and whether it is non-empty.
func (iv Interval) intersect(o Interval) (Interval, bool) {
	r := Interval{Start: max(iv.Start, o.Start), End: min(iv.End, o.End)}
	return r, r.Start < r.End
}

func formatMillis(ms int64) string { return spec.FormatTime(time.UnixMilli(ms)) }

// Queryable is one immutable set of rows a query can read: a loaded segment,
// or (later) a snapshot of a realtime task's in-memory index.
type Queryable interface {
	// ID is Druid's segment id; scan results name it.
	ID() string
	// Interval is the segment's interval.
	Interval() Interval
	// Columns gives cached, decoded column access to the rows.
	Columns() *Columns
}

// SegmentRef is a Queryable together with the parts of the query intervals
// it may serve: the query intervals clipped to the segment interval and to
// where the segment is not overshadowed. Rows outside them are skipped.
type SegmentRef struct {
	Segment   Queryable
	Intervals []Interval // sorted, disjoint, non-empty
	// release lets go of Segment once the query is done reading it (see
	// Loader.Segments); nil when the source holds nothing for the query.
	// The Engine calls it exactly once per ref, through releaseRefs.
	release func()
}

// releaseRefs releases every ref a Source returned.
func releaseRefs(refs []SegmentRef) {
	for _, r := range refs {
		if r.release != nil {
			r.release()
		}
	}
}

// Source is something rows can be queried from: Druid's view of a server
// (Historical or Peon) in the Broker's timeline.
//
// The Loader is the first implementation. A realtime source (the rows of
// running indexing tasks, Druid's Peon-served segments) implements the same
// two methods, wrapping each task's persisted spills and a snapshot of its
// in-memory index in Queryables (NewColumns accepts anything with the
// segment.Reader accessors), and is registered with Engine.AddSource (see
// Realtime). The Engine deduplicates across Sources by segment id: an id
// returned by an earlier Source is skipped in later ones, so a published
// segment the Loader serves hides the realtime copy with the same id.
type Source interface {
	// DataSources lists the datasources this source has data for.
	DataSources() []string
	// Segments returns the visible segments of dataSource overlapping the
	// intervals (sorted, disjoint), ordered by interval start then
	// partition, each with its clipped intervals. An error (a segment that
	// had to be pulled back from deep storage and could not be) fails the
	// query; no refs are held then.
	Segments(ctx context.Context, dataSource string, intervals []Interval) ([]SegmentRef, error)
}
