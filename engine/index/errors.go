package index

import (
	"errors"
	"fmt"
	"strings"
)

// ErrFull is returned by Add when the row would start a new group while the
// index already holds Options.MaxRowsInMemory rows. The row is not added; the
// caller should Persist and retry (Druid's IndexSizeExceededException).
var ErrFull = errors.New("index: maxRowsInMemory reached")

// ErrEmpty is returned by Persist when the index holds no rows.
var ErrEmpty = errors.New("index: nothing to persist")

// ParseError reports the columns of an added row whose values could not be
// parsed: a non-numeric value for a numeric dimension (stored as null) or a
// numeric aggregator input (aggregated as nothing). The row was still added;
// Druid counts it as processedWithError.
type ParseError struct {
	Columns []string // offending dimension names or aggregator fieldNames, in schema order
	Values  []string // the offending values, rendered, parallel to Columns
}

// Error renders the columns like Druid's "Unable to parse value[…] for field[…]".
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("index: unable to parse ")
	for i, c := range e.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "value[%s] for field[%s]", e.Values[i], c)
	}
	return b.String()
}
