package supervisor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metrics"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// Options configures a Manager.
type Options struct {
	// Logger receives lifecycle logs. Nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Tests pin it.
	Now func() time.Time
	// MaxStoredExceptionEvents bounds recentErrors (druid.supervisor.maxStoredExceptionEvents).
	// Zero means 3; it is raised to the larger of the run thresholds, as Druid requires.
	MaxStoredExceptionEvents int
	// Thresholds are the health thresholds of every supervisor (druid.supervisor.*Threshold,
	// the daemon's --supervisor-*-threshold flags). Zero fields mean Druid's default, 3.
	Thresholds Thresholds
	// UnknownSpecFields says what a submitted spec's unknown fields do (--unknown-spec-fields):
	// the zero value rejects them with a 400.
	UnknownSpecFields spec.UnknownFields
}

// DefaultOptions returns the defaults documented on Options.
func DefaultOptions() Options {
	return Options{Logger: slog.Default(), Now: time.Now, MaxStoredExceptionEvents: 3, Thresholds: DefaultThresholds()}
}

func (o *Options) validate() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxStoredExceptionEvents <= 0 {
		o.MaxStoredExceptionEvents = 3
	}
	o.Thresholds.validate()
	o.MaxStoredExceptionEvents = max(o.MaxStoredExceptionEvents, o.Thresholds.HealthinessThreshold, o.Thresholds.UnhealthinessThreshold)
}

// Manager owns every supervisor: it persists each spec change as a new version in the metadata
// store and keeps the in-memory state the status endpoints report. All methods are safe for
// concurrent use; spec changes are serialised by mu so versions are appended in order.
type Manager struct {
	store metadata.Store
	opts  Options

	mu          sync.Mutex
	supervisors map[string]*entry
	deps        *Deps           // set by Start; nil means specs are managed but not run
	ctx         context.Context // the daemon's lifetime, for run loops
}

// entry is one live (non-terminated) supervisor.
type entry struct {
	spec         *spec.Supervisor
	state        State
	recentErrors []ErrorEvent
	rt           *runtime // the run loop; nil until Start, or for an invalid stored spec
	cancel       context.CancelFunc
}

// AuditInfo is who changed a spec and why (Druid's X-Druid-Author / X-Druid-Comment headers).
type AuditInfo struct {
	Author, Comment string
	// SkipIfUnmodified is POST /supervisor?skipRestartIfUnmodified=true: a spec equal to the
	// running one (impact none, same suspended flag) stores no version, writes no audit entry
	// and leaves the supervisor running as it is.
	SkipIfUnmodified bool
}

// tombstone is the spec Druid stores when a supervisor is terminated (NoopSupervisorSpec).
func tombstone(dataSource string) []byte {
	b, _ := json.Marshal(map[string]any{"type": "NoopSupervisorSpec", "id": nil, "dataSources": []string{dataSource}, "suspended": false, "source": "noop"})
	return b
}

func isTombstone(payload []byte) bool {
	var t struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(payload, &t) == nil && t.Type == "NoopSupervisorSpec"
}

// NewManager returns a manager over store. It starts nothing; call Load to restore the
// supervisors stored by a previous run.
func NewManager(store metadata.Store, opts Options) *Manager {
	opts.validate()
	return &Manager{store: store, opts: opts, supervisors: map[string]*entry{}}
}

