package input

import (
	"fmt"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// typedColumn is a column that must hold numbers: a long/float/double dimension or the input
// of a numeric aggregator.
type typedColumn struct {
	name string
	long bool
	what string // "dimension" or "metric input"
}

func metricInputType(a *spec.Aggregator) (typedColumn, bool) {
	t := a.Type
	switch {
	case strings.HasPrefix(t, "long"):
		return typedColumn{long: true, what: "metric input"}, true
	case strings.HasPrefix(t, "double"), strings.HasPrefix(t, "float"):
		return typedColumn{what: "metric input"}, true
	}
	return typedColumn{}, false
}

// CheckTypes verifies, after transforms, that every numeric dimension and numeric aggregator
// input of the row converts to a number. It returns a Partial *ParseError
// (processedWithError) naming each failing column, or nil. Nulls and missing columns are fine.
// The caller still ingests the row, storing null for the failing columns as Druid does.
func (p *Parser) CheckTypes(r *Row) *ParseError {
	var details []string
	for _, tc := range p.typed {
		v, ok := r.Get(tc.name)
		if !ok {
			continue
		}
		v = v.Scalar()
		switch v.Kind() {
		case expr.KindNull, expr.KindLong, expr.KindDouble:
			continue
		}
		var conv bool
		if tc.long {
			_, conv = v.AsLong()
		} else {
			_, conv = v.AsDouble()
		}
		if !conv {
			typ := "double"
			if tc.long {
				typ = "long"
			}
			details = append(details, fmt.Sprintf("unable to parse value[%s] as %s for %s[%s]", plain(v), typ, tc.what, tc.name))
		}
	}
	if details == nil {
		return nil
	}
	return &ParseError{Input: string(r.input), Details: details, Partial: true}
}
