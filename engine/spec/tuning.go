package spec

import (
	"encoding/json"
	"math"
)

// TuningConfig is KafkaSupervisorTuningConfig (and the task's KafkaIndexTaskTuningConfig).
// Numeric fields hold Druid's defaults after Decode.
type TuningConfig struct {
	Type                                string               `json:"type"`
	AppendableIndexSpec                 *AppendableIndexSpec `json:"appendableIndexSpec"`
	MaxRowsInMemory                     int64                `json:"maxRowsInMemory"`
	MaxBytesInMemory                    int64                `json:"maxBytesInMemory"`
	SkipBytesInMemoryOverheadCheck      bool                 `json:"skipBytesInMemoryOverheadCheck"`
	MaxRowsPerSegment                   int64                `json:"maxRowsPerSegment"`
	MaxTotalRows                        *int64               `json:"maxTotalRows"`
	IntermediatePersistPeriod           Period               `json:"intermediatePersistPeriod"`
	MaxPendingPersists                  int                  `json:"maxPendingPersists"`
	IndexSpec                           *IndexSpec           `json:"indexSpec"`
	IndexSpecForIntermediatePersists    *IndexSpec           `json:"indexSpecForIntermediatePersists"`
	ReportParseExceptions               bool                 `json:"reportParseExceptions"`
	HandoffConditionTimeout             int64                `json:"handoffConditionTimeout"`
	ResetOffsetAutomatically            bool                 `json:"resetOffsetAutomatically"`
	SegmentWriteOutMediumFactory        *WriteOutMedium      `json:"segmentWriteOutMediumFactory"`
	WorkerThreads                       *int                 `json:"workerThreads"`
	ChatThreads                         *int                 `json:"chatThreads"`
	ChatRetries                         int64                `json:"chatRetries"`
	HTTPTimeout                         Period               `json:"httpTimeout"`
	ShutdownTimeout                     Period               `json:"shutdownTimeout"`
	OffsetFetchPeriod                   Period               `json:"offsetFetchPeriod"`
	IntermediateHandoffPeriod           Period               `json:"intermediateHandoffPeriod"`
	LogParseExceptions                  bool                 `json:"logParseExceptions"`
	MaxParseExceptions                  int64                `json:"maxParseExceptions"`
	MaxSavedParseExceptions             int64                `json:"maxSavedParseExceptions"`
	SkipSequenceNumberAvailabilityCheck bool                 `json:"skipSequenceNumberAvailabilityCheck"`
	RepartitionTransitionDuration       Period               `json:"repartitionTransitionDuration"`
	NumPersistThreads                   int                  `json:"numPersistThreads"`
	ChatAsync                           bool                 `json:"chatAsync"`
	// NumParseThreads is how many goroutines of a task parse records while one goroutine
	// indexes them (not a Druid field): 1 parses on the indexing goroutine itself; 0 (unset)
	// starts min(GOMAXPROCS, 4) and uses them for a fetch only while the process runs fewer
	// tasks than GOMAXPROCS, parsing inline otherwise (the task package decides per fetch). It
	// is echoed only when set, so specs without it keep their echo.
	NumParseThreads int `json:"numParseThreads"`
	// Legacy holds the Druid fields that have no effect here (buildV9Directly,
	// maxColumnsToMerge, …; see legacyFields) exactly as submitted, for the echo.
	Legacy map[string]json.RawMessage `json:"-"`
}

// AppendableIndexSpec is tuningConfig.appendableIndexSpec.
type AppendableIndexSpec struct {
	Type                    string `json:"type"`
	PreserveExistingMetrics bool   `json:"preserveExistingMetrics"`
}

// WriteOutMedium is tuningConfig.segmentWriteOutMediumFactory.
type WriteOutMedium struct {
	Type string `json:"type"`
}