// Load restores every supervisor whose latest spec version is not a tombstone, in the state its
// spec says (suspended or not). A stored spec that no longer validates is kept, reported as
// UNHEALTHY_SUPERVISOR with the reason in recentErrors, so an operator can see and fix it.
func (m *Manager) Load(ctx context.Context) error {
	rows, err := m.store.LatestSupervisors(ctx)
	if err != nil {
		return fmt.Errorf("load supervisors: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, row := range rows {
		if isTombstone(row.Payload) {
			continue
		}
		s, err := m.decode(row.Payload)
		if err != nil {
			m.opts.Logger.Error("stored supervisor spec no longer valid", "supervisor", row.ID, "version", row.Version, "err", err)
			// Keep a minimal entry so the supervisor stays visible and can be terminated or replaced.
			m.supervisors[row.ID] = &entry{
				spec:  &spec.Supervisor{Type: spec.SupervisorType, ExplicitID: row.ID},
				state: StateUnhealthySupervisor,
				recentErrors: []ErrorEvent{{
					Timestamp: spec.FormatTime(m.opts.Now()), ExceptionClass: "InvalidSpec",
					Message: "stored spec version " + row.Version + " is invalid: " + err.Error(),
				}},
			}
			continue
		}
		m.supervisors[row.ID] = &entry{spec: s, state: initialState(s)}
		m.opts.Logger.Info("restored supervisor", "supervisor", row.ID, "version", row.Version, "suspended", s.Suspended)
	}
	return nil
}

// Start runs a loop for every supervisor, now and for every spec stored later. ctx is the
// daemon's lifetime: when it ends, loops stop without touching their tasks (a restart adopts
// them). Close waits for them.
func (m *Manager) Start(ctx context.Context, deps Deps) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if deps.MinOffsetFetchPeriod <= 0 {
		deps.MinOffsetFetchPeriod = 5 * time.Second
	}
	if deps.Thresholds == (Thresholds{}) {
		deps.Thresholds = m.opts.Thresholds
	}
	m.deps, m.ctx = &deps, ctx
	for _, id := range slices.Sorted(maps.Keys(m.supervisors)) {
		if e := m.supervisors[id]; e.state != StateUnhealthySupervisor || e.recentErrors == nil {
			m.startRuntime(id, e)
		}
	}
}

// startRuntime launches the entry's run loop. Callers hold mu.
func (m *Manager) startRuntime(id string, e *entry) {
	if m.deps == nil {
		return
	}
	ctx, cancel := context.WithCancel(m.ctx)
	e.rt = newRuntime(id, e.currentSpec(), m.store, *m.deps, m.opts.Logger, m.opts.Now, m.opts.MaxStoredExceptionEvents)
	e.cancel = cancel
	go e.rt.run(ctx)
}

// stopRuntime stops the entry's run loop gracefully: reading groups are told to publish (the
// next loop, if any, adopts them as publishing), waiting at most shutdownTimeout. Callers hold mu.
func (m *Manager) stopRuntime(e *entry) {
	if e.rt == nil {
		return
	}
	d, _ := e.currentSpec().TuningConfig.ShutdownTimeout.Duration()
	ctx, cancel := context.WithTimeout(m.ctx, d)
	defer cancel()
	if err := e.rt.send(ctx, notice{kind: noticeStop, graceful: true}); err != nil {
		m.opts.Logger.Warn("graceful supervisor stop", "supervisor", e.rt.id, "err", err)
	}
	e.cancel()
	<-e.rt.done
	e.rt, e.cancel = nil, nil
}

// stopRuntimeKeepingTasks stops the entry's run loop between two of its operations without
// touching its tasks, so the next loop adopts them as a restarted daemon would. Callers hold mu.
func (m *Manager) stopRuntimeKeepingTasks(e *entry) {
	if e.rt == nil {
		return
	}
	// Wait for the current operation at most shutdownTimeout; cancelling then is what a
	// daemon shutdown does, and adoption copes with it.
	d, _ := e.currentSpec().TuningConfig.ShutdownTimeout.Duration()
	ctx, cancel := context.WithTimeout(m.ctx, d)
	defer cancel()
	if err := e.rt.send(ctx, notice{kind: noticeStop}); err != nil {
		m.opts.Logger.Warn("supervisor stop for an update that keeps tasks", "supervisor", e.rt.id, "err", err)
	}
	e.cancel()
	<-e.rt.done
	e.rt, e.cancel = nil, nil
}

// Close stops every run loop without touching tasks. Safe to call twice.
func (m *Manager) Close() {
	m.mu.Lock()
	var loops []*runtime
	for _, e := range m.supervisors {
		if e.rt != nil {
			e.cancel()
			loops = append(loops, e.rt)
			e.rt, e.cancel = nil, nil
		}
	}
	m.mu.Unlock()
	for _, rt := range loops {
		<-rt.done
	}
}

