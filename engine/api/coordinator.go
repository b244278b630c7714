package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// routeCoordinator serves the rest of the Coordinator's datasource and segment listings
// (DataSourcesResource, MetadataResource). All segments are loaded once published, so the
// "served" lists of Druid and the "used" ones of its metadata are the same here.
//
//	GET /druid/coordinator/v1/datasources                                  names; ?simple with summaries; ?full with segments
//	GET /druid/coordinator/v1/metadata/segments                            every used DataSegment; ?datasources= filters (repeatable)
//	GET /druid/coordinator/v1/metadata/datasources/{ds}/segments/{segment} one DataSegment; 404 when unknown
//	GET /druid/coordinator/v1/loadstatus                                   datasource → percent of used segments loaded; ?simple segments left; ?full per tier
//
// A trailing slash is tolerated on each, and on the routes of routeSegments.
func (s *Server) routeCoordinator() {
	s.handleSlash("GET /druid/coordinator/v1/datasources", func(w http.ResponseWriter, r *http.Request) {
		names, err := s.catalog.DataSources(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		q := r.URL.Query()
		switch {
		case q.Has("full"):
			s.writeFullDataSources(w, r, names)
		case q.Has("simple"):
			out := make([]map[string]any, 0, len(names))
			for _, ds := range names {
				sum, err := s.catalog.Summary(r.Context(), ds)
				if err != nil {
					s.writeError(w, r, err)
					return
				}
				out = append(out, map[string]any{"name": ds, "properties": simpleDataSource(sum)})
			}
			writeJSON(w, http.StatusOK, out)
		default:
			writeJSON(w, http.StatusOK, names)
		}
	})
	// Trailing slashes on the routes of routeSegments and on the segment route below.
	s.alias("GET /druid/coordinator/v1/metadata/datasources/{$}", func(*http.Request) string {
		return "/druid/coordinator/v1/metadata/datasources"
	})
	s.alias("GET /druid/coordinator/v1/metadata/datasources/{ds}/segments/{$}", func(r *http.Request) string {
		return "/druid/coordinator/v1/metadata/datasources/" + url.PathEscape(r.PathValue("ds")) + "/segments"
	})
	s.alias("GET /druid/coordinator/v1/metadata/datasources/{ds}/segments/{segment}/{$}", func(r *http.Request) string {
		return "/druid/coordinator/v1/metadata/datasources/" + url.PathEscape(r.PathValue("ds")) + "/segments/" + url.PathEscape(r.PathValue("segment"))
	})
	s.alias("GET /druid/coordinator/v1/datasources/{ds}/{$}", func(r *http.Request) string {
		return "/druid/coordinator/v1/datasources/" + url.PathEscape(r.PathValue("ds"))
	})
	s.handleSlash("GET /druid/coordinator/v1/metadata/segments", func(w http.ResponseWriter, r *http.Request) {
		names, err := s.catalog.DataSources(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if want := r.URL.Query()["datasources"]; len(want) > 0 {
			names = slices.DeleteFunc(names, func(ds string) bool { return !slices.Contains(want, ds) })
		}
		out := []json.RawMessage{}
		for _, ds := range names {
			segs, err := s.catalog.UsedSegments(r.Context(), ds)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			for _, sg := range segs {
				out = append(out, sg.Payload)
			}
		}
		writeJSON(w, http.StatusOK, out)
	})
	s.handleSlash("GET /druid/coordinator/v1/loadstatus", s.loadStatus)
	s.mux.HandleFunc("GET /druid/coordinator/v1/metadata/datasources/{ds}/segments/{segment}", dataSourceParam(func(w http.ResponseWriter, r *http.Request) {
		segs, err := s.catalog.UsedSegments(r.Context(), r.PathValue("ds"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, sg := range segs {
			if sg.ID == r.PathValue("segment") {
				writeJSON(w, http.StatusOK, json.RawMessage(sg.Payload))
				return
			}
		}
		// Druid's MetadataResource.getSegment: 404 with an empty body.
		w.WriteHeader(http.StatusNotFound)
	}))
}

// defaultTier is the one tier of this single node, named as Druid's default tier.
const defaultTier = "_default_tier"

// loadStatus answers as Druid's CoordinatorResource.getLoadStatus: by default the percent of
// each datasource's used segments that are loaded ({"wikipedia":100}); with ?simple the number
// of used segments not loaded yet; with ?full that number per tier. Every datasource with used
// segments is listed, with 100 or 0 once all are loaded.
func (s *Server) loadStatus(w http.ResponseWriter, r *http.Request) {
	var loaded func(string) bool
	if s.loaded != nil {
		loaded = s.loaded.Loaded
	}
	st, err := s.catalog.LoadStatus(r.Context(), loaded)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	switch {
	case q.Has("simple"), q.Has("full"):
		left := make(map[string]int, len(st))
		for _, l := range st {
			left[l.DataSource] = l.Used - l.Loaded
		}
		if q.Has("simple") {
			writeJSON(w, http.StatusOK, left)
			return
		}
		full := map[string]map[string]int{}
		if len(left) > 0 {
			full[defaultTier] = left
		}
		writeJSON(w, http.StatusOK, full)
	default:
		pct := make(map[string]float64, len(st))
		for _, l := range st {
			if l.Used == 0 {
				continue // unused since it was listed
			}
			pct[l.DataSource] = 100 * float64(l.Loaded) / float64(l.Used)
		}
		writeJSON(w, http.StatusOK, pct)
	}
}

// writeFullDataSources writes the datasources as Druid's ImmutableDruidDataSource JSON,
// {"name","properties":{"created"},"segments":[DataSegment…]}; created is when this process
// started, as Druid's is when its inventory view of the datasource was built.
func (s *Server) writeFullDataSources(w http.ResponseWriter, r *http.Request, names []string) {
	type fullDataSource struct {
		Name       string            `json:"name"`
		Properties map[string]string `json:"properties"`
		Segments   []json.RawMessage `json:"segments"`
	}
	out := make([]fullDataSource, 0, len(names))
	for _, ds := range names {
		segs, err := s.catalog.UsedSegments(r.Context(), ds)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		d := fullDataSource{Name: ds, Properties: map[string]string{"created": spec.FormatTime(s.started)}, Segments: make([]json.RawMessage, 0, len(segs))}
		for _, sg := range segs {
			d.Segments = append(d.Segments, sg.Payload)
		}
		out = append(out, d)
	}
	writeJSON(w, http.StatusOK, out)
}

// alias serves pattern as the route at the (escaped) path target returns, keeping the query.
func (s *Server) alias(pattern string, target func(*http.Request) string) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		u, err := url.Parse(target(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = u.Path, u.RawPath
		s.mux.ServeHTTP(w, r2)
	})
}
