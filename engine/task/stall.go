package task

import (
	"context"
	"fmt"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/schemaregistry"
)

// A stall is a record the task cannot parse yet because something outside the record is
// unreachable (the schema registry): the record is neither counted unparseable nor skipped.
// The read loop keeps it at the head of its backlog, leaves its offset uncommitted and tries it
// again after a back-off (the waits of retryTransient), while it goes on answering the chat
// API, so the supervisor can still pause, checkpoint and read the task.
//
// The contract with engine/input: Parser.Parse returns an error for which
// schemaregistry.IsUnavailable is true, before emitting any row of the record (see the
// input.source comment). Any parser can use it, Avro and Protobuf alike.

// stall is the loop's record of the current stall.
type stall struct {
	partition druidapi.Partition
	offset    int64
	since     time.Time
	retryAt   time.Time
	wait      time.Duration
	attempts  int
}

// isStall reports whether an ingest error means "retry this record later".
func isStall(err error) bool { return schemaregistry.IsUnavailable(err) }

// stallOn records a failed attempt at the record and schedules the next one.
func (l *loop) stallOn(p druidapi.Partition, off int64, err error) {
	now := time.Now() // wall time: the waits are real
	st := l.stall
	if st == nil || st.partition != p || st.offset != off {
		st = &stall{partition: p, offset: off, since: now, wait: storeRetryFirst}
		l.stall = st
		l.t.log.Warn("record cannot be parsed yet; will retry", "partition", p.String(), "offset", off, "err", err)
	} else {
		st.wait = min(2*st.wait, storeRetryMax)
	}
	st.attempts++
	st.retryAt = now.Add(st.wait)
	msg := fmt.Sprintf("stalled at partition %s offset %d since %s (%d attempts): %v; retrying",
		p, off, st.since.UTC().Format(time.RFC3339), st.attempts, err)
	l.t.snapMu.Lock()
	l.t.stallMsg = msg
	l.t.snapMu.Unlock()
}

// stallCleared clears the stall once the record went through.
func (l *loop) stallCleared() {
	if l.stall == nil {
		return
	}
	l.t.log.Info("stalled record parsed; reading on", "partition", l.stall.partition.String(), "offset", l.stall.offset,
		"attempts", l.stall.attempts, "after", time.Since(l.stall.since).Round(time.Millisecond))
	l.stall = nil
	l.t.snapMu.Lock()
	l.t.stallMsg = ""
	l.t.snapMu.Unlock()
}

// waitStall sleeps until the stalled record's next attempt, at most max, so the loop keeps
// serving requests in between. It reports whether the record is due.
func (l *loop) waitStall(ctx context.Context, most time.Duration) bool {
	if l.stall == nil {
		return true
	}
	d := time.Until(l.stall.retryAt)
	if d <= 0 {
		return true
	}
	t := time.NewTimer(min(d, most))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return !time.Now().Before(l.stall.retryAt)
}

// StallMessage returns why the task is not reading on ("" when it is not stalled): a record it
// retries because the schema registry cannot answer. The live report carries it as errorMsg,
// and the supervisor reports it in recentErrors.
func (t *Task) StallMessage() string {
	t.snapMu.Lock()
	defer t.snapMu.Unlock()
	return t.stallMsg
}