// Checkpoint routes a task's incremental-handoff request to its supervisor's loop (task.Checkpointer).
func (m *Manager) Checkpoint(ctx context.Context, taskID string, taskGroupID int, sequenceStart task.Offsets) error {
	m.mu.Lock()
	deps := m.deps
	m.mu.Unlock()
	if deps == nil {
		return fmt.Errorf("supervisors are not running")
	}
	_, raw, err := deps.Runner.Info(ctx, taskID)
	if err != nil {
		return err
	}
	ts, err := task.DecodePayload(raw)
	if err != nil {
		return err
	}
	m.mu.Lock()
	e, ok := m.supervisors[ts.Payload.SupervisorID]
	var rt *runtime
	if ok {
		rt = e.rt
	}
	m.mu.Unlock()
	if rt == nil {
		return fmt.Errorf("supervisor %s of task %s is not running", ts.Payload.SupervisorID, taskID)
	}
	return rt.send(ctx, notice{kind: noticeCheckpoint, taskID: taskID, group: taskGroupID, start: sequenceStart})
}

// initialState is the state a supervisor reports before its run loop has run: SUSPENDED when
// its spec says so, otherwise PENDING (Druid's initial state).
func initialState(s *spec.Supervisor) State {
	if s.Suspended {
		return StateSuspended
	}
	return StatePending
}

// Validate decodes and validates a spec without storing anything (the dry run behind
// POST /supervisor?validateOnly=true). It returns the supervisor id the spec would get.
func (m *Manager) Validate(raw []byte) (string, error) {
	s, err := m.decode(raw)
	if err != nil {
		return "", err
	}
	return s.ID(), nil
}

// ValidateUpdate is Validate that also says what submitting the spec would do to an existing
// supervisor: impact is nil when no supervisor has the spec's id. Nothing is stored.
func (m *Manager) ValidateUpdate(ctx context.Context, raw []byte) (string, *UpdateImpact, error) {
	s, err := m.decode(raw)
	if err != nil {
		return "", nil, err
	}
	id := s.ID()
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.supervisors[id]
	if !ok {
		return id, nil, nil
	}
	impact := m.impact(ctx, id, old, s)
	return id, &impact, nil
}

// impact classifies replacing e's spec with s. A stored spec that no longer decodes (an
// UNHEALTHY_SUPERVISOR entry) compares as entirely different. Callers hold mu.
func (m *Manager) impact(ctx context.Context, id string, e *entry, s *spec.Supervisor) UpdateImpact {
	if e.spec.DataSchema.DataSource == "" {
		return UpdateImpact{Impact: ImpactHandoff, Fields: []string{"dataSchema"}}
	}
	var stored *metadata.DataSourceMetadata
	if md, err := m.store.GetDataSourceMetadata(ctx, id); err == nil {
		stored = md
	}
	return classifyUpdate(e.currentSpec(), s, stored)
}

// Submit creates or replaces a supervisor (POST /supervisor). Resubmitting an id replaces its
// spec with a new version; the suspended flag is whatever the new spec says, as in Druid.
// Unlike Druid, which hands off every task group on any update, a replacement classified
// ImpactNone or ImpactKeepTasks restarts the supervisor without touching its tasks, and the
// new run loop adopts them.
func (m *Manager) Submit(ctx context.Context, raw []byte, audit AuditInfo) (string, error) {
	s, err := m.decode(raw)
	if err != nil {
		return "", err
	}
	id := s.ID()
	m.mu.Lock()
	defer m.mu.Unlock()
	keepTasks := false
	if old, ok := m.supervisors[id]; ok {
		i := m.impact(ctx, id, old, s).Impact
		if audit.SkipIfUnmodified && i == ImpactNone && old.currentSpec().Suspended == s.Suspended {
			m.opts.Logger.Info("supervisor spec unmodified, not restarted", "supervisor", id)
			return id, nil
		}
		keepTasks = i == ImpactNone || i == ImpactKeepTasks
	}
	if err := m.persist(ctx, id, s); err != nil {
		return "", err
	}
	comment := audit.Comment
	if comment == "" {
		comment = fmt.Sprintf("Update supervisor[%s] for datasource[[%s]]", id, s.DataSchema.DataSource)
	}
	if err := m.store.InsertAudit(ctx, metadata.AuditEntry{Key: id, Type: "supervisor", Author: audit.Author, Comment: comment, Payload: s.Echo()}); err != nil {
		// The spec is stored; a missing audit row must not make the caller retry the submit.
		m.opts.Logger.Warn("write audit entry", "supervisor", id, "err", err)
	}
	old, existed := m.supervisors[id]
	switch {
	case existed && keepTasks:
		m.stopRuntimeKeepingTasks(old)
	case existed:
		m.stopRuntime(old)
	}
	e := &entry{spec: s, state: initialState(s)}
	m.supervisors[id] = e
	m.startRuntime(id, e)
	m.opts.Logger.Info("supervisor spec stored", "supervisor", id, "replaced", existed, "suspended", s.Suspended)
	return id, nil
}

