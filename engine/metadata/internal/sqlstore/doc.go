// Package sqlstore holds the SQL shared by the metadata store
// implementations (metadata/embedded on SQLite, metadata/postgres on
// PostgreSQL): the schema migrations and every query, written once with "?"
// placeholders against a small Backend interface that each implementation
// adapts to its driver.
//
// Tables, after Druid's (prefix "druid_" dropped):
//
//	schema_migrations    version, applied_date
//	supervisors          seq (auto), spec_id, created_date, payload
//	datasource_metadata  datasource (PK, the supervisor id), created_date,
//	                     commit_metadata_payload, commit_metadata_sha1
//	segments             id (PK), datasource, created_date, start, end,
//	                     partitioned, version, partition_num, used, payload,
//	                     num_rows, size, used_status_last_updated
//	pending_segments     id (PK), datasource, created_date, start, end,
//	                     sequence_name, sequence_prev_id,
//	                     sequence_name_prev_id_sha1 (UNIQUE), version,
//	                     partition_num, payload
//	tasks                seq (auto), id (UNIQUE), created_date, datasource,
//	                     payload, status_payload, active, type, group_id
//	audit                seq (auto), audit_key, type, author, comment,
//	                     created_date, payload
//
// Every timestamp column holds a string in druidapi.TimeLayout, as Druid
// stores them, so that ordering by the string is ordering by time.
package sqlstore
