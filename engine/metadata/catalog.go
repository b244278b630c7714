package metadata

import (
	"context"
	"time"
)

// Catalog answers what the Coordinator's metadata API asks about published segments (Druid's
// SegmentsMetadataManager as MetadataResource and DataSourcesResource use it), so the API reads
// segments through it rather than from the Store directly.
type Catalog struct {
	store Store
}

// NewCatalog returns a catalog over store. It starts nothing.
func NewCatalog(store Store) *Catalog { return &Catalog{store: store} }

// DataSources returns the datasources with at least one used segment, sorted; an empty slice,
// never nil, when there is none.
func (c *Catalog) DataSources(ctx context.Context) ([]string, error) {
	ds, err := c.store.DataSources(ctx)
	if err != nil {
		return nil, err
	}
	if ds == nil {
		ds = []string{}
	}
	return ds, nil
}

// UsedSegments returns the used segments of dataSource, ordered by interval start, then
// version, then partition.
func (c *Catalog) UsedSegments(ctx context.Context, dataSource string) ([]Segment, error) {
	return c.store.Segments(ctx, dataSource, true)
}

// DataSourceSummary totals the used segments of one datasource.
type DataSourceSummary struct {
	// Segments is the number of used segments; zero when the datasource has none, and then
	// every other field is zero too.
	Segments int
	// Size is their total size in bytes.
	Size int64
	// Rows is their total row count.
	Rows int64
	// MinTime is the earliest interval start and MaxTime the latest interval end.
	MinTime, MaxTime time.Time
}

// Summary totals the used segments of dataSource.
func (c *Catalog) Summary(ctx context.Context, dataSource string) (DataSourceSummary, error) {
	segs, err := c.UsedSegments(ctx, dataSource)
	if err != nil || len(segs) == 0 {
		return DataSourceSummary{}, err
	}
	sum := DataSourceSummary{Segments: len(segs), MinTime: segs[0].Start, MaxTime: segs[0].End}
	for _, sg := range segs {
		sum.Size += sg.Size
		sum.Rows += sg.NumRows
		if sg.Start.Before(sum.MinTime) {
			sum.MinTime = sg.Start
		}
		if sg.End.After(sum.MaxTime) {
			sum.MaxTime = sg.End
		}
	}
	return sum, nil
}

// DataSourceLoad counts the used segments of one datasource and those of them being served.
type DataSourceLoad struct {
	DataSource string
	// Used is the number of used segments, Loaded how many of them are served.
	Used, Loaded int
}

// LoadStatus counts, for every datasource with used segments (sorted by name), its used
// segments and those loaded reports as served — what Druid's Coordinator computes for
// GET /druid/coordinator/v1/loadstatus. A nil loaded counts nothing as served.
func (c *Catalog) LoadStatus(ctx context.Context, loaded func(segmentID string) bool) ([]DataSourceLoad, error) {
	names, err := c.DataSources(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]DataSourceLoad, 0, len(names))
	for _, ds := range names {
		segs, err := c.UsedSegments(ctx, ds)
		if err != nil {
			return nil, err
		}
		l := DataSourceLoad{DataSource: ds, Used: len(segs)}
		for _, sg := range segs {
			if loaded != nil && loaded(sg.ID) {
				l.Loaded++
			}
		}
		out = append(out, l)
	}
	return out, nil
}
