package expr

import (
	"cmp"
	"strings"
)

// StringComparator orders two strings; Druid's StringComparators (used by bound filters,
// topN/groupBy ordering and limitSpec dimensionOrder).
type StringComparator func(a, b string) int

// ComparatorByName returns Druid's lexicographic (the default), alphanumeric, numeric or
// strlen comparator; ok is false for other names.
func ComparatorByName(name string) (c StringComparator, ok bool) {
	switch strings.ToLower(name) {
	case "", "lexicographic":
		return strings.Compare, true
	case "alphanumeric":
		return AlphaNumCompare, true
	case "numeric":
		return NumericCompare, true
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

// NumericCompare orders numbers numerically, before non-numbers, which compare as strings
// (StringComparators.NUMERIC).
func NumericCompare(a, b string) int {
	na, okA := ParseNumber(a)
	nb, okB := ParseNumber(b)
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

// AlphaNumCompare orders strings with embedded numbers naturally ("a2" < "a10"), like Druid's
// StringComparators.ALPHANUMERIC.
func AlphaNumCompare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigitByte(ca) && isDigitByte(cb) {
			si, sj := i, j
			for i < len(a) && isDigitByte(a[i]) {
				i++
			}
			for j < len(b) && isDigitByte(b[j]) {
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

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }
