package expr

import "fmt"

// SyntaxError is returned by Parse for malformed text.
type SyntaxError struct {
	Expr string // the whole expression
	Pos  int    // byte offset of the problem
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("expr: %s at position %d in %q", e.Msg, e.Pos, e.Expr)
}
