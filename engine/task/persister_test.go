package task

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/index"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// kvRow is an index.InputRow of string fields, discovered as dimensions.
type kvRow map[string]string

func (r kvRow) Get(name string) (expr.Value, bool) {
	v, ok := r[name]
	return expr.String(v), ok
}

func (r kvRow) EachDiscovered(fn func(string, expr.Value)) {
	for k, v := range r {
		fn(k, expr.String(v))
	}
}

func persistTestIndex(t *testing.T, rows int) *index.Index {
	t.Helper()
	s, err := index.NewSchema(&spec.DataSchema{DataSource: "ds", MetricsSpec: []spec.Aggregator{{Type: "count", Name: "c"}}})
	if err != nil {
		t.Fatal(err)
	}
	ix := index.New(s, index.Options{MaxBytesInMemory: -1})
	for i := range rows {
		if _, err := ix.Add(int64(i), kvRow{"page": "p" + strconv.Itoa(i%7)}); err != nil {
			t.Fatal(err)
		}
	}
	return ix
}

func testJob(t *testing.T, ix *index.Index, dir string) *persistJob {
	meta := ix.Metadata(segment.Interval{}, "v1", 0)
	meta.DataSource = "ds"
	return &persistJob{idx: ix, dir: dir, meta: meta, spec: segment.DefaultIndexSpec(), out: &index.Spill{},
		what: filepath.Base(dir), now: func() float64 { return 0 }}
}

// TestPersisterWritesEverySpill hands more persists over than the queue holds (back-pressure
// makes submit wait, it must not deadlock) and checks every spill is written and described.
func TestPersisterWritesEverySpill(t *testing.T) {
	p := newPersister(context.Background(), 1, 0)
	defer p.close()
	dir := t.TempDir()
	var jobs []*persistJob
	for i := range 5 {
		j := testJob(t, persistTestIndex(t, 100+i), filepath.Join(dir, strconv.Itoa(i)))
		jobs = append(jobs, j)
		if err := p.submit(j); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.wait(); err != nil {
		t.Fatal(err)
	}
	for i, j := range jobs {
		if j.out.Dir != j.dir || j.out.Rows != 100+i {
			t.Errorf("spill %d: %+v", i, j.out)
		}
		if _, err := os.Stat(filepath.Join(j.dir, segment.DataFile)); err != nil {
			t.Errorf("spill %d: %v", i, err)
		}
	}
	p.close()
	p.close() // idempotent
	if err := p.submit(jobs[0]); err == nil {
		t.Error("submit after close succeeded")
	}
}

// TestPersisterFailure checks that a failed persist surfaces in wait and in every later
// submit.
func TestPersisterFailure(t *testing.T) {
	p := newPersister(context.Background(), 2, 1)
	defer p.close()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.submit(testJob(t, persistTestIndex(t, 10), filepath.Join(file, "spill"))); err != nil {
		t.Fatal(err)
	}
	err := p.wait()
	if err == nil || !strings.Contains(err.Error(), "persist spill") {
		t.Fatalf("wait: %v, want the persist's error", err)
	}
	if err := p.submit(testJob(t, persistTestIndex(t, 10), filepath.Join(dir, "ok"))); err == nil {
		t.Fatal("submit after a failed persist succeeded")
	}
}

// TestPersisterStopped checks that a persist handed over after the loop's context ended is
// not written.
func TestPersisterStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := newPersister(ctx, 1, 0)
	defer p.close()
	dir := filepath.Join(t.TempDir(), "spill")
	_ = p.submit(testJob(t, persistTestIndex(t, 10), dir))
	if err := p.wait(); err == nil {
		t.Fatal("wait after cancel: no error")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("spill written after cancel: %v", err)
	}
}
