package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/internal/sqlstore"
)

var _ metadata.Store = (*Store)(nil)

// Store is the PostgreSQL metadata store. Its methods are documented on
// metadata.Store.
type Store struct {
	*sqlstore.Store
}

var dialect = sqlstore.Dialect{
	Name:      "postgres",
	Serial:    "BIGSERIAL PRIMARY KEY",
	Blob:      "BYTEA",
	ForUpdate: " FOR UPDATE",
	ForShare:  " FOR SHARE",
	// clock_timestamp, not now(): now() is the transaction's start, and a lease
	// must end by the time of the statement that checks it.
	NowMillis: "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT",
}

// Open connects to the database at dsn (a pgx connection string; a
// search_path parameter selects the schema) and applies pending schema
// migrations. The pool it opens is closed by Close; it starts pgxpool's
// background health-check goroutine and nothing else.
func Open(ctx context.Context, dsn string) (_ *Store, err error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open metadata store: %w", err)
	}
	// A process stopped (SIGSTOP, a VM pause) inside a transaction must not hold its row
	// locks for ever: a publish holds the leader lease's row FOR SHARE, and the next leader
	// cannot take the lease until that transaction ends. The server ends such a session
	// (rolling the transaction back) after this long idle; none of ours pauses that long
	// between statements while its process runs. A dsn that sets it wins.
	if _, set := cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !set {
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = idleInTxTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open metadata store: %w", err)
	}
	b := &backend{pool: pool}
	defer func() {
		if err != nil {
			pool.Close()
		}
	}()
	if err := pool.Ping(ctx); err != nil {
		return nil, fmt.Errorf("open metadata store: %w", err)
	}
	if err := sqlstore.Migrate(ctx, b, dialect); err != nil {
		return nil, fmt.Errorf("migrate metadata store: %w", err)
	}
	return &Store{Store: sqlstore.New(b, dialect)}, nil
}

// idleInTxTimeout is the session's idle_in_transaction_session_timeout, in milliseconds.
const idleInTxTimeout = "5000"

// backend adapts pgxpool to sqlstore.Backend.
type backend struct {
	pool *pgxpool.Pool
}

// maxAttempts bounds how often Write re-runs a transaction that PostgreSQL
// aborted for a serialization failure or deadlock.
const maxAttempts = 5

func (b *backend) Write(ctx context.Context, lockKeys []string, fn func(sqlstore.Tx) error) error {
	keys := slices.Compact(slices.Sorted(slices.Values(lockKeys))) // fixed order: no lock-order deadlocks
	var err error
	for range maxAttempts {
		err = b.writeOnce(ctx, keys, fn)
		if !retryable(err) {
			return err
		}
	}
	return err
}

func (b *backend) writeOnce(ctx context.Context, keys []string, fn func(sqlstore.Tx) error) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		for _, k := range keys {
			// The schema is part of the key so stores in different schemas
			// of one database do not wait for each other.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || $1, 0))`, k); err != nil {
				return fmt.Errorf("lock %s: %w", k, err)
			}
		}
		return fn(adapter{tx})
	})
}

// retryable reports whether PostgreSQL aborted the transaction in a way that
// a re-run can fix: serialization_failure (40001) or deadlock_detected
// (40P01).
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

func (b *backend) Read(ctx context.Context, fn func(sqlstore.Tx) error) error {
	return fn(adapter{b.pool})
}

func (b *backend) Close() error {
	b.pool.Close()
	return nil
}

// querier is what pgx.Tx and *pgxpool.Pool share.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type adapter struct{ q querier }

func (a adapter) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := a.q.Exec(ctx, rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (a adapter) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return a.q.Query(ctx, rebind(query), args...)
}

func (a adapter) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return a.q.QueryRow(ctx, rebind(query), args...)
}

// rebind turns the shared queries' "?" placeholders into $1, $2, ... The
// shared SQL has no "?" inside literals or identifiers.
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
