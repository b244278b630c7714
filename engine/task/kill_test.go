package task

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestKillBeforeRun: a kill that arrives after the runner gave the task a slot but before its
// goroutine entered Run (so before Run set its cancel function) is not lost: Run ends at once,
// failed. Under load that window was wide enough for a shutdown to be
// answered 200 while the task went on reading.
func TestKillBeforeRun(t *testing.T) {
	// A real, empty topic: without the kill the task would wait for its 100 records forever.
	broker := startKafka(t, "kill", 1)
	s, err := DecodePayload(payload("kill-early", broker, "kill", map[int32]int64{0: 0}, map[int32]int64{0: 100}, nil))
	if err != nil {
		t.Fatal(err)
	}
	tk := New(s, newEnv(t).options(s.Payload.ID))
	tk.kill("Shutdown request from user")
	done := make(chan Result, 1)
	go func() { done <- tk.Run(context.Background()) }()
	select {
	case res := <-done:
		if res.Success || !strings.Contains(res.ErrorMsg, "cancel") && !strings.Contains(res.ErrorMsg, "Shutdown") {
			t.Fatalf("Run after an early kill = %+v, want a failure", res)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not end after a kill that came before it started")
	}
}
