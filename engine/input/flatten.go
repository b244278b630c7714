package input

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ohler55/ojg/jp"
	"github.com/ohler55/ojg/oj"
	"github.com/valyala/fastjson"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// flatField is one compiled flattenSpec field. Simple paths ($.a.b[1], $['a'][*].b, .a.b[1],
// tree nodes, root names) are walked directly on the fastjson value without allocating; any
// other JsonPath (deep scan, filters, slices, unions) is handed to ojg's jp on a decoded copy
// of the record.
type flatField struct {
	name  string
	steps []pathStep
	fn    string  // trailing JsonPath function: length, min, max, avg, sum, stddev
	ojg   jp.Expr // non-nil for paths the simple walker cannot handle
	wild  bool    // the path may yield several values
}

type pathStep struct {
	key   string
	index int
	kind  uint8 // stepKey, stepIndex, stepWild
}

const (
	stepKey uint8 = iota
	stepIndex
	stepWild
)

var pathFunctions = map[string]bool{"length": true, "min": true, "max": true, "avg": true, "sum": true, "stddev": true}

func compileFlatField(f spec.FlattenField) (*flatField, error) {
	if f.Name == "" {
		return nil, fmt.Errorf("name is required")
	}
	fl := &flatField{name: f.Name}
	switch strings.ToLower(f.Type) {
	case "root", "":
		fl.steps = []pathStep{{key: f.Name}}
	case "tree":
		if len(f.Nodes) == 0 {
			return nil, fmt.Errorf("nodes: a tree field needs at least one node")
		}
		for _, n := range f.Nodes {
			fl.steps = append(fl.steps, pathStep{key: n})
		}
	case "path":
		if err := fl.compilePath(f.Expr); err != nil {
			return nil, fmt.Errorf("expr: %w", err)
		}
	case "jq":
		steps, err := parseJQ(f.Expr)
		if err != nil {
			return nil, fmt.Errorf("expr: %w", err)
		}
		fl.steps = steps
	default:
		return nil, fmt.Errorf("type: unknown flatten field type %q (want root, path, jq or tree)", f.Type)
	}
	for _, st := range fl.steps {
		if st.kind == stepWild {
			fl.wild = true
		}
	}
	return fl, nil
}

func (fl *flatField) compilePath(p string) error {
	p = strings.TrimSpace(p)
	if p == "" {
		return fmt.Errorf("a JsonPath is required")
	}
	body := p
	if i := strings.LastIndex(p, "."); i > 0 && strings.HasSuffix(p, "()") {
		name := p[i+1 : len(p)-2]
		if !pathFunctions[name] {
			return fmt.Errorf("JsonPath function %s() is not supported (supported: length, min, max, avg, sum, stddev)", name)
		}
		fl.fn, body = name, p[:i]
	}
	if steps, ok := parseSimplePath(body); ok {
		fl.steps = steps
		return nil
	}
	x, err := jp.ParseString(body)
	if err != nil {
		return fmt.Errorf("invalid JsonPath %q: %v", p, err)
	}
	fl.ojg, fl.wild = x, true
	return nil
}

// parseSimplePath handles $, .name, ['name'], ["name"], [n], [*] and .*.
func parseSimplePath(p string) ([]pathStep, bool) {
	if !strings.HasPrefix(p, "$") {
		return nil, false
	}
	var steps []pathStep
	i := 1
	for i < len(p) {
		switch p[i] {
		case '.':
			i++
			if i < len(p) && p[i] == '.' {
				return nil, false
			}
			j := i
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			if j == i {
				return nil, false
			}
			if p[i:j] == "*" {
				steps = append(steps, pathStep{kind: stepWild})
			} else {
				if strings.ContainsAny(p[i:j], "()?@,:'\" ") {
					return nil, false
				}
				steps = append(steps, pathStep{key: p[i:j]})
			}
			i = j
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, false
			}
			in := p[i+1 : i+end]
			switch {
			case in == "*":
				steps = append(steps, pathStep{kind: stepWild})
			case len(in) >= 2 && (in[0] == '\'' || in[0] == '"') && in[len(in)-1] == in[0]:
				k := in[1 : len(in)-1]
				if strings.ContainsAny(k, "'\"") {
					return nil, false
				}
				steps = append(steps, pathStep{key: k})
			default:
				n, err := strconv.Atoi(in)
				if err != nil {
					return nil, false
				}
				steps = append(steps, pathStep{kind: stepIndex, index: n})
			}
			i += end + 1
		default:
			return nil, false
		}
	}
	return steps, true
}

