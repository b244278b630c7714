package expr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bindings supplies identifier values to Eval. ok is false when the name is not bound, which
// evaluates as null.
type Bindings interface {
	Get(name string) (Value, bool)
}

// Expr is a parsed expression. It is immutable and safe for concurrent Eval.
type Expr struct {
	src    string
	root   node
	idents []string
}

// String returns the source text.
func (e *Expr) String() string { return e.src }

// Identifiers returns the input columns the expression reads, in order of first use.
func (e *Expr) Identifiers() []string { return append([]string(nil), e.idents...) }

// IsConstant reports whether the expression reads no identifiers.
func (e *Expr) IsConstant() bool { return len(e.idents) == 0 }

// Eval evaluates the expression; b may be nil for constant expressions. Eval never panics on
// any input value.
func (e *Expr) Eval(b Bindings) Value {
	if b == nil {
		b = noBindings{}
	}
	if mv, ok := b.(MultiValued); ok && !mv.HasMultiValues() {
		return e.root.eval(b)
	}
	for _, id := range e.idents {
		if v, ok := b.Get(id); ok && v.kind == KindStrings && len(v.arr) > 1 {
			return e.evalMapped(b, id, v.arr)
		}
	}
	return e.root.eval(b)
}

// evalMapped applies the expression to each element of a multi-value input (Druid's implicit
// apply) and gathers the results as strings; a null result becomes "" because a multi-value
// string cannot hold null.
func (e *Expr) evalMapped(b Bindings, name string, elems []string) Value {
	out := make([]string, 0, len(elems))
	o := &override{Bindings: b, name: name}
	for _, el := range elems {
		o.v = String(el)
		r := e.root.eval(o)
		if s, ok := r.AsString(); ok {
			out = append(out, s)
		} else {
			out = append(out, "")
		}
	}
	return Strings(out)
}

// MultiValued may be implemented by Bindings that know whether any of their values is an
// array of several elements; when HasMultiValues is false, Eval skips looking for inputs to
// map over, which halves the lookups per identifier.
type MultiValued interface {
	HasMultiValues() bool
}

type override struct {
	Bindings
	name string
	v    Value
}

func (o *override) Get(name string) (Value, bool) {
	if name == o.name {
		return o.v, true
	}
	return o.Bindings.Get(name)
}

type noBindings struct{}

func (noBindings) Get(string) (Value, bool) { return Value{}, false }

// MapBindings binds names from a map; handy for tests and constant folding.
type MapBindings map[string]Value

// Get implements Bindings.
func (m MapBindings) Get(name string) (Value, bool) {
	v, ok := m[name]
	return v, ok
}

// Parse parses s. Unknown functions and wrong argument counts are errors.
func Parse(s string) (*Expr, error) {
	p := &parser{src: s}
	p.next()
	if p.err != nil {
		return nil, p.err
	}
	n := p.parseExpr(0)
	if p.err == nil && p.tok.kind != tEOF {
		p.fail(p.tok.pos, "unexpected %s", p.tok.describe())
	}
	if p.err != nil {
		return nil, p.err
	}
	e := &Expr{src: s, root: n}
	seen := map[string]bool{}
	walk(n, func(n node) {
		if id, ok := n.(*identNode); ok && !seen[id.name] {
			seen[id.name] = true
			e.idents = append(e.idents, id.name)
		}
	})
	return e, nil
}