// IndexSpec says how segment columns are encoded.
type IndexSpec struct {
	Bitmap                   *BitmapSpec     `json:"bitmap,omitempty"`
	DimensionCompression     string          `json:"dimensionCompression,omitempty"`
	StringDictionaryEncoding json.RawMessage `json:"stringDictionaryEncoding,omitempty"`
	MetricCompression        string          `json:"metricCompression,omitempty"`
	LongEncoding             string          `json:"longEncoding,omitempty"`
	JSONCompression          string          `json:"jsonCompression,omitempty"`
	ComplexMetricCompression string          `json:"complexMetricCompression,omitempty"`
}

// BitmapSpec is indexSpec.bitmap.
type BitmapSpec struct {
	Type                       string `json:"type"`
	CompressRunOnSerialization *bool  `json:"compressRunOnSerialization,omitempty"`
}

// DefaultTuningConfig returns KafkaSupervisorTuningConfig's defaults as Druid echoes them.
func DefaultTuningConfig() TuningConfig {
	return TuningConfig{
		Type:                          "kafka",
		AppendableIndexSpec:           &AppendableIndexSpec{Type: "onheap"},
		MaxRowsInMemory:               150000,
		MaxRowsPerSegment:             5000000,
		IntermediatePersistPeriod:     MustPeriod("PT10M"),
		HandoffConditionTimeout:       900000,
		ChatRetries:                   8,
		HTTPTimeout:                   MustPeriod("PT10S"),
		ShutdownTimeout:               MustPeriod("PT80S"),
		OffsetFetchPeriod:             MustPeriod("PT30S"),
		IntermediateHandoffPeriod:     MustPeriod("P2147483647D"),
		MaxParseExceptions:            math.MaxInt32,
		RepartitionTransitionDuration: MustPeriod("PT120S"),
		NumPersistThreads:             1,
		ChatAsync:                     true,
	}
}

// MaxParseThreads is the automatic numParseThreads' upper bound: beyond it the one indexing
// goroutine, not parsing, limits a task.
const MaxParseThreads = 4

// EffectiveParseThreads returns numParseThreads, or min(gomaxprocs, MaxParseThreads) when unset:
// the parse goroutines a task starts. Unset, a task uses them only while the process runs fewer
// tasks than gomaxprocs (see NumParseThreads).
func (t *TuningConfig) EffectiveParseThreads(gomaxprocs int) int {
	if t.NumParseThreads > 0 {
		return t.NumParseThreads
	}
	return max(1, min(gomaxprocs, MaxParseThreads))
}

// DefaultMaxTotalRows is the effective maxTotalRows when unset.
const DefaultMaxTotalRows = 20000000

// EffectiveMaxTotalRows returns maxTotalRows or its default.
func (t *TuningConfig) EffectiveMaxTotalRows() int64 {
	if t.MaxTotalRows == nil {
		return DefaultMaxTotalRows
	}
	return *t.MaxTotalRows
}

// EffectiveParseExceptionLimits applies the deprecated reportParseExceptions override.
func (t *TuningConfig) EffectiveParseExceptionLimits() (maxParse, maxSaved int64) {
	if t.ReportParseExceptions {
		return 0, min(t.MaxSavedParseExceptions, 1)
	}
	return t.MaxParseExceptions, t.MaxSavedParseExceptions
}

// normalizeIndexSpec fills Druid's defaults (roaring, lz4, lz4, longs) and lower-cases the
// names, so a spec echoes what Druid would echo; "zstd" is an opt-in.
func normalizeIndexSpec(s *IndexSpec) *IndexSpec {
	if s == nil {
		s = &IndexSpec{}
	}
	out := *s
	if out.Bitmap == nil {
		out.Bitmap = &BitmapSpec{Type: "roaring"}
	} else {
		b := *out.Bitmap
		b.Type = lower(b.Type)
		out.Bitmap = &b
	}
	out.DimensionCompression = defaultLower(out.DimensionCompression, "lz4")
	out.MetricCompression = defaultLower(out.MetricCompression, "lz4")
	out.LongEncoding = defaultLower(out.LongEncoding, "longs")
	return &out
}
