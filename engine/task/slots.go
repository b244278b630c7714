package task

import (
	"slices"
	"time"
)

// Slots is a snapshot of the runner's worker slots, what Druid's Overlord reports per worker
// (ImmutableWorkerInfo) and for the cluster (TotalWorkerCapacityResponse).
type Slots struct {
	// Capacity is the number of worker slots (--worker-capacity).
	Capacity int
	// Running lists the tasks in a slot, sorted by id.
	Running []string
	// AvailabilityGroups are the running tasks' availability groups (the task's
	// resource.availabilityGroup, its id when it has none), sorted, without duplicates.
	AvailabilityGroups []string
	// LastCompleted is when a task last finished; zero when none has since the start.
	LastCompleted time.Time
}

// Slots returns the worker slots in use now.
func (r *Runner) Slots() Slots {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Slots{Capacity: r.opts.Capacity, Running: []string{}, AvailabilityGroups: []string{}}
	for id, e := range r.tasks {
		if e.result != nil {
			if e.finished.After(s.LastCompleted) {
				s.LastCompleted = e.finished
			}
			continue
		}
		if e.runner != RunnerRunning {
			continue
		}
		s.Running = append(s.Running, id)
		group := id
		if res := e.task.spec.Payload.Resource; res != nil && res.AvailabilityGroup != "" {
			group = res.AvailabilityGroup
		}
		s.AvailabilityGroups = append(s.AvailabilityGroups, group)
	}
	slices.Sort(s.Running)
	slices.Sort(s.AvailabilityGroups)
	s.AvailabilityGroups = slices.Compact(s.AvailabilityGroups)
	return s
}
