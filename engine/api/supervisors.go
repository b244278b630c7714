package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
)

// routeSupervisors serves Druid's supervisor resource (SupervisorResource):
//
//	POST /druid/indexer/v1/supervisor                      create or update; ?validateOnly=true is a dry run
//	                                                       that, for an existing id, says what the update does;
//	                                                       ?skipRestartIfUnmodified=true leaves an equal spec alone
//	GET  /druid/indexer/v1/supervisor                      ids; ?full, ?state=true, ?system for statuses
//	GET  /druid/indexer/v1/supervisor/history              every supervisor's spec versions
//	POST /druid/indexer/v1/supervisor/suspendAll|resumeAll|terminateAll
//	GET  /druid/indexer/v1/supervisor/{id}                 the spec as stored, with defaults
//	GET  /druid/indexer/v1/supervisor/{id}/status|health|stats|parseErrors|history
//	POST /druid/indexer/v1/supervisor/{id}/suspend|resume|reset|resetOffsets|terminate|shutdown
//	POST /druid/indexer/v1/supervisor/{id}/taskGroups/handoff  early handoff, {"taskGroupIds":[…]} → 202
func (s *Server) routeSupervisors() {
	const base = "/druid/indexer/v1/supervisor"
	s.mux.HandleFunc("POST "+base, s.postSupervisor)
	s.mux.HandleFunc("GET "+base, s.listSupervisors)
	s.mux.HandleFunc("GET "+base+"/history", s.allHistory)
	s.mux.HandleFunc("POST "+base+"/suspendAll", s.all(s.sup.SuspendAll))
	s.mux.HandleFunc("POST "+base+"/resumeAll", s.all(s.sup.ResumeAll))
	s.mux.HandleFunc("POST "+base+"/terminateAll", s.all(s.sup.TerminateAll))
	s.mux.HandleFunc("GET "+base+"/{id}", supervisorParam(s.getSpec))
	s.mux.HandleFunc("GET "+base+"/{id}/status", supervisorParam(s.getStatus))
	s.mux.HandleFunc("GET "+base+"/{id}/health", supervisorParam(s.getHealth))
	s.mux.HandleFunc("GET "+base+"/{id}/stats", supervisorParam(s.getStats))
	s.mux.HandleFunc("GET "+base+"/{id}/parseErrors", supervisorParam(s.getParseErrors))
	s.mux.HandleFunc("GET "+base+"/{id}/history", supervisorParam(s.supervisorHistory))
	s.mux.HandleFunc("POST "+base+"/{id}/suspend", supervisorParam(s.suspend))
	s.mux.HandleFunc("POST "+base+"/{id}/resume", supervisorParam(s.resume))
	s.mux.HandleFunc("POST "+base+"/{id}/reset", supervisorParam(s.reset))
	s.mux.HandleFunc("POST "+base+"/{id}/resetOffsets", supervisorParam(s.resetOffsets))
	s.mux.HandleFunc("POST "+base+"/{id}/taskGroups/handoff", supervisorParam(s.handoffTaskGroups))
	s.mux.HandleFunc("POST "+base+"/{id}/terminate", supervisorParam(s.terminate))
	s.mux.HandleFunc("POST "+base+"/{id}/shutdown", supervisorParam(s.terminate)) // deprecated alias
}

// readJSONBody reads a request body that must be JSON. A declared content type other than JSON
// is a 415, like Druid's Jersey resources; a missing one, and curl's default for -d
// (application/x-www-form-urlencoded), are accepted so plain `curl -d @spec.json` works.
func (s *Server) readJSONBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "text/json" && mt != "application/x-www-form-urlencoded" && !hasJSONSuffix(mt)) {
			writeJSON(w, http.StatusUnsupportedMediaType, errorBody{Error: fmt.Sprintf("unsupported content type %q: send application/json", ct)})
			return nil, false
		}
	}
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	var ne net.Error
	switch {
	case err == nil:
	case errors.As(err, &tooBig):
		s.writeError(w, r, fmt.Errorf("read request body: %w", err))
		return nil, false
	case errors.As(err, &ne) && ne.Timeout():
		// The server's read timeout ran out: a slow or stalled client, not a server fault.
		writeJSON(w, http.StatusRequestTimeout, errorBody{Error: "request body not received within the server's read timeout"})
		return nil, false
	default:
		writeJSON(w, http.StatusBadRequest, errorBody{Error: fmt.Sprintf("read request body: %v", err)})
		return nil, false
	}
	return body, true
}

