package supervisor

import "github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"

// The status report's shapes are Druid's wire types, defined once in druidapi and decoded by
// engine/client from the same definitions; these are the server's names for them.

// Status is one item of GET /supervisor?full, ?state=true or ?system (Druid's SupervisorStatus).
// Nulls are omitted; healthy and suspended are always present.
type Status = druidapi.SupervisorStatus

// Report is GET /supervisor/{id}/status (Druid's SupervisorReport of a
// KafkaSupervisorReportPayload).
type Report = druidapi.SupervisorReport

// ReportPayload is the status report body. Lag fields are pointers because Druid omits them
// until the first offset fetch from Kafka.
type ReportPayload = druidapi.SupervisorReportPayload

// TaskReport is one task in the status report (Druid's TaskReportData). startTime and
// remainingSeconds are present as null until known.
type TaskReport = druidapi.TaskReportData

// ErrorEvent is one entry of recentErrors.
type ErrorEvent = druidapi.ExceptionEvent

// HistoryEntry is one spec version: the stored spec and its creation time as "version".
type HistoryEntry = druidapi.VersionedSupervisorSpec
