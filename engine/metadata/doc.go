// Package metadata defines the metadata store of kafka-indexer: the
// re-implementation of the Druid Overlord's metadata storage
// (IndexerSQLMetadataStorageCoordinator, SQLMetadataSupervisorManager and
// SQLMetadataConnector over the druid_* tables).
//
// The Store interface covers the Druid tables that matter to streaming
// ingestion:
//
//	druid_supervisors      -> supervisors          append-only supervisor spec history
//	druid_dataSource       -> datasource_metadata  committed Kafka end offsets per supervisor
//	druid_segments         -> segments             published segments
//	druid_pendingSegments  -> pending_segments     allocated, not yet published segment ids
//	druid_tasks            -> tasks                task payloads and statuses
//	druid_audit            -> audit                audit trail of spec changes
//
// The heart of the package is Store.Publish, Druid's
// SegmentTransactionalInsertAction: segments and the new end offsets are
// committed in one transaction, and only if the publisher's start offsets
// match what is stored. That compare-and-swap is what makes Kafka ingestion
// exactly-once; a lost swap comes back as an *OffsetMismatchError.
//
// Implementations live in subpackages: metadata/embedded (SQLite, for a single
// process) and metadata/postgres (PostgreSQL, for several processes sharing
// one store). Both pass the conformance suite in metadata/metadatatest.
package metadata
