package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// routeTasks serves the Overlord's task resource (OverlordResource):
//
//	POST /druid/indexer/v1/task                          submit an index_kafka task
//	GET  /druid/indexer/v1/tasks                         ?state=&datasource=&type=&createdTimeInterval=&max=
//	GET  /druid/indexer/v1/runningTasks|completeTasks|waitingTasks|pendingTasks
//	GET  /druid/indexer/v1/task/{id}                     {"task":id,"payload":…}
//	GET  /druid/indexer/v1/task/{id}/status              {"task":id,"status":TaskStatusPlus}
//	GET  /druid/indexer/v1/task/{id}/reports             live report while running, completion report after
//	GET  /druid/indexer/v1/task/{id}/log                 the task's log, text/plain; ?offset= bytes (negative: from the end)
//	POST /druid/indexer/v1/task/{id}/shutdown            kill the task (200 also when finished or unknown)
//	POST /druid/indexer/v1/taskStatus                    ["id",…] → {"id":TaskStatus,…}
//	POST /druid/indexer/v1/datasources/{ds}/shutdownAllTasks
func (s *Server) routeTasks() {
	const base = "/druid/indexer/v1"
	s.mux.HandleFunc("POST "+base+"/task", s.submitTask)
	s.mux.HandleFunc("GET "+base+"/tasks", s.listTasks(""))
	for path, state := range map[string]string{"runningTasks": "running", "completeTasks": "complete", "waitingTasks": "waiting", "pendingTasks": "pending"} {
		s.mux.HandleFunc("GET "+base+"/"+path, s.listTasks(state))
	}
	s.mux.HandleFunc("GET "+base+"/task/{id}", taskParam(s.getTask))
	s.mux.HandleFunc("GET "+base+"/task/{id}/status", taskParam(s.getTaskStatus))
	s.mux.HandleFunc("GET "+base+"/task/{id}/reports", taskParam(s.getTaskReports))
	s.mux.HandleFunc("GET "+base+"/task/{id}/log", taskParam(s.getTaskLog))
	s.mux.HandleFunc("POST "+base+"/task/{id}/shutdown", taskParam(s.shutdownTask))
	s.mux.HandleFunc("POST "+base+"/datasources/{ds}/shutdownAllTasks", dataSourceParam(s.shutdownAllTasks))
	s.mux.HandleFunc("POST "+base+"/taskStatus", s.taskStatuses)
}

func (s *Server) submitTask(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readJSONBody(w, r)
	if !ok {
		return
	}
	id, err := s.tasks.Submit(r.Context(), body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"task": id})
}

// listTasks filters like Druid's OverlordResource.getTasks: state (any case) running (in a
// slot), waiting (queued for a slot), pending (none here: a queued task is waiting), complete
// (finished); datasource and type exact; createdTimeInterval and max apply to completed tasks
// only, as Druid's TaskQueryTool applies them: a completed task is kept when it was created
// within the interval's duration before now (Druid uses only the duration), and max keeps the
// newest max completed tasks while every active one is listed.
func (s *Server) listTasks(fixedState string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		state := fixedState
		if state == "" {
			state = strings.ToLower(q.Get("state"))
		}
		ds := q.Get("datasource")
		if ds != "" {
			if err := spec.ValidateDataSource("datasource", ds); err != nil {
				writeJSON(w, http.StatusBadRequest, errorBody{Error: err.Error()})
				return
			}
		}
		if !task.ListState(state).Valid() {
			// Druid: 400 text/plain "Invalid state : %s, valid values are: %s" with API_TASK_STATES.
			writeTaskText(w, http.StatusBadRequest, fmt.Sprintf("Invalid state : %s, valid values are: [pending, waiting, running, complete]", q.Get("state")))
			return
		}
		var createdAfter time.Time
		if ci := q.Get("createdTimeInterval"); ci != "" {
			d, err := intervalDuration(ci)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, errorBody{Error: "createdTimeInterval: " + err.Error()})
				return
			}
			createdAfter = time.Now().Add(-d)
		}
		typ := q.Get("type")
		maxParam := q.Get("max")
		if fixedState == "complete" {
			maxParam = q.Get("n") // Druid's /completeTasks?n=
		}
		maxCompleted := -1
		if m, err := strconv.Atoi(maxParam); err == nil && m >= 0 {
			maxCompleted = m
		}
		out, err := s.tasks.List(r.Context(), ds, task.ListState(state))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		completed := 0
		out = slices.DeleteFunc(out, func(in task.Info) bool {
			if typ != "" && in.Type != typ {
				return true
			}
			if in.StatusCode == "RUNNING" {
				return false
			}
			if !createdAfter.IsZero() {
				if ct, err := spec.ParseDateTime(in.CreatedTime); err == nil && ct.Before(createdAfter) {
					return true
				}
			}
			completed++
			return maxCompleted >= 0 && completed > maxCompleted
		})
		writeJSON(w, http.StatusOK, out)
	}
}

// intervalDuration is the length of an ISO-8601 interval start/end, with "_" accepted for "/"
// as Druid accepts it in URLs.
func intervalDuration(s string) (time.Duration, error) {
	a, b, err := parseInterval(s)
	if err != nil {
		return 0, err
	}
	return b.Sub(a), nil
}

// parseInterval reads Druid's "start/end" (or "start_end") query parameter interval.
func parseInterval(s string) (start, end time.Time, err error) {
	from, to, ok := strings.Cut(strings.ReplaceAll(s, "_", "/"), "/")
	if !ok {
		return start, end, fmt.Errorf("%q is not an interval start/end", s)
	}
	if start, err = spec.ParseDateTime(from); err != nil {
		return start, end, err
	}
	if end, err = spec.ParseDateTime(to); err != nil {
		return start, end, err
	}
	if end.Before(start) {
		return start, end, fmt.Errorf("%q ends before it starts", s)
	}
	return start, end, nil
}

