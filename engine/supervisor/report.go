package supervisor

import "encoding/json"

// Status is one item of GET /supervisor?full, ?state=true or ?system (Druid's SupervisorStatus).
// Nulls are omitted; healthy and suspended are always present.
type Status struct {
	ID            string          `json:"id"`
	State         State           `json:"state"`
	DetailedState State           `json:"detailedState"`
	Healthy       bool            `json:"healthy"`
	Spec          json.RawMessage `json:"spec,omitempty"`
	SpecString    string          `json:"specString,omitempty"`
	Type          string          `json:"type,omitempty"`
	Source        string          `json:"source,omitempty"`
	Suspended     bool            `json:"suspended"`
}

// Report is GET /supervisor/{id}/status (Druid's SupervisorReport of a
// KafkaSupervisorReportPayload).
type Report struct {
	ID             string        `json:"id"`
	GenerationTime string        `json:"generationTime"`
	Payload        ReportPayload `json:"payload"`
}

// ReportPayload is the status report body. Lag fields are pointers because Druid omits them
// until the first offset fetch from Kafka.
type ReportPayload struct {
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
	OffsetsLastUpdated *string          `json:"offsetsLastUpdated,omitempty"`
	Suspended          bool             `json:"suspended"`
	Healthy            bool             `json:"healthy"`
	State              State            `json:"state"`
	DetailedState      State            `json:"detailedState"`
	RecentErrors       []ErrorEvent     `json:"recentErrors"`
}

// TaskReport is one task in the status report (Druid's TaskReportData). startTime and
// remainingSeconds are present as null until known.
type TaskReport struct {
	ID               string           `json:"id"`
	StartingOffsets  map[string]int64 `json:"startingOffsets,omitempty"`
	StartTime        *string          `json:"startTime"`
	RemainingSeconds *int64           `json:"remainingSeconds"`
	Type             string           `json:"type"`
	CurrentOffsets   map[string]int64 `json:"currentOffsets,omitempty"`
	Lag              map[string]int64 `json:"lag,omitempty"`
}

// ErrorEvent is one entry of recentErrors.
type ErrorEvent struct {
	Timestamp       string `json:"timestamp"`
	ExceptionClass  string `json:"exceptionClass"`
	Message         string `json:"message"`
	StreamException bool   `json:"streamException"`
}

// HistoryEntry is one spec version: the stored spec and its creation time as "version".
type HistoryEntry struct {
	Spec    json.RawMessage `json:"spec"`
	Version string          `json:"version"`
}
