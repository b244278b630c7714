package input

import (
	"errors"
	"strings"
)

// ParseError describes a row or record that failed to parse, in the shape of Druid's
// ParseExceptionReport.
type ParseError struct {
	// Input is the raw text of the record or line that failed.
	Input string
	// Details are the messages, as in the report's "details".
	Details []string
	// Partial is true for processedWithError: the row is still ingested but a column failed
	// to convert. False means unparseable: the row is dropped.
	Partial bool
}

func (e *ParseError) Error() string {
	kind := "unparseable row"
	if e.Partial {
		kind = "row processed with error"
	}
	return "input: " + kind + ": " + strings.Join(e.Details, "; ")
}

// ParseErrors is returned by Parser.Parse when more than one row of a record failed.
type ParseErrors []*ParseError

func (e ParseErrors) Error() string {
	var sb strings.Builder
	for i, pe := range e {
		if i > 0 {
			sb.WriteString("\n")
		}
		sb.WriteString(pe.Error())
	}
	return sb.String()
}

// AsParseErrors returns the parse errors carried by err (nil if it carries none), so a caller
// can count each failed row.
func AsParseErrors(err error) []*ParseError {
	if err == nil {
		return nil // the per-record common case: errors.As would heap-allocate both targets
	}
	var many ParseErrors
	if errors.As(err, &many) {
		return many
	}
	var one *ParseError
	if errors.As(err, &one) {
		return []*ParseError{one}
	}
	return nil
}

func newParseError(input []byte, details ...string) *ParseError {
	return &ParseError{Input: string(input), Details: details}
}
