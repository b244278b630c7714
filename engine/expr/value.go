package expr

import (
	"math"
	"strconv"
	"strings"
)

// Kind is the type tag of a Value.
type Kind uint8

// Value kinds. The zero Value is null.
const (
	KindNull Kind = iota
	KindLong
	KindDouble
	KindString
	KindStrings // multi-value string
)

// String returns Druid's type name for k.
func (k Kind) String() string {
	switch k {
	case KindLong:
		return "LONG"
	case KindDouble:
		return "DOUBLE"
	case KindString:
		return "STRING"
	case KindStrings:
		return "ARRAY<STRING>"
	}
	return "NULL"
}

// Value is a compact tagged value: null, long, double, string or string array. It is passed by
// value; strings and arrays are shared, not copied.
type Value struct {
	kind Kind
	n    int64 // long payload, or the bits of the double
	s    string
	arr  []string
}

// Null returns the null value (the zero Value).
func Null() Value { return Value{} }

// Long returns a long value.
func Long(v int64) Value { return Value{kind: KindLong, n: v} }

// Double returns a double value.
func Double(v float64) Value { return Value{kind: KindDouble, n: int64(math.Float64bits(v))} }

// String returns a string value.
func String(s string) Value { return Value{kind: KindString, s: s} }

// Strings returns a multi-value string. The slice is kept, not copied.
func Strings(v []string) Value { return Value{kind: KindStrings, arr: v} }

// Bool returns the long 1 or 0, the way Druid represents booleans.
func Bool(b bool) Value {
	if b {
		return Long(1)
	}
	return Long(0)
}

// Kind returns the type tag.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.kind == KindNull }

// IsNumeric reports whether v is a long or a double.
func (v Value) IsNumeric() bool { return v.kind == KindLong || v.kind == KindDouble }

// RawLong returns the long payload; only meaningful for KindLong.
func (v Value) RawLong() int64 { return v.n }

// RawDouble returns the double payload; only meaningful for KindDouble.
func (v Value) RawDouble() float64 { return math.Float64frombits(uint64(v.n)) }

// RawString returns the string payload; only meaningful for KindString.
func (v Value) RawString() string { return v.s }

// Array returns the elements of a multi-value string (nil for other kinds).
func (v Value) Array() []string { return v.arr }

// Scalar reduces a one-element array to its element and an empty array to null; other values
// are returned unchanged.
func (v Value) Scalar() Value {
	if v.kind == KindStrings {
		switch len(v.arr) {
		case 0:
			return Value{}
		case 1:
			return String(v.arr[0])
		}
	}
	return v
}

// AsLong converts v to a long. Doubles are truncated toward zero and saturate at the long range
// (DoubleToLong); strings are parsed as a long or a double. ok is false for null, NaN,
// unparseable strings and arrays of several values.
func (v Value) AsLong() (int64, bool) {
	switch v.kind {
	case KindLong:
		return v.n, true
	case KindDouble:
		d := v.RawDouble()
		if math.IsNaN(d) {
			return 0, false
		}
		return DoubleToLong(d), true
	case KindString:
		return parseLong(v.s)
	case KindStrings:
		if len(v.arr) == 1 {
			return parseLong(v.arr[0])
		}
	}
	return 0, false
}

// AsDouble converts v to a double; ok is false for null and unparseable strings.
func (v Value) AsDouble() (float64, bool) {
	switch v.kind {
	case KindLong:
		return float64(v.n), true
	case KindDouble:
		return v.RawDouble(), true
	case KindString:
		return parseDouble(v.s)
	case KindStrings:
		if len(v.arr) == 1 {
			return parseDouble(v.arr[0])
		}
	}
	return 0, false
}

