// Package embedded is the single-process metadata store: the Druid Overlord's
// metadata storage (druid_supervisors, druid_dataSource, druid_segments,
// druid_pendingSegments, druid_tasks, druid_audit) kept in an SQLite
// database file through the pure-Go modernc.org/sqlite driver, in the spirit
// of Druid's Derby metadata store for single-node setups.
//
// The database is one file, metadata.db, in the directory given to Open,
// in WAL mode. Writes go through a single connection and every write
// transaction starts with BEGIN IMMEDIATE, so writers (also in other
// processes) are serialised and readers never block them. Tables and queries
// are shared with metadata/postgres and described in the package doc of
// metadata/internal/sqlstore.
package embedded
