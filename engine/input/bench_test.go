package input

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// Run with:
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./engine/input/
//
// Each benchmark parses a fixed, seeded set of ~200-byte rows with 10 fields (ISO timestamp,
// 5 strings, a bool, 2 ints, a float) into a Row and reads every field, as the indexer would.

const benchRows = 4096

func benchData(format string) [][]byte {
	rng := rand.New(rand.NewSource(1))
	countries := []string{"France", "Germany", "United States", "Japan", "Brazil", "India"}
	out := make([][]byte, benchRows)
	base := time.Date(2023, 7, 22, 0, 0, 0, 0, time.UTC)
	for i := range out {
		ts := base.Add(time.Duration(rng.Intn(3600000)) * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
		page := fmt.Sprintf("Wikipedia:Article_%06d", rng.Intn(1000000))
		user := fmt.Sprintf("user-%05d", rng.Intn(50000))
		country := countries[rng.Intn(len(countries))]
		channel := fmt.Sprintf("#%s.wikipedia", []string{"en", "fr", "de", "ja"}[rng.Intn(4)])
		ua := fmt.Sprintf("Mozilla/5.0 (build %d)", rng.Intn(1000))
		robot := rng.Intn(2) == 1
		added, deleted := rng.Intn(5000), rng.Intn(500)
		delta := rng.Float64() * 100
		switch format {
		case "json":
			out[i] = fmt.Appendf(nil, `{"timestamp":"%s","page":"%s","user":"%s","country":"%s","channel":"%s","agent":"%s","isRobot":%v,"added":%d,"deleted":%d,"delta":%.3f}`,
				ts, page, user, country, channel, ua, robot, added, deleted, delta)
		case "csv":
			out[i] = fmt.Appendf(nil, `%s,%s,%s,"%s",%s,"%s",%v,%d,%d,%.3f`,
				ts, page, user, country, channel, ua, robot, added, deleted, delta)
		}
	}
	return out
}

var benchColumns = []string{"timestamp", "page", "user", "country", "channel", "agent", "isRobot", "added", "deleted", "delta"}

func BenchmarkParse(b *testing.B) {
	formats := map[string]*spec.InputFormat{
		"json": {Type: "json"},
		"csv":  {Type: "csv", Columns: benchColumns},
	}
	for _, name := range []string{"json", "csv"} {
		b.Run(fmt.Sprintf("rows=%d/format=%s", benchRows, name), func(b *testing.B) {
			data := benchData(name)
			p, err := NewParser(Config{Format: formats[name], Timestamp: &spec.TimestampSpec{Column: "timestamp", Format: "auto"}})
			if err != nil {
				b.Fatal(err)
			}
			var sink int64
			emit := func(r *Row) error {
				sink += r.Time
				for i := 0; i < r.Len(); i++ {
					_, v := r.Field(i)
					sink += int64(v.Kind())
				}
				if v, ok := r.Get("delta"); ok {
					d, _ := v.AsDouble()
					sink += int64(d)
				}
				return nil
			}
			// Verify before timing.
			n := 0
			if err := p.Parse(Record{Value: data[0]}, func(r *Row) error {
				n++
				if r.Len() != 10 || r.Time < 1689984000000 {
					return fmt.Errorf("bad row %s", render(r))
				}
				return nil
			}); err != nil || n != 1 {
				b.Fatalf("verify: rows=%d err=%v", n, err)
			}
			var bytes int64
			for _, d := range data {
				bytes += int64(len(d))
			}
			b.SetBytes(bytes / int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.Parse(Record{Value: data[i%len(data)]}, emit); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			_ = sink
		})
	}
}

// BenchmarkRowCopyTo is what the task's parse goroutines add per row to hand it over: a copy of
// the parsed JSON row into a reused Row (compare with BenchmarkParse's rows/s).
func BenchmarkRowCopyTo(b *testing.B) {
	data := benchData("json")
	p, err := NewParser(Config{Format: &spec.InputFormat{Type: "json"}, Timestamp: &spec.TimestampSpec{Column: "timestamp", Format: "auto"}})
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]Row, len(data))
	for i, d := range data {
		if err := p.Parse(Record{Value: d}, func(r *Row) error { r.CopyTo(&rows[i]); return nil }); err != nil {
			b.Fatal(err)
		}
	}
	var dst Row
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows[i%len(rows)].CopyTo(&dst)
	}
	if dst.Len() != 10 {
		b.Fatalf("copied %d fields, want 10", dst.Len())
	}
}

// BenchmarkRowGet is what the index, the aggregators and CheckTypes pay per row to read a
// parsed row by name: one op reads 5 dimensions and 4 metric inputs (twice each for the inputs,
// as CheckTypes and the aggregator both read them).
func BenchmarkRowGet(b *testing.B) {
	data := benchData("json")
	p, err := NewParser(Config{Format: &spec.InputFormat{Type: "json"}, Timestamp: &spec.TimestampSpec{Column: "timestamp", Format: "auto"}})
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]Row, len(data))
	for i, d := range data {
		if err := p.Parse(Record{Value: d}, func(r *Row) error { r.CopyTo(&rows[i]); return nil }); err != nil {
			b.Fatal(err)
		}
	}
	names := []string{"page", "user", "country", "channel", "isRobot", "added", "deleted", "delta", "count", "added", "deleted", "delta", "count"}
	found := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := &rows[i%len(rows)]
		for _, n := range names {
			if _, ok := r.Get(n); ok {
				found++
			}
		}
	}
	if found == 0 {
		b.Fatal("nothing found")
	}
}
