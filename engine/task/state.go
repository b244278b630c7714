package task

import "fmt"

// Status is the runner status a task reports on its chat API (GET /status), using Druid's wire
// strings (SeekableStreamIndexTaskRunner.Status).
type Status string

// Task runner statuses.
const (
	StatusNotStarted Status = "NOT_STARTED"
	StatusStarting   Status = "STARTING"
	StatusReading    Status = "READING"
	StatusPaused     Status = "PAUSED"
	StatusPublishing Status = "PUBLISHING"
)

// transitions is the single table of allowed status changes.
var transitions = map[Status][]Status{
	StatusNotStarted: {StatusStarting},
	StatusStarting:   {StatusReading, StatusPublishing},
	StatusReading:    {StatusPaused, StatusPublishing},
	StatusPaused:     {StatusReading, StatusPublishing},
	StatusPublishing: {},
}

func canTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// setStatus moves the task to a new status; only the run loop calls it.
func (t *Task) setStatus(to Status) {
	t.statusMu.Lock()
	from := t.status
	t.statusMu.Unlock()
	if from == to {
		return
	}
	if !canTransition(from, to) {
		panic(fmt.Sprintf("task %s: illegal status change %s → %s", t.id, from, to))
	}
	t.statusMu.Lock()
	t.status = to
	t.statusMu.Unlock()
	t.log.Debug("task status", "from", from, "to", to)
}

// Status returns the current runner status.
func (t *Task) Status() Status {
	t.statusMu.Lock()
	defer t.statusMu.Unlock()
	return t.status
}
