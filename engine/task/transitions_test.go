package task

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
)

var rewriteTransitions = flag.Bool("rewrite", false, "rewrite the expected output in testdata/transitions")

// TestTransitions drives real tasks (kfake, the embedded store) through the methods the chat
// API calls (engine/api/chat.go: Pause, Resume, SetEndOffsets, Stop) as the datadriven script
// testdata/transitions says, and compares each answer and resulting status with the script.
// Run with -rewrite to write the current output into the file.
func TestTransitions(t *testing.T) {
	const path = "testdata/transitions"
	cases, err := readDatadriven(path)
	if err != nil {
		t.Fatal(err)
	}
	r := &transitionsRun{t: t}
	t.Cleanup(r.finish)
	for i := range cases {
		c := &cases[i]
		got := r.do(c)
		if *rewriteTransitions {
			c.want = got
			continue
		}
		if got != c.want {
			t.Errorf("%s:%d: %s\ngot:\n%s\nwant:\n%s", path, c.line, c.input, indent(got), indent(c.want))
		}
	}
	if *rewriteTransitions {
		if err := writeDatadriven(path, cases); err != nil {
			t.Fatal(err)
		}
	}
}

// ddCase is one command of a datadriven file: the comment lines above it, the command line,
// "----", and the expected output up to a blank line (Pebble's datadriven format).
type ddCase struct {
	comments []string // kept for -rewrite
	line     int
	input    string
	cmd      string
	args     map[string]string // key=value arguments; a bare word maps to ""
	want     string
}

func readDatadriven(path string) ([]ddCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		cases    []ddCase
		comments []string
		cur      *ddCase
		inWant   bool
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case inWant && line == "":
			inWant, cur = false, nil
		case inWant:
			if cur.want != "" {
				cur.want += "\n"
			}
			cur.want += line
		case cur != nil:
			if line != "----" {
				return nil, fmt.Errorf("%s:%d: want ---- after %q", path, n, cur.input)
			}
			inWant = true
		case line == "" || strings.HasPrefix(line, "#"):
			comments = append(comments, line)
		default:
			fields := strings.Fields(line)
			c := ddCase{comments: comments, line: n, input: line, cmd: fields[0], args: map[string]string{}}
			for _, a := range fields[1:] {
				k, v, _ := strings.Cut(a, "=")
				c.args[k] = v
			}
			comments = nil
			cases = append(cases, c)
			cur = &cases[len(cases)-1]
		}
	}
	return cases, sc.Err()
}

