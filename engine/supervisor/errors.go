package supervisor

import (
	"errors"
	"fmt"
)

// ErrNotFound is wrapped by errors for unknown supervisor ids. The API answers 404.
var ErrNotFound = errors.New("supervisor not found")

// ErrBadRequest is wrapped by errors for requests that cannot apply to the supervisor's current
// state or carry a bad body (suspending a suspended supervisor, a resetOffsets body for another
// stream). The API answers 400.
var ErrBadRequest = errors.New("bad supervisor request")

// ErrCheckpointNotReady is wrapped by the answer to a task's checkpoint request when the
// supervisor does not (yet) count the task among its reading tasks: it has restarted and not
// adopted the task yet. The task asks again after a back-off.
var ErrCheckpointNotReady = errors.New("checkpoint cannot be handled yet")

// notFound formats Druid's message for an unknown id: "[id] does not exist".
func notFound(id string) error {
	return &Error{Msg: fmt.Sprintf("[%s] does not exist", id), Kind: ErrNotFound}
}

func badRequest(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...), Kind: ErrBadRequest}
}

// Error is a manager error whose message is exactly what Druid puts in {"error": …}.
type Error struct {
	Msg  string
	Kind error
}

func (e *Error) Error() string { return e.Msg }

// Unwrap lets errors.Is match the kind.
func (e *Error) Unwrap() error { return e.Kind }
