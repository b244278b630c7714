package metadata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// ErrNotFound is returned when the requested row does not exist: no
// supervisor history for an id, no committed offsets for a supervisor, no
// task with that id. Callers test for it with errors.Is.
var ErrNotFound = errors.New("metadata: not found")

// ErrConflict is returned when a write collides with existing rows: a segment
// id or task id that is already stored, or a concurrent update of the same
// datasource metadata row. Callers test for it with errors.Is; IsRetryable
// tells the two cases apart.
var ErrConflict = errors.New("metadata: conflict")

// ErrConcurrentUpdate is returned by Publish when the stored datasource
// metadata changed between reading it and writing the new offsets (Druid's
// compare-and-swap on commit_metadata_sha1 updated 0 rows). It wraps
// ErrConflict and is retryable: the publisher should re-read and try again.
var ErrConcurrentUpdate = fmt.Errorf("%w: datasource metadata changed concurrently", ErrConflict)

// OffsetMismatchError is returned by Publish when the publisher's start
// offsets do not match the committed offsets, so the transaction would leave
// a gap or an overlap. Nothing is written when it is returned. Match it with
// errors.As.
//
// It mirrors the two failures of Druid's
// IndexerSQLMetadataStorageCoordinator.updateDataSourceMetadataWithHandle:
// when some shared partition's start is ahead of what is stored, the previous
// publish has probably not committed yet and the publish may be retried
// (Retryable); when the stored offsets are already beyond the start, a replica
// or an operator got there first and retrying cannot help.
type OffsetMismatchError struct {
	// SupervisorID is the datasource metadata key (the supervisor id).
	SupervisorID string
	// Expected is what the publisher claimed as its start offsets.
	Expected DataSourceMetadata
	// Actual is what is stored.
	Actual DataSourceMetadata
	// Retryable is true when some shared partition's start is ahead of the
	// stored offset, or some partition is Uncommitted.
	Retryable bool
	// Uncommitted are the partitions of the request's Inherited that have no
	// stored offset yet: the earlier task group that read up to their start
	// has not committed.
	Uncommitted []druidapi.Partition
}

// Error implements error.
func (e *OffsetMismatchError) Error() string {
	kind := "stored offsets are ahead of start"
	switch {
	case e.Retryable && len(e.Uncommitted) > 0:
		parts := make([]string, len(e.Uncommitted))
		for i, p := range e.Uncommitted {
			parts[i] = p.String()
		}
		kind = fmt.Sprintf("start of partitions %s was handed over by an earlier task group that has not committed yet", strings.Join(parts, ","))
	case e.Retryable:
		kind = "start is ahead of stored offsets, previous publish may still be in progress"
	}
	return fmt.Sprintf("metadata: offsets of supervisor %s do not match (%s): start %s, stored %s",
		e.SupervisorID, kind, formatOffsets(e.Expected), formatOffsets(e.Actual))
}

func formatOffsets(md DataSourceMetadata) string {
	var b strings.Builder
	b.WriteString(md.Stream)
	b.WriteString("{")
	for i, p := range slices.SortedFunc(maps.Keys(md.Offsets), druidapi.ComparePartitions) {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(p.String())
		b.WriteString(":")
		b.WriteString(strconv.FormatInt(md.Offsets[p], 10))
	}
	b.WriteString("}")
	return b.String()
}

// IsRetryable reports whether a Store error is transient, so that repeating
// the same call later may succeed. It is the one place this package decides
// retryability:
//
//   - *OffsetMismatchError: as its Retryable field says (start ahead of the
//     stored offsets, or inherited partitions not stored yet, means the
//     previous generation has not committed yet).
//   - ErrConcurrentUpdate: the compare-and-swap lost a race; re-reading is
//     enough.
//   - any other ErrConflict (duplicate segment or task id), ErrNotFound and
//     everything else: not retryable, repeating the call gives the same answer.
//
// An unreachable store is a different question, answered by IsTransient.
func IsRetryable(err error) bool {
	if mm, ok := errors.AsType[*OffsetMismatchError](err); ok {
		return mm.Retryable
	}
	return errors.Is(err, ErrConcurrentUpdate)
}

// IsTransient reports whether a Store error means the store could not be
// reached or dropped the connection, so the same call is expected to succeed
// once the database is back: the outage cases of Druid's
// SQLMetadataConnector.isTransientException. It is the one place this package
// decides that, and it looks only at standard interfaces so that it needs no
// driver import:
//
//   - the caller's own context ending is never transient: retrying cannot help;
//   - a PostgreSQL SQLSTATE (anything with a SQLState() method, such as
//     *pgconn.PgError) of class 08 (connection exception), 57P01
//     admin_shutdown, 57P02 crash_shutdown or 57P03 cannot_connect_now (the
//     server is starting or stopping);
//   - a refused, reset or broken connection, a network error or an
//     unexpected EOF on the connection (pgconn wraps these in
//     *pgconn.ConnectError and its internal errors, which unwrap to them);
//   - an error that says it is safe to retry (pgconn's SafeToRetry: the
//     request never reached the server).
//
// After a transient error the outcome of a write is unknown: it may have
// committed before the connection broke. Callers that retry a write must
// recognise their own committed write, as the publish does through the
// offsets compare-and-swap.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		switch code := coded.SQLState(); {
		case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03":
			return true
		}
	}
	for _, e := range []error{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE, syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH, io.ErrUnexpectedEOF, io.EOF, net.ErrClosed} {
		if errors.Is(err, e) {
			return true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var safe interface{ SafeToRetry() bool }
	return errors.As(err, &safe) && safe.SafeToRetry()
}
