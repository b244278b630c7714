package main

import (
	"bytes"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchSmall runs `kafka-indexer bench` (the built binary, so the broker runs in its real
// child process) on 20,000 rows without rollup, and checks the final table is printed with
// sane figures. No timing is asserted: only that every figure is there and positive, and that
// every row reached a published segment.
func TestBenchSmall(t *testing.T) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(binary, "bench", "--rows", "20000", "--rollup=false")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(stderr.String(), "100%") {
		t.Errorf("no progress bar on stderr:\n%s", stderr.String())
	}
	for _, want := range []string{"20,000 rows of", "rollup false", "20,000 rows stored", "peak RSS of the broker process"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	positive := func(label, pattern string) {
		t.Helper()
		m := regexp.MustCompile(regexp.QuoteMeta(label) + `.*?\s([0-9][0-9,.]*) ` + pattern).FindStringSubmatch(out)
		if m == nil {
			t.Errorf("no %s figure for %q:\n%s", pattern, label, out)
			return
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		if err != nil || v <= 0 {
			t.Errorf("%s: %q is not a positive number", label, m[1])
		}
	}
	positive("baseline:", "rows/s")
	positive("read:", "rows/s")
	positive("end to end:", "rows/s")
	positive("published index.zip", "B/row")
	positive("peak RSS of this process", "MiB")
	if m := regexp.MustCompile(`([0-9.]+) B/row`).FindStringSubmatch(out); m != nil {
		if v, _ := strconv.ParseFloat(m[1], 64); v > 500 {
			t.Errorf("%v B/row for 200-byte rows is not a compressed segment", v)
		}
	}
}

// TestBenchFlags: --help describes the command with an example; bad flags are refused.
func TestBenchFlags(t *testing.T) {
	r := cli(t, "bench", "--help")
	if r.code != 0 || !strings.Contains(r.err, "Usage: kafka-indexer bench") || !strings.Contains(r.err, "Example:") || !strings.Contains(r.err, "-rollup") {
		t.Errorf("bench --help: exit %d\n%s%s", r.code, r.out, r.err)
	}
	for _, bad := range [][]string{{"--rows", "0"}, {"--task-count", "3"}, {"--broker", "remote"}, {"--parse-threads", "-1"}} {
		if r := cli(t, append([]string{"bench"}, bad...)...); r.code == 0 {
			t.Errorf("bench %v: exit 0, want an error", bad)
		}
	}
}