// persist appends the spec as a new version. Callers hold mu.
func (m *Manager) persist(ctx context.Context, id string, s *spec.Supervisor) error {
	if _, err := m.store.InsertSupervisor(ctx, id, s.Echo()); err != nil {
		return fmt.Errorf("store spec of supervisor %s: %w", id, err)
	}
	return nil
}

// decode decodes a spec under the manager's UnknownSpecFields.
func (m *Manager) decode(raw []byte) (*spec.Supervisor, error) {
	return spec.DecodeWith(raw, spec.DecodeOptions{UnknownFields: m.opts.UnknownSpecFields})
}

// SpecWarnings decodes raw as Submit would and returns the warnings its fields give (legacy
// Druid fields without effect; unknown fields under UnknownFieldsWarn); nil for an invalid spec.
func (m *Manager) SpecWarnings(raw []byte) []string {
	s, err := m.decode(raw)
	if err != nil {
		return nil
	}
	return s.Warnings
}

func (m *Manager) get(id string) (*entry, error) {
	e, ok := m.supervisors[id]
	if !ok {
		return nil, notFound(id)
	}
	return e, nil
}

// IDs lists the live supervisor ids, sorted.
func (m *Manager) IDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := slices.Sorted(maps.Keys(m.supervisors))
	if ids == nil {
		ids = []string{} // encodes as [], as Druid answers with no supervisors
	}
	return ids
}

// StatusView selects what Statuses includes, matching GET /supervisor?full, ?state, ?system.
type StatusView int

// The three list views.
const (
	ViewState StatusView = iota
	ViewFull
	ViewSystem
)

// Statuses lists every supervisor's status in the given view, sorted by id.
func (m *Manager) Statuses(view StatusView) []Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Status, 0, len(m.supervisors))
	for _, id := range slices.Sorted(maps.Keys(m.supervisors)) {
		e := m.supervisors[id]
		state := e.currentState()
		st := Status{ID: id, State: string(state.Basic()), DetailedState: string(state), Healthy: state.Healthy(), Suspended: e.currentSpec().Suspended}
		switch view {
		case ViewFull:
			st.Spec = e.currentSpec().Echo()
		case ViewSystem:
			st.SpecString = string(e.currentSpec().Echo())
			st.Type = spec.SupervisorType
			st.Source = e.currentSpec().IOConfig.StreamName()
		}
		out = append(out, st)
	}
	return out
}

// Spec returns the current spec as Druid echoes it.
func (m *Manager) Spec(id string) (json.RawMessage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.get(id)
	if err != nil {
		return nil, err
	}
	return e.currentSpec().Echo(), nil
}

