package transform

// FieldError is a problem in a transformSpec or filter, located by a JSON path relative to
// what was compiled: "transforms[0].expression" or "fields[1].pattern" (for a filter compiled
// by CompileFilter), "filter.fields[1].pattern" from New.
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}
