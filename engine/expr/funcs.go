package expr

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// funcDef describes one function: its arity (max -1 = unbounded), an optional prepare step run
// once at parse time (typically compiling literal arguments) and the evaluator.
type funcDef struct {
	name     string
	min, max int
	prepare  func(c *callNode) error
	eval     func(c *callNode, b Bindings) Value
}

func (d *funcDef) arity() string {
	switch {
	case d.min == d.max && d.min == 1:
		return "1 argument"
	case d.min == d.max:
		return fmt.Sprintf("%d arguments", d.min)
	case d.max < 0:
		return fmt.Sprintf("at least %d arguments", d.min)
	}
	return fmt.Sprintf("%d to %d arguments", d.min, d.max)
}

var functions = map[string]*funcDef{}

func register(name string, min, max int, prepare func(*callNode) error, eval func(*callNode, Bindings) Value) {
	functions[name] = &funcDef{name: name, min: min, max: max, prepare: prepare, eval: eval}
}

// FunctionNames lists the supported functions, sorted.
func FunctionNames() []string {
	out := make([]string, 0, len(functions))
	for n := range functions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func strFn(f func(string) string) func(*callNode, Bindings) Value {
	return func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		if !ok {
			return Value{}
		}
		return String(f(s))
	}
}

func init() {
	register("concat", 1, -1, nil, func(c *callNode, b Bindings) Value {
		var sb strings.Builder
		for i := range c.args {
			s, ok := c.str(i, b)
			if !ok {
				return Value{}
			}
			sb.WriteString(s)
		}
		return String(sb.String())
	})
	register("upper", 1, 1, nil, strFn(strings.ToUpper))
	register("lower", 1, 1, nil, strFn(strings.ToLower))
	register("reverse", 1, 1, nil, strFn(func(s string) string {
		r := []rune(s)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r)
	}))
	trim := func(f func(string, string) string) func(*callNode, Bindings) Value {
		return func(c *callNode, b Bindings) Value {
			s, ok := c.str(0, b)
			if !ok {
				return Value{}
			}
			chars := " "
			if len(c.args) > 1 {
				if chars, ok = c.str(1, b); !ok {
					return Value{}
				}
			}
			return String(f(s, chars))
		}
	}
	register("trim", 1, 2, nil, trim(strings.Trim))
	register("ltrim", 1, 2, nil, trim(strings.TrimLeft))
	register("rtrim", 1, 2, nil, trim(strings.TrimRight))
	register("strlen", 1, 1, nil, func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		if !ok {
			return Value{}
		}
		return Long(int64(utf8.RuneCountInString(s)))
	})
	register("substring", 3, 3, nil, func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		idx, ok2 := c.long(1, b)
		n, ok3 := c.long(2, b)
		if !ok || !ok2 || !ok3 || idx < 0 {
			return Value{}
		}
		r := []rune(s)
		if idx >= int64(len(r)) {
			return Value{}
		}
		end := int64(len(r))
		if n >= 0 && idx+n < end {
			end = idx + n
		}
		return String(string(r[idx:end]))
	})
	register("left", 2, 2, nil, func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		n, ok2 := c.long(1, b)
		if !ok || !ok2 || n < 0 {
			return Value{}
		}
		r := []rune(s)
		return String(string(r[:min(int64(len(r)), n)]))
	})
	register("right", 2, 2, nil, func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		n, ok2 := c.long(1, b)
		if !ok || !ok2 || n < 0 {
			return Value{}
		}
		r := []rune(s)
		return String(string(r[int64(len(r))-min(int64(len(r)), n):]))
	})
	register("replace", 3, 3, nil, func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		old, ok2 := c.str(1, b)
		nw, ok3 := c.str(2, b)
		if !ok || !ok2 || !ok3 {
			return Value{}
		}
		if old == "" {
			return String(s)
		}
		return String(strings.ReplaceAll(s, old, nw))
	})
	register("strpos", 2, 3, nil, func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		needle, ok2 := c.str(1, b)
		if !ok || !ok2 {
			return Value{}
		}
		r := []rune(s)
		from := int64(0)
		if len(c.args) > 2 {
			if from, ok = c.long(2, b); !ok {
				return Value{}
			}
		}
		if from < 0 {
			from = 0
		}
		if from > int64(len(r)) {
			return Long(-1)
		}
		i := strings.Index(string(r[from:]), needle)
		if i < 0 {
			return Long(-1)
		}
		return Long(from + int64(utf8.RuneCountInString(string(r[from:])[:i])))
	})
	register("contains_string", 2, 2, nil, func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		sub, ok2 := c.str(1, b)
		if !ok || !ok2 {
			return Value{}
		}
		return Bool(strings.Contains(s, sub))
	})
	register("icontains_string", 2, 2, nil, func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		sub, ok2 := c.str(1, b)
		if !ok || !ok2 {
			return Value{}
		}
		return Bool(strings.Contains(strings.ToLower(s), strings.ToLower(sub)))
	})
	register("lpad", 3, 3, nil, pad(true))
	register("rpad", 3, 3, nil, pad(false))
	register("repeat", 2, 2, nil, func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		n, ok2 := c.long(1, b)
		if !ok || !ok2 {
			return Value{}
		}
		if n <= 0 {
			return String("")
		}
		if int64(len(s))*n > 1<<20 {
			return Value{}
		}
		return String(strings.Repeat(s, int(n)))
	})
	register("nvl", 2, 2, nil, func(c *callNode, b Bindings) Value {
		if v := c.args[0].eval(b); !v.IsNull() {
			return v
		}
		return c.args[1].eval(b)
	})
	register("isnull", 1, 1, nil, func(c *callNode, b Bindings) Value { return Bool(c.args[0].eval(b).IsNull()) })
	register("notnull", 1, 1, nil, func(c *callNode, b Bindings) Value { return Bool(!c.args[0].eval(b).IsNull()) })
	register("if", 3, 3, nil, func(c *callNode, b Bindings) Value {
		if c.args[0].eval(b).Truthy() {
			return c.args[1].eval(b)
		}
		return c.args[2].eval(b)
	})
	register("case_searched", 2, -1, nil, func(c *callNode, b Bindings) Value {
		i := 0
		for ; i+1 < len(c.args); i += 2 {
			if c.args[i].eval(b).Truthy() {
				return c.args[i+1].eval(b)
			}
		}
		if i < len(c.args) {
			return c.args[i].eval(b)
		}
		return Value{}
	})
	register("case_simple", 3, -1, nil, func(c *callNode, b Bindings) Value {
		v := c.args[0].eval(b)
		i := 1
		for ; i+1 < len(c.args); i += 2 {
			w := c.args[i].eval(b)
			if !v.IsNull() && !w.IsNull() {
				if cmp, ok := compare(v, w); ok && cmp == 0 {
					return c.args[i+1].eval(b)
				}
			}
		}
		if i < len(c.args) {
			return c.args[i].eval(b)
		}
		return Value{}
	})
	register("cast", 2, 2, prepareCast, func(c *callNode, b Bindings) Value {
		v := c.args[0].eval(b)
		if v.IsNull() {
			return v
		}
		switch c.state.(string) {
		case "LONG":
			if n, ok := v.AsLong(); ok {
				return Long(n)
			}
		case "DOUBLE", "FLOAT":
			if d, ok := v.AsDouble(); ok {
				return Double(d)
			}
		case "STRING":
			if s, ok := v.AsString(); ok {
				return String(s)
			}
		}
		return Value{}
	})
	num1 := func(fl func(int64) int64, fd func(float64) float64) func(*callNode, Bindings) Value {
		return func(c *callNode, b Bindings) Value {
			v, ok := toNumber(c.args[0].eval(b))
			if !ok {
				return Value{}
			}
			if v.kind == KindLong {
				return Long(fl(v.n))
			}
			return Double(fd(v.RawDouble()))
		}
	}
	ident := func(n int64) int64 { return n }
	register("abs", 1, 1, nil, num1(func(n int64) int64 {
		if n < 0 {
			return -n
		}
		return n
	}, math.Abs))
	register("floor", 1, 1, nil, num1(ident, math.Floor))
	register("ceil", 1, 1, nil, num1(ident, math.Ceil))
	register("round", 1, 2, nil, func(c *callNode, b Bindings) Value {
		v, ok := toNumber(c.args[0].eval(b))
		if !ok {
			return Value{}
		}
		scale := int64(0)
		if len(c.args) > 1 {
			if scale, ok = c.long(1, b); !ok {
				return Value{}
			}
		}
		if v.kind == KindLong {
			if scale >= 0 {
				return v
			}
			p := math.Pow(10, float64(-scale))
			return Long(DoubleToLong(math.Round(float64(v.n)/p) * p))
		}
		p := math.Pow(10, float64(scale))
		return Double(math.Round(v.RawDouble()*p) / p)
	})
	minmax := func(greater bool) func(*callNode, Bindings) Value {
		return func(c *callNode, b Bindings) Value {
			var best Value
			for _, a := range c.args {
				v := a.eval(b)
				if v.IsNull() {
					continue
				}
				if best.IsNull() {
					best = v
					continue
				}
				if cmp, ok := compare(v, best); ok && (cmp > 0) == greater && cmp != 0 {
					best = v
				}
			}
			return best
		}
	}
	register("greatest", 1, -1, nil, minmax(true))
	register("least", 1, -1, nil, minmax(false))
	register("like", 2, 3, prepareLike, func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		if !ok {
			return Value{}
		}
		re, _ := c.state.(*regexp.Regexp)
		if re == nil {
			pat, ok := c.str(1, b)
			if !ok {
				return Value{}
			}
			esc, _ := c.str(2, b)
			var err error
			if re, err = LikeRegexp(pat, esc); err != nil {
				return Value{}
			}
		}
		return Bool(re.MatchString(s))
	})
	register("regexp_like", 2, 2, prepareRegexp, func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		if !ok {
			return Value{}
		}
		return Bool(c.state.(*regexp.Regexp).MatchString(s))
	})
	register("regexp_extract", 2, 3, prepareRegexp, func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		if !ok {
			return Value{}
		}
		re := c.state.(*regexp.Regexp)
		idx := int64(0)
		if len(c.args) > 2 {
			if idx, ok = c.long(2, b); !ok {
				return Value{}
			}
		}
		m := re.FindStringSubmatchIndex(s)
		if m == nil || idx < 0 || int(idx) > re.NumSubexp() || m[2*idx] < 0 {
			return Value{}
		}
		return String(s[m[2*idx]:m[2*idx+1]])
	})
	registerTime()
}

