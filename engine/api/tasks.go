package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// routeTasks serves the Overlord's task resource (OverlordResource):
//
//	POST /druid/indexer/v1/task                          submit an index_kafka task
//	GET  /druid/indexer/v1/tasks                         ?state=running|complete|waiting|pending&datasource=&max=
//	GET  /druid/indexer/v1/runningTasks|completeTasks|waitingTasks|pendingTasks
//	GET  /druid/indexer/v1/task/{id}                     {"task":id,"payload":…}
//	GET  /druid/indexer/v1/task/{id}/status              {"task":id,"status":TaskStatusPlus}
//	GET  /druid/indexer/v1/task/{id}/reports             live report while running, completion report after
//	POST /druid/indexer/v1/task/{id}/shutdown            kill the task
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
	s.mux.HandleFunc("POST "+base+"/task/{id}/shutdown", taskParam(s.shutdownTask))
	s.mux.HandleFunc("POST "+base+"/datasources/{ds}/shutdownAllTasks", dataSourceParam(s.shutdownAllTasks))
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

// listTasks filters like Druid: state running (in a slot), waiting (queued for a slot), pending
// (none here: a queued task is waiting), complete (finished).
func (s *Server) listTasks(fixedState string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		state := fixedState
		if state == "" {
			state = q.Get("state")
		}
		ds := q.Get("datasource")
		if ds != "" {
			if err := spec.ValidateDataSource("datasource", ds); err != nil {
				writeJSON(w, http.StatusBadRequest, errorBody{Error: err.Error()})
				return
			}
		}
		if !task.ListState(state).Valid() {
			writeJSON(w, http.StatusBadRequest, errorBody{Error: fmt.Sprintf("invalid state %q: expected running, complete, waiting or pending", state)})
			return
		}
		out, err := s.tasks.List(r.Context(), ds, task.ListState(state))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if m, err := strconv.Atoi(q.Get("max")); err == nil && m >= 0 && m < len(out) {
			out = out[:m]
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	_, payload, err := s.tasks.Info(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"task": id, "payload": json.RawMessage(payload)})
}

func (s *Server) getTaskStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	info, _, err := s.tasks.Info(r.Context(), id)
	if errors.Is(err, task.ErrUnknownTask) {
		writeJSON(w, http.StatusNotFound, map[string]any{"task": id, "status": nil})
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"task": id, "status": info})
}

func (s *Server) getTaskReports(w http.ResponseWriter, r *http.Request) {
	rep, err := s.tasks.Report(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) shutdownTask(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.tasks.Shutdown(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"task": id})
}

func (s *Server) shutdownAllTasks(w http.ResponseWriter, r *http.Request) {
	ds := r.PathValue("ds")
	if err := s.tasks.ShutdownDataSource(r.Context(), ds); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"dataSource": ds})
}
