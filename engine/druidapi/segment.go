package druidapi

import (
	"strconv"
	"time"
)

// SegmentID identifies a segment the way Druid's SegmentId does. The metadata store allocates
// and records it, deep storage lays segments out by it, and String is the id every API shows.
type SegmentID struct {
	// DataSource is the segment's datasource.
	DataSource string
	// Start and End bound the segment interval, [Start, End).
	Start, End time.Time
	// Version is the time chunk's version.
	Version string
	// Partition is the numbered shard spec's partitionNum.
	Partition int
}

// String returns Druid's segment id, dataSource_start_end_version[_partitionNum], with the
// partition number present only when it is not zero and times in TimeLayout.
func (id SegmentID) String() string {
	s := id.DataSource + "_" + FormatTime(id.Start) + "_" + FormatTime(id.End) + "_" + id.Version
	if id.Partition != 0 {
		s += "_" + strconv.Itoa(id.Partition)
	}
	return s
}

// Interval is the segment interval as Druid writes it, start/end in TimeLayout.
func (id SegmentID) Interval() string { return FormatTime(id.Start) + "/" + FormatTime(id.End) }

// DataSegment is a published segment's descriptor (Druid's DataSegment) as tasks store it in
// the metadata store's payload column and the Coordinator serves it.
type DataSegment struct {
	DataSource    string    `json:"dataSource"`
	Interval      string    `json:"interval"`
	Version       string    `json:"version"`
	LoadSpec      LoadSpec  `json:"loadSpec"`
	Dimensions    string    `json:"dimensions"` // comma-separated
	Metrics       string    `json:"metrics"`    // comma-separated
	ShardSpec     ShardSpec `json:"shardSpec"`
	BinaryVersion int       `json:"binaryVersion"`
	Size          int64     `json:"size"`
	Identifier    string    `json:"identifier"`
	NumRows       int64     `json:"numRows"`
}

// LoadSpec tells a puller where a segment is; it marshals as Druid's
// {"type":"local","path":"/abs/path/index.zip"} (LocalLoadSpec) or
// {"type":"s3_zip","bucket":"b","key":"prefix/.../index.zip","S3Schema":"s3n"} (S3LoadSpec).
type LoadSpec struct {
	Type     string `json:"type"`               // "local" or "s3_zip"
	Path     string `json:"path,omitempty"`     // local: absolute path of index.zip
	Bucket   string `json:"bucket,omitempty"`   // s3_zip: bucket
	Key      string `json:"key,omitempty"`      // s3_zip: object key, ending in /index.zip
	S3Schema string `json:"S3Schema,omitempty"` // s3_zip: "s3n" (or "s3a" in Druid with useS3aSchema)
}

// ShardSpec is the numbered shard spec streaming ingestion appends with (Druid's
// NumberedShardSpec).
type ShardSpec struct {
	Type         string `json:"type"`
	PartitionNum int    `json:"partitionNum"`
	Partitions   int    `json:"partitions"`
}
