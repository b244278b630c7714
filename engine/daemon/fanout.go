package daemon

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/query"
)

// The query role's fan-out to the workers (Druid's Broker sending a query to the Peons as well
// as to the Historicals). For a timeseries, topN or groupBy on a table, the query node reads
// the active tasks of the datasource, their assignments and the live workers from the metadata
// store, picks one replica of every task group (as the Broker picks one server per segment)
// and POSTs the query to /druid/worker/v1/chat/{taskId}/query on that replica's worker. The
// answers are the unfinalised groups of each realtime segment; the query engine merges them
// with its own segments by segment id (query/partial.go). Then the node's loader catches up
// with the segments published meanwhile (catchUp), so that handoff leaves no gap.
//
// What is left out, and why:
//   - groups with a replica on this node: the node's own realtime source reads them;
//   - tasks not assigned yet: they have read nothing;
//   - tasks on a worker whose heartbeat is older than the worker timeout: that worker is
//     lost, the leader fails its tasks, and their unpublished rows are gone with it (the
//     replacement tasks re-read them from Kafka);
//   - a replica that answers 404 (the task ended between the listing and the request): the
//     next replica is tried; a group all of whose replicas have ended published its segments,
//     which the query node serves once its loader has them.
//
// Any other failure of a replica (connection refused, a 5xx, a malformed answer) moves on to
// the next replica of the group; when none answers, the query fails naming the worker (Druid's
// Broker fails a query whose server does not answer rather than return less). The query's
// context.timeout bounds the whole fan-out.
type remoteRealtime struct {
	// loader is this node's, caught up after each fan-out (see catchUp); nil skips that.
	loader *query.Loader
	// catchUpWait bounds how long a query waits for the loader to load a newly published
	// segment; zero means defaultCatchUpWait.
	catchUpWait time.Duration
	waitedMu    sync.Mutex
	waited      map[string]time.Time // segment id → when a query last waited for it

	self     string // this node's URL
	store    metadata.Store
	as       metadata.AssignmentStore
	ws       metadata.WorkerStore
	liveness time.Duration // a worker whose heartbeat is older is lost
	client   *http.Client
	username string
	password string
	log      *slog.Logger
}

var _ query.RemoteRealtime = (*remoteRealtime)(nil)

// newRemoteRealtime returns the fan-out of e, nil when the store keeps no workers (a single
// node: every task runs in this process, and its realtime source reads them).
func (e *Engine) newRemoteRealtime() *remoteRealtime {
	ws, ok1 := e.Store.(metadata.WorkerStore)
	as, ok2 := e.Store.(metadata.AssignmentStore)
	if !ok1 || !ok2 || e.opts.Cluster == nil {
		return nil
	}
	c := e.opts.Cluster
	liveness := cmp.Or(c.WorkerTimeout, DefaultWorkerTimeout)
	return &remoteRealtime{loader: e.Loader, self: c.URL, store: e.Store, as: as, ws: ws, liveness: liveness,
		client: fanoutClient(liveness), username: e.opts.Username, password: e.opts.Password, log: e.log}
}

// fanoutClient is the HTTP client of the fan-out. A worker that does not accept the connection
// within min(liveness, 5 s), or does not start answering within liveness (the time after which
// the cluster declares a silent worker lost anyway), counts as not answering: the next replica
// is tried, or the query fails naming it, rather than wait for the whole context.timeout (5
// minutes by default) on a frozen or partitioned node.
func fanoutClient(liveness time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: min(liveness, 5*time.Second), KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = liveness
	return &http.Client{Transport: tr}
}

// replica is one task of a group and the worker running it.
type replica struct{ task, worker string }

// Partials implements query.RemoteRealtime.
func (f *remoteRealtime) Partials(ctx context.Context, dataSource string, q []byte) ([]query.PartialResult, error) {
	groups, err := f.targets(ctx, dataSource)
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		f.catchUp(ctx, dataSource) // the tasks may just have ended, after publishing
		return nil, nil
	}
	out := make([]query.PartialResult, len(groups))
	has := make([]bool, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i, reps := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], has[i], errs[i] = f.askGroup(ctx, reps, q)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	var res []query.PartialResult
	for i := range out {
		if has[i] {
			res = append(res, out[i])
		}
	}
	f.catchUp(ctx, dataSource)
	return res, nil
}

// defaultCatchUpWait is remoteRealtime.catchUpWait's default: long enough for a sync and the
// download of a fresh segment, short enough that a segment that cannot load costs little.
const defaultCatchUpWait = 5 * time.Second

