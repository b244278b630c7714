// Package postgres is the shared metadata store: the Druid Overlord's
// metadata storage (druid_supervisors, druid_dataSource, druid_segments,
// druid_pendingSegments, druid_tasks, druid_audit) in PostgreSQL through
// pgx/v5, as Druid's postgresql-metadata-storage extension keeps it.
//
// Several processes may share one database (or one schema: tables are
// created in the connection's search_path). Writers of the same row are
// serialised with transaction-level advisory locks keyed by the schema and
// the row's key, plus SELECT ... FOR UPDATE and Druid's compare-and-swap on
// commit_metadata_sha1 for the offsets. Tables and queries are shared with
// metadata/embedded and described in the package doc of
// metadata/internal/sqlstore.
package postgres