// Report builds the status report from the run loop's latest snapshot. Before the loop has
// run, the task lists are empty and the lag fields are omitted, as Druid does before its first
// offset fetch.
func (m *Manager) Report(id string) (*Report, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.get(id)
	if err != nil {
		return nil, err
	}
	d, _ := e.currentSpec().IOConfig.TaskDuration.Duration()
	p := ReportPayload{
		DataSource:      e.currentSpec().DataSchema.DataSource,
		Stream:          e.currentSpec().IOConfig.StreamName(),
		Replicas:        e.currentSpec().IOConfig.Replicas,
		DurationSeconds: int64(d / time.Second),
		ActiveTasks:     []TaskReport{},
		PublishingTasks: []TaskReport{},
		Suspended:       e.currentSpec().Suspended,
		RecentErrors:    e.recentErrors,
	}
	state := e.currentState()
	if e.rt != nil {
		snap := e.rt.snapshot()
		p.Partitions = snap.partitions
		if snap.active != nil {
			p.ActiveTasks = snap.active
		}
		if snap.publishing != nil {
			p.PublishingTasks = snap.publishing
		}
		p.LatestOffsets, p.MinimumLag, p.AggregateLag, p.OffsetsLastUpdated = snap.latest, snap.minimumLag, snap.aggregateLag, snap.offsetsAt
		p.MinimumLagMillis, p.AggregateLagMillis = snap.minimumLagMillis, snap.aggregateLagMillis
		p.RecentErrors = snap.recentErrors
	}
	if p.RecentErrors == nil {
		p.RecentErrors = []ErrorEvent{}
	}
	p.Healthy, p.State, p.DetailedState = state.Healthy(), string(state.Basic()), string(state)
	return &Report{ID: id, GenerationTime: spec.FormatTime(m.opts.Now()), Payload: p}, nil
}

// currentSpec is the spec the run loop runs (the autoscaler may have changed taskCount), or the
// stored one before the loop exists.
func (e *entry) currentSpec() *spec.Supervisor {
	if e.rt != nil {
		return e.rt.currentSpec()
	}
	return e.spec
}

// currentState is the run loop's state, or the manager's own before the loop exists.
func (e *entry) currentState() State {
	if e.rt != nil {
		return e.rt.snapshot().state
	}
	return e.state
}

// Health reports whether the supervisor is healthy.
func (m *Manager) Health(id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.get(id)
	if err != nil {
		return false, err
	}
	return e.currentState().Healthy(), nil
}

// Stats returns row stats per task group and task: {"<group>": {"<taskId>": rowStats}}, from
// reading and publishing tasks; tasks that do not answer are left out, as in Druid.
func (m *Manager) Stats(ctx context.Context, id string) (map[string]map[string]json.RawMessage, error) {
	m.mu.Lock()
	e, err := m.get(id)
	var rt *runtime
	if err == nil {
		rt = e.rt
	}
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if rt == nil {
		return map[string]map[string]json.RawMessage{}, nil
	}
	return rt.stats(ctx), nil
}

// ParseErrors returns the saved parse exceptions of the supervisor's tasks, newest first, at
// most maxSavedParseExceptions per task.
func (m *Manager) ParseErrors(ctx context.Context, id string) ([]json.RawMessage, error) {
	m.mu.Lock()
	e, err := m.get(id)
	var rt *runtime
	if err == nil {
		rt = e.rt
	}
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := []json.RawMessage{}
	if rt == nil {
		return out, nil
	}
	maxParse, _ := e.currentSpec().TuningConfig.EffectiveParseExceptionLimits()
	if maxParse <= 0 {
		return out, nil
	}
	type report struct {
		raw json.RawMessage
		at  int64
	}
	var all []report
	seen := map[string]bool{}
	for _, ids := range rt.snapshot().taskGroups {
		for _, tid := range ids {
			evs, err := rt.deps.Tasks.UnparseableEvents(ctx, tid)
			if err != nil {
				continue
			}
			for _, ev := range evs {
				if seen[string(ev)] {
					continue
				}
				seen[string(ev)] = true
				var t struct {
					At int64 `json:"timeOfExceptionMillis"`
				}
				_ = json.Unmarshal(ev, &t)
				all = append(all, report{ev, t.At})
			}
		}
	}
	slices.SortStableFunc(all, func(a, b report) int { return int(b.at - a.at) })
	for _, r := range all {
		out = append(out, r.raw)
	}
	return out, nil
}

