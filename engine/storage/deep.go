package storage

import "context"

// Deep is deep storage as tasks, the segment loader and dump-segment use it: Druid's
// DataSegmentPusher, DataSegmentPuller and DataSegmentKiller behind one interface. Local and S3
// implement it.
type Deep interface {
	// Push archives segmentDir as index.zip under id's storage directory and returns the loadSpec
	// to publish and the archive's size. It returns only once the archive is complete under its
	// final name, so a published loadSpec never names a partial archive.
	Push(ctx context.Context, segmentDir string, id SegmentKey) (LoadSpec, int64, error)
	// Pull extracts the segment named by spec into the new directory dstDir, ready for
	// segment.Open. A loadSpec type the storage does not handle wraps ErrUnsupportedLoadSpec.
	Pull(ctx context.Context, spec LoadSpec, dstDir string) error
	// Kill deletes the segment named by spec; killing a missing segment is not an error.
	Kill(ctx context.Context, spec LoadSpec) error
}

var (
	_ Deep = (*Local)(nil)
	_ Deep = (*S3)(nil)
)
