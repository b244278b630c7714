package metadata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
)

// sqlStateError stands in for *pgconn.PgError, which IsTransient sees only through its
// SQLState method.
type sqlStateError string

func (e sqlStateError) Error() string    { return "pg error " + string(e) }
func (e sqlStateError) SQLState() string { return string(e) }

func TestIsTransient(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: "connect: connection refused"}}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"connection refused", fmt.Errorf("list tasks: %w", syscall.ECONNREFUSED), true},
		{"connection reset", fmt.Errorf("publish: %w", syscall.ECONNRESET), true},
		{"dial error", fmt.Errorf("connect: %w", refused), true},
		{"unexpected EOF", fmt.Errorf("commit: %w", io.ErrUnexpectedEOF), true},
		{"admin shutdown 57P01", fmt.Errorf("query: %w", sqlStateError("57P01")), true},
		{"cannot connect now 57P03", sqlStateError("57P03"), true},
		{"connection failure 08006", sqlStateError("08006"), true},
		{"unique violation 23505", sqlStateError("23505"), false},
		{"serialization failure 40001", sqlStateError("40001"), false},
		{"not found", ErrNotFound, false},
		{"conflict", ErrConcurrentUpdate, false},
		{"offset mismatch", &OffsetMismatchError{SupervisorID: "s", Retryable: true}, false},
		{"context canceled", fmt.Errorf("query: %w", context.Canceled), false},
		{"deadline over a network error", errors.Join(context.DeadlineExceeded, syscall.ECONNREFUSED), false},
		{"plain error", errors.New("syntax error"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsTransient(tt.err); got != tt.want {
				t.Errorf("IsTransient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
