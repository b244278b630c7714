package query

import (
	"cmp"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
)

// stringComparator is one of Druid's StringComparators, by name.
type stringComparator func(a, b string) int

func comparatorByName(name string) (stringComparator, bool) {
	switch strings.ToLower(name) {
	case "", "lexicographic":
		return strings.Compare, true
	case "alphanumeric":
		return alphaNumCompare, true
	case "numeric":
		return numericCompare, true
	case "strlen":
		return func(a, b string) int {
			if c := cmp.Compare(len(a), len(b)); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		}, true
	}
	return nil, false
}

// numericCompare orders numbers numerically, before non-numbers, which
// compare as strings (Druid's StringComparators.NUMERIC).
func numericCompare(a, b string) int {
	na, okA := expr.ParseNumber(a)
	nb, okB := expr.ParseNumber(b)
	switch {
	case okA && okB:
		x, _ := na.AsDouble()
		y, _ := nb.AsDouble()
		return cmp.Compare(x, y)
	case okA:
		return -1
	case okB:
		return 1
	}
	return strings.Compare(a, b)
}

// alphaNumCompare orders strings with embedded numbers naturally ("a2" <
// "a10"), like Druid's StringComparators.ALPHANUMERIC.
func alphaNumCompare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigit(ca) && isDigit(cb) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na, nb := strings.TrimLeft(a[si:i], "0"), strings.TrimLeft(b[sj:j], "0")
			if len(na) != len(nb) {
				return cmp.Compare(len(na), len(nb))
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			continue
		}
		if ca != cb {
			return cmp.Compare(ca, cb)
		}
		i++
		j++
	}
	return cmp.Compare(len(a)-i, len(b)-j)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// compareValues orders two result values: nulls first, numbers
// numerically, strings by cmpStr.
func compareValues(a, b any, cmpStr stringComparator) int {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		}
		return 1
	}
	x, okA := toFloat(a)
	y, okB := toFloat(b)
	if okA && okB {
		return cmp.Compare(x, y)
	}
	sa, _ := a.(string)
	sb, _ := b.(string)
	if cmpStr == nil {
		cmpStr = strings.Compare
	}
	return cmpStr(sa, sb)
}
