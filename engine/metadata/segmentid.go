package metadata

import "github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"

// SegmentID identifies a segment the way Druid's SegmentId does; its String is the id of the
// segment rows. It is druidapi's type, shared with deep storage, which lays segments out by it.
type SegmentID = druidapi.SegmentID

// NewSegment returns a used Segment with id's identity and no payload.
func NewSegment(id SegmentID) Segment {
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
