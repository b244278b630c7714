package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
)

func supervisorList(ctx context.Context, inv *invocation) error {
	var raw json.RawMessage
	list, err := inv.cl.ListSupervisorStates(client.WithRawAnswer(ctx, &raw))
	if err != nil {
		return err
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	if inv.boolean("quiet") {
		for _, s := range list {
			fmt.Fprintln(inv.stdout, s.ID)
		}
		return nil
	}
	if inv.json() {
		return printJSON(inv.stdout, raw)
	}
	rows := make([][]string, 0, len(list))
	for _, s := range list {
		rows = append(rows, []string{s.ID, s.State, s.DetailedState, yesNo(s.Healthy, "yes", "no"), yesNo(s.Suspended, "yes", "no")})
	}
	return printRows(inv.stdout, []string{"ID", "STATE", "DETAILED STATE", "HEALTHY", "SUSPENDED"}, rows)
}

// supervisorGet prints the spec; a spec is JSON, so both outputs print it.
func supervisorGet(ctx context.Context, inv *invocation) error {
	raw, err := inv.cl.GetSupervisor(ctx, inv.args[0])
	if err != nil {
		return err
	}
	return printJSON(inv.stdout, raw)
}

func supervisorStatus(ctx context.Context, inv *invocation) error {
	id := inv.args[0]
	fetch := func() (string, error) {
		var raw json.RawMessage
		r, err := inv.cl.SupervisorStatus(client.WithRawAnswer(ctx, &raw), id)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		switch {
		case inv.json() && inv.boolean("watch"):
			// One report a line (JSON Lines), so a script can read the stream as it comes.
			err = json.Compact(&buf, bytes.TrimSpace(raw))
			buf.WriteByte('\n')
		case inv.json():
			err = printJSON(&buf, raw)
		default:
			err = renderStatus(&buf, r)
		}
		return buf.String(), err
	}
	block, err := fetch()
	if err != nil {
		return err
	}
	if !inv.boolean("watch") {
		_, err = io.WriteString(inv.stdout, block)
		return err
	}
	interval := inv.duration("interval")
	if interval <= 0 {
		return usagef("--interval must be positive, got %s", interval)
	}
	if inv.json() {
		// JSON Lines: no separators and no cursor movement, which a parser would choke on.
		return watch(ctx, inv.stdout, watchPlain, interval, block, func() string {
			b, err := fetch()
			if err != nil {
				return "" // a reader of the stream sees a gap; the error is not JSON
			}
			return b
		})
	}
	style := watchAppend
	if inv.stdoutTerminal {
		style = watchRedraw
	}
	return watch(ctx, inv.stdout, style, interval, block, func() string {
		b, err := fetch()
		if err != nil {
			if ctx.Err() != nil {
				return ""
			}
			// The server may be restarting: keep watching and say so.
			return fmt.Sprintf("error at %s: %s\n", time.Now().Format(time.TimeOnly), cliMessage(err))
		}
		return b
	})
}

// watchStyle is how watch shows a new block.
type watchStyle int

const (
	// watchRedraw replaces the previous block in place: ANSI cursor up over its lines, then
	// clear to the end of the screen. For terminals.
	watchRedraw watchStyle = iota
	// watchAppend writes each block after a "--- <time>" line, so a log reads in order.
	watchAppend
	// watchPlain writes blocks back to back (JSON Lines).
	watchPlain
)

// watch shows first, then the result of next every interval until ctx ends (Ctrl-C), which is
// a normal end.
func watch(ctx context.Context, w io.Writer, style watchStyle, interval time.Duration, first string, next func() string) error {
	show := func(block string, prevLines int) (int, error) {
		var b strings.Builder
		switch style {
		case watchRedraw:
			if prevLines > 0 {
				fmt.Fprintf(&b, "\x1b[%dA\x1b[J", prevLines)
			}
		case watchAppend:
			fmt.Fprintf(&b, "--- %s\n", time.Now().UTC().Format(time.RFC3339))
		}
		b.WriteString(block)
		_, err := io.WriteString(w, b.String())
		return strings.Count(b.String(), "\n"), err
	}
	lines, err := show(first, 0)
	if err != nil {
		return err
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		block := next()
		if ctx.Err() != nil {
			return nil
		}
		if lines, err = show(block, lines); err != nil {
			return err
		}
	}
}

// renderStatus is the table view of a status report: a summary, then lag per partition, then
// the tasks, then recent errors when there are any.
func renderStatus(w io.Writer, r *client.SupervisorReport) error {
	p := r.Payload
	tw := newTable(w)
	fmt.Fprintf(tw, "Supervisor:\t%s\n", r.ID)
	fmt.Fprintf(tw, "Datasource:\t%s\n", p.DataSource)
	fmt.Fprintf(tw, "Stream:\t%s (%s, %s)\n", p.Stream, plural(p.Partitions, "partition"), plural(p.Replicas, "replica"))
	fmt.Fprintf(tw, "State:\t%s\n", p.State)
	fmt.Fprintf(tw, "Detailed state:\t%s\n", p.DetailedState)
	fmt.Fprintf(tw, "Healthy:\t%s\n", yesNo(p.Healthy, "yes", "no"))
	fmt.Fprintf(tw, "Suspended:\t%s\n", yesNo(p.Suspended, "yes", "no"))
	lag := "- (offsets not fetched yet)"
	if p.AggregateLag != nil {
		lag = thousands(*p.AggregateLag)
		if p.OffsetsLastUpdated != nil {
			lag += " (offsets of " + *p.OffsetsLastUpdated + ")"
		}
	}
	fmt.Fprintf(tw, "Aggregate lag:\t%s\n", lag)
	fmt.Fprintf(tw, "Generated:\t%s\n", r.GenerationTime)
	if err := tw.Flush(); err != nil {
		return err
	}

	parts := map[string]bool{}
	for k := range p.LatestOffsets {
		parts[k] = true
	}
	for k := range p.MinimumLag {
		parts[k] = true
	}
	if len(parts) > 0 {
		fmt.Fprintln(w)
		var rows [][]string
		for _, k := range sortedKeys(parts) {
			latest, lag := "-", "-"
			if v, ok := p.LatestOffsets[k]; ok {
				latest = strconv.FormatInt(v, 10)
			}
			if v, ok := p.MinimumLag[k]; ok {
				lag = strconv.FormatInt(v, 10)
			}
			rows = append(rows, []string{k, latest, lag})
		}
		if err := printRows(w, []string{"PARTITION", "LATEST OFFSET", "LAG"}, rows); err != nil {
			return err
		}
	}

	tasks := append(append([]client.TaskReport{}, p.ActiveTasks...), p.PublishingTasks...)
	if len(tasks) > 0 {
		fmt.Fprintln(w)
		var rows [][]string
		for _, t := range tasks {
			remaining := "-"
			if t.RemainingSeconds != nil {
				remaining = (time.Duration(*t.RemainingSeconds) * time.Second).String()
			}
			rows = append(rows, []string{t.ID, t.Type, ptrStr(t.StartTime), remaining, offsets(t.CurrentOffsets)})
		}
		if err := printRows(w, []string{"TASK", "TYPE", "STARTED", "REMAINING", "CURRENT OFFSETS"}, rows); err != nil {
			return err
		}
	}

	if len(p.RecentErrors) > 0 {
		fmt.Fprintln(w)
		var rows [][]string
		for _, e := range p.RecentErrors {
			rows = append(rows, []string{e.Timestamp, e.ExceptionClass, e.Message})
		}
		return printRows(w, []string{"ERROR TIME", "CLASS", "MESSAGE"}, rows)
	}
	return nil
}

// offsets shows a partition→offset map as "0:120 1:98".
func offsets(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+":"+strconv.FormatInt(m[k], 10))
	}
	return strings.Join(parts, " ")
}