// parseJQ handles the common jackson-jq subset: .a.b, .["a b"], ."a", .a[1], .a[].
func parseJQ(q string) ([]pathStep, error) {
	q = strings.TrimSpace(q)
	bad := fmt.Errorf("jq expression %q is not supported (supported: .a.b, .[\"a b\"], .a[1], .a[])", q)
	if !strings.HasPrefix(q, ".") {
		return nil, bad
	}
	var steps []pathStep
	i := 0
	for i < len(q) {
		switch q[i] {
		case '.':
			i++
			if i >= len(q) || q[i] == '[' {
				continue
			}
			if q[i] == '"' {
				end := strings.IndexByte(q[i+1:], '"')
				if end < 0 {
					return nil, bad
				}
				steps = append(steps, pathStep{key: q[i+1 : i+1+end]})
				i += end + 2
				continue
			}
			j := i
			for j < len(q) && (q[j] == '_' || q[j] == '$' || q[j] == '-' || q[j] >= '0' && q[j] <= '9' || q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z') {
				j++
			}
			if j == i {
				return nil, bad
			}
			steps = append(steps, pathStep{key: q[i:j]})
			i = j
		case '[':
			end := strings.IndexByte(q[i:], ']')
			if end < 0 {
				return nil, bad
			}
			in := q[i+1 : i+end]
			switch {
			case in == "":
				steps = append(steps, pathStep{kind: stepWild})
			case len(in) >= 2 && in[0] == '"' && in[len(in)-1] == '"':
				steps = append(steps, pathStep{key: in[1 : len(in)-1]})
			default:
				n, err := strconv.Atoi(in)
				if err != nil {
					return nil, bad
				}
				steps = append(steps, pathStep{kind: stepIndex, index: n})
			}
			i += end + 1
		default:
			return nil, bad
		}
	}
	return steps, nil
}

// evalField evaluates one flatten field against the record root v.
func (s *jsonSource) evalField(fl *flatField, v *fastjson.Value, r *Row) expr.Value {
	if fl.ojg != nil {
		return s.evalOJG(fl, r)
	}
	if !fl.wild {
		for _, st := range fl.steps {
			v = step(v, st)
			if v == nil {
				return expr.Value{}
			}
		}
		if fl.fn != "" {
			return applyPathFunc(fl.fn, r, v)
		}
		val, _ := jsonValue(r, v, true)
		return val
	}
	var out []*fastjson.Value
	collect(v, fl.steps, &out)
	if fl.fn != "" {
		arr := fastjson.Arena{}
		a := arr.NewArray()
		for i, e := range out {
			a.SetArrayItem(i, e)
		}
		return applyPathFunc(fl.fn, r, a)
	}
	start := len(r.strs)
	for _, e := range out {
		switch e.Type() {
		case fastjson.TypeObject, fastjson.TypeArray:
			st := len(r.buf)
			r.buf = e.MarshalTo(r.buf)
			r.strs = append(r.strs, r.arenaString(st))
		default:
			r.strs = append(r.strs, primitiveString(r, e))
		}
	}
	if len(r.strs) == start {
		return expr.Value{}
	}
	return r.multi(start)
}

func step(v *fastjson.Value, st pathStep) *fastjson.Value {
	switch st.kind {
	case stepKey:
		if v.Type() != fastjson.TypeObject {
			return nil
		}
		o, _ := v.Object()
		return o.Get(st.key)
	case stepIndex:
		if v.Type() != fastjson.TypeArray {
			return nil
		}
		a, _ := v.Array()
		i := st.index
		if i < 0 {
			i += len(a)
		}
		if i < 0 || i >= len(a) {
			return nil
		}
		return a[i]
	}
	return nil
}