func hasJSONSuffix(mt string) bool { return len(mt) > 5 && mt[len(mt)-5:] == "+json" }

func (s *Server) postSupervisor(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readJSONBody(w, r)
	if !ok {
		return
	}
	if v, _ := strconv.ParseBool(r.URL.Query().Get("validateOnly")); v {
		id, impact, err := s.sup.ValidateUpdate(r.Context(), body)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		a := druidapi.ValidateAnswer{ID: id, Valid: true, Warnings: s.sup.SpecWarnings(body)}
		if impact != nil {
			a.Impact, a.ImpactFields, a.ImpactReason = string(impact.Impact), impact.Fields, impact.Reason
		}
		writeJSON(w, http.StatusOK, a)
		return
	}
	skip, _ := strconv.ParseBool(r.URL.Query().Get("skipRestartIfUnmodified"))
	id, err := s.sup.Submit(r.Context(), body, supervisor.AuditInfo{
		Author: r.Header.Get("X-Druid-Author"), Comment: r.Header.Get("X-Druid-Comment"), SkipIfUnmodified: skip,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	warnings := s.sup.SpecWarnings(body)
	for _, msg := range warnings {
		s.opts.Logger.Warn("supervisor spec field has no effect", "supervisor", id, "warning", msg)
		w.Header().Add("Warning", specWarningHeader(msg))
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id})
}

// specWarningHeader renders a spec warning as an HTTP Warning header (code 299, "miscellaneous
// persistent warning", as the Kubernetes API server sends deprecations). The answer's body stays
// {"id":…}: Druid's own client reads it as a map of strings (OverlordResourceTestClient,
// TYPE_REFERENCE_MAP_STRING_STRING), so a "warnings" array in it would fail that client.
func specWarningHeader(msg string) string {
	return "299 kafka-indexer " + strconv.QuoteToASCII(msg)
}

func (s *Server) listSupervisors(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Has("full"):
		writeJSON(w, http.StatusOK, s.sup.Statuses(supervisor.ViewFull))
	case q.Has("system"):
		writeJSON(w, http.StatusOK, s.sup.Statuses(supervisor.ViewSystem))
	case q.Has("state") && isTrue(q.Get("state")):
		writeJSON(w, http.StatusOK, s.sup.Statuses(supervisor.ViewState))
	default:
		writeJSON(w, http.StatusOK, s.sup.IDs())
	}
}

func isTrue(s string) bool { v, _ := strconv.ParseBool(s); return v }

func (s *Server) getSpec(w http.ResponseWriter, r *http.Request) {
	sp, err := s.sup.Spec(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sp)
}

func (s *Server) getStatus(w http.ResponseWriter, r *http.Request) {
	rep, err := s.sup.Report(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// getHealth answers 200 {"healthy":true} or 503 {"healthy":false}; unknown ids get Druid's
// longer 404 message.
func (s *Server) getHealth(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	healthy, err := s.sup.Health(id)
	if err != nil {
		writeJSON(w, http.StatusNotFound, errorBody{Error: fmt.Sprintf("[%s] does not exist or health check not implemented", id)})
		return
	}
	code := http.StatusOK
	if !healthy {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, druidapi.SupervisorHealth{Healthy: healthy})
}

func (s *Server) getStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.sup.Stats(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) getParseErrors(w http.ResponseWriter, r *http.Request) {
	pe, err := s.sup.ParseErrors(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pe)
}

func (s *Server) suspend(w http.ResponseWriter, r *http.Request) {
	sp, err := s.sup.Suspend(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sp)
}

func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	sp, err := s.sup.Resume(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sp)
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.sup.Reset(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id})
}

func (s *Server) resetOffsets(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readJSONBody(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	md, err := decodeResetOffsets(id, body)
	if err != nil {
		// An unknown supervisor is a 404 whatever the body says.
		if _, err := s.sup.Spec(id); err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusBadRequest, errorBody{Error: err.Error()})
		return
	}
	if err := s.sup.ResetOffsets(r.Context(), id, md); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id})
}