func pad(left bool) func(*callNode, Bindings) Value {
	return func(c *callNode, b Bindings) Value {
		s, ok := c.str(0, b)
		n, ok2 := c.long(1, b)
		p, ok3 := c.str(2, b)
		if !ok || !ok2 || !ok3 {
			return Value{}
		}
		r := []rune(s)
		if n <= 0 {
			return String("")
		}
		if n > 1<<20 {
			return Value{}
		}
		if int64(len(r)) >= n {
			return String(string(r[:n]))
		}
		if p == "" {
			return String(s)
		}
		pr := []rune(p)
		fill := make([]rune, 0, n-int64(len(r)))
		for int64(len(fill)) < n-int64(len(r)) {
			fill = append(fill, pr[len(fill)%len(pr)])
		}
		if left {
			return String(string(fill) + s)
		}
		return String(s + string(fill))
	}
}

func prepareCast(c *callNode) error {
	v, ok := c.literal(1)
	t, _ := v.AsString()
	t = strings.ToUpper(t)
	if !ok || (t != "LONG" && t != "DOUBLE" && t != "FLOAT" && t != "STRING") {
		return fmt.Errorf("type must be a literal 'LONG', 'DOUBLE' or 'STRING'")
	}
	c.state = t
	return nil
}

func prepareRegexp(c *callNode) error {
	v, ok := c.literal(1)
	pat, ok2 := v.AsString()
	if !ok || !ok2 {
		return fmt.Errorf("pattern must be a string literal")
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return fmt.Errorf("pattern %q is not a valid RE2 regular expression: %v", pat, err)
	}
	c.state = re
	return nil
}

