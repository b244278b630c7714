package metadata

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// LeaseStore is implemented by stores that several engine processes share: it
// keeps named leases (the Overlord leadership) in the database, timed by the
// database's clock so that the nodes' clocks do not matter.
type LeaseStore interface {
	// AcquireLease takes or renews lease name for holder until ttl from the
	// database's now. It succeeds when the lease is free, expired or already
	// held by holder; taking it from anyone (holder itself included, once
	// expired) increments the term, renewing keeps it. Either way it returns
	// the lease as stored afterwards: Lease.Holder tells whether holder got
	// it.
	AcquireLease(ctx context.Context, name, holder, url string, ttl time.Duration) (Lease, error)
	// ReleaseLease ends holder's lease name now, keeping its term, so the next
	// candidate takes it without waiting for it to expire. A lease holder no
	// longer holds is left alone.
	ReleaseLease(ctx context.Context, name, holder string) error
	// CurrentLease returns lease name as stored. ErrNotFound when it was never
	// taken.
	CurrentLease(ctx context.Context, name string) (Lease, error)
}

// Lease is a row of the leader_leases table.
type Lease struct {
	// Name is the lease's name, e.g. "overlord".
	Name string
	// Holder is the process that holds (or last held) it: a unique id per
	// process start, so that a restarted node never renews its previous
	// incarnation's term.
	Holder string
	// URL is where the holder serves its API (its advertised address).
	URL string
	// Term counts the times the lease changed hands; it is the fencing token.
	Term int64
	// Live is true while the lease has not expired by the database's clock.
	Live bool
}

// Fence binds a publish to one term of a lease: the publish commits only if
// the lease still has that holder and term (see PublishRequest.Fence).
type Fence struct {
	Name   string
	Holder string
	Term   int64
}

// String describes the fence for logs and errors.
func (f Fence) String() string {
	return fmt.Sprintf("lease %s term %d of %s", f.Name, f.Term, f.Holder)
}

// ErrFenced is returned by Publish when the request's Fence no longer matches
// the stored lease: the process that started the publisher lost its
// leadership, and a newer leader owns the offsets. It is not retryable.
var ErrFenced = errors.New("metadata: fenced: the leadership this publish ran under has ended")
