package supervisor_test

import (
	"encoding/json"
	"testing"
	"time"
)

// pollInterval is how often waitUntil asks again: often enough that a condition is seen
// soon after it holds, rarely enough not to load the two cores the suite shares.
const pollInterval = 100 * time.Millisecond

// waitUntil polls probe until it reports done and returns the value it saw then. After
// timeout the test fails, naming what it waited for and showing the last value as JSON.
//
// Every test here waits for a condition, never for a fixed time: on a loaded machine a fixed
// sleep is too short (and the exact assertion after it flakes) or, on an idle one, padding.
// The timeout is a liveness bound only; it is never what a test measures.
func waitUntil[T any](t testing.TB, what string, timeout time.Duration, probe func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v, done := probe()
		if done {
			return v
		}
		if time.Now().After(deadline) {
			b, _ := json.Marshal(v)
			t.Fatalf("timed out after %v waiting for %s; last seen %s", timeout, what, b)
		}
		time.Sleep(pollInterval)
	}
}