// MustParse is Parse that panics; for tests and package-level constants.
func MustParse(s string) *Expr {
	e, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return e
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tNum
	tStr
	tIdent
	tOp
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	pos  int
	text string // operator, identifier name, unescaped string, number text
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tStr:
		return "string " + strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

type parser struct {
	src   string
	pos   int
	tok   token
	err   error
	depth int
}

func (p *parser) fail(pos int, format string, args ...any) {
	if p.err == nil {
		p.err = &SyntaxError{Expr: p.src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
	}
	p.tok = token{kind: tEOF, pos: len(p.src)}
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') || c == '.' }

func (p *parser) next() {
	if p.err != nil {
		return
	}
	s := p.src
	for p.pos < len(s) && (s[p.pos] == ' ' || s[p.pos] == '\t' || s[p.pos] == '\n' || s[p.pos] == '\r') {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(s) {
		p.tok = token{kind: tEOF, pos: start}
		return
	}
	c := s[p.pos]
	switch {
	case c >= '0' && c <= '9' || (c == '.' && p.pos+1 < len(s) && s[p.pos+1] >= '0' && s[p.pos+1] <= '9'):
		i := p.pos
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i < len(s) && s[i] == '.' {
			i++
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
		}
		if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
			j := i + 1
			if j < len(s) && (s[j] == '+' || s[j] == '-') {
				j++
			}
			if j < len(s) && s[j] >= '0' && s[j] <= '9' {
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				i = j
			}
		}
		p.pos = i
		p.tok = token{kind: tNum, pos: start, text: s[start:i]}
	case isIdentStart(c):
		i := p.pos + 1
		for i < len(s) && isIdentPart(s[i]) {
			i++
		}
		p.pos = i
		p.tok = token{kind: tIdent, pos: start, text: s[start:i]}
	case c == '"' || c == '\'':
		str, end, ok := unquote(s, p.pos)
		if !ok {
			p.fail(start, "unterminated or malformed quoted text")
			return
		}
		p.pos = end
		if c == '"' {
			p.tok = token{kind: tIdent, pos: start, text: str}
		} else {
			p.tok = token{kind: tStr, pos: start, text: str}
		}
	case c == '(':
		p.pos++
		p.tok = token{kind: tLParen, pos: start, text: "("}
	case c == ')':
		p.pos++
		p.tok = token{kind: tRParen, pos: start, text: ")"}
	case c == ',':
		p.pos++
		p.tok = token{kind: tComma, pos: start, text: ","}
	default:
		for _, op := range []string{"<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "^", "<", ">", "!"} {
			if strings.HasPrefix(s[p.pos:], op) {
				p.pos += len(op)
				p.tok = token{kind: tOp, pos: start, text: op}
				return
			}
		}
		r, _ := utf8.DecodeRuneInString(s[p.pos:])
		p.fail(start, "unexpected character %q", r)
	}
}

// unquote reads a quoted literal starting at s[i] and returns its text and the offset after it.
func unquote(s string, i int) (string, int, bool) {
	q := s[i]
	i++
	j := strings.IndexByte(s[i:], q)
	if j >= 0 && strings.IndexByte(s[i:i+j], '\\') < 0 {
		return s[i : i+j], i + j + 1, true
	}
	var b strings.Builder
	for i < len(s) {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, true
		case c == '\\':
			if i+1 >= len(s) {
				return "", 0, false
			}
			i++
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'u':
				if i+4 >= len(s) {
					return "", 0, false
				}
				n, err := strconv.ParseUint(s[i+1:i+5], 16, 32)
				if err != nil {
					return "", 0, false
				}
				b.WriteRune(rune(n))
				i += 4
			case '\\', '\'', '"':
				b.WriteByte(e)
			default: // unknown escapes stay as written, like Java's unescapeJava ('\d' for regexps)
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, false
}

// Binary operator precedence, lowest first; ^ is right-associative and binds tighter than
// unary minus and not, as in Druid's grammar (-2^2 = -4).
func binPrec(op string) int {
	switch op {
	case "||":
		return 1
	case "&&":
		return 2
	case "<", "<=", ">", ">=", "==", "!=":
		return 3
	case "+", "-":
		return 4
	case "*", "/", "%":
		return 5
	case "^":
		return 7
	}
	return 0
}

const unaryPrec = 6

func (p *parser) parseExpr(minPrec int) node {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 200 {
		p.fail(p.tok.pos, "expression nested too deeply")
		return litNode{}
	}
	left := p.parseUnary()
	for p.err == nil && p.tok.kind == tOp {
		op := p.tok.text
		prec := binPrec(op)
		if prec == 0 || prec < minPrec {
			break
		}
		p.next()
		next := prec + 1
		if op == "^" {
			next = prec
		}
		right := p.parseExpr(next)
		left = newBinary(op, left, right)
	}
	return left
}

func (p *parser) parseUnary() node {
	if p.tok.kind == tOp && (p.tok.text == "-" || p.tok.text == "!") {
		op := p.tok.text
		p.next()
		x := p.parseExpr(unaryPrec)
		if l, ok := x.(litNode); ok && op == "-" {
			switch l.v.kind {
			case KindLong:
				return litNode{Long(-l.v.n)}
			case KindDouble:
				return litNode{Double(-l.v.RawDouble())}
			}
		}
		return &unaryNode{op: op[0], x: x}
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() node {
	t := p.tok
	switch t.kind {
	case tNum:
		p.next()
		if !strings.ContainsAny(t.text, ".eE") {
			n, err := strconv.ParseInt(t.text, 10, 64)
			if err == nil {
				return litNode{Long(n)}
			}
			// 9223372036854775808 only makes sense negated; Druid reads it as a double too.
		}
		d, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			p.fail(t.pos, "bad number %q", t.text)
			return litNode{}
		}
		return litNode{Double(d)}
	case tStr:
		p.next()
		return litNode{String(t.text)}
	case tLParen:
		p.next()
		n := p.parseExpr(0)
		if p.tok.kind != tRParen {
			p.fail(p.tok.pos, "expected ) but found %s", p.tok.describe())
			return n
		}
		p.next()
		return n
	case tIdent:
		p.next()
		quoted := p.src[t.pos] == '"'
		if !quoted && p.tok.kind == tLParen {
			return p.parseCall(t)
		}
		if !quoted && strings.EqualFold(t.text, "null") {
			return litNode{}
		}
		return &identNode{name: t.text}
	}
	p.fail(t.pos, "unexpected %s", t.describe())
	return litNode{}
}

func (p *parser) parseCall(name token) node {
	p.next() // (
	var args []node
	if p.tok.kind != tRParen {
		for p.err == nil {
			args = append(args, p.parseExpr(0))
			if p.tok.kind == tComma {
				p.next()
				continue
			}
			break
		}
	}
	if p.err != nil {
		return litNode{}
	}
	if p.tok.kind != tRParen {
		p.fail(p.tok.pos, "expected , or ) in call of %s but found %s", name.text, p.tok.describe())
		return litNode{}
	}
	p.next()
	fname := strings.ToLower(name.text)
	def, ok := functions[fname]
	if !ok {
		p.fail(name.pos, "unknown function %s; supported functions: %s", name.text, strings.Join(FunctionNames(), ", "))
		return litNode{}
	}
	if len(args) < def.min || (def.max >= 0 && len(args) > def.max) {
		p.fail(name.pos, "function %s takes %s, got %d", fname, def.arity(), len(args))
		return litNode{}
	}
	c := &callNode{def: def, args: args}
	if def.prepare != nil {
		if err := def.prepare(c); err != nil {
			p.fail(name.pos, "function %s: %v", fname, err)
			return litNode{}
		}
	}
	return c
}
