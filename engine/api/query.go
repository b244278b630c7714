package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/query"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// The native query API of a Druid Broker (QueryResource and
// ClientInfoResource):
//
//	POST /druid/v2                     run a native query; ?pretty indents the result
//	POST /druid/v2/                    the same
//	GET  /druid/v2/datasources         names of the datasources with loaded segments
//	GET  /druid/v2/datasources/{ds}    {"dimensions":[…],"metrics":[…]} of ds; empty lists when unknown
//
// A trailing slash is tolerated. A query on an unknown datasource answers
// 200 [], as Druid does. Failures are Druid's QueryException JSON,
// {"error","errorMessage","errorClass","host"}: 400 for a bad query, 504 for
// a query past its context.timeout, 500 otherwise.

// QueryEngine runs native queries; *query.Engine implements it.
type QueryEngine interface {
	// Run decodes and runs one native query; errors are *query.Error.
	Run(ctx context.Context, raw []byte) (any, error)
	// DataSources lists the queryable datasources, sorted.
	DataSources() []string
	// DataSourceColumns returns a datasource's dimensions and metrics; ok
	// is false when it is unknown. Errors are *query.Error.
	DataSourceColumns(ctx context.Context, ds string) (dims, metrics []string, ok bool, err error)
}

var _ QueryEngine = (*query.Engine)(nil)

// RouteQueries serves the native query API from e. Call it once, before
// serving.
func (s *Server) RouteQueries(e QueryEngine) { registerQueryRoutes(s.mux, e) }

// registerQueryRoutes is RouteQueries on any mux, so the handlers can be
// tested without a supervisor manager.
func registerQueryRoutes(mux *http.ServeMux, e QueryEngine) {
	run := func(w http.ResponseWriter, r *http.Request) {
		body, ok := readQueryBody(w, r)
		if !ok {
			return
		}
		res, err := e.Run(r.Context(), body)
		if errors.Is(err, query.ErrUnknownDataSource) {
			// Druid answers a query on a datasource it has no segments of with no rows; the
			// web console probes with such queries.
			res, err = []any{}, nil
		}
		if err != nil {
			writeQueryError(w, err)
			return
		}
		if _, pretty := r.URL.Query()["pretty"]; pretty {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			_ = enc.Encode(res)
			return
		}
		writeJSON(w, http.StatusOK, res)
	}
	mux.HandleFunc("POST /druid/v2", run)
	mux.HandleFunc("POST /druid/v2/{$}", run)
	list := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, e.DataSources())
	}
	mux.HandleFunc("GET /druid/v2/datasources", list)
	mux.HandleFunc("GET /druid/v2/datasources/{$}", list)
	columns := func(w http.ResponseWriter, r *http.Request) {
		ds := r.PathValue("ds")
		if err := spec.ValidateDataSource("dataSource", ds); err != nil {
			writeQueryError(w, &query.Error{Status: http.StatusBadRequest, Code: query.CodeBadQuery, Message: err.Error(), Class: "java.lang.IllegalArgumentException"})
			return
		}
		dims, metrics, ok, err := e.DataSourceColumns(r.Context(), ds)
		if err != nil {
			writeQueryError(w, err)
			return
		}
		if !ok {
			// Druid's ClientInfoResource reads the columns off the datasource's segments: none,
			// so empty lists, not an error.
			dims, metrics = []string{}, []string{}
		}
		writeJSON(w, http.StatusOK, map[string][]string{"dimensions": dims, "metrics": metrics})
	}
	mux.HandleFunc("GET /druid/v2/datasources/{ds}", columns)
	mux.HandleFunc("GET /druid/v2/datasources/{ds}/{$}", columns)
}

// writeQueryError writes err as Druid's QueryException JSON with its status.
func writeQueryError(w http.ResponseWriter, err error) {
	qe := query.AsError(err)
	writeJSON(w, qe.Status, qe)
}

// readQueryBody reads a native query's body, answering the error itself (413 beyond the body
// limit, else Druid's QueryException JSON) and returning ok=false when it could not.
func readQueryBody(w http.ResponseWriter, r *http.Request) (body []byte, ok bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: err.Error()})
			return nil, false
		}
		writeQueryError(w, &query.Error{Status: http.StatusBadRequest, Code: query.CodeBadQuery,
			Message: "read request body: " + err.Error(), Class: "java.io.IOException"})
		return nil, false
	}
	return body, true
}
