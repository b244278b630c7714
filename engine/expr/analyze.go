package expr

// Structural views of a parsed expression, for callers that plan around its shape rather than
// evaluate it: a join condition is split into its conjuncts, and each conjunct into the two
// sides of an equality (Druid's Exprs.decomposeAnd and Exprs.decomposeEquals, used by
// JoinConditionAnalysis).

// Conjuncts returns the operands of the top-level && chain of e, left to right; an expression
// that is not a conjunction is its own single conjunct. Each part shares e's source text.
func (e *Expr) Conjuncts() []*Expr {
	var parts []*Expr
	var split func(n node)
	split = func(n node) {
		if b, ok := n.(*binNode); ok && b.op == "&&" {
			split(b.l)
			split(b.r)
			return
		}
		parts = append(parts, e.sub(n))
	}
	split(e.root)
	return parts
}

// Equality returns the two sides of e when e is an == comparison.
func (e *Expr) Equality() (l, r *Expr, ok bool) {
	b, isBin := e.root.(*binNode)
	if !isBin || b.op != "==" {
		return nil, nil, false
	}
	return e.sub(b.l), e.sub(b.r), true
}

// Identifier returns the column name when e is nothing but an identifier.
func (e *Expr) Identifier() (string, bool) {
	id, ok := e.root.(*identNode)
	if !ok {
		return "", false
	}
	return id.name, true
}

// sub wraps a node of e as an expression of its own.
func (e *Expr) sub(n node) *Expr {
	s := &Expr{src: e.src, root: n}
	seen := map[string]bool{}
	walk(n, func(n node) {
		if id, ok := n.(*identNode); ok && !seen[id.name] {
			seen[id.name] = true
			s.idents = append(s.idents, id.name)
		}
	})
	return s
}
