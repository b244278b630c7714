package spec

// Aggregator is one metricsSpec entry (Druid's AggregatorFactory JSON).
type Aggregator struct {
	Type      string `json:"type"`
	Name      string `json:"name"`
	FieldName string `json:"fieldName,omitempty"`
	// Expression is Druid's alternative input for sum/min/max aggregators.
	Expression     string      `json:"expression,omitempty"`
	MaxStringBytes *int        `json:"maxStringBytes,omitempty"` // stringFirst/Last/Any
	TimeColumn     string      `json:"timeColumn,omitempty"`     // first/last
	Filter         *Filter     `json:"filter,omitempty"`         // filtered
	Aggregator     *Aggregator `json:"aggregator,omitempty"`     // filtered
	Fields         []string    `json:"fields,omitempty"`         // cardinality
	ByRow          bool        `json:"byRow,omitempty"`          // cardinality
	Round          bool        `json:"round,omitempty"`          // hyperUnique, cardinality
	IsInputHyper   bool        `json:"isInputHyperUnique,omitempty"`
	ShouldFinalize *bool       `json:"shouldFinalize,omitempty"`
	Size           *int        `json:"size,omitempty"` // thetaSketch
	IsInputSketch  bool        `json:"isInputThetaSketch,omitempty"`
	LgK            *int        `json:"lgK,omitempty"`        // HLLSketch
	TgtHllType     string      `json:"tgtHllType,omitempty"` // HLLSketch
}

// aggregatorKinds maps each ingestion aggregator type to whether it needs an input field
// (fieldName or expression).
var aggregatorKinds = map[string]bool{
	"count":   false,
	"longSum": true, "doubleSum": true, "floatSum": true,
	"longMin": true, "longMax": true, "doubleMin": true, "doubleMax": true, "floatMin": true, "floatMax": true,
	"longFirst": true, "longLast": true, "doubleFirst": true, "doubleLast": true, "floatFirst": true, "floatLast": true,
	"stringFirst": true, "stringLast": true,
	"longAny": true, "doubleAny": true, "floatAny": true, "stringAny": true,
	"hyperUnique": true, "cardinality": false, "filtered": false,
}

// AggregatorTypes lists the supported ingestion aggregator types.
func AggregatorTypes() []string {
	return []string{"count", "longSum", "doubleSum", "floatSum", "longMin", "longMax", "doubleMin", "doubleMax",
		"floatMin", "floatMax", "longFirst", "longLast", "doubleFirst", "doubleLast", "floatFirst", "floatLast",
		"stringFirst", "stringLast", "longAny", "doubleAny", "floatAny", "stringAny", "hyperUnique", "cardinality", "filtered"}
}