func writeDatadriven(path string, cases []ddCase) error {
	var b strings.Builder
	for _, c := range cases {
		for _, l := range c.comments {
			b.WriteString(l + "\n")
		}
		fmt.Fprintf(&b, "%s\n----\n%s\n\n", c.input, c.want)
	}
	return os.WriteFile(path, []byte(strings.TrimSuffix(b.String(), "\n")), 0o644)
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// gate holds whoever waits on it until it is released (or their context ends), and tells the
// test when the first caller got there.
type gate struct {
	entered, open         chan struct{}
	enterOnce, releaseOne sync.Once
}

func newGate() *gate { return &gate{entered: make(chan struct{}), open: make(chan struct{})} }

func (g *gate) wait(ctx context.Context) error {
	g.enterOnce.Do(func() { close(g.entered) })
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gate) release() { g.releaseOne.Do(func() { close(g.open) }) }

// gatedStore holds the task in STARTING: its first metadata call, reading the stored offsets,
// waits for the gate.
type gatedStore struct {
	metadata.Store
	g *gate
}

func (s gatedStore) GetDataSourceMetadata(ctx context.Context, id string) (*metadata.DataSourceMetadata, error) {
	if err := s.g.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.GetDataSourceMetadata(ctx, id)
}

// gatedHandoff holds the task in PUBLISHING: after publishing it waits for the gate as it would
// for its segments to be loaded.
type gatedHandoff struct{ g *gate }

func (h gatedHandoff) WaitLoaded(ctx context.Context, _ string, _ []string) error {
	return h.g.wait(ctx)
}

// transitionsRun is the state of one datadriven script: the scenario's broker and task.
type transitionsRun struct {
	t         *testing.T
	scenarios int
	e         *env
	broker    string
	produced  int
	end       int64
	tk        *Task
	hold      string // "start" or "handoff": where the gate g holds the task
	g         *gate
	cancel    context.CancelFunc
	done      chan Result
	res       *Result
}

// waitLimit bounds every wait of the script; it is a liveness bound, never a measurement.
const waitLimit = 30 * time.Second

func (r *transitionsRun) do(c *ddCase) string {
	t := r.t
	if r.tk == nil && c.cmd != "new" {
		t.Fatalf("line %d: %s before new", c.line, c.cmd)
	}
	var out []string
	say := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	status := func() { say("status %s", r.tk.Status()) }
	ctx := context.Background()
	switch c.cmd {
	case "new":
		r.finish()
		r.scenarios++
		r.e, r.broker, r.produced = newEnv(t), startKafka(t, "metrics", 1), 0
		r.end = int64(r.intArg(c, "end", 100))
		r.produce(r.intArg(c, "produce", 0))
		id := fmt.Sprintf("transitions-%d", r.scenarios)
		s, err := DecodePayload(payload(id, r.broker, "metrics", map[int32]int64{0: 0}, map[int32]int64{0: r.end}, nil))
		if err != nil {
			t.Fatal(err)
		}
		opts := r.e.options(id)
		r.g, r.hold = nil, c.args["hold"]
		switch r.hold {
		case "":
		case "start":
			r.g = newGate()
			opts.Store = gatedStore{Store: opts.Store, g: r.g}
		case "handoff":
			r.g = newGate()
			opts.Handoff = gatedHandoff{g: r.g}
		default:
			t.Fatalf("line %d: unknown hold %q", c.line, r.hold)
		}
		r.tk, r.res = New(s, opts), nil
		status()
	case "run":
		var runCtx context.Context
		runCtx, r.cancel = context.WithCancel(context.Background())
		r.done = make(chan Result, 1)
		go func() { r.done <- r.tk.Run(runCtx) }()
		if r.hold == "start" {
			r.waitFor(c, "the task at the start gate", func() bool {
				select {
				case <-r.g.entered:
					return true
				default:
					return false
				}
			})
			status()
			break
		}
		if int64(r.produced) >= r.end {
			t.Fatalf("line %d: run needs a task that waits for rows (end %d, %d produced)", c.line, r.end, r.produced)
		}
		r.waitFor(c, "the task reading every row produced", func() bool {
			return r.tk.Status() == StatusReading && r.tk.CurrentOffsets()[druidapi.Partition{ID: 0}] == int64(r.produced)
		})
		status()
		say("current %s", offsetsJSON(r.tk.CurrentOffsets()))
	case "pause":
		wait := 5 * time.Second
		if v, ok := c.args["wait"]; ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Fatalf("line %d: %v", c.line, err)
			}
			wait = d
		}
		offs, paused, err := r.tk.Pause(ctx, wait)
		switch {
		case err != nil:
			say("%s", errorLine(err))
		case paused:
			say("paused at %s", offsetsJSON(offs))
		default:
			say("not paused yet; the pause stays pending")
		}
		status()
	case "resume":
		say("%s", errorLine(r.tk.Resume(ctx)))
		status()
	case "end-offsets":
		finish := true
		offs := Offsets{}
		for k, v := range c.args {
			if k == "finish" {
				finish = v == "true"
				continue
			}
			p, err1 := strconv.ParseInt(k, 10, 32)
			o, err2 := strconv.ParseInt(v, 10, 64)
			if err := errors.Join(err1, err2); err != nil {
				t.Fatalf("line %d: %v", c.line, err)
			}
			offs[druidapi.Partition{ID: int32(p)}] = o
		}
		got, err := r.tk.SetEndOffsets(ctx, offs, finish)
		if err != nil {
			say("%s", errorLine(err))
		} else {
			say("ok, end %s", offsetsJSON(got))
		}
		status()
	case "stop":
		say("%s", errorLine(r.tk.Stop(ctx, c.args["publish"] == "true")))
		out = append(out, r.result(c)...)
	case "produce":
		n := r.intArg(c, "n", 0)
		r.produce(n)
		say("produced %d, %d in all", n, r.produced)
	case "release":
		r.g.release()
		say("released")
	case "wait":
		switch {
		case c.args["status"] != "":
			want := Status(c.args["status"])
			r.waitFor(c, "status "+string(want), func() bool { return r.tk.Status() == want })
			status()
		case c.args["current"] != "":
			want := int64(r.intArg(c, "current", 0))
			r.waitFor(c, "the current offset", func() bool { return r.tk.CurrentOffsets()[druidapi.Partition{ID: 0}] == want })
			say("current %s", offsetsJSON(r.tk.CurrentOffsets()))
		case c.args["published"] != "":
			want := int64(r.intArg(c, "published", 0))
			r.waitFor(c, "published rows", func() bool { _, n := segmentSizes(t, r.e); return n == want })
			say("published %d rows", want)
		case c.args["checkpoints"] != "":
			want := r.intArg(c, "checkpoints", 0)
			r.waitFor(c, "the checkpoints", func() bool { return len(r.tk.Checkpoints()) == want })
			b, _ := json.Marshal(r.tk.Checkpoints())
			say("%s", b)
		default:
			if _, ok := c.args["done"]; !ok {
				t.Fatalf("line %d: wait for what?", c.line)
			}
			out = append(out, r.result(c)...)
		}
	case "checkpoints":
		b, _ := json.Marshal(r.tk.Checkpoints())
		say("%s", b)
	default:
		t.Fatalf("line %d: unknown command %q", c.line, c.cmd)
	}
	return strings.Join(out, "\n")
}

