package task

import (
	"context"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/input"
)

// The parallel ingestion pipeline (tuningConfig.numParseThreads > 1). Parsing a record (JSON
// decoding, field discovery, the timestamp) is a pure function of the record, so it runs on
// parse goroutines, each with its own input.Parser (a Parser is not safe for concurrent use).
// Everything that depends on what came before (the sequence of the offset, transforms and
// filters, the incremental index, the row counters, parse exceptions, the current offsets, the
// segment limit that cuts a fetch) stays on the run loop's goroutine, which replays the parsed
// records in exactly their fetch order through the same ingest code as the single-goroutine
// path. Offsets, sequences, checkpoints, exactly-once and the order of parse exceptions are
// therefore those of parsing inline; only the CPU work of parsing moves. When the task has no
// transforms, a row reaches the index exactly as parsed, so the parse goroutines also run
// CheckTypes on it and hand over its result.

const (
	// chunkRecords is how many records one parse job holds: big enough that handing a job over
	// costs little per record, small enough that the loop starts indexing soon after a fetch.
	chunkRecords = 512
	// minParallelRecords is the smallest backlog worth handing to the parse goroutines; a
	// trickle of records is parsed inline, without the hand-over latency.
	minParallelRecords = 64
)

// parsePool owns the parse goroutines of one task. The run loop is its only client: it sends
// chunks, waits for each in order, and stops the pool in loop.close.
type parsePool struct {
	jobs chan *parseChunk
	wg   sync.WaitGroup
	// free and inflight belong to the run loop.
	free     []*parseChunk
	inflight []*parseChunk
	maxJobs  int
	// checkTypes is set when the parse goroutines also run CheckTypes on each row.
	checkTypes bool
}

// parseChunk is one parse job: a run of consecutive records of the backlog and, once done is
// signalled, what parsing each of them gave. Its rows are reused from job to job, so a warmed-up
// pipeline allocates nothing per row.
type parseChunk struct {
	recs []*kgo.Record
	out  []parsedRecord
	rows []input.Row
	// checked is each row's input.Parser.CheckTypes result, when the pool checks types (the
	// task has no transforms, so rows reach the index as parsed).
	checked []*input.ParseError
	n       int // rows used in this job
	done    chan struct{}
	err     error // the job did not complete: the context ended, or the parser panicked
}

// parsedRecord is the outcome of input.Parser.Parse for one record: its rows (the next rows
// entries of the chunk's rows, in the order the parser emitted them) and the error it returned.
type parsedRecord struct {
	rows int
	err  error
}

// newParsePool starts threads parse goroutines, each with a parser built from cfg. They end when
// stop is called; ctx ending makes them abandon the job at hand quickly.
func newParsePool(ctx context.Context, cfg input.Config, threads int, checkTypes bool) (*parsePool, error) {
	parsers := make([]*input.Parser, threads)
	for i := range parsers {
		p, err := input.NewParser(cfg)
		if err != nil {
			return nil, fmt.Errorf("input format: %w", err)
		}
		parsers[i] = p
	}
	pp := &parsePool{maxJobs: 2 * threads, checkTypes: checkTypes}
	// Room for every job the loop may have in flight, so sending never blocks.
	pp.jobs = make(chan *parseChunk, pp.maxJobs)
	for _, p := range parsers {
		pp.wg.Add(1)
		go pp.work(ctx, p)
	}
	return pp, nil
}

// stop ends the parse goroutines and waits for them. Every job sent before completes first
// (abandoned at once if the context ended), so no goroutine outlives the task.
func (pp *parsePool) stop() {
	close(pp.jobs)
	pp.wg.Wait()
}

func (pp *parsePool) work(ctx context.Context, p *input.Parser) {
	defer pp.wg.Done()
	var c *parseChunk
	// One callback per goroutine: a closure per record would be a heap allocation per record.
	emit := func(row *input.Row) error {
		if c.n == len(c.rows) {
			c.rows = append(c.rows, input.Row{})
		}
		row.CopyTo(&c.rows[c.n])
		if pp.checkTypes {
			if c.n == len(c.checked) {
				c.checked = append(c.checked, nil)
			}
			c.checked[c.n] = p.CheckTypes(row)
		}
		c.n++
		return nil
	}
	for c = range pp.jobs {
		c.parse(ctx, p, emit)
		c.done <- struct{}{}
	}
}

