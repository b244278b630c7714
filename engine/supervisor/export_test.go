package supervisor

import (
	"context"
	"fmt"
)

// ForceScale makes the autoscaler of supervisor id scale to n tasks at its next scale action,
// whatever the lag says; the action itself (minTriggerScaleActionFrequencyMillis, waiting for
// publishing groups, the hand-over) is the real one. For tests of scale actions, which cannot
// steer the lag precisely enough to scale out and back in on cue.
func (m *Manager) ForceScale(ctx context.Context, id string, n int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.get(id)
	if err != nil {
		return err
	}
	if e.rt == nil {
		return fmt.Errorf("supervisor %s is not running", id)
	}
	return e.rt.send(ctx, notice{kind: noticeForceScale, group: n})
}
