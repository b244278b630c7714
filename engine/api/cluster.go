package api

import (
	"cmp"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// A single kafka-indexer process is the whole cluster: the Overlord and Coordinator leader and
// the only worker. The cluster routes answer as a Druid cluster of one node would
// (OverlordResource, CoordinatorResource, StatusResource); on a node of a real cluster, Node
// (node.go) answers the leader routes from the election and sends the rest to the leader:
//
//	GET /druid/indexer/v1/isLeader             200 {"leader":true}
//	GET /druid/coordinator/v1/isLeader         the same
//	GET /druid/indexer/v1/leader               the leader's URL, as text
//	GET /druid/coordinator/v1/leader           the same
//	GET /druid/indexer/v1/workers              this process as Druid's one worker (ImmutableWorkerInfo);
//	                                           a cluster leader lists its live workers (Services.Workers)
//	GET /druid/indexer/v1/totalWorkerCapacity  the slots, as TotalWorkerCapacityResponse
//	GET /status/properties                     the non-secret settings (Options.Properties)

// workerCategory and workerVersion are Druid's defaults (druid.worker.category,
// druid.worker.version), which a Middle Manager reports when nothing sets them.
const (
	workerCategory = "_default_worker_category"
	workerVersion  = "0"
)

// SetAdvertisedURL sets the URL this process is reached at (scheme://host:port), which the
// leader and workers routes report. Until it is set they report the URL the request came to.
func (s *Server) SetAdvertisedURL(u string) { s.advertised.Store(&u) }

// advertisedURL is the URL set by SetAdvertisedURL, or the one r was sent to.
func (s *Server) advertisedURL(r *http.Request) string {
	if u := s.advertised.Load(); u != nil && *u != "" {
		return *u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// druidWorker is Druid's Worker JSON.
type druidWorker struct {
	Scheme   string `json:"scheme"`
	Host     string `json:"host"`
	IP       string `json:"ip"`
	Capacity int    `json:"capacity"`
	Version  string `json:"version"`
	Category string `json:"category"`
}

// druidWorkerInfo is Druid's ImmutableWorkerInfo JSON.
type druidWorkerInfo struct {
	Worker                        druidWorker `json:"worker"`
	CurrCapacityUsed              int         `json:"currCapacityUsed"`
	CurrParallelIndexCapacityUsed int         `json:"currParallelIndexCapacityUsed"`
	AvailabilityGroups            []string    `json:"availabilityGroups"`
	RunningTasks                  []string    `json:"runningTasks"`
	LastCompletedTaskTime         *string     `json:"lastCompletedTaskTime"`
	BlacklistedUntil              *string     `json:"blacklistedUntil"`
}

// noAutoScale is the maximumCapacityWithAutoScale Druid answers when no autoscaler is
// configured, which clients (the Coordinator's compaction and kill duties) read as "use
// currentClusterCapacity".
const noAutoScale = -1

// druidTotalWorkerCapacity is Druid's TotalWorkerCapacityResponse JSON.
type druidTotalWorkerCapacity struct {
	CurrentClusterCapacity       int `json:"currentClusterCapacity"`
	MaximumCapacityWithAutoScale int `json:"maximumCapacityWithAutoScale"`
	UsedClusterCapacity          int `json:"usedClusterCapacity"`
}

func (s *Server) routeCluster() {
	isLeader := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"leader": true})
	}
	leader := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(s.advertisedURL(r)))
	}
	for _, p := range []string{"/druid/indexer/v1", "/druid/coordinator/v1"} {
		s.handleSlash("GET "+p+"/isLeader", isLeader)
		s.handleSlash("GET "+p+"/leader", leader)
	}
	s.handleSlash("GET /druid/indexer/v1/workers", func(w http.ResponseWriter, r *http.Request) {
		if s.workers != nil {
			s.serveClusterWorkers(w, r)
			return
		}
		slots := s.tasks.Slots()
		u, err := url.Parse(s.advertisedURL(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		ip := u.Hostname()
		if h, _, err := net.SplitHostPort(u.Host); err == nil {
			ip = h
		}
		info := druidWorkerInfo{
			Worker: druidWorker{Scheme: u.Scheme, Host: u.Host, IP: ip, Capacity: slots.Capacity,
				Version: workerVersion, Category: workerCategory},
			CurrCapacityUsed:   len(slots.Running),
			AvailabilityGroups: slots.AvailabilityGroups,
			RunningTasks:       slots.Running,
		}
		// Druid's worker holder starts the time at the worker's start, so it is never null.
		last := spec.FormatTime(cmp.Or(slots.LastCompleted, s.started))
		info.LastCompletedTaskTime = &last
		writeJSON(w, http.StatusOK, []druidWorkerInfo{info})
	})
	s.handleSlash("GET /druid/indexer/v1/totalWorkerCapacity", func(w http.ResponseWriter, r *http.Request) {
		if s.workers != nil {
			live, err := s.workers(r.Context())
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			total := druidTotalWorkerCapacity{MaximumCapacityWithAutoScale: noAutoScale}
			for _, wk := range live {
				total.CurrentClusterCapacity += wk.Capacity
				total.UsedClusterCapacity += len(wk.RunningTasks)
			}
			writeJSON(w, http.StatusOK, total)
			return
		}
		slots := s.tasks.Slots()
		writeJSON(w, http.StatusOK, druidTotalWorkerCapacity{
			CurrentClusterCapacity: slots.Capacity, MaximumCapacityWithAutoScale: noAutoScale,
			UsedClusterCapacity: len(slots.Running),
		})
	})
	s.handleSlash("GET /status/properties", func(w http.ResponseWriter, r *http.Request) {
		props := maps.Clone(s.opts.Properties)
		if props == nil {
			props = map[string]string{}
		}
		writeJSON(w, http.StatusOK, props)
	})
}

// handleSlash registers h for pattern and for pattern with a trailing slash, which Druid's
// Jersey routes tolerate.
func (s *Server) handleSlash(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, h)
	s.mux.HandleFunc(strings.TrimSuffix(pattern, "/")+"/{$}", h)
}

// serveClusterWorkers lists a cluster's live workers, as registered in the metadata store, in
// the shape of Druid's ImmutableWorkerInfo. The last heartbeat stands in for
// lastCompletedTaskTime, which the workers table does not keep.
func (s *Server) serveClusterWorkers(w http.ResponseWriter, r *http.Request) {
	live, err := s.workers(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]druidWorkerInfo, 0, len(live))
	for _, wk := range live {
		u, err := url.Parse(wk.URL)
		if err != nil {
			continue
		}
		running := wk.RunningTasks
		if running == nil {
			running = []string{}
		}
		last := spec.FormatTime(wk.LastHeartbeat)
		out = append(out, druidWorkerInfo{
			Worker: druidWorker{Scheme: u.Scheme, Host: u.Host, IP: u.Hostname(), Capacity: wk.Capacity,
				Version: workerVersion, Category: workerCategory},
			CurrCapacityUsed: len(running), AvailabilityGroups: running, RunningTasks: running,
			LastCompletedTaskTime: &last,
		})
	}
	writeJSON(w, http.StatusOK, out)
}