// readArg reads a file named by arg, or stdin for "-".
func readArg(inv *invocation, arg string) ([]byte, error) {
	if arg == "-" {
		return io.ReadAll(inv.stdin)
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", arg, err)
	}
	return b, nil
}

func supervisorSubmit(ctx context.Context, inv *invocation) error {
	spec, err := readArg(inv, inv.args[0])
	if err != nil {
		return err
	}
	var raw json.RawMessage
	rctx := client.WithRawAnswer(ctx, &raw)
	if inv.boolean("dry-run") {
		a, err := inv.cl.DryRunSupervisor(rctx, spec)
		if err != nil {
			return err
		}
		if inv.json() {
			return printJSON(inv.stdout, raw)
		}
		tw := newTable(inv.stdout)
		fmt.Fprintf(tw, "Valid:\t%s (supervisor %s; nothing was stored)\n", yesNo(a.Valid, "yes", "no"), a.ID)
		switch {
		case a.Impact == "":
			fmt.Fprintf(tw, "Impact:\tnew supervisor: submitting starts it\n")
		default:
			fmt.Fprintf(tw, "Impact:\t%s\n", a.Impact)
		}
		if len(a.ImpactFields) > 0 {
			fmt.Fprintf(tw, "Changed fields:\t%s\n", strings.Join(a.ImpactFields, ", "))
		}
		if a.ImpactReason != "" {
			fmt.Fprintf(tw, "Reason:\t%s\n", a.ImpactReason)
		}
		for _, w := range a.Warnings {
			fmt.Fprintf(tw, "Warning:\t%s\n", w)
		}
		return tw.Flush()
	}
	id, err := inv.cl.CreateOrUpdateSupervisor(rctx, spec)
	if err != nil {
		return err
	}
	if inv.json() {
		return printJSON(inv.stdout, raw)
	}
	_, err = fmt.Fprintf(inv.stdout, "supervisor %s submitted\n", id)
	return err
}