// result waits for Run to return and describes how the task ended and what it published.
func (r *transitionsRun) result(c *ddCase) []string {
	if r.res == nil {
		select {
		case res := <-r.done:
			r.res = &res
		case <-time.After(waitLimit):
			r.t.Fatalf("line %d: the task did not end within %v (status %s)", c.line, waitLimit, r.tk.Status())
		}
	}
	line := "result SUCCESS"
	if !r.res.Success {
		line = "result FAILED: " + r.res.ErrorMsg
	}
	_, rows := segmentSizes(r.t, r.e)
	return []string{line, fmt.Sprintf("published %d rows", rows)}
}

// finish ends the scenario's task, if it runs.
func (r *transitionsRun) finish() {
	if r.tk == nil || r.cancel == nil {
		r.tk = nil
		return
	}
	if r.g != nil {
		r.g.release()
	}
	r.cancel()
	if r.res == nil {
		select {
		case <-r.done:
		case <-time.After(waitLimit):
			r.t.Fatalf("task %s did not stop", r.tk.ID())
		}
	}
	r.tk, r.cancel = nil, nil
}

func (r *transitionsRun) waitFor(c *ddCase, what string, cond func() bool) {
	for deadline := time.Now().Add(waitLimit); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			r.t.Fatalf("line %d: %s: timed out waiting for %s (status %s, current %s)", c.line, c.input, what, r.tk.Status(), offsetsJSON(r.tk.CurrentOffsets()))
		}
	}
}

// produce writes n more rows to partition 0, each its own row after rollup (a distinct host).
func (r *transitionsRun) produce(n int) {
	if n == 0 {
		return
	}
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = jsonRecord(r.t, 0, event{Timestamp: at(0), Host: fmt.Sprintf("h%d", r.produced), Metric: "cpu", Value: 1})
		r.produced++
	}
	produce(r.t, r.broker, "metrics", recs...)
}

func (r *transitionsRun) intArg(c *ddCase, key string, def int) int {
	v, ok := c.args[key]
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.t.Fatalf("line %d: %s=%q: %v", c.line, key, v, err)
	}
	return n
}

// errorLine names the sentinel an error wraps, which is what the chat API maps to a status
// code (ErrBadOffsets 400, ErrBadState 409), followed by the message.
func errorLine(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrBadOffsets):
		return "ErrBadOffsets: " + err.Error()
	case errors.Is(err, ErrBadState):
		return "ErrBadState: " + err.Error()
	default:
		return "error: " + err.Error()
	}
}

func offsetsJSON(o Offsets) string {
	b, _ := json.Marshal(o)
	return string(b)
}
