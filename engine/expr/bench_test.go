package expr

import (
	"fmt"
	"testing"
)

// Run with:
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./engine/expr/

func BenchmarkEval(b *testing.B) {
	bind := MapBindings{"country": String("France"), "channel": String("#fr"), "added": Long(120), "deleted": Long(7),
		"__time": Long(1690000000123), "delta": Double(3.5)}
	for _, tc := range []struct{ name, src string }{
		{"arith", "added - deleted * 2"},
		{"compare", "added > 100 && country == 'France'"},
		{"string", "concat(upper(country), '-', channel)"},
		{"floor", "timestamp_floor(__time, 'PT1H')"},
		{"case", "case_searched(delta > 10, 'big', delta > 1, 'mid', 'small')"},
	} {
		b.Run(fmt.Sprintf("expr=%s", tc.name), func(b *testing.B) {
			e := MustParse(tc.src)
			if v := e.Eval(bind); v.IsNull() {
				b.Fatalf("%s evaluated to null", tc.src)
			}
			b.ReportAllocs()
			b.ResetTimer()
			var sink Value
			for i := 0; i < b.N; i++ {
				sink = e.Eval(bind)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			_ = sink
		})
	}
}
