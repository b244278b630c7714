package query

import (
	"errors"
	"fmt"
	"net/http"
)

// Druid's QueryException error codes, the "error" field of an error body.
const (
	// CodeBadQuery is what Druid answers when the query JSON does not
	// deserialise or fails validation (BadJsonQueryException).
	CodeBadQuery = "Json parse failed"
	// CodeTimeout is QueryTimeoutException's code.
	CodeTimeout = "Query timeout"
	// CodeCancelled is QueryInterruptedException's code for a query whose
	// caller went away.
	CodeCancelled = "Query cancelled"
	// CodeResourceLimit is ResourceLimitExceededException's code, e.g. for a
	// subquery with more rows than context.maxSubqueryRows.
	CodeResourceLimit = "Resource limit exceeded"
	// CodeUnknown is the code of every other failure.
	CodeUnknown = "Unknown exception"
	// CodeNotFound is kafka-indexer's code for a datasource no source
	// knows. Druid itself answers such native queries with []; see
	// ErrUnknownDataSource.
	CodeNotFound = "Datasource not found"
)

// Error is a failed query, rendered as Druid's QueryException JSON:
//
//	{"error":"Query timeout","errorMessage":"…","errorClass":"…","host":null}
type Error struct {
	// Status is the HTTP status to answer with.
	Status int `json:"-"`
	// Code is Druid's error code (one of the Code constants).
	Code string `json:"error"`
	// Message says what went wrong; for bad queries it starts with the JSON
	// path of the offending field, e.g. "aggregations[1].fieldName: missing".
	Message string `json:"errorMessage"`
	// Class is the Java exception class Druid would name.
	Class string `json:"errorClass"`
	// Host is always null: there is one process.
	Host *string `json:"host"`

	err error // wrapped cause, for errors.Is
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.err }

// ErrUnknownDataSource is wrapped by the 404 *Error returned for a query on a
// datasource that no source knows (never had a used segment). Druid answers
// such native queries with an empty result; kafka-indexer reports them, so a
// misspelt datasource is not mistaken for "no data". A known datasource with
// no segment in the query intervals still gives Druid's empty result.
var ErrUnknownDataSource = errors.New("query: unknown datasource")

// ErrTimeout is wrapped by the 504 *Error of a query that ran past its
// context.timeout.
var ErrTimeout = errors.New("query: timeout")

// badQuery is a 400 naming the field at path.
func badQuery(path, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	return &Error{Status: http.StatusBadRequest, Code: CodeBadQuery, Message: msg,
		Class: "com.fasterxml.jackson.databind.exc.ValueInstantiationException"}
}

// resourceLimit is a 400 for a query beyond one of its limits.
func resourceLimit(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeResourceLimit, Message: fmt.Sprintf(format, args...),
		Class: "org.apache.druid.query.ResourceLimitExceededException"}
}

func unknownDataSource(ds string) *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: fmt.Sprintf("datasource [%s] does not exist", ds),
		Class: "org.apache.druid.query.QueryUnsupportedException", err: ErrUnknownDataSource}
}

func timeoutError(id string) *Error {
	return &Error{Status: http.StatusGatewayTimeout, Code: CodeTimeout, Message: fmt.Sprintf("Query [%s] timed out.", id),
		Class: "java.util.concurrent.TimeoutException", err: ErrTimeout}
}

func cancelledError(id string, cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: CodeCancelled, Message: fmt.Sprintf("Query [%s] cancelled.", id),
		Class: "java.util.concurrent.CancellationException", err: cause}
}

func internalError(err error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: CodeUnknown, Message: err.Error(), Class: "java.lang.RuntimeException", err: err}
}

// AsError converts any error to an *Error (500 Unknown exception for
// errors that are not one already), for the HTTP layer.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return internalError(err)
}
