package query

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Benchmarks over a few million generated rows in 12 hourly segments,
// loaded through the Loader like any published data. The segments are built
// once and kept in $TMPDIR/kafka-indexer-query-bench-v1 across runs (delete
// it to rebuild).
//
//	go test ./engine/query/ -run '^$' -bench . -benchtime 10x
//
// Sub-benchmarks are named rows=…/query=…; rows/s counts the rows in the
// queried intervals, whether or not they pass the filter.

const (
	benchRows     = 3_000_000
	benchSegments = 12
	benchUsers    = 100_000
)

func benchEngine(b *testing.B) *Engine {
	b.Helper()
	root := filepath.Join(os.TempDir(), "kafka-indexer-query-bench-v1")
	marker := filepath.Join(root, "complete")
	if _, err := os.Stat(marker); err != nil {
		os.RemoveAll(root)
		c := newCluster(b, root)
		rng := rand.New(rand.NewPCG(42, 42))
		for s := range benchSegments {
			st := base.Add(time.Duration(s) * hour)
			c.publish(b, "bench", st, st.Add(hour), "v1", 0, genRows(rng, benchRows/benchSegments, st.UnixMilli(), hour.Milliseconds(), benchUsers))
		}
		c.close()
		if err := os.WriteFile(marker, nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	c := newCluster(b, root)
	b.Cleanup(c.close)
	if err := c.loader.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	return c.engine
}

func BenchmarkQuery(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	// Verify before timing: every row is counted once.
	res, err := e.Run(ctx, []byte(`{"queryType":"timeseries","dataSource":"bench","intervals":["2026/2027"],"aggregations":[{"type":"count","name":"n"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(res)
	var out []struct {
		Result struct{ N int64 } `json:"result"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out) != 1 || out[0].Result.N != benchRows {
		b.Fatalf("count: %s", raw)
	}
	for _, bc := range []struct{ name, query string }{
		{"query=timeseries-filtered", `{"queryType":"timeseries","dataSource":"bench","intervals":["2026/2027"],"granularity":"hour",
			"filter":{"type":"and","fields":[{"type":"in","dimension":"country","values":["US","FR"]},{"type":"bound","dimension":"page","lower":"B","upper":"M"}]},
			"aggregations":[{"type":"count","name":"n"},{"type":"longSum","name":"added","fieldName":"added"},{"type":"doubleSum","name":"delta","fieldName":"delta"}]}`},
		{"query=topN-highcard", `{"queryType":"topN","dataSource":"bench","intervals":["2026/2027"],"granularity":"all","dimension":"user",
			"metric":"added","threshold":100,"aggregations":[{"type":"longSum","name":"added","fieldName":"added"},{"type":"count","name":"n"}]}`},
		{"query=groupBy", `{"queryType":"groupBy","dataSource":"bench","intervals":["2026/2027"],"granularity":"all","dimensions":["country","page"],
			"filter":{"type":"not","field":{"type":"selector","dimension":"page","value":"Main"}},
			"aggregations":[{"type":"count","name":"n"},{"type":"longSum","name":"added","fieldName":"added"}],
			"limitSpec":{"type":"default","limit":20,"columns":[{"dimension":"added","direction":"descending"}]}}`},
		// The join path: every row joined with an inline table (LEFT, some pages
		// unmatched), then grouped on an nvl virtual column.
		{"query=topN-join-inline", `{"queryType":"topN","intervals":["2026/2027"],"granularity":"all",
			"dataSource":{"type":"join","left":"bench","rightPrefix":"j0.","condition":"page == \"j0.k\"","joinType":"LEFT",
				"right":{"type":"inline","columnNames":["k","v"],"rows":[["Main","portal"],["Apple","fruit"],["Banana","fruit"],["Cherry","fruit"]]}},
			"virtualColumns":[{"type":"expression","name":"v0","expression":"nvl(\"j0.v\", 'none')","outputType":"STRING"}],
			"dimension":"v0","metric":"added","threshold":10,"aggregations":[{"type":"longSum","name":"added","fieldName":"added"}]}`},
	} {
		b.Run("rows=3e6/"+bc.name, func(b *testing.B) {
			q := []byte(bc.query)
			if _, err := e.Run(ctx, q); err != nil { // warm the column cache
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.Run(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
