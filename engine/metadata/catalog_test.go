package metadata

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// segmentsStore serves fixed segments; every other Store method panics (nil interface).
type segmentsStore struct {
	Store
	segs []Segment
	err  error
}

func (s segmentsStore) Segments(_ context.Context, ds string, usedOnly bool) ([]Segment, error) {
	if !usedOnly {
		panic("catalog asked for unused segments")
	}
	var out []Segment
	for _, sg := range s.segs {
		if sg.DataSource == ds {
			out = append(out, sg)
		}
	}
	return out, s.err
}

func (s segmentsStore) DataSources(context.Context) ([]string, error) { return nil, s.err }

func TestCatalogSummary(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewCatalog(segmentsStore{segs: []Segment{
		{DataSource: "wiki", Start: t0, End: t0.Add(time.Hour), Size: 100, NumRows: 10},
		{DataSource: "wiki", Start: t0.Add(-time.Hour), End: t0, Size: 50, NumRows: 5},
		{DataSource: "wiki", Start: t0.Add(time.Hour), End: t0.Add(3 * time.Hour), Size: 1, NumRows: 1},
		{DataSource: "other", Start: t0.Add(-24 * time.Hour), End: t0.Add(24 * time.Hour), Size: 7, NumRows: 7},
	}})
	ctx := context.Background()
	got, err := c.Summary(ctx, "wiki")
	want := DataSourceSummary{Segments: 3, Size: 151, Rows: 16, MinTime: t0.Add(-time.Hour), MaxTime: t0.Add(3 * time.Hour)}
	if err != nil || got != want {
		t.Fatalf("Summary = %+v, %v; want %+v", got, err, want)
	}
	if got, err := c.Summary(ctx, "none"); err != nil || got != (DataSourceSummary{}) {
		t.Fatalf("Summary of a datasource without segments = %+v, %v", got, err)
	}
	if ds, err := c.DataSources(ctx); err != nil || ds == nil || len(ds) != 0 {
		t.Fatalf("DataSources = %#v, %v; want an empty, non-nil slice", ds, err)
	}
	if segs, err := c.UsedSegments(ctx, "other"); err != nil || !slices.EqualFunc(segs, []Segment{{Size: 7}}, func(a, b Segment) bool { return a.Size == b.Size }) {
		t.Fatalf("UsedSegments = %+v, %v", segs, err)
	}

	down := errors.New("store down")
	c = NewCatalog(segmentsStore{err: down})
	if _, err := c.Summary(ctx, "wiki"); !errors.Is(err, down) {
		t.Fatalf("Summary with the store down: %v", err)
	}
	if _, err := c.DataSources(ctx); !errors.Is(err, down) {
		t.Fatalf("DataSources with the store down: %v", err)
	}
}