func collect(v *fastjson.Value, steps []pathStep, out *[]*fastjson.Value) {
	for i, st := range steps {
		if st.kind == stepWild {
			switch v.Type() {
			case fastjson.TypeArray:
				a, _ := v.Array()
				for _, e := range a {
					collect(e, steps[i+1:], out)
				}
			case fastjson.TypeObject:
				o, _ := v.Object()
				o.Visit(func(_ []byte, e *fastjson.Value) { collect(e, steps[i+1:], out) })
			}
			return
		}
		if v = step(v, st); v == nil {
			return
		}
	}
	*out = append(*out, v)
}

// applyPathFunc implements Jayway's aggregate functions on an array (length also counts
// object keys and string characters).
func applyPathFunc(fn string, r *Row, v *fastjson.Value) expr.Value {
	if v == nil {
		return expr.Value{}
	}
	if fn == "length" {
		switch v.Type() {
		case fastjson.TypeArray:
			a, _ := v.Array()
			return expr.Long(int64(len(a)))
		case fastjson.TypeObject:
			o, _ := v.Object()
			return expr.Long(int64(o.Len()))
		case fastjson.TypeString:
			b, _ := v.StringBytes()
			return expr.Long(int64(len([]rune(string(b)))))
		}
		return expr.Value{}
	}
	if v.Type() != fastjson.TypeArray {
		return expr.Value{}
	}
	a, _ := v.Array()
	var nums []float64
	for _, e := range a {
		if d, err := e.Float64(); err == nil {
			nums = append(nums, d)
		}
	}
	return aggregate(fn, nums)
}

func aggregate(fn string, nums []float64) expr.Value {
	if len(nums) == 0 {
		return expr.Value{}
	}
	sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, d := range nums {
		sum += d
		lo, hi = math.Min(lo, d), math.Max(hi, d)
	}
	avg := sum / float64(len(nums))
	switch fn {
	case "min":
		return expr.Double(lo)
	case "max":
		return expr.Double(hi)
	case "sum":
		return expr.Double(sum)
	case "avg":
		return expr.Double(avg)
	case "stddev":
		ss := 0.0
		for _, d := range nums {
			ss += (d - avg) * (d - avg)
		}
		return expr.Double(math.Sqrt(ss / float64(len(nums))))
	}
	return expr.Value{}
}

func (s *jsonSource) evalOJG(fl *flatField, r *Row) expr.Value {
	data := s.genericValue()
	if data == nil {
		return expr.Value{}
	}
	return genericResult(fl, fl.ojg.Get(data))
}

// genericResult turns the values a path found in plain Go data (ojg's, or the Avro decoder's)
// into the field's value: one value as itself, several as a multi-value, or the path function
// applied to them.
func genericResult(fl *flatField, res []any) expr.Value {
	if fl.fn != "" {
		if fl.fn == "length" {
			if len(res) == 1 {
				if a, ok := res[0].([]any); ok {
					return expr.Long(int64(len(a)))
				}
			}
			return expr.Long(int64(len(res)))
		}
		if len(res) == 1 {
			if a, ok := res[0].([]any); ok {
				res = a
			}
		}
		var nums []float64
		for _, x := range res {
			if d, ok := genericNumber(x); ok {
				nums = append(nums, d)
			}
		}
		return aggregate(fl.fn, nums)
	}
	switch len(res) {
	case 0:
		return expr.Value{}
	case 1:
		return genericValue(res[0])
	}
	out := make([]string, 0, len(res))
	for _, x := range res {
		out = append(out, genericString(x))
	}
	return expr.Strings(out)
}

func genericNumber(x any) (float64, bool) {
	switch n := x.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func genericValue(x any) expr.Value {
	switch v := x.(type) {
	case nil:
		return expr.Value{}
	case string:
		return expr.String(v)
	case int64:
		return expr.Long(v)
	case float64:
		return expr.Double(v)
	case bool:
		return expr.String(strconv.FormatBool(v))
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			out = append(out, genericString(e))
		}
		return expr.Strings(out)
	}
	return expr.String(genericString(x))
}

func genericString(x any) string {
	switch v := x.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return oj.JSON(x)
}
