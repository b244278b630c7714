// Package storage is kafka-indexer's deep storage: where published segments
// live as index.zip archives, and where historicals (or tests, or
// dump-segment) fetch them from. Deep is the interface; Local and S3
// implement it. S3 follows Druid's druid-s3-extensions: the loadSpec is
// {"type":"s3_zip","bucket":...,"key":".../index.zip","S3Schema":"s3n"} and
// keys are PREFIX/<dataSource>/<start>_<end>/<version>/<partition>/<uuid>/index.zip.
//
// Local follows Druid's local deep storage
// (druid.storage.type=local): Local.Push is LocalDataSegmentPusher,
// Local.Pull is LocalDataSegmentPuller and Local.Kill is
// LocalDataSegmentKiller; the loadSpec written to segment metadata is
// Druid's {"type":"local","path":".../index.zip"}.
//
// Layout under Root, as DataSegmentPusher.getDefaultStorageDir:
//
//	<dataSource>/<start>_<end>/<version>/<partition>/index.zip
//
// start and end are UTC ISO 8601 with milliseconds
// (2026-01-01T00:00:00.000Z); colons are kept, as Druid's local pusher does
// (only its HDFS pusher replaces them).
package storage
