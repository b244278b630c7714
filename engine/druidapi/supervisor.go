package druidapi

import "encoding/json"

// SupervisorStatus is one item of GET /supervisor?full, ?state=true or ?system (Druid's
// SupervisorStatus). Nulls are omitted; healthy and suspended are always present. Spec is set
// only for ?full, SpecString only for ?system.
//
// States are Druid's wire names (SupervisorStateManager.BasicState and
// SeekableStreamSupervisorStateManager.SeekableStreamState: RUNNING, UNHEALTHY_SUPERVISOR, ...)
// held as plain strings: the server derives them from its own state table, and a client must
// take whatever state a newer Druid sends.
type SupervisorStatus struct {
	ID            string          `json:"id"`
	State         string          `json:"state"`
	DetailedState string          `json:"detailedState"`
	Healthy       bool            `json:"healthy"`
	Spec          json.RawMessage `json:"spec,omitempty"`
	SpecString    string          `json:"specString,omitempty"`
	Type          string          `json:"type,omitempty"`
	Source        string          `json:"source,omitempty"`
	Suspended     bool            `json:"suspended"`
}

// SupervisorReport is the answer of GET /supervisor/{id}/status (Druid's SupervisorReport of a
// KafkaSupervisorReportPayload).
type SupervisorReport struct {
	ID             string                  `json:"id"`
	GenerationTime string                  `json:"generationTime"`
	Payload        SupervisorReportPayload `json:"payload"`
}

// SupervisorReportPayload is the status report body (Druid's KafkaSupervisorReportPayload). Maps
// are keyed by partition id as a string ("topic:partition" for topicPattern). Lag fields and
// offsetsLastUpdated are omitted until the first offset fetch from Kafka, as Druid does, hence
// the pointers; recentErrors is always present, [] when there are none.
type SupervisorReportPayload struct {
	DataSource      string           `json:"dataSource"`
	Stream          string           `json:"stream"`
	Partitions      int              `json:"partitions"`
	Replicas        int              `json:"replicas"`
	DurationSeconds int64            `json:"durationSeconds"`
	ActiveTasks     []TaskReportData `json:"activeTasks"`
	PublishingTasks []TaskReportData `json:"publishingTasks"`
	LatestOffsets   map[string]int64 `json:"latestOffsets,omitempty"`
	MinimumLag      map[string]int64 `json:"minimumLag,omitempty"`
	AggregateLag    *int64           `json:"aggregateLag,omitempty"`
	// MinimumLagMillis and AggregateLagMillis are the time lag: per partition, the newest
	// record's timestamp minus that of the next record the reading task will read, in ms, and
	// their sum. Druid fills them for Kinesis only; we fill them for Kafka too. Omitted until
	// measured.
	MinimumLagMillis   map[string]int64 `json:"minimumLagMillis,omitempty"`
	AggregateLagMillis *int64           `json:"aggregateLagMillis,omitempty"`
	OffsetsLastUpdated *string          `json:"offsetsLastUpdated,omitempty"`
	Suspended          bool             `json:"suspended"`
	Healthy            bool             `json:"healthy"`
	State              string           `json:"state"`
	DetailedState      string           `json:"detailedState"`
	RecentErrors       []ExceptionEvent `json:"recentErrors"`
}

// TaskReportData is one reading or publishing task in the status report (Druid's
// TaskReportData). startTime and remainingSeconds are present as null until known.
type TaskReportData struct {
	ID               string           `json:"id"`
	StartingOffsets  map[string]int64 `json:"startingOffsets,omitempty"`
	StartTime        *string          `json:"startTime"`
	RemainingSeconds *int64           `json:"remainingSeconds"`
	Type             string           `json:"type"` // ACTIVE or PUBLISHING
	CurrentOffsets   map[string]int64 `json:"currentOffsets,omitempty"`
	Lag              map[string]int64 `json:"lag,omitempty"`
}

// ExceptionEvent is one entry of recentErrors (Druid's SupervisorStateManager.ExceptionEvent).
// Timestamp is in TimeLayout.
type ExceptionEvent struct {
	Timestamp       string `json:"timestamp"`
	ExceptionClass  string `json:"exceptionClass"`
	Message         string `json:"message"`
	StreamException bool   `json:"streamException"`
}

// VersionedSupervisorSpec is one stored version of a supervisor spec in history answers, newest
// first (Druid's VersionedSupervisorSpec): the spec and its creation time as "version". A
// terminated supervisor leaves a tombstone entry whose spec has type NoopSupervisorSpec.
type VersionedSupervisorSpec struct {
	Spec    json.RawMessage `json:"spec"`
	Version string          `json:"version"`
}

// SupervisorHealth is the body of GET /supervisor/{id}/health: 200 when healthy, 503 with
// healthy false otherwise (Druid's SupervisorResource.specGetHealth).
type SupervisorHealth struct {
	Healthy bool `json:"healthy"`
}

// ValidateAnswer is the answer of POST /supervisor?validateOnly=true, a kafka-indexer dry run
// (Druid ignores the parameter and stores the spec). id and valid are always present; for a
// spec whose supervisor already exists, impact says what submitting it would do to the running
// tasks ("none", "keepTasks", "handoff", "resetRequired"), impactFields lists the JSON paths that
// differ from the stored spec (omitted when none do) and impactReason explains "resetRequired".
// For a new supervisor the three impact fields are omitted.
type ValidateAnswer struct {
	ID           string   `json:"id"`
	Valid        bool     `json:"valid"`
	Impact       string   `json:"impact,omitempty"`
	ImpactFields []string `json:"impactFields,omitempty"`
	ImpactReason string   `json:"impactReason,omitempty"`
	// Warnings name the spec's fields that are accepted without effect (legacy Druid fields;
	// unknown fields under --unknown-spec-fields=warn). Absent when there are none.
	Warnings []string `json:"warnings,omitempty"`
}
