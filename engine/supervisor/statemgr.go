package supervisor

import (
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// Thresholds are the Overlord's supervisor health settings (druid.supervisor.*).
type Thresholds struct {
	// HealthinessThreshold consecutive successful runs make an unhealthy supervisor healthy again.
	HealthinessThreshold int
	// UnhealthinessThreshold consecutive failed runs make it unhealthy.
	UnhealthinessThreshold int
	// TaskHealthinessThreshold and TaskUnhealthinessThreshold do the same for task completions.
	TaskHealthinessThreshold   int
	TaskUnhealthinessThreshold int
}

// DefaultThresholds are Druid's defaults: 3 each.
func DefaultThresholds() Thresholds { return Thresholds{3, 3, 3, 3} }

func (t *Thresholds) validate() {
	d := DefaultThresholds()
	if t.HealthinessThreshold <= 0 {
		t.HealthinessThreshold = d.HealthinessThreshold
	}
	if t.UnhealthinessThreshold <= 0 {
		t.UnhealthinessThreshold = d.UnhealthinessThreshold
	}
	if t.TaskHealthinessThreshold <= 0 {
		t.TaskHealthinessThreshold = d.TaskHealthinessThreshold
	}
	if t.TaskUnhealthinessThreshold <= 0 {
		t.TaskUnhealthinessThreshold = d.TaskUnhealthinessThreshold
	}
}

// stateManager is Druid's SeekableStreamSupervisorStateManager: it turns the states the run loop
// proposes, the run outcomes and the task outcomes into the reported state.
type stateManager struct {
	th        Thresholds
	maxEvents int
	suspended bool

	state                      State
	failedRuns, successfulRuns int
	failedTasks, okTasks       int
	atLeastOneSuccessfulRun    bool
	runErrored                 bool
	lastErrorIsStream          bool
	recentErrors               []ErrorEvent
	wasRunUnhealthy            bool
	wasTaskUnhealthy           bool
}

func newStateManager(th Thresholds, maxEvents int, suspended bool) *stateManager {
	th.validate()
	st := StatePending
	if suspended {
		st = StateSuspended
	}
	return &stateManager{th: th, maxEvents: maxEvents, suspended: suspended, state: st}
}

func (m *stateManager) steady() State {
	if m.suspended {
		return StateSuspended
	}
	return StateRunning
}

// propose applies Druid's maybeSetState rules.
func (m *stateManager) propose(s State) {
	switch {
	case m.failedRuns >= m.th.UnhealthinessThreshold:
		m.wasRunUnhealthy = true
		switch {
		case !m.lastErrorIsStream:
			m.state = StateUnhealthySupervisor
		case m.atLeastOneSuccessfulRun:
			m.state = StateLostContactWithStream
		default:
			m.state = StateUnableToConnectToStream
		}
		return
	case m.failedTasks >= m.th.TaskUnhealthinessThreshold:
		m.wasTaskUnhealthy = true
		m.state = StateUnhealthyTasks
		return
	}
	if !m.state.Healthy() {
		if m.wasRunUnhealthy && m.successfulRuns < m.th.HealthinessThreshold {
			return
		}
		if m.wasTaskUnhealthy && m.okTasks < m.th.TaskHealthinessThreshold {
			return
		}
		m.wasRunUnhealthy, m.wasTaskUnhealthy = false, false
	}
	if s == m.steady() && !m.atLeastOneSuccessfulRun {
		return
	}
	if m.state == StateIdle && s == m.steady() {
		return // IDLE lasts until the run loop sees activity
	}
	if !s.FirstRunOnly() || !m.atLeastOneSuccessfulRun {
		m.state = s
	}
}

// recordError notes an error of the current run; stream errors are Kafka connectivity problems.
func (m *stateManager) recordError(now time.Time, class, msg string, stream bool) {
	m.runErrored = true
	m.lastErrorIsStream = stream
	m.recentErrors = append(m.recentErrors, ErrorEvent{Timestamp: druidapi.FormatTime(now), ExceptionClass: class, Message: msg, StreamException: stream})
	if len(m.recentErrors) > m.maxEvents {
		m.recentErrors = m.recentErrors[len(m.recentErrors)-m.maxEvents:]
	}
}

// taskCompleted counts a task outcome.
func (m *stateManager) taskCompleted(success bool) {
	if success {
		m.okTasks++
		m.failedTasks = 0
	} else {
		m.failedTasks++
		m.okTasks = 0
	}
}

// runFinished updates run counters and proposes the steady state (markRunFinished).
func (m *stateManager) runFinished() {
	if m.runErrored {
		m.failedRuns++
		m.successfulRuns = 0
	} else {
		m.successfulRuns++
		m.failedRuns = 0
		m.atLeastOneSuccessfulRun = true
	}
	m.runErrored = false
	m.propose(m.steady())
}
