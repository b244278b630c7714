package api

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// The Overlord's dynamic worker configuration (OverlordResource):
//
//	GET  /druid/indexer/v1/worker          the WorkerBehaviorConfig in force: the stored one, else
//	                                       {"type":"default","selectStrategy":{"type":<--worker-select-strategy>},"autoScaler":null}
//	POST /druid/indexer/v1/worker          store a new one (200, empty body); the leader applies it from
//	                                       its next assignment round. X-Druid-Author / X-Druid-Comment are audited
//	GET  /druid/indexer/v1/worker/history  its changes, newest first, as Druid's AuditEntry list:
//	                                       ?count=N the last N, ?interval=start/end those made within it,
//	                                       neither: the last week (druid.audit.manager.auditHistoryMillis)

// WorkerConfig is the store and default of the worker behaviour config (Services.WorkerConfig).
type WorkerConfig struct {
	Store metadata.ConfigStore
	// DefaultStrategy is the select strategy when none is stored (--worker-select-strategy);
	// empty means equalDistribution.
	DefaultStrategy string
}

// auditHistoryDefault is Druid's druid.audit.manager.auditHistoryMillis: the history answered
// without ?count= or ?interval=.
const auditHistoryDefault = 7 * 24 * time.Hour

// druidAuditEntry is Druid's AuditEntry JSON; payload is the serialized config.
type druidAuditEntry struct {
	Key       string         `json:"key"`
	Type      string         `json:"type"`
	AuditInfo druidAuditInfo `json:"auditInfo"`
	Request   *struct{}      `json:"request"`
	Payload   string         `json:"payload"`
	AuditTime string         `json:"auditTime"`
}

// druidAuditInfo is Druid's AuditInfo JSON.
type druidAuditInfo struct {
	Author   string `json:"author"`
	Comment  string `json:"comment"`
	Identity string `json:"identity"`
	IP       string `json:"ip"`
}

func (s *Server) routeWorkerConfig(wc *WorkerConfig) {
	if wc == nil || wc.Store == nil {
		return
	}
	const base = "/druid/indexer/v1/worker"
	s.handleSlash("GET "+base, func(w http.ResponseWriter, r *http.Request) {
		b, err := wc.Store.Config(r.Context(), druidapi.WorkerConfigKey)
		if errors.Is(err, metadata.ErrNotFound) {
			writeJSON(w, http.StatusOK, druidapi.DefaultWorkerBehaviorConfig(cmp.Or(wc.DefaultStrategy, druidapi.EqualDistribution)))
			return
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
	})
	s.handleSlash("POST "+base, func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.readJSONBody(w, r)
		if !ok {
			return
		}
		cfg, err := druidapi.ParseWorkerBehaviorConfig(body)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{Error: err.Error()})
			return
		}
		stored, _ := json.Marshal(cfg)
		if err := wc.Store.SetConfig(r.Context(), druidapi.WorkerConfigKey, stored, metadata.AuditEntry{
			Author: r.Header.Get("X-Druid-Author"), Comment: r.Header.Get("X-Druid-Comment"),
		}); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.opts.Logger.Info("worker config updated", "selectStrategy", cfg.SelectStrategy.Type, "author", r.Header.Get("X-Druid-Author"))
		w.WriteHeader(http.StatusOK)
	})
	s.handleSlash("GET "+base+"/history", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		count := -1
		var from, to time.Time
		switch {
		case q.Get("interval") == "" && q.Has("count"):
			n, err := strconv.Atoi(q.Get("count"))
			if err != nil || n <= 0 {
				writeJSON(w, http.StatusBadRequest, errorBody{Error: fmt.Sprintf("count: %q must be a whole number greater than zero", q.Get("count"))})
				return
			}
			count = n
		case q.Get("interval") != "":
			var err error
			if from, to, err = parseInterval(q.Get("interval")); err != nil {
				writeJSON(w, http.StatusBadRequest, errorBody{Error: fmt.Sprintf("interval: %q is not an ISO-8601 interval start/end", q.Get("interval"))})
				return
			}
		default:
			to = time.Now()
			from = to.Add(-auditHistoryDefault)
		}
		entries, err := wc.Store.AuditEntries(r.Context(), druidapi.WorkerConfigKey)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := []druidAuditEntry{}
		for _, e := range entries { // newest first
			if count >= 0 && len(out) >= count {
				break
			}
			if count < 0 {
				at, err := spec.ParseDateTime(e.CreatedDate)
				if err != nil || at.Before(from) || !at.Before(to) {
					continue
				}
			}
			out = append(out, druidAuditEntry{Key: e.Key, Type: e.Type,
				AuditInfo: druidAuditInfo{Author: e.Author, Comment: e.Comment},
				Payload:   string(e.Payload), AuditTime: e.CreatedDate})
		}
		writeJSON(w, http.StatusOK, out)
	})
}
