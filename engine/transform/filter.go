package transform

import (
	"fmt"
	"regexp"
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

// CompileFilter compiles f, which must have passed spec.ValidateFilter: validation is done once,
// there, with the JSON paths the caller knows, and compiling does not check again. A filter that
// skipped validation fails with a plain error where compiling cannot go on (a nil or unknown
// filter, a pattern or number that does not parse) rather than panicking; its other mistakes
// (an extractionFn, an empty and) go unnoticed.
func CompileFilter(f *spec.Filter) (Filter, error) { return compileFilter(f) }

// errNotValidated is the error of a filter that cannot compile because it did not pass
// spec.ValidateFilter.
func errNotValidated(f *spec.Filter, field string) error {
	return fmt.Errorf("compile %q filter: bad %s (filters are checked by spec.ValidateFilter before compiling)", f.Type, field)
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

func compileFilter(f *spec.Filter) (Filter, error) {
	if f == nil {
		return nil, fmt.Errorf("compile filter: nil filter (filters are checked by spec.ValidateFilter before compiling)")
	}
	// equals, range and null read column (or dimension, the older name); the older types read
	// dimension only.
	dim, col := f.Dimension, f.Column
	if col == "" {
		col = f.Dimension
	}
	switch f.Type {
	case "true":
		return filterFunc(func(expr.Bindings) tri { return triTrue }), nil
	case "false":
		return filterFunc(func(expr.Bindings) tri { return triFalse }), nil
	case "selector":
		s, notNull, err := spec.FilterValue(f.Value)
		if err != nil {
			return nil, errNotValidated(f, "value")
		}
		if !notNull {
			return isNull(dim), nil
		}
		return column(dim, triUnknown, equalTo(s)), nil
	case "null":
		return isNull(col), nil
	case "equals":
		s, _, err := spec.FilterValue(f.MatchValue)
		if err != nil {
			return nil, errNotValidated(f, "matchValue")
		}
		switch strings.ToUpper(f.MatchValueType) {
		case "STRING":
			return column(col, triUnknown, func(v expr.Value) bool { str, _ := v.AsString(); return str == s }), nil
		case "LONG", "DOUBLE", "FLOAT":
			want, ok := expr.ParseNumber(s)
			if !ok {
				return nil, errNotValidated(f, "matchValue")
			}
			wd, _ := want.AsDouble()
			return column(col, triUnknown, func(v expr.Value) bool { x, ok := v.AsDouble(); return ok && x == wd }), nil
		}
		return nil, errNotValidated(f, "matchValueType")
	case "in":
		set := map[string]bool{}
		var nums []float64
		hasNull := false
		for _, x := range f.Values {
			s, notNull, err := spec.FilterValue(x)
			if err != nil {
				return nil, errNotValidated(f, "values")
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
		return column(dim, onNull, func(v expr.Value) bool {
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
		return compileBound(f, dim)
	case "range":
		ordering := "lexicographic"
		switch strings.ToUpper(f.MatchValueType) {
		case "STRING":
		case "LONG", "DOUBLE", "FLOAT":
			ordering = "numeric"
		default:
			return nil, errNotValidated(f, "matchValueType")
		}
		g := *f
		g.Ordering = ordering
		// range calls exclusive bounds lowerOpen/upperOpen; bound calls them lowerStrict/upperStrict.
		g.LowerStrict, g.UpperStrict = f.LowerOpen || f.LowerStrict, f.UpperOpen || f.UpperStrict
		return compileBound(&g, col)
	case "like":
		re, err := expr.LikeRegexp(f.Pattern, f.Escape)
		if err != nil {
			return nil, errNotValidated(f, "pattern")
		}
		return column(dim, triUnknown, func(v expr.Value) bool { s, _ := v.AsString(); return re.MatchString(s) }), nil
	case "regex":
		re, err := regexp.Compile(f.Pattern)
		if err != nil {
			return nil, errNotValidated(f, "pattern")
		}
		return column(dim, triUnknown, func(v expr.Value) bool { s, _ := v.AsString(); return re.MatchString(s) }), nil
	case "not":
		inner, err := compileFilter(f.Field)
		if err != nil {
			return nil, err
		}
		return filterFunc(func(b expr.Bindings) tri { return inner.eval(b).not() }), nil
	case "and", "or":
		subs := make([]Filter, len(f.Fields))
		for i, sf := range f.Fields {
			s, err := compileFilter(sf)
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
			return nil, errNotValidated(f, "expression")
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
	}
	return nil, errNotValidated(f, "type")
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
func compileBound(f *spec.Filter, name string) (Filter, error) {
	lo, hasLo, err := spec.FilterValue(f.Lower)
	if err != nil {
		return nil, errNotValidated(f, "lower")
	}
	hi, hasHi, err := spec.FilterValue(f.Upper)
	if err != nil {
		return nil, errNotValidated(f, "upper")
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
				return nil, errNotValidated(f, "lower")
			}
			ld, _ = n.AsDouble()
		}
		if hasHi {
			n, ok := expr.ParseNumber(hi)
			if !ok {
				return nil, errNotValidated(f, "upper")
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
		return nil, errNotValidated(f, "ordering")
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
