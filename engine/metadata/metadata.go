package metadata

import (
	"context"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// Store is the Overlord metadata store. All methods are safe for concurrent
// use, also by several processes sharing one database where the
// implementation supports it (metadata/postgres).
//
// Errors that callers branch on are ErrNotFound, ErrConflict (with
// ErrConcurrentUpdate) and *OffsetMismatchError; IsRetryable classifies them.
// IsTransient tells an unreachable store (connection refused, reset, server
// shutting down) from an answer.
type Store interface {
	// InsertSupervisor appends a version of supervisor id's spec. Its
	// created_date, which is the history version, is the current UTC time in
	// druidapi.TimeLayout, moved forward by whole milliseconds when needed so that
	// versions are strictly increasing across the store.
	InsertSupervisor(ctx context.Context, id string, payload []byte) (SupervisorRow, error)
	// LatestSupervisors returns the newest row of every supervisor id, ordered
	// by id, including rows whose payload is a tombstone: deciding what a
	// tombstone means is the caller's job.
	LatestSupervisors(ctx context.Context) ([]SupervisorRow, error)
	// SupervisorHistory returns every row of supervisor id, newest first.
	// ErrNotFound when there is none.
	SupervisorHistory(ctx context.Context, id string) ([]SupervisorRow, error)
	// AllSupervisorHistory returns every supervisor's history, newest first
	// per id.
	AllSupervisorHistory(ctx context.Context) (map[string][]SupervisorRow, error)

	// GetDataSourceMetadata returns the committed offsets of supervisor id.
	// ErrNotFound when none are stored.
	GetDataSourceMetadata(ctx context.Context, id string) (*DataSourceMetadata, error)
	// DeleteDataSourceMetadata removes the committed offsets of supervisor id
	// (a supervisor reset) and reports whether a row existed.
	DeleteDataSourceMetadata(ctx context.Context, id string) (bool, error)
	// ResetDataSourceMetadata stores md when nothing is stored, else
	// stored.Plus(md), with no compare-and-swap (Druid's resetOffsets).
	ResetDataSourceMetadata(ctx context.Context, id string, md DataSourceMetadata) error
	// RemovePartitions replaces the stored offsets with stored.Minus(md), the
	// automatic reset of unavailable partitions. ErrNotFound when nothing is
	// stored.
	RemovePartitions(ctx context.Context, id string, md DataSourceMetadata) error

	// Publish commits segments and offsets in one transaction; see
	// PublishRequest for the rules. On any error nothing is written.
	Publish(ctx context.Context, req PublishRequest) error

	// Segments returns the segments of dataSource (only used ones when
	// usedOnly), ordered by interval start, then version, then partition.
	Segments(ctx context.Context, dataSource string, usedOnly bool) ([]Segment, error)
	// SegmentsExist reports whether every id in ids is stored (used or not).
	// It is the check a task makes after a failed publish to see whether a
	// replica published the identical segments. True for an empty ids.
	SegmentsExist(ctx context.Context, ids []string) (bool, error)
	// DataSources returns the datasources with at least one used segment,
	// sorted.
	DataSources(ctx context.Context) ([]string, error)
	// MarkSegmentsUnused sets used = false on the given segments and returns
	// how many were changed. Unknown ids are ignored.
	MarkSegmentsUnused(ctx context.Context, ids []string) (int, error)

	// AllocateSegment returns the segment id for a (dataSource, sequenceName,
	// interval): the same key always gets the same id, so replicas reading the
	// same data converge. See AllocateRequest.
	AllocateSegment(ctx context.Context, req AllocateRequest) (SegmentID, error)
	// DeletePendingSegments removes the pending segments of dataSource whose
	// sequence name starts with sequencePrefix and returns how many.
	DeletePendingSegments(ctx context.Context, dataSource, sequencePrefix string) (int, error)

	// InsertTask stores a new task. An empty CreatedDate is set to now.
	// ErrConflict when the id exists.
	InsertTask(ctx context.Context, task Task) error
	// GetTask returns task id. ErrNotFound when there is none.
	GetTask(ctx context.Context, id string) (Task, error)
	// UpdateTaskStatus replaces the status payload and active flag of task
	// id. ErrNotFound when there is no such task.
	UpdateTaskStatus(ctx context.Context, id string, status []byte, active bool) error
	// ListTasks returns the tasks matching filter, newest first.
	ListTasks(ctx context.Context, filter TaskFilter) ([]Task, error)

	// InsertAudit appends an audit entry. An empty CreatedDate is set to now.
	InsertAudit(ctx context.Context, entry AuditEntry) error
	// AuditEntries returns the audit entries of key, newest first.
	AuditEntries(ctx context.Context, key string) ([]AuditEntry, error)

	// Close releases the store. It is safe to call more than once; calls
	// after the first return nil.
	Close() error
}

// SupervisorRow is one version of a supervisor spec (a druid_supervisors
// row).
type SupervisorRow struct {
	// ID is the supervisor id (Druid's spec_id).
	ID string
	// Version is the row's created_date in druidapi.TimeLayout; it is the "version" of
	// GET /supervisor/{id}/history.
	Version string
	// Payload is the spec JSON, stored as given.
	Payload []byte
	// Seq is the row's auto-increment id; larger is newer.
	Seq int64
}

// PublishRequest is Druid's SegmentTransactionalInsertAction.
//
// When Start is nil only the segments are inserted and no offsets are
// touched. Otherwise, in one transaction:
//
//  1. The stored offsets of SupervisorID are read. If there are none, any
//     Start is accepted, unless Inherited is set. If there are,
//     stored.Matches(*Start) must hold, and every Inherited partition must be
//     stored (stored.Uncommitted is empty), else Publish returns an
//     *OffsetMismatchError; an Inherited partition not stored yet (or no row
//     at all) is a retryable one, like a start ahead of the stored offsets.
//  2. The stored offsets become stored.Plus(*End) (or *End when none were
//     stored), written with a compare-and-swap on the payload's SHA-1; a lost
//     swap returns ErrConcurrentUpdate.
//  3. Segments are inserted with used = true. An id that already exists
//     returns ErrConflict.
//
// On any error nothing is written.
type PublishRequest struct {
	// SupervisorID keys the datasource metadata row.
	SupervisorID string
	// DataSource is the datasource of every segment; a segment with an empty
	// DataSource takes it, one with a different DataSource is refused.
	DataSource string
	// Segments are the segments to insert; may be empty for a metadata-only
	// commit.
	Segments []Segment
	// Start is the publisher's start offsets; nil to publish segments only.
	Start *DataSourceMetadata
	// End is the publisher's end offsets; required when Start is set.
	End *DataSourceMetadata
	// Inherited lists the partitions of Start whose start offset was handed over
	// from the end offsets of an earlier task group that may not have committed
	// them yet (a taskDuration rollover or a scale action; the supervisor marks
	// them in the task payload). For these the stored offsets must hold the
	// partition at exactly Start's offset: a partition not stored yet is not
	// ignored, as Matches would, but waited for. Every listed partition must be
	// in Start.
	Inherited []druidapi.Partition
	// Fence, when set, makes the publish commit only while the named lease is
	// still held by Fence.Holder in Fence.Term, checked (and the lease row
	// locked against a take-over) inside the publish transaction; otherwise
	// Publish returns ErrFenced. A task started by an Overlord leader carries
	// its leader's term, so once a newer leader exists the deposed one's
	// tasks can commit nothing.
	Fence *Fence
	// Assignment, when set, makes the publish commit only while the task is
	// active and still assigned to Assignment.Worker (read FOR SHARE, as Fence):
	// a worker the leader declared lost, whose task was failed and replaced,
	// commits nothing. Otherwise Publish returns ErrFenced.
	Assignment *Assignment
}

// Segment is a druid_segments row.
type Segment struct {
	// ID is Druid's segment id (see SegmentID.String).
	ID string
	// DataSource is the segment's datasource.
	DataSource string
	// Start and End bound the segment interval, in UTC.
	Start, End time.Time
	// Version is the segment version (the time chunk's version).
	Version string
	// Partition is the numbered shard spec's partitionNum.
	Partition int
	// Used is false once the segment is dropped.
	Used bool
	// Payload is the DataSegment JSON, opaque to the store.
	Payload []byte
	// NumRows is the segment's row count.
	NumRows int64
	// Size is the segment's size in bytes.
	Size int64
	// CreatedDate is set by the store on insert, in druidapi.TimeLayout.
	CreatedDate string
}

// AllocateRequest is Druid's SegmentAllocateAction as the streaming tasks use
// it: lineage (the previous segment id) is skipped, so the key is
// (DataSource, SequenceName, interval).
type AllocateRequest struct {
	// DataSource is the datasource to allocate in.
	DataSource string
	// SequenceName is the task sequence's name; replicas share it.
	SequenceName string
	// Start and End bound the segment-granularity interval.
	Start, End time.Time
	// Version is used only when the interval has no segment yet, used or
	// pending; otherwise the interval's existing (greatest) version is
	// joined, and the partition number is one more than the largest among
	// that interval and version's segments and pending segments.
	Version string
}

// AuditEntry is a druid_audit row.
type AuditEntry struct {
	// Key is what the entry is about, e.g. a supervisor id.
	Key string
	// Type is the kind of entry, e.g. "supervisor".
	Type string
	// Author and Comment come from the request headers
	// X-Druid-Author and X-Druid-Comment.
	Author, Comment string
	// Payload is the audited content.
	Payload []byte
	// CreatedDate is in druidapi.TimeLayout; set by InsertAudit when empty.
	CreatedDate string
}

// Task is a druid_tasks row.
type Task struct {
	// ID is the task id.
	ID string
	// GroupID is the task group id (replicas share it).
	GroupID string
	// DataSource is the task's datasource.
	DataSource string
	// Type is the task type, e.g. "index_kafka".
	Type string
	// CreatedDate is in druidapi.TimeLayout; set by InsertTask when empty.
	CreatedDate string
	// Payload is the task JSON.
	Payload []byte
	// Status is the TaskStatus JSON.
	Status []byte
	// Active is true until the task completes.
	Active bool
}

// TaskFilter selects tasks for ListTasks. The zero value selects all.
type TaskFilter struct {
	// Active, when set, keeps only tasks whose Active equals *Active.
	Active *bool
	// DataSource, when not empty, keeps only that datasource's tasks.
	DataSource string
	// Limit caps the number of tasks returned; zero or negative means no cap.
	Limit int
}
