package transform

import (
	"fmt"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/input"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// Transformer is a compiled transformSpec. It holds no per-row state and is safe for
// concurrent use.
type Transformer struct {
	transforms []compiledTransform
	filter     Filter // nil: keep every row
}

type compiledTransform struct {
	name string
	expr *expr.Expr
}

// New compiles ts, which must have passed spec validation (the filter is compiled without being
// checked again, see CompileFilter); a nil spec gives a Transformer that keeps rows unchanged.
// Errors about the transforms are *spec.FieldError with paths relative to ts.
func New(ts *spec.TransformSpec) (*Transformer, error) {
	t := &Transformer{}
	if ts == nil {
		return t, nil
	}
	seen := map[string]bool{}
	for i, tr := range ts.Transforms {
		if tr.Type != "" && tr.Type != "expression" {
			return nil, &spec.FieldError{Path: fmt.Sprintf("transforms[%d].type", i), Msg: fmt.Sprintf("unknown transform type %q (want expression)", tr.Type)}
		}
		if tr.Name == "" {
			return nil, &spec.FieldError{Path: fmt.Sprintf("transforms[%d].name", i), Msg: "required"}
		}
		if seen[tr.Name] {
			return nil, &spec.FieldError{Path: fmt.Sprintf("transforms[%d].name", i), Msg: fmt.Sprintf("duplicate transform %q", tr.Name)}
		}
		seen[tr.Name] = true
		e, err := expr.Parse(tr.Expression)
		if err != nil {
			return nil, &spec.FieldError{Path: fmt.Sprintf("transforms[%d].expression", i), Msg: err.Error()}
		}
		t.transforms = append(t.transforms, compiledTransform{name: tr.Name, expr: e})
	}
	if ts.Filter != nil {
		f, err := compileFilter(ts.Filter)
		if err != nil {
			return nil, fmt.Errorf("filter: %w", err)
		}
		t.filter = f
	}
	return t, nil
}

// Rewrites reports whether Apply may change a row's values (there are transforms); a filter
// alone only decides whether the row is kept. The task checks a row's types ahead, on a parse
// goroutine, only when the row reaches the index unchanged.
func (t *Transformer) Rewrites() bool { return len(t.transforms) > 0 }

// Apply runs the transforms on row, then the filter. keep is false when the filter rejects
// the row (thrownAway). err is an unparseable *input.ParseError when a __time transform does
// not yield a timestamp.
func (t *Transformer) Apply(row *input.Row) (keep bool, err error) {
	if n := len(t.transforms); n > 0 {
		var buf [8]expr.Value
		vals := buf[:0]
		if n > len(buf) {
			vals = make([]expr.Value, 0, n)
		}
		for _, tr := range t.transforms {
			vals = append(vals, tr.expr.Eval(row))
		}
		for i, tr := range t.transforms {
			if tr.name == input.TimeColumn {
				ms, ok := vals[i].Scalar().AsLong()
				if !ok {
					return false, &input.ParseError{Input: string(row.Input()),
						Details: []string{fmt.Sprintf("could not transform value for __time: expression %q gave %s", tr.expr, vals[i])}}
				}
				if !spec.TimestampInRange(ms) {
					// Checked here as at parse time: a row the segment ids cannot hold
					// would fail the task at allocation, after every restart.
					return false, &input.ParseError{Input: string(row.Input()),
						Details: []string{fmt.Sprintf("could not transform value for __time: expression %q gave %s, outside the supported range %s", tr.expr, vals[i], spec.TimestampRangeText)}}
				}
				row.Time = ms
				continue
			}
			row.Set(tr.name, vals[i])
		}
	}
	if t.filter == nil {
		return true, nil
	}
	return t.filter.Match(row), nil
}

// ValidateExpression reports whether s parses as a supported Druid expression.
func ValidateExpression(s string) error {
	_, err := expr.Parse(s)
	return err
}
