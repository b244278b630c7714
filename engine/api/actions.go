package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// A task running on a worker of a cluster reaches its supervisor, on the Overlord leader,
// through Druid's task action endpoint. Only the one action tasks need is served:
//
//	POST /druid/indexer/v1/action  {"task":"<taskId>","action":{"type":"checkPointDataSourceMetadata",
//	                                "taskGroupId":0,"sequenceStart":{"0":123}}}
//
// (Druid's body carries the whole task and the checkpoint as data source metadata; this one
// carries what the supervisor reads: the task id, its group and the new sequence's start.)

// taskActionRequest is the body of POST /druid/indexer/v1/action.
type taskActionRequest struct {
	Task   string `json:"task"`
	Action struct {
		Type          string       `json:"type"`
		TaskGroupID   *int         `json:"taskGroupId"`
		SequenceStart task.Offsets `json:"sequenceStart"`
	} `json:"action"`
}

// checkpointAction is the action type of a task's incremental-handoff request.
const checkpointAction = "checkPointDataSourceMetadata"

func (s *Server) routeActions() {
	s.handleSlash("POST /druid/indexer/v1/action", func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.readJSONBody(w, r)
		if !ok {
			return
		}
		var req taskActionRequest
		if err := json.Unmarshal(body, &req); err != nil {
			s.writeError(w, r, fmt.Errorf("%w: task action: %v", supervisor.ErrBadRequest, err))
			return
		}
		switch {
		case req.Task == "":
			s.writeError(w, r, fmt.Errorf("%w: task action: task is required", supervisor.ErrBadRequest))
			return
		case req.Action.Type != checkpointAction:
			s.writeError(w, r, fmt.Errorf("%w: action.type: %q is not served; the one task action is %s",
				supervisor.ErrBadRequest, req.Action.Type, checkpointAction))
			return
		case req.Action.TaskGroupID == nil || req.Action.SequenceStart == nil:
			s.writeError(w, r, fmt.Errorf("%w: action: taskGroupId and sequenceStart are required", supervisor.ErrBadRequest))
			return
		}
		if s.sup == nil {
			writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "no supervisors run on this node"})
			return
		}
		if err := s.sup.Checkpoint(r.Context(), req.Task, *req.Action.TaskGroupID, req.Action.SequenceStart); err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"result": true})
	})
}
