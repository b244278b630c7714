package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// routeSegments serves the Coordinator's segment metadata (MetadataResource, DataSourcesResource):
//
//	GET /druid/coordinator/v1/metadata/datasources                     datasources with used segments
//	GET /druid/coordinator/v1/metadata/datasources/{ds}/segments       segment ids; ?full for DataSegment JSON
//	GET /druid/coordinator/v1/datasources/{ds}                          summary: count, size, min/max time
func (s *Server) routeSegments() {
	s.mux.HandleFunc("GET /druid/coordinator/v1/metadata/datasources", func(w http.ResponseWriter, r *http.Request) {
		ds, err := s.store.DataSources(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if ds == nil {
			ds = []string{}
		}
		writeJSON(w, http.StatusOK, ds)
	})
	s.mux.HandleFunc("GET /druid/coordinator/v1/metadata/datasources/{ds}/segments", dataSourceParam(func(w http.ResponseWriter, r *http.Request) {
		segs, err := s.store.Segments(r.Context(), r.PathValue("ds"), true)
		if err != nil {
			s.writeError(w, r, err)
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
		ds := r.PathValue("ds")
		segs, err := s.store.Segments(r.Context(), ds, true)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if len(segs) == 0 {
			writeJSON(w, http.StatusNoContent, nil)
			return
		}
		var size, rows int64
		minT, maxT := segs[0].Start, segs[0].End
		for _, sg := range segs {
			size += sg.Size
			rows += sg.NumRows
			minT = earliest(minT, sg.Start)
			maxT = latest(maxT, sg.End)
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"tiers":    map[string]any{"_default_tier": map[string]any{"size": size, "segmentCount": len(segs)}},
			"segments": map[string]any{"count": len(segs), "size": size, "minTime": spec.FormatTime(minT), "maxTime": spec.FormatTime(maxT), "numRows": rows},
		})
	}))
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
