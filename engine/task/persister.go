package task

import (
	"context"
	"fmt"
	"runtime/pprof"
	"sync"
	"sync/atomic"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/index"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
)

// persister runs a task's intermediate persists in the background while the run loop reads
// on, as Druid's appenderator does. The loop detaches a full index (index.Detach), keeps
// adding to the fresh one, and hands the detached one over; tuningConfig.numPersistThreads
// goroutines write spills. Handing over waits while maxPendingPersists persists are already
// queued and every goroutine is busy (back-pressure): with the default 0 one persist runs
// alongside reading and none waits, so the rows in memory stay below
// maxRowsInMemory × (2 + maxPendingPersists), Druid's bound.
//
// The builder owns it; its goroutines start with the first persist, run under the loop's
// context, and end in close. A spill is the same segment a synchronous persist writes: the
// same index rows through the same Index.Persist. A failed persist fails every later
// submit and wait, so the error reaches the task; publishing waits for every persist first.
type persister struct {
	ctx     context.Context
	threads int
	started bool
	jobs    chan *persistJob
	workers sync.WaitGroup // running goroutines
	pending sync.WaitGroup // submitted persists not yet finished
	failed  atomic.Pointer[error]
	closed  bool
}

// persistJob is one index to persist. out is filled when the persist succeeds; it is read by
// the loop only after wait.
type persistJob struct {
	idx     *index.Index
	dir     string
	meta    segment.Metadata
	spec    segment.IndexSpec
	out     *index.Spill
	what    string                // "spill n of task t", for the error
	observe func(seconds float64) // the persist metric, or nil
	now     func() float64        // seconds on the task's clock
}

// maxQueuedPersists caps maxPendingPersists (which the spec bounds only below) as the queue's
// capacity: each queued persist holds a whole index in memory, so a deeper queue only moves
// the task towards running out of memory.
const maxQueuedPersists = 64

func newPersister(ctx context.Context, threads, maxPending int) *persister {
	return &persister{ctx: ctx, threads: max(threads, 1), jobs: make(chan *persistJob, min(max(maxPending, 0), maxQueuedPersists))}
}

// submit hands j over, blocking while the queue is full. It returns the first error of an
// earlier persist, or the context's when the loop is stopping.
func (p *persister) submit(j *persistJob) error {
	if err := p.err(); err != nil {
		return err
	}
	if p.closed {
		return fmt.Errorf("persist after the task's persister closed")
	}
	if !p.started {
		p.started = true
		for range p.threads {
			p.workers.Add(1)
			go p.work()
		}
	}
	p.pending.Add(1)
	select {
	case p.jobs <- j:
		return nil
	case <-p.ctx.Done():
		p.pending.Done()
		p.fail(p.ctx.Err()) // the spill is never written: nothing may publish without it
		return p.ctx.Err()
	}
}

func (p *persister) work() {
	defer p.workers.Done()
	for j := range p.jobs {
		p.run(j)
		p.pending.Done()
	}
}

func (p *persister) run(j *persistJob) {
	if p.err() != nil {
		return // the task fails anyway; spare the disk
	}
	if err := p.ctx.Err(); err != nil {
		p.fail(err)
		return
	}
	start := j.now()
	var sp *index.Spill
	var err error
	pprof.Do(p.ctx, pprof.Labels("phase", "persist"), func(context.Context) { sp, err = j.idx.Persist(j.dir, j.meta, j.spec) })
	if err != nil {
		p.fail(fmt.Errorf("persist %s: %w", j.what, err))
		return
	}
	if j.observe != nil {
		j.observe(j.now() - start)
	}
	*j.out = *sp
}

func (p *persister) fail(err error) { p.failed.CompareAndSwap(nil, &err) }

// err returns the first persist error, if any.
func (p *persister) err() error {
	if e := p.failed.Load(); e != nil {
		return *e
	}
	return nil
}

// wait blocks until every submitted persist has finished and returns the first error.
func (p *persister) wait() error {
	p.pending.Wait()
	return p.err()
}

// close waits for the running persists and ends the goroutines. It is idempotent.
func (p *persister) close() {
	if p.closed {
		return
	}
	p.closed = true
	close(p.jobs)
	p.workers.Wait()
}
