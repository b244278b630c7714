package task

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

// Back-off of metadata calls while the store is unreachable: short first waits so a blip costs
// little, capped so a returning store is noticed within a couple of seconds.
const (
	storeRetryFirst = 200 * time.Millisecond
	storeRetryMax   = 2 * time.Second
)

// retryStore runs fn until it returns nil or an error that is the store's answer, retrying
// with back-off while metadata.IsTransient says the store is unreachable (Druid's
// RetryUtils around SQLMetadataConnector calls). It gives up when ctx ends or the outage
// outlasts Options.StoreOutageTimeout. fn must be safe to repeat: a write whose connection
// broke may have committed, so fn has to recognise its own earlier success.
func (t *Task) retryStore(ctx context.Context, what string, fn func() error) error {
	// Wall time, not opts.Now: the waits are real.
	deadline := time.Now().Add(t.opts.StoreOutageTimeout)
	attempts, err := retryTransient(ctx, t.log, what, deadline, fn)
	switch {
	case err == nil || !metadata.IsTransient(err):
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w (last error: %v)", what, context.Cause(ctx), err)
	default:
		return fmt.Errorf("%s: metadata store unreachable for %d attempts over %v: %w", what, attempts, t.opts.StoreOutageTimeout, err)
	}
}

// retryTransient is the back-off loop of every metadata call that must ride out an outage:
// it runs fn until fn succeeds or fails with an error that is not transient, until ctx ends,
// or (for a non-zero deadline) until the deadline passes, and returns the number of attempts
// with fn's last error.
func retryTransient(ctx context.Context, log *slog.Logger, what string, deadline time.Time, fn func() error) (int, error) {
	wait := storeRetryFirst
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !metadata.IsTransient(err) || (!deadline.IsZero() && !time.Now().Before(deadline)) {
			return attempt, err
		}
		log.Warn("metadata store unreachable; retrying", "action", what, "attempt", attempt, "in", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return attempt, err
		}
		wait = min(2*wait, storeRetryMax)
	}
}
