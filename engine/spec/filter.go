package spec

import "encoding/json"

// MarshalJSON writes the filter; a selector always carries "value", because a null value means
// "matches null" and must survive an echo.
func (f Filter) MarshalJSON() ([]byte, error) {
	type plain Filter
	b, err := json.Marshal(plain(f))
	if err != nil || f.Type != "selector" || f.Value != nil {
		return b, err
	}
	return append(b[:len(b)-1], []byte(`,"value":null}`)...), nil
}

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
	LowerStrict bool   `json:"lowerStrict,omitempty"` // bound
	UpperStrict bool   `json:"upperStrict,omitempty"`
	LowerOpen   bool   `json:"lowerOpen,omitempty"` // range
	UpperOpen   bool   `json:"upperOpen,omitempty"`
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
