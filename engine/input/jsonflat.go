package input

import "github.com/kafka-indexer/terraform-provider-kafka/engine/expr"

// scanFlat fills r straight from the bytes of one JSON object whose values are all primitives
// or arrays of primitives and whose strings hold no escapes: the shape of nearly every event a
// stream carries. It skips fastjson's copy of the record and its value tree, which together
// cost more than the rest of parsing a row.
//
// It accepts only a subset of what fastjson accepts and produces exactly the row the fastjson
// path would (FuzzScanFlat checks both). Anything else — an escape, a nested object, a number
// outside strict JSON grammar, bad syntax — makes it return false with r half-filled; the
// caller then resets r and takes the fastjson path, which decides the row or its error. Field
// values alias data, which outlives the row as the record's bytes do.
func scanFlat(data []byte, r *Row) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return false
		}
		key, j, ok := flatString(data, i+1)
		if !ok {
			return false
		}
		i = skipSpace(data, j)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		if i >= len(data) {
			return false
		}
		var v expr.Value // null stays the zero Value
		switch data[i] {
		case '[':
			v, j, ok = flatArray(data, i+1, r)
		case 'n':
			j, ok = flatLiteral(data, i, "null")
		default:
			var s string
			var num bool
			if s, num, j, ok = flatPrimitive(data, i); num {
				v = numberValue(s)
			} else {
				v = expr.String(s)
			}
		}
		if !ok {
			return false
		}
		r.add(key, v)
		i = skipSpace(data, j)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

// flatArray reads the elements of an array of primitives after its '[' the way jsonValue and
// primitiveString render them: strings as they are, numbers as their text, booleans as
// "true"/"false", null as "".
func flatArray(data []byte, i int, r *Row) (expr.Value, int, bool) {
	start := len(r.strs)
	i = skipSpace(data, i)
	if i < len(data) && data[i] == ']' {
		return r.multi(start), i + 1, true
	}
	for {
		if i >= len(data) || data[i] == '[' || data[i] == '{' {
			return expr.Value{}, 0, false
		}
		s, _, j, ok := flatPrimitive(data, i)
		if !ok {
			return expr.Value{}, 0, false
		}
		r.strs = append(r.strs, s)
		i = skipSpace(data, j)
		if i >= len(data) {
			return expr.Value{}, 0, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case ']':
			return r.multi(start), i + 1, true
		default:
			return expr.Value{}, 0, false
		}
	}
}

// flatPrimitive reads the string, number, true, false or null at data[i] and returns its text
// ("" for null, "true"/"false" for booleans), whether it is a number, and the index after it.
func flatPrimitive(data []byte, i int) (s string, num bool, next int, ok bool) {
	switch data[i] {
	case '"':
		s, next, ok = flatString(data, i+1)
		return s, false, next, ok
	case 't':
		next, ok = flatLiteral(data, i, "true")
		return "true", false, next, ok
	case 'f':
		next, ok = flatLiteral(data, i, "false")
		return "false", false, next, ok
	case 'n':
		next, ok = flatLiteral(data, i, "null")
		return "", false, next, ok
	}
	if next, ok = flatNumber(data, i); !ok {
		return "", false, 0, false
	}
	return b2s(data[i:next]), true, next, true
}

// flatLiteral reads lit at data[i] and returns the index after it.
func flatLiteral(data []byte, i int, lit string) (int, bool) {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return 0, false
	}
	return i + len(lit), true
}

// flatString reads a string's bytes after its opening quote; a backslash ends the fast path
// (fastjson's unescaping decides those strings).
func flatString(data []byte, i int) (string, int, bool) {
	for j := i; j < len(data); j++ {
		switch data[j] {
		case '"':
			return b2s(data[i:j]), j + 1, true
		case '\\':
			return "", 0, false
		}
	}
	return "", 0, false
}

// flatNumber reads a number in strict JSON grammar, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?,
// and returns the index after it. A number followed by another number character ("1.2.3",
// "1-2") is refused: fastjson reads those as one number, whose text numberValue then keeps as
// a string.
func flatNumber(data []byte, i int) (int, bool) {
	j := i
	if j < len(data) && data[j] == '-' {
		j++
	}
	switch {
	case j < len(data) && data[j] == '0':
		j++
	case j < len(data) && data[j] >= '1' && data[j] <= '9':
		j = digits(data, j+1)
	default:
		return 0, false
	}
	if j < len(data) && data[j] == '.' {
		k := digits(data, j+1)
		if k == j+1 {
			return 0, false
		}
		j = k
	}
	if j < len(data) && (data[j] == 'e' || data[j] == 'E') {
		j++
		if j < len(data) && (data[j] == '+' || data[j] == '-') {
			j++
		}
		k := digits(data, j)
		if k == j {
			return 0, false
		}
		j = k
	}
	if j < len(data) && isNumberByte(data[j]) {
		return 0, false
	}
	return j, true
}

func digits(data []byte, i int) int {
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	return i
}

// isNumberByte reports the bytes fastjson takes as part of a number.
func isNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}
