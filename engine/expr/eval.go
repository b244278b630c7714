package expr

import (
	"math"
	"strings"
)

type node interface {
	eval(b Bindings) Value
}

type litNode struct{ v Value }

func (n litNode) eval(Bindings) Value { return n.v }

type identNode struct{ name string }

func (n *identNode) eval(b Bindings) Value {
	v, _ := b.Get(n.name)
	return v.Scalar()
}

type unaryNode struct {
	op byte
	x  node
}

func (n *unaryNode) eval(b Bindings) Value {
	v := n.x.eval(b)
	if v.kind == KindNull {
		return v
	}
	if n.op == '!' {
		return Bool(!v.Truthy())
	}
	num, ok := toNumber(v)
	if !ok {
		return Value{}
	}
	if num.kind == KindLong {
		return Long(-num.n)
	}
	return Double(-num.RawDouble())
}

type binNode struct {
	op   string
	l, r node
}

func newBinary(op string, l, r node) node { return &binNode{op: op, l: l, r: r} }

func (n *binNode) eval(b Bindings) Value {
	switch n.op {
	case "&&":
		l := n.l.eval(b)
		if l.kind != KindNull && !l.Truthy() {
			return Long(0)
		}
		r := n.r.eval(b)
		if r.kind != KindNull && !r.Truthy() {
			return Long(0)
		}
		if l.kind == KindNull || r.kind == KindNull {
			return Value{}
		}
		return Long(1)
	case "||":
		l := n.l.eval(b)
		if l.kind != KindNull && l.Truthy() {
			return Long(1)
		}
		r := n.r.eval(b)
		if r.kind != KindNull && r.Truthy() {
			return Long(1)
		}
		if l.kind == KindNull || r.kind == KindNull {
			return Value{}
		}
		return Long(0)
	}
	l, r := n.l.eval(b), n.r.eval(b)
	if l.kind == KindNull || r.kind == KindNull {
		return Value{}
	}
	switch n.op {
	case "<", "<=", ">", ">=", "==", "!=":
		c, ok := compare(l, r)
		if !ok {
			return Value{}
		}
		switch n.op {
		case "<":
			return Bool(c < 0)
		case "<=":
			return Bool(c <= 0)
		case ">":
			return Bool(c > 0)
		case ">=":
			return Bool(c >= 0)
		case "==":
			return Bool(c == 0)
		}
		return Bool(c != 0)
	case "+":
		if l.kind == KindString || r.kind == KindString || l.kind == KindStrings || r.kind == KindStrings {
			ls, _ := l.AsString()
			rs, _ := r.AsString()
			return String(ls + rs)
		}
	}
	return arith(n.op, l, r)
}

// compare orders two non-null values: as strings when both are strings, else as numbers.
func compare(l, r Value) (int, bool) {
	if (l.kind == KindString || l.kind == KindStrings) && (r.kind == KindString || r.kind == KindStrings) {
		ls, _ := l.AsString()
		rs, _ := r.AsString()
		return strings.Compare(ls, rs), true
	}
	ln, ok1 := toNumber(l)
	rn, ok2 := toNumber(r)
	if !ok1 || !ok2 {
		return 0, false
	}
	if ln.kind == KindLong && rn.kind == KindLong {
		switch {
		case ln.n < rn.n:
			return -1, true
		case ln.n > rn.n:
			return 1, true
		}
		return 0, true
	}
	a, _ := ln.AsDouble()
	c, _ := rn.AsDouble()
	switch {
	case a < c:
		return -1, true
	case a > c:
		return 1, true
	case a == c:
		return 0, true
	}
	return 0, false // NaN
}

// toNumber converts v to a long or double Value; strings are parsed.
func toNumber(v Value) (Value, bool) {
	switch v.kind {
	case KindLong, KindDouble:
		return v, true
	case KindString, KindStrings:
		s, ok := v.AsString()
		if !ok {
			return Value{}, false
		}
		return ParseNumber(strings.TrimSpace(s))
	}
	return Value{}, false
}

func arith(op string, l, r Value) Value {
	ln, ok1 := toNumber(l)
	rn, ok2 := toNumber(r)
	if !ok1 || !ok2 {
		return Value{}
	}
	if ln.kind == KindLong && rn.kind == KindLong {
		a, c := ln.n, rn.n
		switch op {
		case "+":
			return Long(a + c)
		case "-":
			return Long(a - c)
		case "*":
			return Long(a * c)
		case "/":
			if c == 0 {
				return Value{}
			}
			if a == math.MinInt64 && c == -1 {
				return Long(a)
			}
			return Long(a / c)
		case "%":
			if c == 0 {
				return Value{}
			}
			if c == -1 {
				return Long(0)
			}
			return Long(a % c)
		case "^":
			return Long(DoubleToLong(math.Pow(float64(a), float64(c))))
		}
		return Value{}
	}
	a, _ := ln.AsDouble()
	c, _ := rn.AsDouble()
	switch op {
	case "+":
		return Double(a + c)
	case "-":
		return Double(a - c)
	case "*":
		return Double(a * c)
	case "/":
		return Double(a / c)
	case "%":
		return Double(math.Mod(a, c))
	case "^":
		return Double(math.Pow(a, c))
	}
	return Value{}
}

type callNode struct {
	def   *funcDef
	args  []node
	state any // prepared from literal arguments (regexp, location, period, layout)
}

func (n *callNode) eval(b Bindings) Value { return n.def.eval(n, b) }

// literal returns the value of argument i when it is a literal.
func (n *callNode) literal(i int) (Value, bool) {
	if i >= len(n.args) {
		return Value{}, false
	}
	l, ok := n.args[i].(litNode)
	return l.v, ok
}

func (n *callNode) str(i int, b Bindings) (string, bool) {
	if i >= len(n.args) {
		return "", false
	}
	return n.args[i].eval(b).AsString()
}

func (n *callNode) long(i int, b Bindings) (int64, bool) {
	if i >= len(n.args) {
		return 0, false
	}
	return n.args[i].eval(b).AsLong()
}

func walk(n node, fn func(node)) {
	fn(n)
	switch x := n.(type) {
	case *unaryNode:
		walk(x.x, fn)
	case *binNode:
		walk(x.l, fn)
		walk(x.r, fn)
	case *callNode:
		for _, a := range x.args {
			walk(a, fn)
		}
	}
}
