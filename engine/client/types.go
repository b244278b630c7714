package client

import "github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"

// ServerInfo is the answer of GET /status. KafkaIndexer is true only on
// kafka-indexer, which is how the client tells it apart from real Druid (whose
// /status has version, modules and memory).
type ServerInfo = druidapi.ServerStatus

// The supervisor API's answers are Druid's wire types from engine/druidapi, which the server
// encodes too; the names below are this package's view of them, so callers (the provider, the
// CLI) need import only the client.

// SupervisorStatus is one item of GET /supervisor?full or ?state=true
// (Druid's SupervisorStatus). Spec is set only by ListSupervisorsFull.
type SupervisorStatus = druidapi.SupervisorStatus

// SupervisorReport is the answer of GET /supervisor/{id}/status (Druid's
// SupervisorReport with a KafkaSupervisorReportPayload).
type SupervisorReport = druidapi.SupervisorReport

// SupervisorReportPayload is the payload of a SupervisorReport. Maps are keyed
// by partition id as a string ("topic:partition" for topicPattern).
type SupervisorReportPayload = druidapi.SupervisorReportPayload

// TaskReport is Druid's TaskReportData: one reading or publishing task.
type TaskReport = druidapi.TaskReportData

// ErrorEvent is an entry of recentErrors.
type ErrorEvent = druidapi.ExceptionEvent

// HistoryEntry is one stored version of a supervisor spec, newest first in
// history answers. A terminated supervisor leaves a tombstone entry whose
// spec has type NoopSupervisorSpec.
type HistoryEntry = druidapi.VersionedSupervisorSpec

// TimeLayout is Druid's layout of instants on the wire (generationTime and
// recentErrors timestamps of a report).
const TimeLayout = druidapi.TimeLayout
