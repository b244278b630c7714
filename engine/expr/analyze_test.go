package expr

import (
	"slices"
	"testing"
)

func TestConjunctsAndEquality(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		// per conjunct: "l=r" with the identifiers of each side, or "-" when it is
		// not an equality
		want []string
	}{
		{"one equality in parentheses", `("page" == "j0.k")`, []string{"page=j0.k"}},
		{"and chain", `a == "j.x" && (b + 1) == "j.y" && c > 2`, []string{"a=j.x", "b=j.y", "-"}},
		{"nested and", `(a == b && c == d) && e == f`, []string{"a=b", "c=d", "e=f"}},
		{"or is one part", `a == b || c == d`, []string{"-"}},
		{"constant", `1`, []string{"-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range MustParse(tc.src).Conjuncts() {
				l, r, ok := p.Equality()
				if !ok {
					got = append(got, "-")
					continue
				}
				s := ""
				for _, id := range l.Identifiers() {
					s += id
				}
				s += "="
				for _, id := range r.Identifiers() {
					s += id
				}
				got = append(got, s)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if id, ok := MustParse(`"j0.k"`).Identifier(); !ok || id != "j0.k" {
		t.Errorf("Identifier of a quoted column: %q %v", id, ok)
	}
	if _, ok := MustParse(`concat(a, 'x')`).Identifier(); ok {
		t.Error("a call is not an identifier")
	}
	// A part evaluates on its own.
	parts := MustParse(`x == 1 && 0`).Conjuncts()
	if !parts[1].IsConstant() || parts[1].Eval(nil).Truthy() {
		t.Error("constant part 0 should be constant and false")
	}
	if v := parts[0].Eval(MapBindings{"x": Long(1)}); !v.Truthy() {
		t.Errorf("x == 1 with x=1: %v", v)
	}
}