// parse fills the chunk's outcomes. A panic in the parser fails the task, as it would on the run
// loop's goroutine, instead of crashing the daemon.
func (c *parseChunk) parse(ctx context.Context, p *input.Parser, emit func(*input.Row) error) {
	defer func() {
		if r := recover(); r != nil {
			c.err = fmt.Errorf("task crashed: parse: %v", r)
		}
	}()
	for i, rec := range c.recs {
		if i%64 == 0 && ctx.Err() != nil {
			c.err = ctx.Err()
			return
		}
		var headers []input.Header
		if len(rec.Headers) > 0 {
			headers = make([]input.Header, len(rec.Headers))
			for j, h := range rec.Headers {
				headers[j] = input.Header{Key: h.Key, Value: h.Value}
			}
		}
		before := c.n
		err := p.Parse(input.Record{Key: rec.Key, Value: rec.Value, Timestamp: rec.Timestamp.UnixMilli(), Topic: rec.Topic, Headers: headers, Partition: rec.Partition, Offset: rec.Offset}, emit)
		c.out[i] = parsedRecord{rows: c.n - before, err: err}
	}
}

// send hands the records to a parse goroutine and queues the job.
func (pp *parsePool) send(recs []*kgo.Record) {
	var c *parseChunk
	if n := len(pp.free); n > 0 {
		c, pp.free = pp.free[n-1], pp.free[:n-1]
	} else {
		c = &parseChunk{done: make(chan struct{}, 1)}
	}
	c.recs, c.n, c.err = recs, 0, nil
	if cap(c.out) < len(recs) {
		c.out = make([]parsedRecord, len(recs), chunkRecords)
	}
	c.out = c.out[:len(recs)]
	pp.inflight = append(pp.inflight, c)
	pp.jobs <- c
}

// next waits for the oldest job in flight and removes it from the queue.
func (pp *parsePool) next() *parseChunk {
	c := pp.inflight[0]
	pp.inflight = pp.inflight[:copy(pp.inflight, pp.inflight[1:])]
	<-c.done
	return c
}

// recycle keeps a finished chunk for a later job, dropping its references to records and errors.
func (pp *parsePool) recycle(c *parseChunk) {
	c.recs = nil
	clear(c.out)
	clear(c.checked)
	pp.free = append(pp.free, c)
}

// drain waits for every job still in flight: their records belong to the loop's backlog, which
// must not be reused while a parse goroutine reads it.
func (pp *parsePool) drain() {
	for len(pp.inflight) > 0 {
		pp.recycle(pp.next())
	}
}

// ingestParallel ingests the backlog like poll's inline loop, with parsing done ahead on the
// parse goroutines. It returns how many records of the backlog were ingested: all of them, or
// fewer when a row filled the open sequence (l.cut) or an error stopped ingestion. Records parsed
// but not ingested stay in the backlog and are parsed again when ingestion resumes.
func (l *loop) ingestParallel() (int, error) {
	pp := l.pool
	defer pp.drain()
	sent, n := 0, 0
	for n < len(l.backlog) && !l.cut {
		for len(pp.inflight) < pp.maxJobs && sent < len(l.backlog) {
			end := min(sent+chunkRecords, len(l.backlog))
			pp.send(l.backlog[sent:end])
			sent = end
		}
		c := pp.next()
		if c.err != nil {
			pp.recycle(c)
			return n, c.err
		}
		rows := c.rows[:c.n]
		var checked []*input.ParseError
		if pp.checkTypes {
			checked = c.checked[:c.n]
		}
		for i, rec := range c.recs {
			if l.cut {
				break
			}
			pr := &c.out[i]
			var ck []*input.ParseError
			if checked != nil {
				ck, checked = checked[:pr.rows], checked[pr.rows:]
			}
			if err := l.ingest(rec, pr, rows[:pr.rows], ck); err != nil {
				pp.recycle(c)
				return n, err
			}
			rows = rows[pr.rows:]
			n++
		}
		pp.recycle(c)
	}
	return n, nil
}