// specAction runs a call that answers with the echoed spec or an id and reports it.
func specAction(ctx context.Context, inv *invocation, done string, call func(ctx context.Context, id string) error) error {
	var raw json.RawMessage
	if err := call(client.WithRawAnswer(ctx, &raw), inv.args[0]); err != nil {
		return err
	}
	if inv.json() {
		return printJSON(inv.stdout, raw)
	}
	_, err := fmt.Fprintf(inv.stdout, "supervisor %s %s\n", inv.args[0], done)
	return err
}

func supervisorSuspend(ctx context.Context, inv *invocation) error {
	return specAction(ctx, inv, "suspended: its tasks publish and stop", func(ctx context.Context, id string) error {
		_, err := inv.cl.Suspend(ctx, id)
		return err
	})
}

func supervisorResume(ctx context.Context, inv *invocation) error {
	return specAction(ctx, inv, "resumed from its stored offsets", func(ctx context.Context, id string) error {
		_, err := inv.cl.Resume(ctx, id)
		return err
	})
}

func supervisorReset(ctx context.Context, inv *invocation) error {
	return specAction(ctx, inv, "reset: stored offsets deleted, reading tasks killed", inv.cl.Reset)
}

func supervisorTerminate(ctx context.Context, inv *invocation) error {
	return specAction(ctx, inv, "terminated", inv.cl.Terminate)
}

func supervisorResetOffsets(ctx context.Context, inv *invocation) error {
	id, arg := inv.args[0], inv.args[1]
	b := []byte(arg)
	if t := strings.TrimSpace(arg); !strings.HasPrefix(t, "{") {
		var err error
		if b, err = readArg(inv, arg); err != nil {
			return err
		}
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return usagef("reset-offsets: OFFSETS must be a JSON object: %v", err)
	}
	body := json.RawMessage(b)
	if _, full := probe["type"]; !full {
		// A bare partition→offset map: wrap it in Druid's DataSourceMetadata for the
		// supervisor's own topic (or topicPattern, whose partitions are "topic:n").
		var m map[string]int64
		if err := json.Unmarshal(b, &m); err != nil {
			return usagef(`reset-offsets: OFFSETS must map partitions to offsets, like {"0":100}: %v`, err)
		}
		stream, err := supervisorStream(ctx, inv.cl, id)
		if err != nil {
			return err
		}
		body, _ = json.Marshal(map[string]any{
			"type":       "kafka",
			"partitions": map[string]any{"type": "end", "stream": stream, "partitionOffsetMap": m},
		})
	}
	return specAction(ctx, inv, "offsets reset; its reading tasks restart from them", func(ctx context.Context, id string) error {
		return inv.cl.ResetOffsetsMetadata(ctx, id, body)
	})
}

