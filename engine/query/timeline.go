package query

import (
	"slices"
	"sort"
)

// timelineEntry is one segment in a timeline with the parts of its interval
// where it is visible.
type timelineEntry struct {
	seg       Queryable
	version   string
	partition int
	visible   []Interval // sorted, disjoint; empty when fully overshadowed
}

// timeline is Druid's VersionedIntervalTimeline for one datasource, built
// once per set of segments and then read-only. Where segments of different
// versions overlap, the highest version (compared as strings, as Druid
// does) is visible and the lower ones are overshadowed on the overlap; all
// partitions of one (interval, version) chunk are visible together.
type timeline struct {
	entries []timelineEntry // ordered by interval start, then partition
}

// timelineSegment is the input of newTimeline.
type timelineSegment struct {
	seg       Queryable
	version   string
	partition int
}

func newTimeline(segs []timelineSegment) *timeline {
	t := &timeline{entries: make([]timelineEntry, 0, len(segs))}
	for _, s := range segs {
		iv := s.seg.Interval()
		visible := []Interval{iv}
		for _, o := range segs {
			if o.version > s.version && o.seg.Interval().Overlaps(iv) {
				visible = subtract(visible, o.seg.Interval())
			}
		}
		t.entries = append(t.entries, timelineEntry{seg: s.seg, version: s.version, partition: s.partition, visible: visible})
	}
	sort.SliceStable(t.entries, func(i, j int) bool {
		a, b := t.entries[i], t.entries[j]
		if ai, bi := a.seg.Interval(), b.seg.Interval(); ai.Start != bi.Start {
			return ai.Start < bi.Start
		}
		if a.version != b.version {
			return a.version < b.version
		}
		return a.partition < b.partition
	})
	return t
}

// subtract removes cut from the sorted, disjoint intervals ivs.
func subtract(ivs []Interval, cut Interval) []Interval {
	var out []Interval
	for _, iv := range ivs {
		if !iv.Overlaps(cut) {
			out = append(out, iv)
			continue
		}
		if iv.Start < cut.Start {
			out = append(out, Interval{iv.Start, cut.Start})
		}
		if cut.End < iv.End {
			out = append(out, Interval{cut.End, iv.End})
		}
	}
	return out
}

// lookup returns the visible segments overlapping intervals, each with its
// visible parts clipped to the intervals.
func (t *timeline) lookup(intervals []Interval) []SegmentRef {
	var out []SegmentRef
	for _, e := range t.entries {
		var clipped []Interval
		for _, v := range e.visible {
			for _, q := range intervals {
				if c, ok := v.intersect(q); ok {
					clipped = append(clipped, c)
				}
			}
		}
		if len(clipped) > 0 {
			out = append(out, SegmentRef{Segment: e.seg, Intervals: normalize(clipped)})
		}
	}
	return out
}

// normalize sorts intervals and merges overlapping or abutting ones.
func normalize(ivs []Interval) []Interval {
	ivs = slices.Clone(ivs)
	slices.SortFunc(ivs, func(a, b Interval) int {
		if a.Start != b.Start {
			if a.Start < b.Start {
				return -1
			}
			return 1
		}
		return 0
	})
	out := ivs[:0]
	for _, iv := range ivs {
		if iv.Start >= iv.End {
			continue
		}
		if n := len(out); n > 0 && iv.Start <= out[n-1].End {
			out[n-1].End = max(out[n-1].End, iv.End)
			continue
		}
		out = append(out, iv)
	}
	return out
}
