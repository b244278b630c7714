package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// writeError maps a service error to Druid's status code and writes {"error": "..."}.
// Internal failures are logged in full and answered with their message, as Druid does. An
// unreachable metadata store is 503 Service Unavailable, so clients retry instead of treating
// the request as broken.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, spec.ErrInvalid), errors.Is(err, supervisor.ErrBadRequest), errors.Is(err, task.ErrDuplicate):
		code = http.StatusBadRequest
	case errors.Is(err, supervisor.ErrNotFound), errors.Is(err, task.ErrUnknownTask):
		code = http.StatusNotFound
	case errors.As(err, &tooBig):
		code = http.StatusRequestEntityTooLarge
	case errors.Is(err, task.ErrQueueFull):
		// Every slot is busy and the queue is full: the client may retry once tasks finish.
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	case metadata.IsTransient(err):
		code = http.StatusServiceUnavailable
		s.opts.Logger.Warn("metadata store unreachable", "method", r.Method, "path", r.URL.Path, "err", err)
		err = fmt.Errorf("metadata store unavailable, retry later: %w", err)
	}
	if code == http.StatusInternalServerError {
		s.opts.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, code, errorBody{Error: err.Error()})
}
