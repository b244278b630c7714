package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// SegmentCatalog answers the Coordinator's segment metadata routes; *metadata.Catalog
// implements it.
type SegmentCatalog interface {
	// DataSources lists the datasources with used segments, sorted, never nil.
	DataSources(ctx context.Context) ([]string, error)
	// UsedSegments returns a datasource's used segments.
	UsedSegments(ctx context.Context, dataSource string) ([]metadata.Segment, error)
	// Summary totals a datasource's used segments; Segments is zero when there are none.
	Summary(ctx context.Context, dataSource string) (metadata.DataSourceSummary, error)
	// LoadStatus counts per datasource the used segments and those loaded reports as served.
	LoadStatus(ctx context.Context, loaded func(segmentID string) bool) ([]metadata.DataSourceLoad, error)
}

// SegmentServer is what serves published segments to queries; *query.Loader implements it.
type SegmentServer interface {
	// Loaded reports whether the segment is loaded and queryable.
	Loaded(segmentID string) bool
}

var _ SegmentCatalog = (*metadata.Catalog)(nil)

// routeSegments serves the Coordinator's segment metadata (MetadataResource, DataSourcesResource):
//
//	GET /druid/coordinator/v1/metadata/datasources                     datasources with used segments; ?full with their segments
//	GET /druid/coordinator/v1/metadata/datasources/{ds}/segments       segment ids; ?full for DataSegment JSON; 404 when none
//	GET /druid/coordinator/v1/datasources/{ds}                          summary: count, size, min/max time
//
// and the routes of routeCoordinator.
func (s *Server) routeSegments() {
	s.mux.HandleFunc("GET /druid/coordinator/v1/metadata/datasources", func(w http.ResponseWriter, r *http.Request) {
		ds, err := s.catalog.DataSources(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if r.URL.Query().Has("full") {
			s.writeFullDataSources(w, r, ds)
			return
		}
		writeJSON(w, http.StatusOK, ds)
	})
	s.mux.HandleFunc("GET /druid/coordinator/v1/metadata/datasources/{ds}/segments", dataSourceParam(func(w http.ResponseWriter, r *http.Request) {
		segs, err := s.catalog.UsedSegments(r.Context(), r.PathValue("ds"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if len(segs) == 0 {
			// Druid's MetadataResource: a datasource without used segments is unknown, 404
			// with an empty body.
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if !r.URL.Query().Has("full") {
			ids := make([]string, 0, len(segs))
			for _, sg := range segs {
				ids = append(ids, sg.ID)
			}
			writeJSON(w, http.StatusOK, ids)
			return
		}
		out := make([]json.RawMessage, 0, len(segs))
		for _, sg := range segs {
			out = append(out, sg.Payload)
		}
		writeJSON(w, http.StatusOK, out)
	}))
	s.mux.HandleFunc("GET /druid/coordinator/v1/datasources/{ds}", dataSourceParam(func(w http.ResponseWriter, r *http.Request) {
		sum, err := s.catalog.Summary(r.Context(), r.PathValue("ds"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if sum.Segments == 0 {
			writeJSON(w, http.StatusNoContent, nil)
			return
		}
		writeJSON(w, http.StatusOK, simpleDataSource(sum))
	}))
	s.routeCoordinator()
}

// simpleDataSource is Druid's per-datasource summary (DataSourcesResource's
// getSimpleDatasource), with kafka-indexer's numRows.
func simpleDataSource(sum metadata.DataSourceSummary) map[string]any {
	return map[string]any{
		"tiers":    map[string]any{"_default_tier": map[string]any{"size": sum.Size, "segmentCount": sum.Segments}},
		"segments": map[string]any{"count": sum.Segments, "size": sum.Size, "minTime": spec.FormatTime(sum.MinTime), "maxTime": spec.FormatTime(sum.MaxTime), "numRows": sum.Rows},
	}
}