// Suspend stores a new spec version with suspended=true and returns the updated spec.
// A supervisor that is already suspended is a 400, as in Druid.
func (m *Manager) Suspend(ctx context.Context, id string) (json.RawMessage, error) {
	return m.setSuspended(ctx, id, true)
}

// Resume stores a new spec version with suspended=false and returns the updated spec.
func (m *Manager) Resume(ctx context.Context, id string) (json.RawMessage, error) {
	return m.setSuspended(ctx, id, false)
}

func (m *Manager) setSuspended(ctx context.Context, id string, suspended bool) (json.RawMessage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.get(id)
	if err != nil {
		return nil, err
	}
	if e.currentSpec().Suspended == suspended {
		if suspended {
			return nil, badRequest("[%s] is already suspended", id)
		}
		return nil, badRequest("[%s] is already running", id)
	}
	if err := m.applySuspended(ctx, id, e, suspended); err != nil {
		return nil, err
	}
	return e.currentSpec().Echo(), nil
}

// applySuspended persists the flag and updates the entry. Callers hold mu.
func (m *Manager) applySuspended(ctx context.Context, id string, e *entry, suspended bool) error {
	next := *e.currentSpec()
	next.Suspended = suspended
	if err := m.persist(ctx, id, &next); err != nil {
		return err
	}
	m.stopRuntime(e)
	e.spec = &next
	e.state = initialState(&next)
	m.startRuntime(id, e)
	m.opts.Logger.Info("supervisor suspended flag changed", "supervisor", id, "suspended", suspended)
	return nil
}

// SuspendAll suspends every running supervisor; already suspended ones are left alone.
func (m *Manager) SuspendAll(ctx context.Context) error { return m.setAllSuspended(ctx, true) }

// ResumeAll resumes every suspended supervisor.
func (m *Manager) ResumeAll(ctx context.Context) error { return m.setAllSuspended(ctx, false) }

func (m *Manager) setAllSuspended(ctx context.Context, suspended bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(m.supervisors)) {
		e := m.supervisors[id]
		if e.currentSpec().Suspended == suspended {
			continue
		}
		if err := m.applySuspended(ctx, id, e, suspended); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Reset deletes the supervisor's stored offsets (a hard reset): the next tasks start from the
// earliest or latest Kafka offsets per useEarliestOffset.
func (m *Manager) Reset(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.get(id); err != nil {
		return err
	}
	if _, err := m.store.DeleteDataSourceMetadata(ctx, id); err != nil {
		return fmt.Errorf("reset supervisor %s: %w", id, err)
	}
	if e := m.supervisors[id]; e.rt != nil {
		if err := e.rt.send(ctx, notice{kind: noticeReset}); err != nil {
			return fmt.Errorf("reset supervisor %s: %w", id, err)
		}
	}
	m.opts.Logger.Warn("supervisor offsets reset", "supervisor", id)
	return nil
}

// HandoffTaskGroups marks the given task groups to hand off early (Druid's
// handoffTaskGroupsEarly): the next run finalizes each named group that is reading, as at the
// end of its taskDuration, and the next generation starts at its end offsets. Ids that are not
// reading groups are ignored; a suspended supervisor has none.
func (m *Manager) HandoffTaskGroups(ctx context.Context, id string, groups []int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.get(id)
	if err != nil {
		return err
	}
	if e.rt != nil {
		if err := e.rt.send(ctx, notice{kind: noticeHandoff, groups: slices.Clone(groups)}); err != nil {
			return fmt.Errorf("hand off task groups of supervisor %s: %w", id, err)
		}
	}
	return nil
}

// ResetOffsets merges the given end offsets into the stored ones (stored PLUS given, other
// partitions untouched), as Druid's resetOffsets does. md.Stream must be the supervisor's
// stream; the caller has checked that md names at least one partition and no negative offset
// (the API decodes and validates the request body). md is not retained.
func (m *Manager) ResetOffsets(ctx context.Context, id string, md metadata.DataSourceMetadata) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.get(id)
	if err != nil {
		return err
	}
	io := &e.currentSpec().IOConfig
	if want := io.StreamName(); md.Stream != want {
		return badRequest("reset offsets stream %q does not match the supervisor's stream %q", md.Stream, want)
	}
	if err := checkPartitionKeys(io, md.Offsets); err != nil {
		return badRequest("reset offsets %v", err)
	}
	if err := m.store.ResetDataSourceMetadata(ctx, id, md); err != nil {
		return fmt.Errorf("reset offsets of supervisor %s: %w", id, err)
	}
	if e.rt != nil {
		if err := e.rt.send(ctx, notice{kind: noticeResetPartitions, start: task.Offsets(maps.Clone(md.Offsets))}); err != nil {
			return fmt.Errorf("reset offsets of supervisor %s: %w", id, err)
		}
	}
	m.opts.Logger.Warn("supervisor offsets reset to given values", "supervisor", id, "offsets", md.Offsets)
	return nil
}

