package supervisor

import (
	"context"
	"fmt"
)

// checkStalledTasks asks every running task whether it is stalled: retrying a record because the
// schema registry cannot answer (task/stall.go). Each stalled task is one entry in recentErrors
// per run, and the run counts as failed without stopping it, so the supervisor turns
// UNHEALTHY_SUPERVISOR after unhealthinessThreshold such runs and healthy again after
// healthinessThreshold clean ones, while its tasks keep running and catch up once the registry
// answers. A task that cannot be asked is left to the other steps.
func (r *runtime) checkStalledTasks(ctx context.Context) error {
	for _, g := range r.allGroups() {
		for _, id := range g.taskIDs() {
			if g.tasks[id].status != "RUNNING" {
				continue
			}
			msg, err := r.deps.Tasks.StallMessage(ctx, id)
			if err != nil || msg == "" {
				continue
			}
			r.log.Warn("task is stalled", "task", id, "reason", msg)
			r.sm.recordError(r.now(), "IngestionStalled", fmt.Sprintf("task %s: %s", id, msg), false)
		}
	}
	return nil
}