// taskPayloadResponse and taskStatusResponse are Druid's TaskPayloadResponse and
// TaskStatusResponse, fields in Druid's order; an unknown task has a null payload or status.
type taskPayloadResponse struct {
	Task    string          `json:"task"`
	Payload json.RawMessage `json:"payload"`
}

type taskStatusResponse struct {
	Task   string     `json:"task"`
	Status *task.Info `json:"status"`
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	_, payload, err := s.tasks.Info(r.Context(), id)
	if errors.Is(err, task.ErrUnknownTask) {
		// Druid's getTaskPayload: 404 with the TaskPayloadResponse, its payload null.
		writeJSON(w, http.StatusNotFound, taskPayloadResponse{Task: id})
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, taskPayloadResponse{Task: id, Payload: payload})
}

func (s *Server) getTaskStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	info, _, err := s.tasks.Info(r.Context(), id)
	if errors.Is(err, task.ErrUnknownTask) {
		writeJSON(w, http.StatusNotFound, taskStatusResponse{Task: id})
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, taskStatusResponse{Task: id, Status: &info})
}

func (s *Server) getTaskReports(w http.ResponseWriter, r *http.Request) {
	rep, err := s.tasks.Report(r.PathValue("id"))
	if errors.Is(err, task.ErrUnknownTask) {
		writeTaskText(w, http.StatusNotFound, noReportsText)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// getTaskLog is Druid's doGetLog: the task's kept log as text/plain from ?offset= (default 0;
// negative counts from the end), or 404 text "No log was found for this task. The task may not
// exist, or it may not have begun running yet.".
func (s *Server) getTaskLog(w http.ResponseWriter, r *http.Request) {
	offset, ok := logOffset(w, r)
	if !ok {
		return
	}
	b, err := s.tasks.Log(r.PathValue("id"), offset)
	if errors.Is(err, task.ErrNoLog) {
		writeTaskText(w, http.StatusNotFound, noLogText)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeTaskText(w, http.StatusOK, string(b))
}

// Druid's 404 texts of doGetLog and doGetReports.
const (
	noLogText     = "No log was found for this task. The task may not exist, or it may not have begun running yet."
	noReportsText = "No task reports were found for this task. The task may not exist, or it may not have completed yet."
)

// logOffset parses GET /task/{id}/log's ?offset= (default 0); false means it answered 400.
func logOffset(w http.ResponseWriter, r *http.Request) (int64, bool) {
	v := r.URL.Query().Get("offset")
	if v == "" {
		return 0, true
	}
	o, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: fmt.Sprintf("offset: %q is not a whole number of bytes", v)})
		return 0, false
	}
	return o, true
}

// shutdownTask answers as Druid's doShutdown: TaskQueue.shutdown ignores a task it does not
// hold, so a finished or unknown task is 200 {"task":id} too, and nothing changes.
func (s *Server) shutdownTask(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.tasks.Shutdown(r.Context(), id); err != nil && !errors.Is(err, task.ErrUnknownTask) {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"task": id})
}

// druidTaskStatus is Druid's TaskStatus as getMultipleTaskStatuses writes it.
type druidTaskStatus struct {
	ID       string        `json:"id"`
	Status   string        `json:"status"`
	Duration int64         `json:"duration"`
	ErrorMsg *string       `json:"errorMsg"`
	Location task.Location `json:"location"`
}

// taskStatuses is Druid's getMultipleTaskStatuses (POST /taskStatus): the body is a JSON list
// of task ids; the answer maps each known id to its TaskStatus and leaves unknown ones out. No
// ids (null, [] or an empty body) is 400 text/plain "No TaskIds provided.".
func (s *Server) taskStatuses(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxStatusIDsBody))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var ids []string
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &ids); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{Error: "body must be a JSON list of task ids: " + err.Error()})
			return
		}
	}
	if len(ids) == 0 {
		writeTaskText(w, http.StatusBadRequest, "No TaskIds provided.")
		return
	}
	if len(ids) > maxStatusIDs {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: fmt.Sprintf("at most %d task ids per request, got %d", maxStatusIDs, len(ids))})
		return
	}
	out := make(map[string]druidTaskStatus, len(ids))
	for _, id := range ids {
		if _, done := out[id]; done || spec.ValidateID("taskId", id) != nil {
			continue // an id no task can have is unknown
		}
		in, _, err := s.tasks.Info(r.Context(), id)
		if errors.Is(err, task.ErrUnknownTask) {
			continue
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out[id] = druidTaskStatus{ID: in.ID, Status: in.StatusCode, Duration: in.Duration, ErrorMsg: in.ErrorMsg, Location: in.Location}
	}
	writeJSON(w, http.StatusOK, out)
}

// maxStatusIDsBody and maxStatusIDs bound POST /taskStatus: each id is a metadata look-up.
const (
	maxStatusIDsBody = 1 << 20
	maxStatusIDs     = 10000
)

func (s *Server) shutdownAllTasks(w http.ResponseWriter, r *http.Request) {
	ds := r.PathValue("ds")
	if err := s.tasks.ShutdownDataSource(r.Context(), ds); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"dataSource": ds})
}

// writeTaskText answers a plain-text body, as Druid's OverlordResource does for its errors
// that are not JSON (invalid state, no log, no reports).
func writeTaskText(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg)
}
