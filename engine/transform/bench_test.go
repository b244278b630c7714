package transform

import (
	"encoding/json"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/input"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// Run with:
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./engine/transform/
//
// Parses a ~200-byte JSON row, then applies one string transform, one numeric transform and
// a filter (and of in + bound), i.e. the per-row cost a transformSpec adds on top of parsing.
func BenchmarkApply(b *testing.B) {
	var f spec.Filter
	if err := json.Unmarshal([]byte(`{"type":"and","fields":[
		{"type":"in","dimension":"country","values":["France","Japan","Germany"]},
		{"type":"bound","dimension":"added","lower":"10","ordering":"numeric"}]}`), &f); err != nil {
		b.Fatal(err)
	}
	tr, err := New(&spec.TransformSpec{
		Transforms: []spec.Transform{
			{Type: "expression", Name: "net", Expression: "added - deleted"},
			{Type: "expression", Name: "hour", Expression: "timestamp_floor(__time, 'PT1H')"},
		},
		Filter: &f,
	})
	if err != nil {
		b.Fatal(err)
	}
	p, err := input.NewParser(input.Config{Format: &spec.InputFormat{Type: "json"}, Timestamp: &spec.TimestampSpec{Column: "timestamp", Format: "auto"}})
	if err != nil {
		b.Fatal(err)
	}
	rec := input.Record{Value: []byte(`{"timestamp":"2023-07-22T04:26:40.123Z","page":"Wikipedia:Article_000042","user":"user-00042","country":"France","channel":"#fr.wikipedia","agent":"Mozilla/5.0 (build 7)","isRobot":false,"added":120,"deleted":7,"delta":3.250}`)}
	kept := 0
	emit := func(r *input.Row) error {
		keep, err := tr.Apply(r)
		if keep {
			kept++
		}
		return err
	}
	if err := p.Parse(rec, emit); err != nil || kept != 1 {
		b.Fatalf("verify: kept=%d err=%v", kept, err)
	}
	b.SetBytes(int64(len(rec.Value)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Parse(rec, emit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
