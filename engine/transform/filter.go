package transform

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// Filter is a compiled Druid filter evaluated on one row.
type Filter interface {
	// Match reports whether the row passes (three-valued unknown counts as no).
	Match(b expr.Bindings) bool
	eval(b expr.Bindings) tri
}

// tri is a three-valued truth value.
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func (t tri) not() tri {
	switch t {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUnknown
}

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// matchFunc adapts a tri-valued function to Filter.
type filterFunc func(b expr.Bindings) tri

func (f filterFunc) eval(b expr.Bindings) tri   { return f(b) }
func (f filterFunc) Match(b expr.Bindings) bool { return f(b) == triTrue }

// CompileFilter compiles f; errors are *FieldError with paths relative to f.
func CompileFilter(f *spec.Filter) (Filter, error) { return compileFilter(f, "") }

func join(path, field string) string {
	if path == "" {
		return field
	}
	if field == "" {
		return path
	}
	return path + "." + field
}

// valueMatcher tests one non-null scalar value.
type valueMatcher func(v expr.Value) bool

// column builds a filter that reads one column and applies m to each value (any match wins);
// null rows give onNull.
func column(name string, onNull tri, m valueMatcher) Filter {
	return filterFunc(func(b expr.Bindings) tri {
		v, _ := b.Get(name)
		if v.Kind() == expr.KindStrings {
			arr := v.Array()
			if len(arr) == 0 {
				return onNull
			}
			for _, s := range arr {
				if m(expr.String(s)) {
					return triTrue
				}
			}
			return triFalse
		}
		if v.IsNull() {
			return onNull
		}
		return triOf(m(v))
	})
}

// jsonScalar turns a filter value decoded from JSON into a string; ok is false for null.
func jsonScalar(x any) (string, bool, error) {
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

// equalTo matches a value equal to s, numerically when both sides are numbers (Druid compares
// a numeric column with the selector value parsed as a number).
func equalTo(s string) valueMatcher {
	num, isNum := expr.ParseNumber(s)
	d, _ := num.AsDouble()
	return func(v expr.Value) bool {
		if v.IsNumeric() && isNum {
			x, _ := v.AsDouble()
			return x == d
		}
		str, _ := v.AsString()
		if str == s {
			return true
		}
		if isNum && v.Kind() == expr.KindString {
			if x, ok := v.AsDouble(); ok {
				return x == d
			}
		}
		return false
	}
}

func compileFilter(f *spec.Filter, path string) (Filter, error) {
	if f == nil {
		return nil, &FieldError{Path: path, Msg: "filter must not be null"}
	}
	bad := func(field, format string, args ...any) (Filter, error) {
		return nil, &FieldError{Path: join(path, field), Msg: fmt.Sprintf(format, args...)}
	}
	if len(f.ExtractionFn) > 0 && string(f.ExtractionFn) != "null" {
		return bad("extractionFn", "extraction functions are not supported")
	}
	dim := func() (string, bool) { return f.Dimension, f.Dimension != "" }
	col := func() (string, bool) {
		if f.Column != "" {
			return f.Column, true
		}
		return f.Dimension, f.Dimension != ""
	}
	switch f.Type {
	case "true":
		return filterFunc(func(expr.Bindings) tri { return triTrue }), nil
	case "false":
		return filterFunc(func(expr.Bindings) tri { return triFalse }), nil
	case "selector":
		d, ok := dim()
		if !ok {
			return bad("dimension", "required")
		}
		s, notNull, err := jsonScalar(f.Value)
		if err != nil {
			return bad("value", "%v", err)
		}
		if !notNull {
			return isNull(d), nil
		}
		return column(d, triUnknown, equalTo(s)), nil
	case "null":
		c, ok := col()
		if !ok {
			return bad("column", "required")
		}
		return isNull(c), nil
	case "equals":
		c, ok := col()
		if !ok {
			return bad("column", "required")
		}
		if f.MatchValue == nil {
			return bad("matchValue", "required (use the null filter to match nulls)")
		}
		s, _, err := jsonScalar(f.MatchValue)
		if err != nil {
			return bad("matchValue", "%v", err)
		}
		switch strings.ToUpper(f.MatchValueType) {
		case "STRING":
			return column(c, triUnknown, func(v expr.Value) bool { str, _ := v.AsString(); return str == s }), nil
		case "LONG", "DOUBLE", "FLOAT":
			want, ok := expr.ParseNumber(s)
			if !ok {
				return bad("matchValue", "%q is not a %s", s, f.MatchValueType)
			}
			wd, _ := want.AsDouble()
			return column(c, triUnknown, func(v expr.Value) bool { x, ok := v.AsDouble(); return ok && x == wd }), nil
		case "":
			return bad("matchValueType", "required")
		}
		return bad("matchValueType", "unsupported type %q (want STRING, LONG, DOUBLE or FLOAT)", f.MatchValueType)
	case "in":
		d, ok := dim()
		if !ok {
			return bad("dimension", "required")
		}
		set := map[string]bool{}
		var nums []float64
		hasNull := false
		for i, x := range f.Values {
			s, notNull, err := jsonScalar(x)
			if err != nil {
				return bad(fmt.Sprintf("values[%d]", i), "%v", err)
			}
			if !notNull {
				hasNull = true
				continue
			}
			set[s] = true
			if n, ok := expr.ParseNumber(s); ok {
				d, _ := n.AsDouble()
				nums = append(nums, d)
			}
		}
		onNull := triUnknown
		if hasNull {
			onNull = triTrue
		}
		return column(d, onNull, func(v expr.Value) bool {
			s, _ := v.AsString()
			if set[s] {
				return true
			}
			if len(nums) > 0 {
				if x, ok := v.AsDouble(); ok {
					for _, n := range nums {
						if n == x {
							return true
						}
					}
				}
			}
			return false
		}), nil
	case "bound":
		d, ok := dim()
		if !ok {
			return bad("dimension", "required")
		}
		return compileBound(f, d, path)
	case "range":
		c, ok := col()
		if !ok {
			return bad("column", "required")
		}
		ordering := "lexicographic"
		switch strings.ToUpper(f.MatchValueType) {
		case "STRING":
		case "LONG", "DOUBLE", "FLOAT":
			ordering = "numeric"
		case "":
			return bad("matchValueType", "required")
		default:
			return bad("matchValueType", "unsupported type %q (want STRING, LONG, DOUBLE or FLOAT)", f.MatchValueType)
		}
		g := *f
		g.Ordering = ordering
		// range calls exclusive bounds lowerOpen/upperOpen; bound calls them lowerStrict/upperStrict.
		g.LowerStrict, g.UpperStrict = f.LowerOpen || f.LowerStrict, f.UpperOpen || f.UpperStrict
		return compileBound(&g, c, path)
	case "like":
		d, ok := dim()
		if !ok {
			return bad("dimension", "required")
		}
		re, err := expr.LikeRegexp(f.Pattern, f.Escape)
		if err != nil {
			return bad("pattern", "%v", err)
		}
		return column(d, triUnknown, func(v expr.Value) bool { s, _ := v.AsString(); return re.MatchString(s) }), nil
	case "regex":
		d, ok := dim()
		if !ok {
			return bad("dimension", "required")
		}
		re, err := regexp.Compile(f.Pattern)
		if err != nil {
			return bad("pattern", "%q is not a valid RE2 regular expression (lookaround and backreferences are not supported): %v", f.Pattern, err)
		}
		return column(d, triUnknown, func(v expr.Value) bool { s, _ := v.AsString(); return re.MatchString(s) }), nil
	case "not":
		if f.Field == nil {
			return bad("field", "required")
		}
		inner, err := compileFilter(f.Field, join(path, "field"))
		if err != nil {
			return nil, err
		}
		return filterFunc(func(b expr.Bindings) tri { return inner.eval(b).not() }), nil
	case "and", "or":
		if len(f.Fields) == 0 {
			return bad("fields", "at least one filter is required")
		}
		subs := make([]Filter, len(f.Fields))
		for i, sf := range f.Fields {
			s, err := compileFilter(sf, join(path, fmt.Sprintf("fields[%d]", i)))
			if err != nil {
				return nil, err
			}
			subs[i] = s
		}
		if f.Type == "and" {
			return filterFunc(func(b expr.Bindings) tri {
				res := triTrue
				for _, s := range subs {
					switch s.eval(b) {
					case triFalse:
						return triFalse
					case triUnknown:
						res = triUnknown
					}
				}
				return res
			}), nil
		}
		return filterFunc(func(b expr.Bindings) tri {
			res := triFalse
			for _, s := range subs {
				switch s.eval(b) {
				case triTrue:
					return triTrue
				case triUnknown:
					res = triUnknown
				}
			}
			return res
		}), nil
	case "expression":
		e, err := expr.Parse(f.Expression)
		if err != nil {
			return bad("expression", "%v", err)
		}
		return filterFunc(func(b expr.Bindings) tri {
			v := e.Eval(b)
			if v.Kind() == expr.KindStrings {
				for _, s := range v.Array() {
					if expr.String(s).Truthy() {
						return triTrue
					}
				}
				return triFalse
			}
			if v.IsNull() {
				return triUnknown
			}
			return triOf(v.Truthy())
		}), nil
	case "":
		return bad("type", "required")
	}
	return bad("type", "unsupported filter type %q (supported: %s)", f.Type, strings.Join(spec.FilterTypes, ", "))
}

func isNull(name string) Filter {
	return filterFunc(func(b expr.Bindings) tri {
		v, _ := b.Get(name)
		if v.Kind() == expr.KindStrings {
			return triOf(len(v.Array()) == 0)
		}
		return triOf(v.IsNull())
	})
}

// compileBound builds bound and range filters for the four orderings.
func compileBound(f *spec.Filter, name, path string) (Filter, error) {
	lo, hasLo, err := jsonScalar(f.Lower)
	if err != nil {
		return nil, &FieldError{Path: join(path, "lower"), Msg: err.Error()}
	}
	hi, hasHi, err := jsonScalar(f.Upper)
	if err != nil {
		return nil, &FieldError{Path: join(path, "upper"), Msg: err.Error()}
	}
	if !hasLo && !hasHi {
		return nil, &FieldError{Path: path, Msg: "lower or upper is required"}
	}
	ordering := strings.ToLower(f.Ordering)
	if ordering == "" {
		ordering = "lexicographic"
	}
	within := func(c int, strict bool) bool {
		if strict {
			return c < 0
		}
		return c <= 0
	}
	var cmpLo, cmpHi func(v expr.Value) (int, bool) // compare(bound, v)
	switch ordering {
	case "lexicographic":
		cmpLo = func(v expr.Value) (int, bool) { s, _ := v.AsString(); return strings.Compare(lo, s), true }
		cmpHi = func(v expr.Value) (int, bool) { s, _ := v.AsString(); return strings.Compare(s, hi), true }
	case "alphanumeric":
		cmpLo = func(v expr.Value) (int, bool) { s, _ := v.AsString(); return expr.AlphaNumCompare(lo, s), true }
		cmpHi = func(v expr.Value) (int, bool) { s, _ := v.AsString(); return expr.AlphaNumCompare(s, hi), true }
	case "numeric", "strlen":
		var ld, hd float64
		if hasLo {
			n, ok := expr.ParseNumber(lo)
			if !ok {
				return nil, &FieldError{Path: join(path, "lower"), Msg: fmt.Sprintf("%q is not a number", lo)}
			}
			ld, _ = n.AsDouble()
		}
		if hasHi {
			n, ok := expr.ParseNumber(hi)
			if !ok {
				return nil, &FieldError{Path: join(path, "upper"), Msg: fmt.Sprintf("%q is not a number", hi)}
			}
			hd, _ = n.AsDouble()
		}
		num := func(v expr.Value) (float64, bool) { return v.AsDouble() }
		if ordering == "strlen" {
			num = func(v expr.Value) (float64, bool) {
				s, _ := v.AsString()
				return float64(len([]rune(s))), true
			}
		}
		cmpLo = func(v expr.Value) (int, bool) { x, ok := num(v); return cmpFloat(ld, x), ok }
		cmpHi = func(v expr.Value) (int, bool) { x, ok := num(v); return cmpFloat(x, hd), ok }
	default:
		return nil, &FieldError{Path: join(path, "ordering"), Msg: fmt.Sprintf("unknown ordering %q (want lexicographic, alphanumeric, numeric or strlen)", f.Ordering)}
	}
	return column(name, triUnknown, func(v expr.Value) bool {
		if hasLo {
			c, ok := cmpLo(v)
			if !ok || !within(c, f.LowerStrict) {
				return false
			}
		}
		if hasHi {
			c, ok := cmpHi(v)
			if !ok || !within(c, f.UpperStrict) {
				return false
			}
		}
		return true
	}), nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
