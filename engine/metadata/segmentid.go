package metadata

import (
	"strconv"
	"time"
)

// SegmentID identifies a segment the way Druid's SegmentId does.
type SegmentID struct {
	// DataSource is the segment's datasource.
	DataSource string
	// Start and End bound the segment interval.
	Start, End time.Time
	// Version is the time chunk's version.
	Version string
	// Partition is the numbered shard spec's partitionNum.
	Partition int
}

// String returns Druid's segment id,
// dataSource_start_end_version[_partitionNum], with the partition number
// present only when it is not zero and times in TimeFormat.
func (id SegmentID) String() string {
	s := id.DataSource + "_" + FormatTime(id.Start) + "_" + FormatTime(id.End) + "_" + id.Version
	if id.Partition != 0 {
		s += "_" + strconv.Itoa(id.Partition)
	}
	return s
}

// Segment returns a used Segment with id's identity and no payload.
func (id SegmentID) Segment() Segment {
	return Segment{
		ID:         id.String(),
		DataSource: id.DataSource,
		Start:      id.Start.UTC(),
		End:        id.End.UTC(),
		Version:    id.Version,
		Partition:  id.Partition,
		Used:       true,
	}
}
