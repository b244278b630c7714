package input

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
)

// TestNumberValueFastPath: smallInt, numberValue's fast path, agrees with the general rule
// (integers are longs, the rest doubles, text that is neither stays a string) on edge cases and
// random numbers.
func TestNumberValueFastPath(t *testing.T) {
	general := func(s string) expr.Value {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return expr.Long(n)
		}
		if d, err := strconv.ParseFloat(s, 64); err == nil {
			return expr.Double(d)
		}
		return expr.String(s)
	}
	cases := []string{"0", "-0", "7", "-7", "007", "123456789012345678", "-123456789012345678",
		"1234567890123456789", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"99999999999999999999", "1.5", "-1e3", "1E3", "", "-", "+5", "12a", "0x10", " 1"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		cases = append(cases, strconv.FormatInt(rng.Int64()>>rng.IntN(63), 10), strconv.FormatInt(-rng.Int64N(1<<rng.IntN(63)+1), 10))
	}
	for _, s := range cases {
		got, want := numberValue(s), general(s)
		if got.Kind() != want.Kind() || got.String() != want.String() {
			t.Errorf("numberValue(%q) = %v (%v), want %v (%v)", s, got, got.Kind(), want, want.Kind())
		}
	}
}