// AsString converts v to a string; ok is false for null. Arrays render as Druid does in a
// string context: one element as itself, several as [a, b].
func (v Value) AsString() (string, bool) {
	switch v.kind {
	case KindNull:
		return "", false
	case KindString:
		return v.s, true
	case KindLong:
		return strconv.FormatInt(v.n, 10), true
	case KindDouble:
		return formatDouble(v.RawDouble()), true
	case KindStrings:
		if len(v.arr) == 1 {
			return v.arr[0], true
		}
		if len(v.arr) == 0 {
			return "", false
		}
		return "[" + strings.Join(v.arr, ", ") + "]", true
	}
	return "", false
}

// String renders v for debugging and error messages; null renders as "null".
func (v Value) String() string {
	s, ok := v.AsString()
	if !ok {
		return "null"
	}
	if v.kind == KindString {
		return strconv.Quote(s)
	}
	return s
}

// Truthy reports Druid's boolean reading of v (see the package doc).
func (v Value) Truthy() bool {
	switch v.kind {
	case KindLong:
		return v.n != 0
	case KindDouble:
		return v.RawDouble() != 0
	case KindString:
		return stringTruthy(v.s)
	case KindStrings:
		if len(v.arr) == 1 {
			return stringTruthy(v.arr[0])
		}
	}
	return false
}

func stringTruthy(s string) bool {
	if d, ok := parseDouble(s); ok {
		return d != 0
	}
	return strings.EqualFold(s, "true")
}

// Equal reports whether a and b hold the same kind and payload.
func Equal(a, b Value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case KindString:
		return a.s == b.s
	case KindStrings:
		if len(a.arr) != len(b.arr) {
			return false
		}
		for i := range a.arr {
			if a.arr[i] != b.arr[i] {
				return false
			}
		}
		return true
	case KindDouble:
		return a.RawDouble() == b.RawDouble()
	}
	return a.n == b.n
}

// ParseNumber reads s as a long when it is an integer literal, else as a double.
func ParseNumber(s string) (Value, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Long(n), true
	}
	if d, ok := parseDouble(s); ok {
		return Double(d), true
	}
	return Value{}, false
}

func parseLong(s string) (int64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	d, ok := parseDouble(s)
	if !ok || math.IsNaN(d) {
		return 0, false
	}
	return DoubleToLong(d), true
}

// DoubleToLong converts d as Java's (long) cast does, which is what Druid stores when a double
// reaches a long column: toward zero, saturating at math.MinInt64 and math.MaxInt64 (NaN gives
// 0). Go's own conversion is implementation-defined out of range (amd64 gives MinInt64 for
// 1e308), which silently turned huge values negative.
func DoubleToLong(d float64) int64 {
	switch {
	case d != d:
		return 0
	case d >= 9223372036854775808.0: // 2^63
		return math.MaxInt64
	case d <= -9223372036854775808.0:
		return math.MinInt64
	}
	return int64(d)
}

// FitsLong reports whether d converts to a long without saturating: it is not NaN and lies in
// [-2^63, 2^63).
func FitsLong(d float64) bool { return d >= -9223372036854775808.0 && d < 9223372036854775808.0 }

func parseDouble(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	c := s[0]
	if !(c >= '0' && c <= '9') && c != '-' && c != '+' && c != '.' && c != 'N' && c != 'I' {
		return 0, false
	}
	d, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return d, true
}

// formatDouble renders d like Java's Double.toString for common values (1.0, 0.5, 1.0E10).
func formatDouble(d float64) string {
	switch {
	case math.IsNaN(d):
		return "NaN"
	case math.IsInf(d, 1):
		return "Infinity"
	case math.IsInf(d, -1):
		return "-Infinity"
	}
	if d == math.Trunc(d) && math.Abs(d) < 1e7 {
		return strconv.FormatFloat(d, 'f', 1, 64)
	}
	a := math.Abs(d)
	if a >= 1e-3 && a < 1e7 {
		return strconv.FormatFloat(d, 'f', -1, 64)
	}
	s := strconv.FormatFloat(d, 'E', -1, 64)
	// Java writes 1.0E10, not 1E+10.
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	exp = strings.TrimPrefix(exp, "+")
	return mant + "E" + exp
}
