package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
)

func taskList(ctx context.Context, inv *invocation) error {
	var raw json.RawMessage
	tasks, err := inv.cl.ListTasks(client.WithRawAnswer(ctx, &raw), client.TaskFilter{State: inv.str("state"), DataSource: inv.str("datasource")})
	if err != nil {
		return err
	}
	if inv.boolean("quiet") {
		for _, t := range tasks {
			fmt.Fprintln(inv.stdout, t.ID)
		}
		return nil
	}
	if inv.json() {
		return printJSON(inv.stdout, raw)
	}
	rows := make([][]string, 0, len(tasks))
	for _, t := range tasks {
		rows = append(rows, []string{t.ID, t.Type, t.DataSource, t.StatusCode, t.RunnerStatusCode, t.CreatedTime, millis(t.Duration)})
	}
	return printRows(inv.stdout, []string{"ID", "TYPE", "DATASOURCE", "STATUS", "RUNNER", "CREATED", "DURATION"}, rows)
}

func taskStatus(ctx context.Context, inv *invocation) error {
	id := inv.args[0]
	var raw json.RawMessage
	t, err := inv.cl.TaskStatus(client.WithRawAnswer(ctx, &raw), id)
	if errors.Is(err, client.ErrUnknownTask) {
		return fmt.Errorf("task %s is unknown to the Overlord", id)
	}
	if err != nil {
		return err
	}
	if inv.json() {
		return printJSON(inv.stdout, raw)
	}
	loc := "-"
	if t.Location.Host != nil {
		loc = *t.Location.Host + ":" + strconv.Itoa(t.Location.Port)
	}
	tw := newTable(inv.stdout)
	for _, kv := range [][2]string{
		{"Task", t.ID}, {"Type", t.Type}, {"Datasource", t.DataSource}, {"Group", t.GroupID},
		{"Status", t.StatusCode}, {"Runner status", t.RunnerStatusCode},
		{"Created", t.CreatedTime}, {"Queued", t.QueueInsertionTime}, {"Duration", millis(t.Duration)},
		{"Location", loc}, {"Error", ptrStr(t.ErrorMsg)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], cell(kv[1]))
	}
	return tw.Flush()
}

// taskReports prints the reports as JSON in both outputs: they are nested documents (Druid's
// ingestionStatsAndErrors) that no table would show faithfully.
func taskReports(ctx context.Context, inv *invocation) error {
	raw, err := inv.cl.TaskReports(ctx, inv.args[0])
	if err != nil {
		return err
	}
	return printJSON(inv.stdout, raw)
}

func taskShutdown(ctx context.Context, inv *invocation) error {
	var raw json.RawMessage
	if err := inv.cl.ShutdownTask(client.WithRawAnswer(ctx, &raw), inv.args[0]); err != nil {
		return err
	}
	if inv.json() {
		return printJSON(inv.stdout, raw)
	}
	_, err := fmt.Fprintf(inv.stdout, "task %s: shutdown requested (nothing happens to a finished or unknown task)\n", inv.args[0])
	return err
}

func datasourceList(ctx context.Context, inv *invocation) error {
	var raw json.RawMessage
	ds, err := inv.cl.ListDataSources(client.WithRawAnswer(ctx, &raw))
	if err != nil {
		return err
	}
	if inv.boolean("quiet") {
		for _, d := range ds {
			fmt.Fprintln(inv.stdout, d)
		}
		return nil
	}
	if inv.json() {
		return printJSON(inv.stdout, raw)
	}
	rows := make([][]string, 0, len(ds))
	for _, d := range ds {
		rows = append(rows, []string{d})
	}
	return printRows(inv.stdout, []string{"DATASOURCE"}, rows)
}

func datasourceSegments(ctx context.Context, inv *invocation) error {
	ds := inv.args[0]
	var raw json.RawMessage
	segs, err := inv.cl.DataSourceSegments(client.WithRawAnswer(ctx, &raw), ds)
	if errors.Is(err, client.ErrNotFound) {
		return fmt.Errorf("datasource %s has no published segments (or does not exist)", ds)
	}
	if err != nil {
		return err
	}
	if inv.json() {
		return printJSON(inv.stdout, raw)
	}
	rows := make([][]string, 0, len(segs))
	var totalRows, totalSize int64
	for _, s := range segs {
		rows = append(rows, []string{s.Interval, s.Version, strconv.Itoa(s.ShardSpec.PartitionNum), countOrNone(s.NumRows), bytesIEC(s.Size), s.Identifier})
		totalRows += s.NumRows
		totalSize += s.Size
	}
	if err := printRows(inv.stdout, []string{"INTERVAL", "VERSION", "PARTITION", "ROWS", "SIZE", "ID"}, rows); err != nil {
		return err
	}
	_, err = fmt.Fprintf(inv.stdout, "%s, %s rows, %s\n", plural(len(segs), "segment"), thousands(totalRows), bytesIEC(totalSize))
	return err
}

// countOrNone shows 0 as "-": Druid's DataSegment has no numRows, and no published segment is
// empty.
func countOrNone(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}