func prepareLike(c *callNode) error {
	v, ok := c.literal(1)
	if !ok {
		return nil
	}
	pat, ok := v.AsString()
	if !ok {
		return fmt.Errorf("pattern must not be null")
	}
	esc := ""
	if len(c.args) > 2 {
		e, ok := c.literal(2)
		if !ok {
			return fmt.Errorf("escape must be a string literal")
		}
		esc, _ = e.AsString()
	}
	re, err := LikeRegexp(pat, esc)
	if err != nil {
		return err
	}
	c.state = re
	return nil
}

// LikeRegexp compiles a SQL LIKE pattern (% any run, _ one character) with an optional
// one-character escape into an anchored regular expression.
func LikeRegexp(pattern, escape string) (*regexp.Regexp, error) {
	if utf8.RuneCountInString(escape) > 1 {
		return nil, fmt.Errorf("escape %q must be a single character", escape)
	}
	esc, _ := utf8.DecodeRuneInString(escape)
	var sb strings.Builder
	sb.WriteString("(?s)^")
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case escape != "" && r == esc:
			if i+1 >= len(rs) {
				return nil, fmt.Errorf("pattern %q ends with the escape character", pattern)
			}
			i++
			sb.WriteString(regexp.QuoteMeta(string(rs[i])))
		case r == '%':
			sb.WriteString(".*")
		case r == '_':
			sb.WriteString(".")
		default:
			sb.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	sb.WriteString("$")
	return regexp.Compile(sb.String())
}

