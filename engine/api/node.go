package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

// A node of a cluster (several engine processes on one PostgreSQL store) answers the whole API,
// whichever node it is:
//
//	GET /druid/indexer/v1/leader, /isLeader        answered from the election, on every node
//	  (and the /druid/coordinator/v1 pair: the Overlord leader is also the coordinator)
//	/druid/indexer/v1/..., /druid/worker/v1/chat/...  the leader's: served there, forwarded
//	  to it by any other node (a reverse proxy keeping method, path, query, body and headers)
//	everything else (queries, coordinator, /status)   served by the node itself
//
// Druid's followers answer 307 with the leader's URL instead; forwarding serves clients that do
// not re-send a body on a redirect (Go's http.Client among them), and a follower's answers stay
// those of the leader. Task chat calls go to the node whose worker runs the task (SetWorker); a
// node without the worker role forwards them to the leader.

// Leadership is what a node knows of the election (leader.Elector implements it).
type Leadership interface {
	// IsLeader reports whether this node leads and its duties have started.
	IsLeader() bool
	// LeaderURL is the leader's URL (http://host:port), or false when none is known.
	LeaderURL() (string, bool)
}

// ForwardedByHeader names the node that forwarded a request to the leader. A request that
// carries it is never forwarded again: two nodes that each believe the other leads answer
// 503 instead of passing the request between them.
const ForwardedByHeader = "X-Kafka-Indexer-Forwarded-By"

// TaskWorkerHeader marks a request for a task's reports or log that the leader sent to the
// worker running the task (its location): that node answers it from its own worker runner,
// where the task's report and log files are, instead of forwarding it back to the leader.
const TaskWorkerHeader = "X-Kafka-Indexer-Task-Worker"

// Node is the HTTP handler of a cluster node: local serves what every node serves, and the
// Overlord routes go to the current leadership's server (SetOverlord) or to the leader.
type Node struct {
	local    *Server
	lead     Leadership
	self     string // this node's advertised URL
	overlord atomic.Pointer[Server]
	worker   atomic.Pointer[Server]
	proxy    *httputil.ReverseProxy
	toWorker *httputil.ReverseProxy // task reports and logs, to the task's worker
	files    atomic.Pointer[storage.TaskFiles]
	log      *slog.Logger
}

// NewNode returns the handler of a node reached at self (its advertised URL). local serves
// the routes every node serves; its Supervisors and Tasks are never used.
func NewNode(local *Server, lead Leadership, self string) *Node {
	n := &Node{local: local, lead: lead, self: self, log: local.opts.Logger}
	n.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			target := pr.In.Context().Value(forwardTarget{}).(*url.URL)
			pr.SetURL(target)
			pr.Out.Host = target.Host
			pr.SetXForwarded()
			pr.Out.Header.Set(ForwardedByHeader, n.self)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			target := r.Context().Value(forwardTarget{}).(*url.URL)
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: fmt.Sprintf("request body exceeds %d bytes", tooBig.Limit)})
				return
			}
			n.log.Warn("forward to overlord leader", "leader", target.String(), "path", r.URL.Path, "err", err)
			// The leader may have gone: look the lease up now rather than at the next round.
			if rf, ok := n.lead.(interface{ Refresh() }); ok {
				rf.Refresh()
			}
			writeJSON(w, http.StatusBadGateway, errorBody{Error: fmt.Sprintf("forward to the overlord leader %s: %v", target, err)})
		},
	}
	n.toWorker = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			target := pr.In.Context().Value(forwardTarget{}).(*url.URL)
			pr.SetURL(target)
			pr.Out.Host = target.Host
			pr.SetXForwarded()
			pr.Out.Header.Set(TaskWorkerHeader, n.self)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			target := r.Context().Value(forwardTarget{}).(*url.URL)
			writeJSON(w, http.StatusBadGateway, errorBody{Error: fmt.Sprintf("the task's worker %s: %v", target.Host, err)})
		},
	}
	return n
}

// SetOverlord makes s (the server of this node's leadership: its supervisors and task
// runner) answer the Overlord routes; nil, when leadership ends, sends them to the leader.
func (n *Node) SetOverlord(s *Server) { n.overlord.Store(s) }

// SetWorker makes s (the server of this node's worker runner) answer the task chat API: on a
// node with the worker role, chat calls are for the tasks running in its own process, and
// the supervisors address them to the worker that runs each task.
func (n *Node) SetWorker(s *Server) { n.worker.Store(s) }

// SetTaskFiles makes the leader answer the reports and log of a finished task from tf (the
// deep storage its worker pushed them to), whichever node ran it.
func (n *Node) SetTaskFiles(tf storage.TaskFiles) { n.files.Store(&tf) }

type forwardTarget struct{}

// ServeHTTP implements http.Handler.
func (n *Node) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !n.local.admit(w, r) {
		return
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case leaderPaths[path] && r.Method == http.MethodGet:
		n.serveLeader(w, strings.HasSuffix(path, "/isLeader"))
	case strings.HasPrefix(path, "/druid/worker/v1/chat/") && n.worker.Load() != nil:
		n.worker.Load().mux.ServeHTTP(w, r)
	case r.Header.Get(TaskWorkerHeader) != "" && n.worker.Load() != nil && isTaskFilePath(path):
		n.worker.Load().mux.ServeHTTP(w, r)
	case isOverlordPath(path):
		// The leadership's server is set only while its duties run, from before its
		// supervisors start (they reach their tasks through this very route) until they stop.
		if ov := n.overlord.Load(); ov != nil {
			if r.Method == http.MethodGet && isTaskFilePath(path) && n.toTaskWorker(w, r, ov, path) {
				return
			}
			ov.mux.ServeHTTP(w, r)
			return
		}
		n.forward(w, r)
	default:
		n.local.mux.ServeHTTP(w, r)
	}
}