// catchUp closes the handoff gap: a task stops serving a segment once its own node's loader
// has it, which may be before this node's loader has polled. So after the workers answered,
// every used segment of dataSource in the store that this node has not loaded is loaded now
// (a sync and its download), before the engine reads the local segments: a segment no worker
// served any more was published before the fan-out, so this read sees it. The wait is bounded
// (catchUpWait and the query's own timeout), and a segment is waited for at most once a
// minute, so one that cannot load slows queries down once, not every time; a failure here is
// logged and the query goes on with what is loaded.
func (f *remoteRealtime) catchUp(ctx context.Context, dataSource string) {
	if f.loader == nil {
		return
	}
	used, err := f.store.Segments(ctx, dataSource, true)
	if err != nil {
		f.log.Warn("realtime query fan-out: list used segments", "dataSource", dataSource, "err", err)
		return
	}
	now := time.Now()
	var missing []string
	f.waitedMu.Lock()
	for id, at := range f.waited {
		if now.Sub(at) > time.Minute {
			delete(f.waited, id)
		}
	}
	for _, s := range used {
		if !f.loader.Loaded(s.ID) {
			if _, recent := f.waited[s.ID]; !recent {
				missing = append(missing, s.ID)
			}
		}
	}
	if f.waited == nil {
		f.waited = map[string]time.Time{}
	}
	for _, id := range missing {
		f.waited[id] = now
	}
	f.waitedMu.Unlock()
	if len(missing) == 0 {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, cmp.Or(f.catchUpWait, defaultCatchUpWait))
	defer cancel()
	if err := f.loader.WaitLoaded(wctx, dataSource, missing); err != nil && ctx.Err() == nil {
		f.log.Warn("realtime query fan-out: published segments not loaded in time; the query reads what is loaded",
			"dataSource", dataSource, "segments", len(missing), "err", err)
		return
	}
	f.waitedMu.Lock()
	for _, id := range missing {
		delete(f.waited, id) // loaded: a later drop and reload is waited for again
	}
	f.waitedMu.Unlock()
}

// targets returns, per task group of dataSource that runs on another live worker, its
// replicas in the order to try them (shuffled, to spread the load over replicas).
func (f *remoteRealtime) targets(ctx context.Context, dataSource string) ([][]replica, error) {
	active := true
	tasks, err := f.store.ListTasks(ctx, metadata.TaskFilter{Active: &active, DataSource: dataSource})
	if err != nil {
		return nil, fmt.Errorf("list the active tasks of %s: %w", dataSource, err)
	}
	if len(tasks) == 0 {
		return nil, nil
	}
	assigned, err := f.as.Assignments(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the task assignments: %w", err)
	}
	workers, err := f.ws.Workers(ctx, f.liveness)
	if err != nil {
		return nil, fmt.Errorf("read the workers: %w", err)
	}
	live := map[string]bool{}
	for _, w := range workers {
		live[w.URL] = w.Live
	}
	byGroup := map[string][]replica{}
	local := map[string]bool{}
	var order []string
	for _, t := range tasks {
		g := t.GroupID
		if g == "" {
			g = t.ID
		}
		w, ok := assigned[t.ID]
		switch {
		case !ok:
			continue
		case w == f.self:
			local[g] = true
			continue
		case !live[w]:
			continue
		}
		if _, seen := byGroup[g]; !seen {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], replica{task: t.ID, worker: w})
	}
	var out [][]replica
	for _, g := range order {
		if local[g] {
			continue
		}
		reps := byGroup[g]
		rand.Shuffle(len(reps), func(i, j int) { reps[i], reps[j] = reps[j], reps[i] })
		out = append(out, reps)
	}
	return out, nil
}

// errTaskGone is a replica that no longer runs its task.
var errTaskGone = errors.New("task not running")

// askGroup asks the replicas of one group in turn until one answers. ok is false when every
// replica has ended (see remoteRealtime).
func (f *remoteRealtime) askGroup(ctx context.Context, reps []replica, q []byte) (res query.PartialResult, ok bool, err error) {
	var last error
	for _, r := range reps {
		res, err := f.ask(ctx, r, q)
		switch {
		case err == nil:
			return res, true, nil
		case ctx.Err() != nil:
			return res, false, err
		case errors.Is(err, errTaskGone):
			continue
		}
		f.log.Warn("realtime query fan-out: replica did not answer, trying the next", "task", r.task, "worker", r.worker, "err", err)
		last = err
	}
	return query.PartialResult{}, false, last
}

// ask POSTs q to the query endpoint of r's task on r's worker.
func (f *remoteRealtime) ask(ctx context.Context, r replica, q []byte) (query.PartialResult, error) {
	var res query.PartialResult
	u := strings.TrimSuffix(r.worker, "/") + "/druid/worker/v1/chat/" + url.PathEscape(r.task) + "/query"
	host := r.worker
	if pu, err := url.Parse(r.worker); err == nil && pu.Host != "" {
		host = pu.Host
	}
	fail := func(err error) error { return &query.RemoteError{URL: u, Host: host, Err: err} }
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(q))
	if err != nil {
		return res, fail(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if f.username != "" {
		req.SetBasicAuth(f.username, f.password)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return res, fail(err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return res, fail(errTaskGone)
	case resp.StatusCode != http.StatusOK:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		var qe query.Error
		if json.Unmarshal(b, &qe) == nil && qe.Message != "" {
			return res, fail(fmt.Errorf("HTTP %d: %s: %s", resp.StatusCode, qe.Code, qe.Message))
		}
		return res, fail(fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(b)))
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return res, fail(fmt.Errorf("decode the answer: %w", err))
	}
	if res.Segments == nil {
		return res, fail(errors.New(`the answer has no "segments"`))
	}
	return res, nil
}
