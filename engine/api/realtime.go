package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/query"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// POST /druid/worker/v1/chat/{taskId}/query is the worker's side of a query node's fan-out
// (Druid's Broker querying a Peon): the body is a native timeseries, topN or groupBy query on
// a table; the answer is query.PartialResult, the unfinalised groups of each realtime segment
// of that one task (query/partial.go). Only the task's rows are read, never the node's loaded
// segments: the query node reads those from its own cache. It is internal — Druid's Peons
// answer /druid/v2 instead — and lives under the chat prefix because that is already routed
// to the worker that runs the task, with the same auth. 404 when the task does not run here;
// a bad query is Druid's QueryException JSON, as from /druid/v2.
func (s *Server) queryTask(w http.ResponseWriter, r *http.Request, t *task.Task) {
	body, ok := readQueryBody(w, r)
	if !ok {
		return
	}
	segs, err := t.QuerySegments(r.Context())
	defer func() {
		for _, sg := range segs {
			sg.Release()
		}
	}()
	if err != nil {
		// Answering without the rows would make the query node's result silently smaller.
		writeQueryError(w, &query.Error{Status: http.StatusServiceUnavailable, Code: query.CodeUnknown,
			Message: fmt.Sprintf("list the realtime segments of task [%s]: %v", t.ID(), err), Class: "org.apache.druid.java.util.common.RE"})
		return
	}
	// The listing is held by this handler until the query is done (the deferred release),
	// so the source does not release it itself and does not keep it.
	listed := RealtimeSegments(segs)
	for i := range listed {
		listed[i].Release = nil
	}
	src := query.NewRealtime(query.RealtimeFunc(func(context.Context) ([]query.RealtimeSegment, error) { return listed, nil }),
		nil, query.RealtimeOptions{MaxAge: -1, Logger: s.opts.Logger})
	res, err := query.New(src).RunPartial(r.Context(), body)
	if err != nil {
		writeQueryError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// RealtimeSegments converts a task's realtime segments to the query package's (the two
// packages do not import each other); Release is carried over.
func RealtimeSegments(segs []task.RealtimeSegment) []query.RealtimeSegment {
	out := make([]query.RealtimeSegment, 0, len(segs))
	for _, s := range segs {
		parts := make([]query.ColumnReader, len(s.Readers))
		for i, rd := range s.Readers {
			parts[i] = rd
		}
		out = append(out, query.RealtimeSegment{ID: s.ID, DataSource: s.DataSource,
			Interval: query.Interval{Start: s.Start, End: s.End}, Parts: parts, Release: s.Release})
	}
	return out
}