// timeArgs holds literal arguments of the timestamp functions, compiled at parse time.
type timeArgs struct {
	period  Period
	havePer bool
	origin  *int64
	loc     *time.Location
	parse   string // Go layouts from a Joda pattern; empty means ISO
	format  string
}

func literalString(c *callNode, i int) (string, bool, error) {
	if i >= len(c.args) {
		return "", false, nil
	}
	v, ok := c.literal(i)
	if !ok {
		return "", false, nil
	}
	if v.IsNull() {
		return "", false, nil
	}
	s, ok := v.AsString()
	if !ok || v.kind != KindString {
		return "", false, fmt.Errorf("argument %d must be a string", i+1)
	}
	return s, true, nil
}

func registerTime() {
	floor := func(c *callNode, b Bindings) Value {
		t, ok := c.long(0, b)
		if !ok {
			return Value{}
		}
		ta, err := timeArgsAt(c, b)
		if err != nil {
			return Value{}
		}
		r, ok := FloorTime(t, ta.period, ta.origin, ta.loc)
		if !ok {
			return Value{}
		}
		if c.def.name == "timestamp_ceil" && r != t {
			fixed, isFixed := ta.period.fixedMillis()
			if isFixed && ta.loc == time.UTC {
				return Long(r + fixed)
			}
			tt := time.UnixMilli(r).In(ta.loc)
			tt = tt.AddDate(ta.period.Years, ta.period.Months, ta.period.Days+7*ta.period.Weeks).
				Add(time.Duration(ta.period.Hours)*time.Hour + time.Duration(ta.period.Minutes)*time.Minute +
					time.Duration(ta.period.Seconds)*time.Second + time.Duration(ta.period.Millis)*time.Millisecond)
			return Long(tt.UnixMilli())
		}
		return Long(r)
	}
	register("timestamp_floor", 2, 4, prepareFloor, floor)
	register("timestamp_ceil", 2, 4, prepareFloor, floor)
	parse := func(c *callNode, b Bindings) Value {
		v := c.args[0].eval(b)
		if v.IsNull() {
			return v
		}
		if v.IsNumeric() && len(c.args) == 1 {
			n, _ := v.AsLong()
			return Long(n)
		}
		s, _ := v.AsString()
		ta, err := timeArgsAt(c, b)
		if err != nil {
			return Value{}
		}
		if ta.parse == "" {
			if ms, ok := ParseISOMillis(strings.TrimSpace(s)); ok {
				if ta.loc != time.UTC && !hasZone(s) {
					return Long(reinterpret(ms, ta.loc))
				}
				return Long(ms)
			}
			return Value{}
		}
		t, err := time.ParseInLocation(ta.parse, s, ta.loc)
		if err != nil {
			return Value{}
		}
		return Long(t.UnixMilli())
	}
	register("timestamp_parse", 1, 3, prepareParse, parse)
	register("timestamp", 1, 2, prepareParse, parse)
	register("timestamp_format", 1, 3, prepareParse, func(c *callNode, b Bindings) Value {
		t, ok := c.long(0, b)
		if !ok {
			return Value{}
		}
		ta, err := timeArgsAt(c, b)
		if err != nil {
			return Value{}
		}
		layout := ta.format
		if layout == "" {
			layout = "2006-01-02T15:04:05.000Z07:00"
		}
		return String(time.UnixMilli(t).In(ta.loc).Format(layout))
	})
	register("timestamp_shift", 3, 4, func(c *callNode) error {
		if _, err := prepareTimeArgs(c, 1, -1, 3, -1); err != nil {
			return err
		}
		return nil
	}, func(c *callNode, b Bindings) Value {
		t, ok := c.long(0, b)
		n, ok2 := c.long(2, b)
		if !ok || !ok2 {
			return Value{}
		}
		ta, err := timeArgsAt(c, b)
		if err != nil {
			return Value{}
		}
		p := ta.period
		k := int(n)
		tt := time.UnixMilli(t).In(ta.loc).AddDate(k*p.Years, k*p.Months, k*(p.Days+7*p.Weeks)).
			Add(time.Duration(n) * (time.Duration(p.Hours)*time.Hour + time.Duration(p.Minutes)*time.Minute +
				time.Duration(p.Seconds)*time.Second + time.Duration(p.Millis)*time.Millisecond))
		return Long(tt.UnixMilli())
	})
}

