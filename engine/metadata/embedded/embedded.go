package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/internal/sqlstore"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// FileName is the database file Open creates inside its directory.
const FileName = "metadata.db"

// LockFileName is the file in the store's directory that Open locks
// exclusively: the embedded store belongs to one process. Several engine
// processes share a PostgreSQL store instead.
const LockFileName = "LOCK"

// ErrLocked is returned by Open when another process has the store open.
var ErrLocked = errors.New("embedded metadata store is in use by another process (the embedded store serves one node; several nodes need --metadata-uri postgres://…)")

// busyTimeout is how long a connection waits for another process's write
// lock before failing with SQLITE_BUSY.
const busyTimeout = 30 * time.Second

// maxReaders caps concurrent read connections.
const maxReaders = 8

var _ metadata.Store = (*Store)(nil)

// Store is the SQLite metadata store. Its methods are documented on
// metadata.Store.
type Store struct {
	*sqlstore.Store
}

var dialect = sqlstore.Dialect{
	Name:   "sqlite",
	Serial: "INTEGER PRIMARY KEY AUTOINCREMENT",
	Blob:   "BLOB",
	// BEGIN IMMEDIATE already holds the database write lock.
	ForUpdate: "",
	ForShare:  "",
	NowMillis: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
}

// Open opens (creating when missing) the store in directory dir and applies
// pending schema migrations. It starts no goroutines.
func Open(dir string) (_ *Store, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open metadata store in %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	lock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open metadata store in %s: %w", dir, err)
	}
	b := &backend{lock: lock}
	defer func() {
		if err != nil {
			err = errors.Join(err, b.Close())
		}
	}()
	pragmas := url.Values{}
	pragmas.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	pragmas.Add("_pragma", "journal_mode(WAL)")
	pragmas.Add("_pragma", "synchronous(FULL)")
	pragmas.Add("_pragma", "foreign_keys(1)")
	writerQ := url.Values{"_txlock": {"immediate"}}
	for k, v := range pragmas {
		writerQ[k] = v
	}
	if b.writer, err = sql.Open("sqlite", "file:"+path+"?"+writerQ.Encode()); err != nil {
		return nil, fmt.Errorf("open metadata store %s: %w", path, err)
	}
	// One writer connection: writes queue in the pool instead of spinning on
	// SQLITE_BUSY.
	b.writer.SetMaxOpenConns(1)
	b.writer.SetMaxIdleConns(1)
	b.writer.SetConnMaxLifetime(0)
	ctx := context.Background()
	if err := b.writer.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("open metadata store %s: %w", path, err)
	}
	// Migrations create the file's tables before the read-only pool opens.
	if err := sqlstore.Migrate(ctx, b, dialect); err != nil {
		return nil, fmt.Errorf("migrate metadata store %s: %w", path, err)
	}
	readerQ := url.Values{}
	for k, v := range pragmas {
		readerQ[k] = v
	}
	readerQ.Add("_pragma", "query_only(1)")
	if b.reader, err = sql.Open("sqlite", "file:"+path+"?"+readerQ.Encode()); err != nil {
		return nil, fmt.Errorf("open metadata store %s: %w", path, err)
	}
	b.reader.SetMaxOpenConns(maxReaders)
	return &Store{Store: sqlstore.New(b, dialect)}, nil
}

// backend adapts database/sql to sqlstore.Backend.
type backend struct {
	writer, reader *sql.DB
	lock           *os.File // holds the directory's lock; nil where there is none
}

func (b *backend) Write(ctx context.Context, _ []string, fn func(sqlstore.Tx) error) (err error) {
	tx, err := b.writer.BeginTx(ctx, nil) // BEGIN IMMEDIATE, from _txlock
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(txAdapter{tx}); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

func (b *backend) Read(ctx context.Context, fn func(sqlstore.Tx) error) error {
	db := b.reader
	if db == nil { // during migration
		db = b.writer
	}
	return fn(txAdapter{db})
}

// Close closes the reader pool, then the writer, whose last connection
// checkpoints the WAL.
func (b *backend) Close() error {
	var errs []error
	if b.reader != nil {
		errs = append(errs, b.reader.Close())
	}
	if b.writer != nil {
		errs = append(errs, b.writer.Close())
	}
	if b.lock != nil {
		errs = append(errs, b.lock.Close()) // releases the flock
	}
	return errors.Join(errs...)
}

// execQuerier is what *sql.Tx and *sql.DB share.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type txAdapter struct{ q execQuerier }

func (a txAdapter) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := a.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (a txAdapter) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := a.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rowsAdapter{rows}, nil
}

func (a txAdapter) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return a.q.QueryRowContext(ctx, query, args...)
}

type rowsAdapter struct{ *sql.Rows }

func (r rowsAdapter) Close() { _ = r.Rows.Close() }
