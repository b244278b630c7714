package supervisor

import (
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

func TestAutoscalerDesired(t *testing.T) {
	cfg := spec.DefaultAutoScalerConfig()
	cfg.EnableTaskAutoScaler, cfg.TaskCountMin, cfg.TaskCountMax = true, 1, 6
	cfg.LagCollectionIntervalMillis, cfg.LagCollectionRangeMillis = 1000, 10000
	cfg.ScaleActionStartDelayMillis, cfg.ScaleActionPeriodMillis = 0, 1000
	t0 := time.Unix(0, 0)
	tests := []struct {
		name       string
		lags       []int64
		current    int
		partitions int
		want       int
	}{
		{"lag above threshold everywhere: out by scaleOutStep", []int64{7e6, 8e6, 9e6, 7e6, 8e6, 9e6, 7e6, 8e6, 9e6, 7e6, 8e6}, 2, 10, 4},
		{"out is capped by partitions", []int64{7e6, 8e6, 9e6, 7e6, 8e6, 9e6, 7e6, 8e6, 9e6, 7e6, 8e6}, 2, 3, 3},
		{"already at the cap: nothing", []int64{7e6, 8e6, 9e6, 7e6, 8e6, 9e6, 7e6, 8e6, 9e6, 7e6, 8e6}, 6, 10, -1},
		{"30% of samples high is enough", []int64{7e6, 7e6, 7e6, 7e6, 0, 0, 0, 0, 0, 0, 0}, 1, 10, 3},
		{"idle: in by scaleInStep", []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 4, 10, 3},
		{"in stops at taskCountMin", []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 1, 10, -1},
		{"in between: nothing", []int64{2e6, 2e6, 2e6, 2e6, 2e6, 2e6, 2e6, 2e6, 2e6, 2e6, 2e6}, 3, 10, -1},
		{"negative lag counts as zero", []int64{-5, -5, -5, -5, -5, -5, -5, -5, -5, -5, -5}, 2, 10, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAutoscaler(&cfg, t0)
			now := t0
			for _, l := range tt.lags {
				now = now.Add(time.Second)
				a.collect(now, l)
			}
			if got := a.desired(now, tt.current, tt.partitions); got != tt.want {
				t.Errorf("desired = %d, want %d", got, tt.want)
			}
		})
	}
	// No decision before scaleActionStartDelay + lagCollectionRange.
	cfg.ScaleActionStartDelayMillis = 60000
	a := newAutoscaler(&cfg, t0)
	a.collect(t0.Add(70*time.Second), 9e9)
	if got := a.desired(t0.Add(61*time.Second), 1, 10); got != -1 {
		t.Errorf("decided before the start delay: %d", got)
	}
}

func TestStateManager(t *testing.T) {
	m := newStateManager(DefaultThresholds(), 3, false)
	if m.state != StatePending {
		t.Fatalf("initial %s", m.state)
	}
	m.propose(StateConnectingToStream)
	m.recordError(time.Now(), "StreamException", "no broker", true)
	m.runFinished()
	if m.state != StateConnectingToStream {
		t.Errorf("a first failing run should show where it got stuck, got %s", m.state)
	}
	for i := 0; i < 2; i++ {
		m.recordError(time.Now(), "StreamException", "no broker", true)
		m.runFinished()
	}
	if m.state != StateUnableToConnectToStream || m.state.Healthy() {
		t.Errorf("3 failed runs before any success: %s", m.state)
	}
	for i := 0; i < 3; i++ {
		m.runFinished()
	}
	if m.state != StateRunning {
		t.Errorf("3 good runs should restore RUNNING, got %s", m.state)
	}
	for i := 0; i < 3; i++ {
		m.recordError(time.Now(), "StreamException", "lost", true)
		m.runFinished()
	}
	if m.state != StateLostContactWithStream {
		t.Errorf("after a success, stream errors mean lost contact: %s", m.state)
	}
	if len(m.recentErrors) != 3 {
		t.Errorf("recentErrors bounded to 3, got %d", len(m.recentErrors))
	}
	m.runFinished()
	if m.state.Healthy() {
		t.Error("one good run must not clear the unhealthy state")
	}
	m.runFinished()
	m.runFinished()
	for i := 0; i < 3; i++ {
		m.taskCompleted(false)
	}
	m.runFinished()
	if m.state != StateUnhealthyTasks {
		t.Errorf("3 failed tasks: %s", m.state)
	}
}
