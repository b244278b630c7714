package spec

import "encoding/json"

// Filter is a Druid query filter, used by transformSpec.filter and filtered aggregators (and by
// native queries). One struct holds every supported type; validation checks that each type has
// the fields it needs.
type Filter struct {
	Type string `json:"type"`

	Dimension string `json:"dimension,omitempty"` // selector, in, bound, like, regex, search
	Column    string `json:"column,omitempty"`    // equals, range, null

	Value          any    `json:"value,omitempty"`          // selector
	Values         []any  `json:"values,omitempty"`         // in
	MatchValueType string `json:"matchValueType,omitempty"` // equals, range
	MatchValue     any    `json:"matchValue,omitempty"`     // equals

	Lower       any    `json:"lower,omitempty"` // bound (string), range (typed)
	Upper       any    `json:"upper,omitempty"`
	LowerStrict bool   `json:"lowerStrict,omitempty"`
	UpperStrict bool   `json:"upperStrict,omitempty"`
	Ordering    string `json:"ordering,omitempty"` // bound: lexicographic, numeric, alphanumeric, strlen

	Pattern string `json:"pattern,omitempty"` // like, regex
	Escape  string `json:"escape,omitempty"`  // like

	Field  *Filter   `json:"field,omitempty"`  // not
	Fields []*Filter `json:"fields,omitempty"` // and, or

	ExtractionFn json.RawMessage `json:"extractionFn,omitempty"`
	Expression   string          `json:"expression,omitempty"` // expression filter
}

// FilterTypes lists the filter types the engine evaluates.
var FilterTypes = []string{"selector", "equals", "in", "bound", "range", "like", "regex", "null", "and", "or", "not", "true", "false", "expression"}
