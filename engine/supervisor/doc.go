// Package supervisor implements Druid's supervisor layer for Kafka: the Manager (Druid's
// SupervisorManager and SQLMetadataSupervisorManager) that accepts, persists, versions,
// suspends, resumes, resets and terminates supervisor specs, and the per-supervisor state
// that the status, health, stats and history endpoints report (SeekableStreamSupervisor,
// SupervisorStateManager).
//
// Every spec change appends a row to the metadata store's supervisor table, so history survives
// restarts; terminate appends a tombstone, and a supervisor whose latest row is a tombstone is
// not started again.
package supervisor
