package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

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

// BoundOrderings lists the orderings of a bound filter, lower-case. Druid's "version" ordering is
// not supported.
var BoundOrderings = []string{"lexicographic", "alphanumeric", "numeric", "strlen"}

// FilterValue turns a filter value (selector value, in values, equals matchValue, bound and range
// lower and upper) into the string the filter compares; notNull is false for null. Integral
// numbers print without a fraction, so 7.0 matches "7". It fails for objects and arrays, which
// ValidateFilter reports.
func FilterValue(x any) (s string, notNull bool, err error) {
	switch v := x.(type) {
	case nil:
		return "", false, nil
	case string:
		return v, true, nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10), true, nil
		}
		return strconv.FormatFloat(v, 'g', -1, 64), true, nil
	case int:
		return strconv.Itoa(v), true, nil
	case int64:
		return strconv.FormatInt(v, 10), true, nil
	case json.Number:
		return v.String(), true, nil
	case bool:
		return strconv.FormatBool(v), true, nil
	}
	return "", false, fmt.Errorf("must be a string, number or null")
}
