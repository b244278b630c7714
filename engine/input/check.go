package input

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// numType is the storage type of a typedColumn.
type numType uint8

const (
	numDouble numType = iota
	numLong
	numFloat
)

func (t numType) String() string {
	switch t {
	case numLong:
		return "long"
	case numFloat:
		return "float"
	}
	return "double"
}

// typedColumn is a column that must hold numbers: a long/float/double dimension or the input
// of a numeric aggregator.
type typedColumn struct {
	name string
	typ  numType
	what string // "dimension" or "metric input"
}

func metricInputType(a *spec.Aggregator) (typedColumn, bool) {
	t := a.Type
	switch {
	case strings.HasPrefix(t, "long"):
		return typedColumn{typ: numLong, what: "metric input"}, true
	case strings.HasPrefix(t, "float"):
		return typedColumn{typ: numFloat, what: "metric input"}, true
	case strings.HasPrefix(t, "double"):
		return typedColumn{typ: numDouble, what: "metric input"}, true
	}
	return typedColumn{}, false
}

// CheckTypes verifies, after transforms, that every numeric dimension and numeric aggregator
// input of the row converts to a number that fits its type. It returns a Partial *ParseError
// (processedWithError) naming each failing column, or nil. Nulls and missing columns are fine.
// The caller still ingests the row: a value that is not a number is stored as null (a
// dimension) or aggregated as nothing (a metric), as Druid does; a number too large for a long
// is stored saturated at the long range and one too large for a float as ±Infinity, which is
// what Druid's Number.longValue() and floatValue() give — but Druid says nothing, while here
// the row is processedWithError so the change of value is visible.
func (p *Parser) CheckTypes(r *Row) *ParseError {
	var details []string
	for _, tc := range p.typed {
		v, ok := r.Get(tc.name)
		if !ok {
			continue
		}
		v = v.Scalar()
		switch v.Kind() {
		case expr.KindNull, expr.KindLong:
			continue
		case expr.KindDouble:
			// The common case of a double for a double column stays one comparison.
			if tc.typ == numDouble {
				continue
			}
		}
		if msg := checkNumber(v, tc.typ); msg != "" {
			details = append(details, fmt.Sprintf("%s for %s[%s]", msg, tc.what, tc.name))
		}
	}
	if details == nil {
		return nil
	}
	return &ParseError{Input: string(r.input), Details: details, Partial: true}
}

// checkNumber describes why v does not convert to typ, or returns "".
func checkNumber(v expr.Value, typ numType) string {
	var d float64
	switch v.Kind() {
	case expr.KindDouble:
		d = v.RawDouble()
	case expr.KindString:
		if typ == numLong {
			if _, err := strconv.ParseInt(v.RawString(), 10, 64); err == nil {
				return ""
			}
		}
		var ok bool
		if d, ok = v.AsDouble(); !ok {
			return fmt.Sprintf("unable to parse value[%s] as %s", plain(v), typ)
		}
	default:
		var ok bool
		if d, ok = v.AsDouble(); !ok {
			return fmt.Sprintf("unable to parse value[%s] as %s", plain(v), typ)
		}
	}
	switch typ {
	case numLong:
		if math.IsNaN(d) {
			return fmt.Sprintf("unable to parse value[%s] as long", plain(v))
		}
		if !expr.FitsLong(d) {
			return fmt.Sprintf("value[%s] does not fit in a long, stored as %d", plain(v), expr.DoubleToLong(d))
		}
	case numFloat:
		if !math.IsInf(d, 0) && math.IsInf(float64(float32(d)), 0) {
			return fmt.Sprintf("value[%s] does not fit in a float, stored as %s", plain(v), expr.Double(float64(float32(d))))
		}
	}
	return ""
}
