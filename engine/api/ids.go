package api

import (
	"net/http"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// Ids in request paths are checked before any handler, store or file system sees them. The
// mux unescapes a {wildcard}, so /task/..%2F..%2Fvictim/shutdown reaches a handler with id
// "../../victim" and /task/%2E%2E/shutdown with "..": both get a 400 naming the parameter.

// checkParam wraps h so that path parameter param must pass validate (spec.ValidateID or
// spec.ValidateDataSource) first; a refused value is a 400 in Druid's error JSON.
func checkParam(param, field string, validate func(field, value string) error, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := validate(field, r.PathValue(param)); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{Error: err.Error()})
			return
		}
		h(w, r)
	}
}

// supervisorParam checks {id} of the supervisor routes (a supervisor id is a datasource name
// or an explicit id with the same bound).
func supervisorParam(h http.HandlerFunc) http.HandlerFunc {
	return checkParam("id", "supervisorId", spec.ValidateDataSource, h)
}

// taskParam checks {id} of the task and chat routes.
func taskParam(h http.HandlerFunc) http.HandlerFunc {
	return checkParam("id", "taskId", spec.ValidateID, h)
}

// dataSourceParam checks {ds} of the datasource routes.
func dataSourceParam(h http.HandlerFunc) http.HandlerFunc {
	return checkParam("ds", "dataSource", spec.ValidateDataSource, h)
}

// hasDotSegment reports whether an escaped request path has a literal "." or ".." segment.
// ServeMux would answer those with a redirect to the cleaned path, which a client may follow
// to a different resource (a POST turning into a GET); the API refuses them outright instead.
func hasDotSegment(escapedPath string) bool {
	for seg := range strings.SplitSeq(escapedPath, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}