func hasZone(s string) bool {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "Z") || strings.Contains(s, " ") && strings.IndexByte(s, ' ') != strings.LastIndexByte(s, ' ') {
		return true
	}
	if i := strings.IndexByte(s, 'T'); i >= 0 {
		return strings.ContainsAny(s[i:], "+-")
	}
	return false
}

// reinterpret moves a UTC wall-clock reading into loc.
func reinterpret(ms int64, loc *time.Location) int64 {
	u := time.UnixMilli(ms).UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), u.Hour(), u.Minute(), u.Second(), u.Nanosecond(), loc).UnixMilli()
}

func prepareFloor(c *callNode) error {
	_, err := prepareTimeArgs(c, 1, 2, 3, -1)
	return err
}

func prepareParse(c *callNode) error {
	_, err := prepareTimeArgs(c, -1, -1, 2, 1)
	return err
}

// prepareTimeArgs compiles the literal period, origin, zone and pattern arguments at the given
// positions (-1 = absent). Non-literal arguments are resolved per row by timeArgsAt.
func prepareTimeArgs(c *callNode, periodAt, originAt, zoneAt, patternAt int) (*timeArgs, error) {
	ta := &timeArgs{loc: time.UTC}
	dynamic := false
	if periodAt >= 0 {
		s, ok, err := literalString(c, periodAt)
		if err != nil {
			return nil, fmt.Errorf("period: %v", err)
		}
		if ok {
			if ta.period, err = ParsePeriod(s); err != nil {
				return nil, err
			}
			ta.havePer = true
		} else {
			dynamic = true
		}
	}
	if originAt >= 0 && originAt < len(c.args) {
		if v, ok := c.literal(originAt); ok {
			if !v.IsNull() {
				o, err := originMillis(v)
				if err != nil {
					return nil, err
				}
				ta.origin = &o
			}
		} else {
			dynamic = true
		}
	}
	if zoneAt >= 0 && zoneAt < len(c.args) {
		s, ok, err := literalString(c, zoneAt)
		if err != nil {
			return nil, fmt.Errorf("time zone: %v", err)
		}
		if ok {
			if ta.loc, err = Location(s); err != nil {
				return nil, err
			}
		} else if _, isLit := c.literal(zoneAt); !isLit {
			dynamic = true
		}
	}
	if patternAt >= 0 && patternAt < len(c.args) {
		s, ok, err := literalString(c, patternAt)
		if err != nil {
			return nil, fmt.Errorf("pattern: %v", err)
		}
		if ok {
			if ta.parse, ta.format, err = JodaLayout(s); err != nil {
				return nil, err
			}
		} else if _, isLit := c.literal(patternAt); !isLit {
			dynamic = true
		}
	}
	if !dynamic {
		c.state = ta
	} else {
		c.state = [4]int{periodAt, originAt, zoneAt, patternAt}
	}
	return ta, nil
}

func originMillis(v Value) (int64, error) {
	if v.IsNumeric() {
		n, _ := v.AsLong()
		return n, nil
	}
	s, _ := v.AsString()
	if ms, ok := ParseISOMillis(s); ok {
		return ms, nil
	}
	return 0, fmt.Errorf("origin %s is neither epoch millis nor an ISO date-time", v)
}

// timeArgsAt returns the compiled time arguments, resolving non-literal ones from b.
func timeArgsAt(c *callNode, b Bindings) (*timeArgs, error) {
	if ta, ok := c.state.(*timeArgs); ok {
		return ta, nil
	}
	pos := c.state.([4]int)
	ta := &timeArgs{loc: time.UTC}
	var err error
	if pos[0] >= 0 {
		s, ok := c.str(pos[0], b)
		if !ok {
			return nil, fmt.Errorf("null period")
		}
		if ta.period, err = ParsePeriod(s); err != nil {
			return nil, err
		}
	}
	if pos[1] >= 0 && pos[1] < len(c.args) {
		if v := c.args[pos[1]].eval(b); !v.IsNull() {
			o, err := originMillis(v)
			if err != nil {
				return nil, err
			}
			ta.origin = &o
		}
	}
	if pos[2] >= 0 && pos[2] < len(c.args) {
		if s, ok := c.str(pos[2], b); ok {
			if ta.loc, err = Location(s); err != nil {
				return nil, err
			}
		}
	}
	if pos[3] >= 0 && pos[3] < len(c.args) {
		if s, ok := c.str(pos[3], b); ok {
			if ta.parse, ta.format, err = JodaLayout(s); err != nil {
				return nil, err
			}
		}
	}
	return ta, nil
}