var leaderPaths = map[string]bool{
	"/druid/indexer/v1/leader": true, "/druid/indexer/v1/isLeader": true,
	"/druid/coordinator/v1/leader": true, "/druid/coordinator/v1/isLeader": true,
}

// isOverlordPath reports whether path belongs to the leader.
func isOverlordPath(path string) bool {
	return strings.HasPrefix(path, "/druid/indexer/v1/") || strings.HasPrefix(path, "/druid/worker/v1/chat/")
}

// isTaskFilePath reports whether path is a task's reports or log, which live on the node
// whose worker runs (or ran) the task.
func isTaskFilePath(path string) bool {
	rest, ok := strings.CutPrefix(path, "/druid/indexer/v1/task/")
	if !ok {
		return false
	}
	id, file, ok := strings.Cut(rest, "/")
	return ok && id != "" && (file == "reports" || file == "log")
}

// toTaskWorker answers a task's reports or log request, and reports whether it did. An
// active task's request goes to the worker its location names (this node's own worker
// runner, or another node; one that does not answer is a 502 naming it). A finished task's
// files are where its worker pushed them, in deep storage (SetTaskFiles), unless it ran on
// this node, whose worker runner has them on disk. A waiting or unknown task is answered by
// the leader itself.
func (n *Node) toTaskWorker(w http.ResponseWriter, r *http.Request, ov *Server, path string) bool {
	if ov.tasks == nil {
		return false
	}
	id, file, _ := strings.Cut(strings.TrimPrefix(path, "/druid/indexer/v1/task/"), "/")
	info, _, err := ov.tasks.Info(r.Context(), id)
	if err != nil || info.Location.Host == nil || info.Location.Port <= 0 {
		return false
	}
	host := net.JoinHostPort(*info.Location.Host, strconv.Itoa(info.Location.Port))
	self, err := url.Parse(n.self)
	mine := err == nil && self.Host == host
	if mine {
		// This node's own worker runs (or ran) it: its runner has the files.
		if wk := n.worker.Load(); wk != nil {
			wk.mux.ServeHTTP(w, r)
			return true
		}
		return false
	}
	if info.StatusCode != "RUNNING" { // finished: its location is where it ran
		if tf := n.files.Load(); tf != nil {
			n.serveTaskFile(w, r, *tf, id, file)
			return true
		}
		return false
	}
	n.toWorker.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), forwardTarget{}, &url.URL{Scheme: "http", Host: host})))
	return true
}

// serveTaskFile answers a finished task's reports or log from deep storage, as the worker's
// own routes would: the log from ?offset=, Druid's 404 texts when nothing was pushed.
func (n *Node) serveTaskFile(w http.ResponseWriter, r *http.Request, tf storage.TaskFiles, id, file string) {
	if file == "log" {
		offset, ok := logOffset(w, r)
		if !ok {
			return
		}
		b, err := tf.GetTaskFile(r.Context(), id, storage.TaskLogFile, task.MaxTaskLogBytes)
		switch {
		case errors.Is(err, storage.ErrNoTaskFile):
			writeTaskText(w, http.StatusNotFound, noLogText)
		case err != nil:
			n.taskFileError(w, r, id, err)
		default:
			writeTaskText(w, http.StatusOK, string(task.LogFrom(b, offset)))
		}
		return
	}
	b, err := tf.GetTaskFile(r.Context(), id, storage.TaskReportFile, task.MaxReportBytes)
	switch {
	case errors.Is(err, storage.ErrNoTaskFile):
		writeTaskText(w, http.StatusNotFound, noReportsText)
	case err != nil:
		n.taskFileError(w, r, id, err)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
	}
}

// taskFileError answers a deep storage that failed as Druid's doGetLog does (500), naming it.
func (n *Node) taskFileError(w http.ResponseWriter, r *http.Request, id string, err error) {
	n.log.Warn("read task file from deep storage", "task", id, "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusInternalServerError, errorBody{Error: fmt.Sprintf("read the files of task %s from deep storage: %v", id, err)})
}

func (n *Node) serveLeader(w http.ResponseWriter, isLeader bool) {
	if isLeader {
		if n.lead.IsLeader() {
			writeJSON(w, http.StatusOK, map[string]bool{"leader": true})
		} else {
			writeJSON(w, http.StatusNotFound, map[string]bool{"leader": false})
		}
		return
	}
	u, ok := n.lead.LeaderURL()
	if !ok {
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "no overlord leader is known yet"})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(u))
}

// forward proxies r to the leader, or answers 503 when there is no other node to send it to.
func (n *Node) forward(w http.ResponseWriter, r *http.Request) {
	leader, ok := n.lead.LeaderURL()
	switch {
	case !ok:
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "no overlord leader is known yet; try again in a few seconds"})
		return
	case leader == n.self:
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "this node is becoming the overlord leader; try again in a few seconds"})
		return
	case r.Header.Get(ForwardedByHeader) != "":
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: fmt.Sprintf(
			"forwarded by %s, but this node (%s) is not the overlord leader either; the leader is changing, try again",
			r.Header.Get(ForwardedByHeader), n.self)})
		return
	}
	target, err := url.Parse(leader)
	if err != nil || target.Host == "" {
		writeJSON(w, http.StatusBadGateway, errorBody{Error: fmt.Sprintf("overlord leader URL %q is not a URL", leader)})
		return
	}
	n.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), forwardTarget{}, target)))
}
