package sqlstore

import (
	"context"
	"database/sql"
)

// ErrNoRows is returned by Row.Scan when the query returned no row. Adapters
// must return an error for which errors.Is(err, ErrNoRows) holds.
var ErrNoRows = sql.ErrNoRows

// Row is a single-row query result.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a multi-row query result.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Tx runs statements. Queries use "?" placeholders; the adapter rewrites them
// for its driver.
type Tx interface {
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Backend is what an implementation provides.
type Backend interface {
	// Write runs fn in a read-write transaction, committing when fn returns
	// nil and rolling back otherwise. Before fn runs, the transaction must be
	// serialised against every other Write holding any of lockKeys, also in
	// other processes: PostgreSQL takes transaction-level advisory locks,
	// SQLite takes the database write lock (BEGIN IMMEDIATE) and ignores the
	// keys.
	Write(ctx context.Context, lockKeys []string, fn func(Tx) error) error
	// Read runs fn with a querier that sees committed data.
	Read(ctx context.Context, fn func(Tx) error) error
	// Close releases the backend.
	Close() error
}

// Dialect holds the few SQL differences the shared code must know.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// Serial is the column definition of an auto-increment primary key.
	Serial string
	// Blob is the binary column type.
	Blob string
	// ForUpdate is appended to a SELECT that reads a row the transaction
	// will update ("" where the whole database is write-locked anyway).
	ForUpdate string
	// ForShare is appended to a SELECT that reads a row which must not change
	// before the transaction commits ("" where the whole database is
	// write-locked anyway).
	ForShare string
	// NowMillis is an SQL expression for the database's current time in
	// milliseconds since the epoch: leases are timed by the one clock every
	// node shares.
	NowMillis string
}
