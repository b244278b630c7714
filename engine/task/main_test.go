package task

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: every goroutine a task
// starts (the run loop, checkpoint requests, realtime snapshots) has an owner that ends it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
