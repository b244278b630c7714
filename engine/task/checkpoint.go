package task

import (
	"context"
	"sync"
	"time"
)

// The checkpoint protocol (Druid's CheckPointDataSourceMetadataAction and the supervisor's
// CheckpointNotice): when the open sequence reaches a segment limit the task stops ingesting
// at that record, pauses itself and asks its supervisor to close the sequence on every
// replica. The supervisor answers by pausing the replicas and setting the same end offsets on
// all of them (setEndOffsets), which resumes the task into a new sequence.
//
// The task never waits for an answer forever: a request that fails (the supervisor does not
// know the task yet, is restarting, or cannot pause a replica) is asked again with back-off
// while the task stays paused, so maxRowsPerSegment holds through short outages. After
// maxPausedCheckpointAttempts, or when the supervisor answers without closing the sequence,
// the task reads on into the same sequence and keeps asking at the back-off interval: a
// partition is never stalled by a checkpoint, at the price of a larger segment.
const (
	// defaultCheckpointBackoff is the first retry delay; it doubles per attempt.
	defaultCheckpointBackoff = 500 * time.Millisecond
	// maxCheckpointBackoff caps the retry delay.
	maxCheckpointBackoff = 30 * time.Second
	// maxPausedCheckpointAttempts is how many requests may fail while the task waits paused
	// (0.5+1+2+4+8 s between them with the default back-off: long enough for a restarted
	// supervisor's first run, after its 5 s startDelay, to adopt the task) before it reads on.
	maxPausedCheckpointAttempts = 6
	// checkpointRequestTimeout bounds one request. The supervisor pauses every replica before
	// it answers, normally a few chat calls, and gives up on a replica that does not pause
	// after two minutes (supervisor.ChatClient.Pause); longer means it is stuck or gone.
	checkpointRequestTimeout = 3 * time.Minute
)

// checkpointRequest is the loop's view of its outstanding checkpoint request.
type checkpointRequest struct {
	active   bool      // asked, and the sequence is not closed yet
	seq      int       // id of the sequence asked to be closed
	inFlight bool      // a request is on its way to the supervisor
	attempts int       // requests that came back without the sequence closed
	retryAt  time.Time // when to ask again
}

// checkpointCall owns the goroutine of the request in flight: the loop cancels it and waits
// for it when it exits (loop.close), so no request outlives the task and no answer arrives
// for a loop that is gone.
type checkpointCall struct {
	cancel context.CancelFunc // of the request in flight; nil before the first
	wg     sync.WaitGroup
}

// stop cancels the request in flight, if any, and waits for its goroutine.
func (c *checkpointCall) stop() {
	if c.cancel != nil {
		c.cancel()
	}
	c.wg.Wait()
}

// checkpointAnswer is the supervisor's reply to one request, handed back to the loop.
type checkpointAnswer struct {
	seq int
	err error
}

// segmentLimitReached reports whether adding rows to sk filled the open sequence: the sink has
// maxRowsPerSegment rows or the unpublished sequences hold maxTotalRows. It is checked after
// every row, so ingestion stops at the record that reached the limit and the checkpoint cuts
// the sequence exactly there, not a whole fetch (up to 20,000 records) later.
func (l *loop) segmentLimitReached(seq *sequence, sk *sink) bool {
	if seq != l.last() || seq.endSet || l.stop || l.ckpt.active {
		return false
	}
	tc := &l.t.spec.Tuning
	if sk.rows() >= tc.MaxRowsPerSegment {
		return true
	}
	var total int64
	for _, s := range l.seqs {
		if !s.published {
			total += s.rows
		}
	}
	return total >= tc.EffectiveMaxTotalRows()
}

// mayAskCheckpoint reports whether the loop may start (or repeat) a checkpoint request now:
// none is outstanding, or one came back unanswered and has waited out its back-off.
func (l *loop) mayAskCheckpoint(now time.Time) bool {
	return !l.ckpt.active || (!l.ckpt.inFlight && !now.Before(l.ckpt.retryAt))
}