// supervisorStream is the topic (or topicPattern) a supervisor reads, from its stored spec,
// which has ioConfig at the top level or under "spec".
func supervisorStream(ctx context.Context, cl *client.Client, id string) (string, error) {
	raw, err := cl.GetSupervisor(ctx, id)
	if err != nil {
		return "", err
	}
	type ioConfig struct {
		Topic        string `json:"topic"`
		TopicPattern string `json:"topicPattern"`
		Stream       string `json:"stream"`
	}
	var s struct {
		IOConfig ioConfig `json:"ioConfig"`
		Spec     struct {
			IOConfig ioConfig `json:"ioConfig"`
		} `json:"spec"`
	}
	_ = json.Unmarshal(raw, &s)
	for _, c := range []ioConfig{s.IOConfig, s.Spec.IOConfig} {
		for _, v := range []string{c.Topic, c.TopicPattern, c.Stream} {
			if v != "" {
				return v, nil
			}
		}
	}
	return "", fmt.Errorf("supervisor %s: its spec names no topic; give Druid's full resetOffsets body instead", id)
}

// historyVersion is one spec version numbered as `history` shows it: 1 is the oldest.
type historyVersion struct {
	n     int
	entry client.HistoryEntry
}

func loadHistory(ctx context.Context, inv *invocation, raw *json.RawMessage) ([]historyVersion, error) {
	h, err := inv.cl.SupervisorHistory(client.WithRawAnswer(ctx, raw), inv.args[0])
	if err != nil {
		return nil, err
	}
	out := make([]historyVersion, len(h))
	for i, e := range h { // newest first on the wire
		out[i] = historyVersion{n: len(h) - i, entry: e}
	}
	return out, nil
}

func supervisorHistory(ctx context.Context, inv *invocation) error {
	var raw json.RawMessage
	h, err := loadHistory(ctx, inv, &raw)
	if err != nil {
		return err
	}
	if inv.json() {
		return printJSON(inv.stdout, raw)
	}
	rows := make([][]string, 0, len(h))
	for _, v := range h {
		var s struct {
			Type      string `json:"type"`
			Suspended *bool  `json:"suspended"`
		}
		_ = json.Unmarshal(v.entry.Spec, &s)
		susp := "-"
		if s.Suspended != nil {
			susp = yesNo(*s.Suspended, "yes", "no")
		}
		what := s.Type
		if what == "NoopSupervisorSpec" {
			what += " (terminated)"
		}
		rows = append(rows, []string{strconv.Itoa(v.n), v.entry.Version, what, susp})
	}
	return printRows(inv.stdout, []string{"VERSION", "TIME", "TYPE", "SUSPENDED"}, rows)
}

func supervisorDiff(ctx context.Context, inv *invocation) error {
	var raw json.RawMessage
	h, err := loadHistory(ctx, inv, &raw)
	if err != nil {
		return err
	}
	n := len(h)
	to, from := inv.integer("to"), inv.integer("from")
	if to == 0 {
		to = n
	}
	if from == 0 {
		from = to - 1
	}
	if n < 2 && inv.integer("from") == 0 {
		return fmt.Errorf("supervisor %s has %d spec version(s): nothing to compare", inv.args[0], n)
	}
	for _, v := range []struct {
		flag string
		n    int
	}{{"--from", from}, {"--to", to}} {
		if v.n < 1 || v.n > n {
			return usagef("%s %d: supervisor %s has versions 1 to %d", v.flag, v.n, inv.args[0], n)
		}
	}
	a, b := h[n-from].entry, h[n-to].entry
	left, err := canonicalJSON(a.Spec)
	if err != nil {
		return err
	}
	right, err := canonicalJSON(b.Spec)
	if err != nil {
		return err
	}
	text := unifiedDiff(
		fmt.Sprintf("%s version %d (%s)", inv.args[0], from, a.Version),
		fmt.Sprintf("%s version %d (%s)", inv.args[0], to, b.Version),
		left, right, 3)
	if inv.json() {
		return printValue(inv.stdout, map[string]any{"id": inv.args[0], "from": from, "to": to, "fromVersion": a.Version, "toVersion": b.Version, "diff": text})
	}
	if text == "" {
		_, err = fmt.Fprintf(inv.stdout, "versions %d and %d of %s are the same spec\n", from, to, inv.args[0])
		return err
	}
	_, err = io.WriteString(inv.stdout, text)
	return err
}

// canonicalJSON is raw indented with sorted keys (encoding/json sorts map keys), as lines, so a
// diff shows changed values and not reordered ones.
func canonicalJSON(raw json.RawMessage) ([]string, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber() // keep 5000000 from turning into 5e+06
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("history holds a spec that is not JSON: %w", err)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return strings.Split(string(b), "\n"), nil
}
