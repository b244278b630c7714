package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// Options configures the HTTP API.
type Options struct {
	// Version is reported by /status.
	Version string
	// Username and Password enable HTTP basic auth on every route but /status/health and the
	// isLeader checks when Username is non-empty.
	Username, Password string
	// MaxBodyBytes limits request bodies; larger ones get 413. Zero means 10 MiB.
	MaxBodyBytes int64
	// Logger receives request errors. Nil means slog.Default().
	Logger *slog.Logger
	// Properties are the settings GET /status/properties reports (Druid's runtime
	// properties). Only non-secret ones belong here: no passwords, no URIs with credentials.
	Properties map[string]string
}

// DefaultMaxBodyBytes is the request body limit when Options.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 10 << 20

// Services are what the API serves; handlers reach the metadata store only through them.
type Services struct {
	Supervisors *supervisor.Manager
	Tasks       *task.Runner
	Segments    SegmentCatalog
	// Loaded answers which published segments are queryable (loadstatus); nil means none is.
	Loaded SegmentServer
	// Workers, when set, lists a cluster's live workers for /workers and
	// /totalWorkerCapacity; nil means this process is the one worker, with Tasks' slots.
	Workers func(ctx context.Context) ([]metadata.Worker, error)
	// WorkerConfig, when set, serves GET/POST /druid/indexer/v1/worker and /worker/history.
	WorkerConfig *WorkerConfig
}

// Server routes the API to the engine's services.
type Server struct {
	opts    Options
	sup     *supervisor.Manager
	tasks   *task.Runner
	catalog SegmentCatalog
	loaded  SegmentServer
	workers func(ctx context.Context) ([]metadata.Worker, error)
	mux     *http.ServeMux
	started time.Time
	// advertised is the URL set by SetAdvertisedURL.
	advertised atomic.Pointer[string]
}

// New builds the API handler. It starts nothing.
func New(svc Services, opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{opts: opts, sup: svc.Supervisors, tasks: svc.Tasks, catalog: svc.Segments, loaded: svc.Loaded, workers: svc.Workers, mux: http.NewServeMux(), started: time.Now()}
	s.routeStatus()
	s.routeSupervisors()
	s.routeTasks()
	s.routeChat()
	s.routeSegments()
	s.routeCluster()
	s.routeActions()
	s.routeWorkerConfig(svc.WorkerConfig)
	return s
}

// ServeHTTP applies auth and the body limit, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.admit(w, r) {
		s.mux.ServeHTTP(w, r)
	}
}

// admit applies auth, the path checks and the body limit; false means it has answered.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.Username != "" && !unsecuredPaths[r.URL.Path] && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="kafka-indexer"`)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "unauthorized: this server requires HTTP basic auth"})
		return false
	}
	if hasDotSegment(r.URL.EscapedPath()) {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "path: must not contain '.' or '..' segments"})
		return false
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	}
	return true
}

// unsecuredPaths are answered without auth: the health check and, as Druid's CliOverlord and
// CliCoordinator list them in UNSECURED_PATHS, the leader checks load balancers poll.
var unsecuredPaths = map[string]bool{
	"/status/health":                 true,
	"/druid/indexer/v1/isLeader":     true,
	"/druid/coordinator/v1/isLeader": true,
}

func (s *Server) authorized(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	uOK := subtle.ConstantTimeCompare([]byte(u), []byte(s.opts.Username)) == 1
	pOK := subtle.ConstantTimeCompare([]byte(p), []byte(s.opts.Password)) == 1
	return uOK && pOK
}

// errorBody is Druid's simple error shape.
type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// routeStatus serves Druid's process status endpoints:
//
//	GET /status         version, modules, memory
//	GET /status/health  true (never behind auth, for load balancers)
func (s *Server) routeStatus() {
	s.mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		writeJSON(w, http.StatusOK, druidapi.ServerStatus{
			Version:      s.opts.Version,
			KafkaIndexer: true,
			Modules:      []json.RawMessage{},
			Memory: druidapi.ServerMemory{
				MaxMemory: int64(ms.Sys), TotalMemory: int64(ms.Sys), FreeMemory: int64(ms.Sys - ms.HeapInuse),
				UsedMemory: int64(ms.HeapInuse), DirectMemory: 0,
			},
		})
	})
	s.mux.HandleFunc("GET /status/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, true)
	})
}

// RouteMetrics serves the Prometheus metrics at GET /metrics (behind basic auth when enabled;
// Prometheus scrape configs support basic_auth).
func (s *Server) RouteMetrics(h http.Handler) {
	s.mux.Handle("GET /metrics", h)
}

// RouteConsole serves the web console (engine/console) at GET / and under GET /console/,
// behind the same basic auth as the API it calls. Other paths keep their 404.
func (s *Server) RouteConsole(h http.Handler) {
	s.mux.Handle("GET /{$}", h)
	s.mux.Handle("GET /console/", h)
}
