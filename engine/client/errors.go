package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinels matched by *APIError through errors.Is.
var (
	// ErrBadRequest matches a 400 answer: an invalid spec, or Druid's
	// "[id] is already suspended" / "[id] is already running".
	ErrBadRequest = errors.New("bad request")
	// ErrNotFound matches a 404 answer, e.g. Druid's "[id] does not exist".
	ErrNotFound = errors.New("not found")
	// ErrConflict matches a 409 answer.
	ErrConflict = errors.New("conflict")
	// ErrUnavailable matches a 503 answer, e.g. an Overlord that is not the
	// leader yet. It is returned only after retries are exhausted.
	ErrUnavailable = errors.New("service unavailable")
	// ErrDryRunUnsupported is returned by ValidateSupervisor when the server
	// does not identify itself as kafka-indexer. Real Druid ignores
	// validateOnly and would create the supervisor, so the request is not sent.
	ErrDryRunUnsupported = errors.New("server does not support validateOnly (not kafka-indexer)")
)

// APIError is a non-2xx answer of the server.
type APIError struct {
	// Method and Path identify the request.
	Method, Path string
	// StatusCode is the HTTP status code of the answer.
	StatusCode int
	// Message is the server's "error" field (or, for Druid's newer
	// DruidException bodies, "errorMessage"); otherwise the body text; or,
	// for an empty body, the HTTP status text.
	Message string
	// Body is the raw response body.
	Body []byte
}

// Error implements error.
func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode), e.Message)
}

// Is matches the sentinel that corresponds to StatusCode.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrUnavailable:
		return e.StatusCode == http.StatusServiceUnavailable
	}
	return false
}

// newAPIError builds the error for a non-2xx answer, extracting Druid's
// {"error": "..."} message when present.
func newAPIError(method, path string, status int, body []byte) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: status, Body: body}
	var simple struct {
		Error        any    `json:"error"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &simple) == nil {
		switch {
		case simple.ErrorMessage != "":
			e.Message = simple.ErrorMessage
		case simple.Error != nil:
			if s, ok := simple.Error.(string); ok {
				e.Message = s
			} else {
				b, _ := json.Marshal(simple.Error)
				e.Message = string(b)
			}
		}
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(body))
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}
