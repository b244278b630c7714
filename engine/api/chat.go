package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// routeChat serves the indexing task chat API (SeekableStreamIndexTaskRunner's ChatHandler),
// through which supervisors steer their tasks:
//
//	GET  /druid/worker/v1/chat/{taskId}/status              "READING", "PAUSED", …
//	GET  /druid/worker/v1/chat/{taskId}/offsets/current     {"0":123}
//	GET  /druid/worker/v1/chat/{taskId}/offsets/end
//	POST /druid/worker/v1/chat/{taskId}/offsets/end?finish=true|false
//	POST /druid/worker/v1/chat/{taskId}/pause               200 offsets, 202 not yet paused, 409 wrong state
//	POST /druid/worker/v1/chat/{taskId}/resume
//	POST /druid/worker/v1/chat/{taskId}/stop[?publish=true]
//	GET  /druid/worker/v1/chat/{taskId}/checkpoints
//	GET  /druid/worker/v1/chat/{taskId}/time/start
//	GET  /druid/worker/v1/chat/{taskId}/rowStats|liveReports|unparseableEvents
//	POST /druid/worker/v1/chat/{taskId}/query               partial results of the task's realtime rows (realtime.go)
func (s *Server) routeChat() {
	const base = "/druid/worker/v1/chat/{id}"
	get := func(path string, fn func(w http.ResponseWriter, r *http.Request, t *task.Task)) {
		s.mux.HandleFunc("GET "+base+path, taskParam(s.withTask(fn)))
	}
	post := func(path string, fn func(w http.ResponseWriter, r *http.Request, t *task.Task)) {
		s.mux.HandleFunc("POST "+base+path, taskParam(s.withTask(fn)))
	}
	get("/status", func(w http.ResponseWriter, r *http.Request, t *task.Task) { writeJSON(w, 200, t.Status()) })
	get("/offsets/current", func(w http.ResponseWriter, r *http.Request, t *task.Task) { writeJSON(w, 200, t.CurrentOffsets()) })
	get("/offsets/end", func(w http.ResponseWriter, r *http.Request, t *task.Task) { writeJSON(w, 200, t.EndOffsets()) })
	post("/offsets/end", s.setEndOffsets)
	post("/pause", s.pauseTask)
	post("/query", s.queryTask)
	post("/resume", func(w http.ResponseWriter, r *http.Request, t *task.Task) {
		if err := t.Resume(r.Context()); err != nil {
			chatError(w, err)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	post("/stop", func(w http.ResponseWriter, r *http.Request, t *task.Task) {
		publish, _ := strconv.ParseBool(r.URL.Query().Get("publish"))
		if err := t.Stop(r.Context(), publish); err != nil {
			chatError(w, err)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	get("/checkpoints", func(w http.ResponseWriter, r *http.Request, t *task.Task) {
		out := map[string]task.Offsets{}
		for id, o := range t.Checkpoints() {
			out[strconv.Itoa(id)] = o
		}
		writeJSON(w, 200, out)
	})
	get("/time/start", func(w http.ResponseWriter, r *http.Request, t *task.Task) {
		var v any
		if st := t.StartTime(); st != nil {
			v = spec.FormatTime(*st)
		}
		writeJSON(w, 200, v)
	})
	get("/rowStats", func(w http.ResponseWriter, r *http.Request, t *task.Task) { writeJSON(w, 200, t.Stats().RowStats()) })
	get("/liveReports", func(w http.ResponseWriter, r *http.Request, t *task.Task) { writeJSON(w, 200, t.LiveReport()) })
	// Druid's SeekableStreamIndexTaskRunner.getUnparseableEvents answers the saved parse
	// exceptions as a bare list; only the reports nest them under "buildSegments".
	get("/unparseableEvents", func(w http.ResponseWriter, r *http.Request, t *task.Task) {
		writeJSON(w, 200, t.Stats().ParseExceptions())
	})
}

// withTask resolves the running task or answers 404 the way a peon that does not run it would.
func (s *Server) withTask(fn func(w http.ResponseWriter, r *http.Request, t *task.Task)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		t, ok := s.tasks.Task(id)
		if !ok || t.Result() != nil {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, "task [%s] is not running here", id)
			return
		}
		fn(w, r, t)
	}
}

// pauseWait is how long /pause waits for the loop before answering 202, as Druid's 2 s.
const pauseWait = 2 * time.Second

func (s *Server) pauseTask(w http.ResponseWriter, r *http.Request, t *task.Task) {
	offs, paused, err := t.Pause(r.Context(), pauseWait)
	if err != nil {
		chatError(w, err)
		return
	}
	if !paused {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "Request accepted but task has not yet paused")
		return
	}
	writeJSON(w, http.StatusOK, offs)
}

func (s *Server) setEndOffsets(w http.ResponseWriter, r *http.Request, t *task.Task) {
	finish := true
	if v := r.URL.Query().Get("finish"); v != "" {
		finish, _ = strconv.ParseBool(v)
	}
	var offs task.Offsets
	body, _ := io.ReadAll(r.Body)
	// A JSON null decodes into an empty map (Offsets.UnmarshalJSON), which would end the
	// sequence where the task stands: refuse it like any other body that is not an object.
	if err := json.Unmarshal(body, &offs); err != nil || offs == nil || string(bytes.TrimSpace(body)) == "null" {
		chatError(w, fmt.Errorf("%w: request body must be a JSON object of partition → offset", task.ErrBadOffsets))
		return
	}
	got, err := t.SetEndOffsets(r.Context(), offs, finish)
	if err != nil {
		chatError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, got)
}

// chatError answers chat failures as text, as Druid's task chat handler does.
func chatError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, task.ErrBadOffsets):
		code = http.StatusBadRequest
	case errors.Is(err, task.ErrBadState):
		code = http.StatusConflict
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	io.WriteString(w, err.Error())
}