// Terminate stops the supervisor and appends a tombstone version; its history and committed
// offsets are kept, and it is not started again after a restart.
func (m *Manager) Terminate(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.get(id)
	if err != nil {
		return err
	}
	return m.terminate(ctx, id, e)
}

func (m *Manager) terminate(ctx context.Context, id string, e *entry) error {
	m.stopRuntime(e)
	if _, err := m.store.InsertSupervisor(ctx, id, tombstone(e.currentSpec().DataSchema.DataSource)); err != nil {
		return fmt.Errorf("terminate supervisor %s: %w", id, err)
	}
	delete(m.supervisors, id)
	m.opts.Logger.Info("supervisor terminated", "supervisor", id)
	return nil
}

// TerminateAll terminates every supervisor.
func (m *Manager) TerminateAll(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(m.supervisors)) {
		if err := m.terminate(ctx, id, m.supervisors[id]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// History returns every supervisor's spec versions, newest first, terminated ones included.
func (m *Manager) History(ctx context.Context) (map[string][]HistoryEntry, error) {
	all, err := m.store.AllSupervisorHistory(ctx)
	if err != nil {
		return nil, fmt.Errorf("read supervisor history: %w", err)
	}
	out := make(map[string][]HistoryEntry, len(all))
	for id, rows := range all {
		out[id] = historyEntries(rows)
	}
	return out, nil
}

// SupervisorHistory returns one supervisor's spec versions, newest first. An id with no
// history is a 404 "No history for [id]."
func (m *Manager) SupervisorHistory(ctx context.Context, id string) ([]HistoryEntry, error) {
	rows, err := m.store.SupervisorHistory(ctx, id)
	if errors.Is(err, metadata.ErrNotFound) || (err == nil && len(rows) == 0) {
		return nil, &Error{Msg: fmt.Sprintf("No history for [%s].", id), Kind: ErrNotFound}
	}
	if err != nil {
		return nil, fmt.Errorf("read history of supervisor %s: %w", id, err)
	}
	return historyEntries(rows), nil
}

func historyEntries(rows []metadata.SupervisorRow) []HistoryEntry {
	out := make([]HistoryEntry, len(rows))
	for i, r := range rows {
		out[i] = HistoryEntry{Spec: json.RawMessage(r.Payload), Version: r.Version}
	}
	return out
}

// MetricsSamples reports every supervisor's state and lag for /metrics.
func (m *Manager) MetricsSamples() []metrics.SupervisorSample {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]metrics.SupervisorSample, 0, len(m.supervisors))
	for _, id := range slices.Sorted(maps.Keys(m.supervisors)) {
		e := m.supervisors[id]
		sp := e.currentSpec()
		state := e.currentState()
		s := metrics.SupervisorSample{ID: id, DataSource: sp.DataSchema.DataSource, Stream: sp.IOConfig.StreamName(), State: string(state), Healthy: state.Healthy()}
		if e.rt != nil {
			snap := e.rt.snapshot()
			s.AggregateLag, s.IngestRate = snap.aggregateLag, snap.ingestRate
			if snap.minimumLag != nil {
				s.Lag = maps.Clone(snap.minimumLag)
			}
			s.LagMillis = maps.Clone(snap.minimumLagMillis)
		}
		out = append(out, s)
	}
	return out
}
