package client

import "encoding/json"

// ServerInfo is the answer of GET /status.
type ServerInfo struct {
	// Version is the server's version string.
	Version string `json:"version"`
	// KafkaIndexer is true only on kafka-indexer, which is how the client
	// tells it apart from real Druid (whose /status has version and modules).
	KafkaIndexer bool `json:"kafkaIndexer"`
	// Modules lists Druid extensions (Druid only).
	Modules json.RawMessage `json:"modules,omitempty"`
}

// SupervisorStatus is one item of GET /supervisor?full or ?state=true
// (Druid's SupervisorStatus). Spec is set only by ListSupervisorsFull.
type SupervisorStatus struct {
	ID            string          `json:"id"`
	State         string          `json:"state"`
	DetailedState string          `json:"detailedState"`
	Healthy       bool            `json:"healthy"`
	Suspended     bool            `json:"suspended"`
	Type          string          `json:"type,omitempty"`
	Source        string          `json:"source,omitempty"`
	Spec          json.RawMessage `json:"spec,omitempty"`
}

// SupervisorReport is the answer of GET /supervisor/{id}/status (Druid's
// SupervisorReport with a KafkaSupervisorReportPayload).
type SupervisorReport struct {
	ID             string                  `json:"id"`
	GenerationTime string                  `json:"generationTime"`
	Payload        SupervisorReportPayload `json:"payload"`
}

// SupervisorReportPayload is the payload of a SupervisorReport. Maps are keyed
// by partition id as a string ("topic:partition" for topicPattern).
type SupervisorReportPayload struct {
	DataSource         string           `json:"dataSource"`
	Stream             string           `json:"stream"`
	Partitions         int              `json:"partitions"`
	Replicas           int              `json:"replicas"`
	DurationSeconds    int64            `json:"durationSeconds"`
	ActiveTasks        []TaskReport     `json:"activeTasks"`
	PublishingTasks    []TaskReport     `json:"publishingTasks"`
	LatestOffsets      map[string]int64 `json:"latestOffsets,omitempty"`
	MinimumLag         map[string]int64 `json:"minimumLag,omitempty"`
	AggregateLag       *int64           `json:"aggregateLag,omitempty"`
	OffsetsLastUpdated string           `json:"offsetsLastUpdated,omitempty"`
	Suspended          bool             `json:"suspended"`
	Healthy            bool             `json:"healthy"`
	State              string           `json:"state"`
	DetailedState      string           `json:"detailedState"`
	RecentErrors       []ErrorEvent     `json:"recentErrors,omitempty"`
}

// TaskReport is Druid's TaskReportData: one reading or publishing task.
type TaskReport struct {
	ID               string           `json:"id"`
	StartingOffsets  map[string]int64 `json:"startingOffsets,omitempty"`
	StartTime        *string          `json:"startTime"`
	RemainingSeconds *int64           `json:"remainingSeconds"`
	Type             string           `json:"type"` // ACTIVE or PUBLISHING
	CurrentOffsets   map[string]int64 `json:"currentOffsets,omitempty"`
	Lag              map[string]int64 `json:"lag,omitempty"`
}

// ErrorEvent is an entry of recentErrors.
type ErrorEvent struct {
	Timestamp       string `json:"timestamp"`
	ExceptionClass  string `json:"exceptionClass"`
	Message         string `json:"message"`
	StreamException bool   `json:"streamException"`
}

// HistoryEntry is one stored version of a supervisor spec, newest first in
// history answers. A terminated supervisor leaves a tombstone entry whose
// spec has type NoopSupervisorSpec.
type HistoryEntry struct {
	Spec    json.RawMessage `json:"spec"`
	Version string          `json:"version"`
}
