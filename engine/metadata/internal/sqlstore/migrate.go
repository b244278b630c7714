package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// migration is one numbered schema step. Versions are persisted in
// schema_migrations and must never be renumbered; a step, once shipped, is
// never edited (add a new one instead).
type migration struct {
	version int
	name    string
	stmts   []string
}

// migrations lists every schema step in the order they shipped. {serial} and
// {blob} are replaced by the Dialect's column types.
var migrations = []migration{
	{
		version: 1,
		name:    "initial druid tables",
		stmts: []string{
			`CREATE TABLE supervisors (
				seq {serial},
				spec_id TEXT NOT NULL,
				created_date TEXT NOT NULL,
				payload {blob} NOT NULL)`,
			`CREATE INDEX supervisors_spec_id_seq ON supervisors (spec_id, seq)`,
			`CREATE TABLE datasource_metadata (
				datasource TEXT NOT NULL PRIMARY KEY,
				created_date TEXT NOT NULL,
				commit_metadata_payload {blob} NOT NULL,
				commit_metadata_sha1 TEXT NOT NULL)`,
			`CREATE TABLE segments (
				id TEXT NOT NULL PRIMARY KEY,
				datasource TEXT NOT NULL,
				created_date TEXT NOT NULL,
				"start" TEXT NOT NULL,
				"end" TEXT NOT NULL,
				partitioned BOOLEAN NOT NULL,
				version TEXT NOT NULL,
				partition_num BIGINT NOT NULL,
				used BOOLEAN NOT NULL,
				payload {blob} NOT NULL,
				num_rows BIGINT NOT NULL,
				size BIGINT NOT NULL,
				used_status_last_updated TEXT NOT NULL)`,
			`CREATE INDEX segments_datasource_used ON segments (datasource, used)`,
			`CREATE INDEX segments_interval ON segments (datasource, "start", "end")`,
			`CREATE TABLE pending_segments (
				id TEXT NOT NULL PRIMARY KEY,
				datasource TEXT NOT NULL,
				created_date TEXT NOT NULL,
				"start" TEXT NOT NULL,
				"end" TEXT NOT NULL,
				sequence_name TEXT NOT NULL,
				sequence_prev_id TEXT NOT NULL,
				sequence_name_prev_id_sha1 TEXT NOT NULL UNIQUE,
				version TEXT NOT NULL,
				partition_num BIGINT NOT NULL,
				payload {blob} NOT NULL)`,
			`CREATE INDEX pending_segments_interval ON pending_segments (datasource, "start", "end")`,
			`CREATE TABLE tasks (
				seq {serial},
				id TEXT NOT NULL UNIQUE,
				created_date TEXT NOT NULL,
				datasource TEXT NOT NULL,
				payload {blob} NOT NULL,
				status_payload {blob} NOT NULL,
				active BOOLEAN NOT NULL,
				type TEXT NOT NULL,
				group_id TEXT NOT NULL)`,
			`CREATE INDEX tasks_active_created ON tasks (active, created_date)`,
			`CREATE TABLE audit (
				seq {serial},
				audit_key TEXT NOT NULL,
				type TEXT NOT NULL,
				author TEXT NOT NULL,
				comment TEXT NOT NULL,
				created_date TEXT NOT NULL,
				payload {blob} NOT NULL)`,
			`CREATE INDEX audit_key_seq ON audit (audit_key, seq)`,
		},
	},
	{
		version: 2,
		name:    "leader leases",
		stmts: []string{
			// expires_at is milliseconds since the epoch by the database's clock
			// (Dialect.NowMillis), so that the nodes' clocks never decide who leads.
			`CREATE TABLE leader_leases (
				name TEXT NOT NULL PRIMARY KEY,
				holder TEXT NOT NULL,
				url TEXT NOT NULL,
				term BIGINT NOT NULL,
				expires_at BIGINT NOT NULL)`,
		},
	},
	{
		version: 3,
		name:    "workers",
		stmts: []string{
			// last_heartbeat is milliseconds since the epoch by the database's clock, as
			// leader_leases.expires_at; running_tasks is a JSON list of task ids.
			`CREATE TABLE workers (
				url TEXT NOT NULL PRIMARY KEY,
				capacity BIGINT NOT NULL,
				version TEXT NOT NULL,
				running_tasks TEXT NOT NULL,
				last_heartbeat BIGINT NOT NULL)`,
			// A task's worker, set once by the leader; the task runs there until it ends.
			`CREATE TABLE task_assignments (
				task_id TEXT NOT NULL PRIMARY KEY,
				worker TEXT NOT NULL)`,
			`CREATE INDEX task_assignments_worker ON task_assignments (worker)`,
		},
	},
	{
		version: 4,
		name:    "config",
		stmts: []string{
			// Druid's druid_config: dynamic configuration by name (the worker behaviour
			// config is "worker.config"); its changes are audited in audit.
			`CREATE TABLE config (
				name TEXT NOT NULL PRIMARY KEY,
				payload {blob} NOT NULL)`,
		},
	},
}

// migrateLockKey serialises concurrent Opens of one database.
const migrateLockKey = "schema_migrations"

// Migrate brings the schema up to date, applying each missing step in its own
// transaction. It is idempotent and safe to run from several processes at
// once.
func Migrate(ctx context.Context, b Backend, d Dialect) error {
	err := b.Write(ctx, []string{migrateLockKey}, func(tx Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version BIGINT NOT NULL PRIMARY KEY,
			name TEXT NOT NULL,
			applied_date TEXT NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range migrations {
		err := b.Write(ctx, []string{migrateLockKey}, func(tx Tx) error {
			var n int64
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range m.stmts {
				stmt = strings.NewReplacer("{serial}", d.Serial, "{blob}", d.Blob).Replace(stmt)
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_date) VALUES (?, ?, ?)`,
				m.version, m.name, druidapi.FormatTime(time.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

// SchemaVersion returns the newest migration version this build knows.
func SchemaVersion() int { return migrations[len(migrations)-1].version }
