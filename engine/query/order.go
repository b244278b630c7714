package query

import (
	"cmp"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
)

// stringComparator is one of Druid's StringComparators (engine/expr holds them).
type stringComparator = expr.StringComparator

func comparatorByName(name string) (stringComparator, bool) { return expr.ComparatorByName(name) }

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