// handoffTaskGroups is Druid's early handoff: 202 with no body once the named groups are
// marked; an unknown supervisor is a 404 whatever the body says, a body without task group ids
// a 400.
func (s *Server) handoffTaskGroups(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readJSONBody(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	var req struct {
		TaskGroupIDs []int `json:"taskGroupIds"`
	}
	msg := ""
	if err := json.Unmarshal(body, &req); err != nil {
		msg = fmt.Sprintf("handoff body must be {\"taskGroupIds\":[…]}: %v", err)
	} else if len(req.TaskGroupIDs) == 0 {
		msg = "List of task groups to handoff can't be empty"
	}
	if msg != "" {
		if _, err := s.sup.Spec(id); err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusBadRequest, errorBody{Error: msg})
		return
	}
	if err := s.sup.HandoffTaskGroups(r.Context(), id, req.TaskGroupIDs); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// resetOffsetsBody is the DataSourceMetadata body of POST /supervisor/{id}/resetOffsets
// (Druid's KafkaDataSourceMetadata), decoded loosely so each mistake gets its own message.
type resetOffsetsBody struct {
	Type       string `json:"type"`
	Partitions *struct {
		Type                       string           `json:"type"`
		Stream                     string           `json:"stream"`
		Topic                      string           `json:"topic"`
		PartitionOffsetMap         map[string]int64 `json:"partitionOffsetMap"`
		PartitionSequenceNumberMap map[string]int64 `json:"partitionSequenceNumberMap"`
	} `json:"partitions"`
}

// decodeResetOffsets decodes and checks the resetOffsets body of supervisor id: end sequence
// numbers of the "kafka" type, under either field name Druid has used, with at least one
// partition and no negative offset. Whether the stream is the supervisor's is the manager's
// check.
func decodeResetOffsets(id string, body []byte) (metadata.DataSourceMetadata, error) {
	var b resetOffsetsBody
	if err := json.Unmarshal(body, &b); err != nil {
		return metadata.DataSourceMetadata{}, fmt.Errorf("reset offsets body is not valid DataSourceMetadata JSON: %v", err)
	}
	if b.Type != spec.SupervisorType {
		return metadata.DataSourceMetadata{}, fmt.Errorf("reset offsets metadata type must be \"kafka\" to match supervisor [%s], got %q", id, b.Type)
	}
	p := b.Partitions
	if p == nil {
		return metadata.DataSourceMetadata{}, errors.New("reset offsets body is missing \"partitions\"")
	}
	if p.Type != "" && p.Type != "end" {
		return metadata.DataSourceMetadata{}, fmt.Errorf("reset offsets partitions.type must be \"end\", got %q", p.Type)
	}
	stream := p.Stream
	if stream == "" {
		stream = p.Topic
	}
	offsets := p.PartitionSequenceNumberMap
	if offsets == nil {
		offsets = p.PartitionOffsetMap
	}
	if len(offsets) == 0 {
		return metadata.DataSourceMetadata{}, errors.New("reset offsets body has no partition offsets (partitions.partitionOffsetMap)")
	}
	md := metadata.DataSourceMetadata{Stream: stream, Offsets: map[druidapi.Partition]int64{}}
	for k, v := range offsets {
		part, err := druidapi.ParsePartition(k)
		if err != nil {
			return metadata.DataSourceMetadata{}, fmt.Errorf("reset offsets %v", err)
		}
		if v < 0 {
			return metadata.DataSourceMetadata{}, fmt.Errorf("reset offsets offset %d for partition %s must be ≥ 0", v, k)
		}
		md.Offsets[part] = v
	}
	return md, nil
}

func (s *Server) terminate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.sup.Terminate(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id})
}

// all serves suspendAll, resumeAll and terminateAll, which always answer {"status":"success"}.
func (s *Server) all(op func(context.Context) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := op(r.Context()); err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "success"})
	}
}

func (s *Server) allHistory(w http.ResponseWriter, r *http.Request) {
	h, err := s.sup.History(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) supervisorHistory(w http.ResponseWriter, r *http.Request) {
	h, err := s.sup.SupervisorHistory(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if c := r.URL.Query().Get("count"); c != "" {
		if n, err := strconv.Atoi(c); err == nil && n >= 0 && n < len(h) {
			h = h[:n]
		}
	}
	writeJSON(w, http.StatusOK, h)
}
