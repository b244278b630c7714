package spec

import (
	"errors"
	"strings"
)

// FieldError is a validation failure of one field of a spec. Path is the JSON path of the
// offending field, dotted, with array indexes in brackets (ioConfig.taskCount,
// dataSchema.metricsSpec[2].fieldName). The API maps it to HTTP 400.
type FieldError struct {
	Path string
	Msg  string
	// Suggestion is the known field an unknown one most likely meant (taskCount for
	// taskCuont); Error renders it as "(did you mean taskCount?)". Msg stays "unknown field".
	Suggestion string
}

func (e *FieldError) Error() string {
	msg := e.Msg
	if e.Suggestion != "" {
		msg += " (did you mean " + e.Suggestion + "?)"
	}
	if e.Path == "" {
		return msg
	}
	return e.Path + ": " + msg
}

// ErrInvalid is wrapped by every error the decoder or validator returns, so callers can test for
// "the spec is bad" (HTTP 400) with errors.Is without caring which field.
var ErrInvalid = errors.New("invalid spec")

// Is reports FieldErrors as ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func fieldErr(path, msg string) *FieldError { return &FieldError{Path: path, Msg: msg} }

// join builds a JSON path from parts, skipping empty ones.
func join(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 && !strings.HasPrefix(p, "[") {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}
