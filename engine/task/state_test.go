package task

import (
	"fmt"
	"log/slog"
	"slices"
	"testing"
)

// statuses are every runner status, in lifecycle order.
var statuses = []Status{StatusNotStarted, StatusStarting, StatusReading, StatusPaused, StatusPublishing}

// TestTransitionTable checks every (from, to) pair of runner statuses against the transition
// table and setStatus: allowed changes take effect, refused ones panic naming both statuses and
// leave the status alone, and setting the current status again is a no-op. The rows spell out
// all 25 pairs, so a change to the table shows up here as a changed row.
func TestTransitionTable(t *testing.T) {
	tests := []struct {
		name     string
		from, to Status
		allowed  bool
	}{
		{"not started stays", StatusNotStarted, StatusNotStarted, false},
		{"not started to starting", StatusNotStarted, StatusStarting, true},
		{"not started to reading", StatusNotStarted, StatusReading, false},
		{"not started to paused", StatusNotStarted, StatusPaused, false},
		{"not started to publishing", StatusNotStarted, StatusPublishing, false},

		{"starting back to not started", StatusStarting, StatusNotStarted, false},
		{"starting stays", StatusStarting, StatusStarting, false},
		{"starting to reading", StatusStarting, StatusReading, true},
		{"starting to paused", StatusStarting, StatusPaused, false},
		{"starting to publishing", StatusStarting, StatusPublishing, true},

		{"reading back to not started", StatusReading, StatusNotStarted, false},
		{"reading back to starting", StatusReading, StatusStarting, false},
		{"reading stays", StatusReading, StatusReading, false},
		{"reading to paused", StatusReading, StatusPaused, true},
		{"reading to publishing", StatusReading, StatusPublishing, true},

		{"paused back to not started", StatusPaused, StatusNotStarted, false},
		{"paused back to starting", StatusPaused, StatusStarting, false},
		{"paused to reading", StatusPaused, StatusReading, true},
		{"paused stays", StatusPaused, StatusPaused, false},
		{"paused to publishing", StatusPaused, StatusPublishing, true},

		{"publishing back to not started", StatusPublishing, StatusNotStarted, false},
		{"publishing back to starting", StatusPublishing, StatusStarting, false},
		{"publishing back to reading", StatusPublishing, StatusReading, false},
		{"publishing back to paused", StatusPublishing, StatusPaused, false},
		{"publishing stays", StatusPublishing, StatusPublishing, false},
	}
	covered := map[[2]Status]bool{}
	for _, tc := range tests {
		covered[[2]Status{tc.from, tc.to}] = true
		t.Run(tc.name, func(t *testing.T) {
			if got := canTransition(tc.from, tc.to); got != tc.allowed {
				t.Fatalf("canTransition(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.allowed)
			}
			tk := &Task{id: "state-test", log: slog.New(slog.DiscardHandler), status: tc.from}
			panicked := func() (msg string) {
				defer func() {
					if r := recover(); r != nil {
						msg = fmt.Sprint(r)
					}
				}()
				tk.setStatus(tc.to)
				return ""
			}()
			switch {
			case tc.from == tc.to:
				// Not a change: setStatus returns before consulting the table.
				if panicked != "" || tk.Status() != tc.from {
					t.Fatalf("setStatus(%s) on %s: status %s, panic %q; want a no-op", tc.to, tc.from, tk.Status(), panicked)
				}
			case tc.allowed:
				if panicked != "" || tk.Status() != tc.to {
					t.Fatalf("setStatus(%s) on %s: status %s, panic %q; want %s", tc.to, tc.from, tk.Status(), panicked, tc.to)
				}
			default:
				want := fmt.Sprintf("task state-test: illegal status change %s → %s", tc.from, tc.to)
				if panicked != want || tk.Status() != tc.from {
					t.Fatalf("setStatus(%s) on %s: status %s, panic %q; want panic %q and status unchanged", tc.to, tc.from, tk.Status(), panicked, want)
				}
			}
		})
	}
	// Every pair is a row, and the table names no status the rows do not know.
	for _, from := range statuses {
		for _, to := range statuses {
			if !covered[[2]Status{from, to}] {
				t.Errorf("no row for %s → %s", from, to)
			}
		}
	}
	for from, tos := range transitions {
		for _, s := range append([]Status{from}, tos...) {
			if !slices.Contains(statuses, s) {
				t.Errorf("transition table names status %q, which the test does not know", s)
			}
		}
	}
}