// checkpoint closes the open sequence at the current offsets. Under a supervisor the task pauses
// and asks it, so that every replica closes at the same (maximum) offsets; a standalone task
// closes its own sequence.
func (l *loop) checkpoint(ctx context.Context) error {
	cp := l.t.opts.Checkpointer
	if cp == nil {
		l.paused = true // setEndOffsets requires a paused task
		_, err := l.setEndOffsets(l.current.Clone(), false)
		return err
	}
	if !l.paused {
		l.paused = true
		l.t.setStatus(StatusPaused)
	}
	l.ckpt.active = true
	l.ckpt.seq = l.last().id
	if !l.ckpt.inFlight {
		l.askCheckpoint(ctx)
	}
	// Otherwise the reply to the previous sequence's request is still coming (the supervisor
	// sends it after our end offsets); serveRequests asks as soon as it has arrived.
	return nil
}

// askCheckpoint sends one request without blocking the loop; the answer comes back through
// l.answers, which has room for it (one request at a time). The goroutine belongs to
// l.ckptCall, which loop.close stops.
func (l *loop) askCheckpoint(ctx context.Context) {
	t := l.t
	group := 0
	if g := t.spec.Payload.IOConfig.TaskGroupID; g != nil {
		group = *g
	}
	seq := l.last()
	start := seq.start.Clone()
	l.ckpt.inFlight = true
	rctx, cancel := context.WithTimeout(ctx, checkpointRequestTimeout)
	l.ckptCall.cancel = cancel
	l.ckptCall.wg.Add(1)
	go func() {
		defer l.ckptCall.wg.Done()
		defer cancel()
		err := t.opts.Checkpointer.Checkpoint(rctx, t.id, group, start)
		l.answers <- checkpointAnswer{seq: seq.id, err: err}
	}()
}

// checkpointAnswered handles the supervisor's reply. When the sequence was closed (the
// supervisor's setEndOffsets came first, since it answers only after setting them) there is
// nothing left to do; otherwise the request is asked again after a back-off, paused or not.
func (l *loop) checkpointAnswered(a checkpointAnswer) {
	t := l.t
	l.ckpt.inFlight = false
	if !l.ckpt.active || a.seq != l.ckpt.seq {
		return // already closed by setEndOffsets
	}
	if l.stop || l.last().endSet {
		l.ckpt = checkpointRequest{} // a stop closed the sequence: nothing left to ask
		return
	}
	l.ckpt.attempts++
	base := t.opts.CheckpointBackoff
	if base <= 0 {
		base = defaultCheckpointBackoff
	}
	delay := maxCheckpointBackoff
	if l.ckpt.attempts < 16 {
		delay = min(base<<(l.ckpt.attempts-1), maxCheckpointBackoff)
	}
	l.ckpt.retryAt = t.opts.Now().Add(delay)
	seq := l.last().name
	if a.err != nil && l.paused && l.ckpt.attempts < maxPausedCheckpointAttempts {
		t.log.Warn("checkpoint request failed; asking again while paused", "sequence", seq, "attempt", l.ckpt.attempts, "retryIn", delay, "err", a.err)
		return
	}
	if a.err != nil {
		t.log.Warn("checkpoint request failed; reading on into the same sequence and asking again later", "sequence", seq, "attempt", l.ckpt.attempts, "retryIn", delay, "err", a.err)
	} else {
		t.log.Warn("supervisor answered the checkpoint request without closing the sequence; reading on and asking again later", "sequence", seq, "retryIn", delay)
	}
	// A pause the supervisor asked for (it is finishing the group) is left to it: resuming
	// here would make its setEndOffsets fail with "must be paused".
	if l.paused && !l.pausedByChat {
		l.paused = false
		l.cut = false
		t.setStatus(StatusReading)
	}
}

// checkpointDone forgets the outstanding request: the sequence got its end offsets.
func (l *loop) checkpointDone() {
	inFlight := l.ckpt.inFlight
	l.ckpt = checkpointRequest{inFlight: inFlight}
	l.cut = false
	l.pausedByChat = false
}
