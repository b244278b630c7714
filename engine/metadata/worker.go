package metadata

import (
	"context"
	"time"
)

// WorkerStore is implemented by stores that several engine processes share: it
// keeps the nodes that run tasks (the worker role) and their heartbeats, timed
// by the database's clock, so that the leader can tell a live worker from a
// lost one without trusting any node's clock.
type WorkerStore interface {
	// HeartbeatWorker records w (its capacity, version and running tasks) and
	// sets its last heartbeat to the database's now, inserting the row on the
	// first call.
	HeartbeatWorker(ctx context.Context, w Worker) error
	// RemoveWorker deletes the worker at url (a graceful stop), so that it is
	// no longer listed without waiting for its heartbeats to age out.
	RemoveWorker(ctx context.Context, url string) error
	// Workers returns every registered worker, ordered by URL, each with
	// Live set when its last heartbeat is younger than timeout by the
	// database's clock.
	Workers(ctx context.Context, timeout time.Duration) ([]Worker, error)
}

// Worker is a row of the workers table.
type Worker struct {
	// URL is where the worker serves the chat API of its tasks (its advertised
	// address, scheme://host:port); it is the worker's key.
	URL string
	// Capacity is its number of task slots (--worker-capacity).
	Capacity int
	// Version is the engine version it runs.
	Version string
	// RunningTasks are the ids of the tasks running in its process.
	RunningTasks []string
	// LastHeartbeat is when it last heartbeated, by the database's clock; set
	// by Workers.
	LastHeartbeat time.Time
	// Live is true while the last heartbeat is younger than the timeout given
	// to Workers.
	Live bool
}

// AssignmentStore is implemented by stores that place tasks on workers: the
// leader writes which worker runs each active task, and the worker finds its
// tasks there.
type AssignmentStore interface {
	// AssignTask places active task id on worker. ErrConflict when the task is
	// already assigned, or is not active.
	AssignTask(ctx context.Context, id, worker string) error
	// Assignments returns the worker of every assigned active task, by task id.
	Assignments(ctx context.Context) (map[string]string, error)
	// AssignedTasks returns the active tasks assigned to worker, oldest first.
	AssignedTasks(ctx context.Context, worker string) ([]Task, error)
	// UpdateAssignedTaskStatus is UpdateTaskStatus for a task that runs on
	// worker: it writes only while the task is active and assigned to worker,
	// and otherwise returns ErrFenced.
	UpdateAssignedTaskStatus(ctx context.Context, a Assignment, status []byte, active bool) error
}

// Assignment names the worker a task runs on.
type Assignment struct {
	TaskID string
	Worker string
}
