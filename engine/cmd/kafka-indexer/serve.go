package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/api"
	kidaemon "github.com/kafka-indexer/terraform-provider-kafka/engine/daemon"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/embedkafka"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/leader"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/embedded"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/postgres"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/task"
)

var errUsage = errors.New("usage")

// serveConfig is every setting of the daemon. Each flag falls back to an environment variable
// KAFKA_INDEXER_<FLAG> (upper case, dashes as underscores), then to its default.
type serveConfig struct {
	Listen         string
	DataDir        string
	MetadataURI    string
	WorkerCapacity int
	TaskQueueSize  int
	TaskHistory    int
	AuthUsername   string
	AuthPassword   string
	TLSCert        string
	TLSKey         string
	MaxBodyBytes   int64
	LogFormat      string
	LogLevel       string
	EmbeddedKafka  string
	// UnknownSpecFields is reject, warn or ignore (--unknown-spec-fields); empty means reject.
	UnknownSpecFields string
	// HTTP server limits: zero durations and a zero connection cap mean the defaults below
	// (the quickstart builds a serveConfig without flags).
	HTTPReadTimeout         time.Duration
	HTTPWriteTimeout        time.Duration
	HTTPIdleTimeout         time.Duration
	MaxConnectionsPerClient int
	// Supervisor health thresholds (Druid's druid.supervisor.*Threshold); zero means 3.
	SupervisorThresholds supervisor.Thresholds
	// DeepStorage is "local" (or empty: under --data-dir) or s3://BUCKET/PREFIX.
	DeepStorage string
	S3Endpoint  string
	S3PathStyle bool
	S3Region    string
	S3PartSize  int64
	// S3RetryBackoff is the first wait between S3 tries; zero means the storage default. No
	// flag: tests shorten it.
	S3RetryBackoff time.Duration
	// SegmentCacheDir empty means --data-dir/segment-cache; SegmentCacheBytes zero, no bound.
	SegmentCacheDir   string
	SegmentCacheBytes int64
	// Roles is --roles, a comma list of overlord, worker and query; empty means all three.
	Roles string
	// Advertise is --advertise, the HOST:PORT other nodes reach this one at; empty means the
	// listen address.
	Advertise string
	// LeaderLease is --leader-lease; zero means leader.DefaultLease.
	LeaderLease time.Duration
	// WorkerTimeout is --worker-timeout; zero means daemon.DefaultWorkerTimeout.
	WorkerTimeout time.Duration
	// WorkerSelectStrategy is --worker-select-strategy: equalDistribution or fillCapacity.
	WorkerSelectStrategy string
}

// HTTP server defaults. The write timeout must cover the longest response this daemon gives:
// a native query may run for its context timeout (druid.server.http.defaultQueryTimeout, 300 s),
// so it is that plus a margin. The read timeout bounds how long a client may take to send one
// request, body included (10 MiB at 1.5 Mbit/s takes under a minute), so a client dribbling a
// body cannot hold a connection forever.
const (
	defaultHTTPReadTimeout   = 60 * time.Second
	defaultHTTPWriteTimeout  = 330 * time.Second
	defaultHTTPIdleTimeout   = 120 * time.Second
	defaultReadHeaderTimeout = 10 * time.Second
)

func parseServeFlags(args []string, stderr io.Writer) (*serveConfig, error) {
	c := &serveConfig{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Listen, "listen", env("LISTEN", "127.0.0.1:8090"), "address of the HTTP API (the Overlord port Druid's docs use)")
	fs.StringVar(&c.DataDir, "data-dir", env("DATA_DIR", "./var"), "directory for the embedded metadata store, task work and deep storage")
	fs.StringVar(&c.MetadataURI, "metadata-uri", env("METADATA_URI", ""), "metadata store: empty for the embedded store under --data-dir, or postgres://user:pass@host:5432/db")
	fs.IntVar(&c.WorkerCapacity, "worker-capacity", envInt("WORKER_CAPACITY", 4), "task slots: tasks beyond this wait for a free slot")
	fs.IntVar(&c.TaskQueueSize, "task-queue-size", envInt("TASK_QUEUE_SIZE", task.DefaultMaxWaiting), "tasks that may wait for a slot; more are refused (503, or an error in the supervisor's recentErrors); -1: no bound")
	fs.IntVar(&c.TaskHistory, "task-history", envInt("TASK_HISTORY", task.DefaultFinishedHistory), "finished tasks kept in memory; older ones are answered from the metadata store")
	fs.StringVar(&c.AuthUsername, "auth-username", env("AUTH_USERNAME", ""), "enable HTTP basic auth with this user on every route but /status/health and the isLeader checks")
	fs.StringVar(&c.AuthPassword, "auth-password", env("AUTH_PASSWORD", ""), "password for --auth-username")
	fs.StringVar(&c.TLSCert, "tls-cert", env("TLS_CERT", ""), "serve HTTPS with this PEM certificate (needs --tls-key)")
	fs.StringVar(&c.TLSKey, "tls-key", env("TLS_KEY", ""), "PEM private key for --tls-cert")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", envInt64("MAX_BODY_BYTES", api.DefaultMaxBodyBytes), "largest accepted request body in bytes")
	fs.StringVar(&c.LogFormat, "log-format", env("LOG_FORMAT", "text"), "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", env("LOG_LEVEL", "info"), "log level: debug, info, warn or error")
	fs.DurationVar(&c.HTTPReadTimeout, "http-read-timeout", envDuration("HTTP_READ_TIMEOUT", defaultHTTPReadTimeout), "longest time a client may take to send one request, body included")
	fs.DurationVar(&c.HTTPWriteTimeout, "http-write-timeout", envDuration("HTTP_WRITE_TIMEOUT", defaultHTTPWriteTimeout), "longest time to answer one request; must exceed the query timeout (300 s by default)")
	fs.DurationVar(&c.HTTPIdleTimeout, "http-idle-timeout", envDuration("HTTP_IDLE_TIMEOUT", defaultHTTPIdleTimeout), "how long an idle keep-alive connection stays open")
	fs.IntVar(&c.MaxConnectionsPerClient, "max-connections-per-client", envInt("MAX_CONNECTIONS_PER_CLIENT", api.DefaultMaxConnsPerClient), "open connections allowed per client IP; more are answered 503 (-1: no limit)")
	th := &c.SupervisorThresholds
	fs.IntVar(&th.HealthinessThreshold, "supervisor-healthiness-threshold", envInt("SUPERVISOR_HEALTHINESS_THRESHOLD", 3), "consecutive successful runs that make an unhealthy supervisor healthy again (druid.supervisor.healthinessThreshold)")
	fs.IntVar(&th.UnhealthinessThreshold, "supervisor-unhealthiness-threshold", envInt("SUPERVISOR_UNHEALTHINESS_THRESHOLD", 3), "consecutive failed runs that make a supervisor unhealthy (druid.supervisor.unhealthinessThreshold)")
	fs.IntVar(&th.TaskHealthinessThreshold, "supervisor-task-healthiness-threshold", envInt("SUPERVISOR_TASK_HEALTHINESS_THRESHOLD", 3), "consecutive successful tasks that end UNHEALTHY_TASKS (druid.supervisor.taskHealthinessThreshold)")
	fs.IntVar(&th.TaskUnhealthinessThreshold, "supervisor-task-unhealthiness-threshold", envInt("SUPERVISOR_TASK_UNHEALTHINESS_THRESHOLD", 3), "consecutive failed tasks that make a supervisor UNHEALTHY_TASKS (druid.supervisor.taskUnhealthinessThreshold)")
	fs.StringVar(&c.EmbeddedKafka, "embedded-kafka", env("EMBEDDED_KAFKA", ""), "also run an embedded Kafka-protocol broker on this host:port (log under --data-dir/kafka)")
	fs.StringVar(&c.DeepStorage, "deep-storage", env("DEEP_STORAGE", "local"), "where segments are pushed: local (under --data-dir/deep-storage) or s3://BUCKET/PREFIX (credentials from the AWS default chain: environment, profile, web identity, instance metadata)")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", env("S3_ENDPOINT", ""), "URL of an S3-compatible server (MinIO, SeaweedFS, Ceph...); empty means AWS S3")
	fs.BoolVar(&c.S3PathStyle, "s3-path-style", envBool("S3_PATH_STYLE", false), "address buckets as ENDPOINT/BUCKET/KEY (most S3-compatible servers need it)")
	fs.StringVar(&c.S3Region, "s3-region", env("S3_REGION", ""), "S3 signing region; empty means AWS_REGION or the AWS profile's, else "+storage.DefaultS3Region)
	fs.Int64Var(&c.S3PartSize, "s3-part-size", envInt64("S3_PART_SIZE", storage.DefaultS3PartSize), "segment archives from this many bytes on are uploaded in parts of this size (multipart upload; AWS needs ≥ 5 MiB)")
	fs.StringVar(&c.SegmentCacheDir, "segment-cache-dir", env("SEGMENT_CACHE_DIR", ""), "where queried segments are kept; empty means --data-dir/segment-cache")
	fs.Int64Var(&c.SegmentCacheBytes, "segment-cache-bytes", envInt64("SEGMENT_CACHE_BYTES", 0), "bound of the segment cache: past it the least recently queried segments are evicted and pulled again from deep storage when needed; 0: no bound")
	fs.StringVar(&c.Roles, "roles", env("ROLES", allRoles), "what this node does, a comma list of overlord (elected leader: supervisors and the task queue), worker (runs the tasks the leader assigns to it) and query (native queries); any other set than all three needs --metadata-uri postgres://…")
	fs.StringVar(&c.Advertise, "advertise", env("ADVERTISE", ""), "HOST:PORT the other nodes of a cluster reach this one at (default: the --listen address)")
	fs.DurationVar(&c.LeaderLease, "leader-lease", envDuration("LEADER_LEASE", leader.DefaultLease), "how long the overlord leader's lease in PostgreSQL lasts without renewal (renewed every third of it); a dead leader is replaced within about this long")
	fs.DurationVar(&c.WorkerTimeout, "worker-timeout", envDuration("WORKER_TIMEOUT", kidaemon.DefaultWorkerTimeout), "how long a cluster worker may miss its heartbeats in PostgreSQL before the leader declares it lost and fails its tasks (the supervisors replace them); a worker that cannot reach PostgreSQL for that long stops its tasks")
	fs.StringVar(&c.WorkerSelectStrategy, "worker-select-strategy", env("WORKER_SELECT_STRATEGY", kidaemon.EqualDistribution), "how the leader picks a worker for a task: equalDistribution (the most free slots) or fillCapacity (the busiest worker with a free slot)")
	fs.StringVar(&c.UnknownSpecFields, "unknown-spec-fields", env("UNKNOWN_SPEC_FIELDS", "reject"), "a supervisor spec field no Druid version knows: reject (400 naming it), warn (drop it, say so in a Warning header and the log) or ignore (drop it silently, as Druid does)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: kafka-indexer serve [flags]\n\n"+
			"Runs the daemon: the Druid-compatible supervisor and task API, the indexing tasks and the query\n"+
			"endpoint. Every flag falls back to the environment variable KAFKA_INDEXER_<FLAG> (upper case,\n"+
			"dashes as underscores: --data-dir is KAFKA_INDEXER_DATA_DIR), then to its default.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\nExample:\n  kafka-indexer serve --listen 127.0.0.1:8090 --data-dir ./var\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, flag.ErrHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return c, c.validate()
}

func (c *serveConfig) validate() error {
	// A mistyped environment value must not silently fall back to the default.
	for _, name := range []string{"WORKER_CAPACITY", "TASK_QUEUE_SIZE", "TASK_HISTORY", "MAX_BODY_BYTES", "MAX_CONNECTIONS_PER_CLIENT", "S3_PART_SIZE", "SEGMENT_CACHE_BYTES",
		"SUPERVISOR_HEALTHINESS_THRESHOLD", "SUPERVISOR_UNHEALTHINESS_THRESHOLD", "SUPERVISOR_TASK_HEALTHINESS_THRESHOLD", "SUPERVISOR_TASK_UNHEALTHINESS_THRESHOLD"} {
		if v, ok := os.LookupEnv("KAFKA_INDEXER_" + name); ok {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return fmt.Errorf("KAFKA_INDEXER_%s=%q is not a whole number", name, v)
			}
		}
	}
	for _, name := range []string{"HTTP_READ_TIMEOUT", "HTTP_WRITE_TIMEOUT", "HTTP_IDLE_TIMEOUT", "LEADER_LEASE"} {
		if v, ok := os.LookupEnv("KAFKA_INDEXER_" + name); ok {
			if _, err := time.ParseDuration(v); err != nil {
				return fmt.Errorf("KAFKA_INDEXER_%s=%q is not a duration such as 60s or 5m", name, v)
			}
		}
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--http-read-timeout", c.HTTPReadTimeout}, {"--http-write-timeout", c.HTTPWriteTimeout}, {"--http-idle-timeout", c.HTTPIdleTimeout}} {
		if d.v < 0 {
			return fmt.Errorf("%s must not be negative, got %s", d.flag, d.v)
		}
	}
	if _, err := spec.ParseUnknownFields(c.UnknownSpecFields); err != nil {
		return fmt.Errorf("--unknown-spec-fields must be reject, warn or ignore, got %q", c.UnknownSpecFields)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("--log-level must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.WorkerCapacity < 1 {
		return fmt.Errorf("--worker-capacity must be ≥ 1, got %d", c.WorkerCapacity)
	}
	if c.TaskQueueSize < -1 || c.TaskQueueSize == 0 {
		return fmt.Errorf("--task-queue-size must be ≥ 1 (or -1 for no bound), got %d", c.TaskQueueSize)
	}
	if c.MaxConnectionsPerClient < -1 || c.MaxConnectionsPerClient == 0 {
		return fmt.Errorf("--max-connections-per-client must be ≥ 1 (or -1 for no limit), got %d", c.MaxConnectionsPerClient)
	}
	for _, th := range []struct {
		flag string
		v    int
	}{
		{"--supervisor-healthiness-threshold", c.SupervisorThresholds.HealthinessThreshold},
		{"--supervisor-unhealthiness-threshold", c.SupervisorThresholds.UnhealthinessThreshold},
		{"--supervisor-task-healthiness-threshold", c.SupervisorThresholds.TaskHealthinessThreshold},
		{"--supervisor-task-unhealthiness-threshold", c.SupervisorThresholds.TaskUnhealthinessThreshold},
	} {
		if th.v < 1 {
			return fmt.Errorf("%s must be ≥ 1, got %d", th.flag, th.v)
		}
	}
	if c.TaskHistory < 1 {
		return fmt.Errorf("--task-history must be ≥ 1, got %d", c.TaskHistory)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if (c.AuthUsername == "") != (c.AuthPassword == "") {
		return fmt.Errorf("--auth-username and --auth-password go together")
	}
	if c.MaxBodyBytes < 1 {
		return fmt.Errorf("--max-body-bytes must be ≥ 1")
	}
	if c.MetadataURI != "" && !strings.HasPrefix(c.MetadataURI, "postgres://") && !strings.HasPrefix(c.MetadataURI, "postgresql://") {
		return fmt.Errorf("--metadata-uri must be empty (embedded) or a postgres:// URI, got %q", redactURI(c.MetadataURI))
	}
	if v, ok := os.LookupEnv("KAFKA_INDEXER_S3_PATH_STYLE"); ok {
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("KAFKA_INDEXER_S3_PATH_STYLE=%q is not true or false", v)
		}
	}
	if c.DeepStorage != "" && c.DeepStorage != "local" {
		if bucket, _, err := storage.ParseS3URI(c.DeepStorage); err != nil || bucket == "" {
			return fmt.Errorf("--deep-storage must be local or s3://BUCKET/PREFIX, got %q", c.DeepStorage)
		}
	}
	if c.S3Endpoint != "" {
		if u, err := url.Parse(c.S3Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--s3-endpoint must be an http:// or https:// URL, got %q", c.S3Endpoint)
		}
	}
	if c.S3PartSize < 0 {
		return fmt.Errorf("--s3-part-size must not be negative, got %d", c.S3PartSize)
	}
	if c.SegmentCacheBytes < 0 {
		return fmt.Errorf("--segment-cache-bytes must be ≥ 0 (0: no bound), got %d", c.SegmentCacheBytes)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format must be text or json")
	}
	return c.validateCluster()
}

// allRoles is --roles' default: the single node, which is the whole cluster.
const allRoles = "overlord,worker,query"

// roles is the parsed --roles.
type roles struct{ overlord, worker, query bool }

func parseRoles(s string) (roles, error) {
	var r roles
	if strings.TrimSpace(s) == "" {
		s = allRoles
	}
	for _, name := range strings.Split(s, ",") {
		switch strings.TrimSpace(name) {
		case "overlord":
			r.overlord = true
		case "worker":
			r.worker = true
		case "query":
			r.query = true
		default:
			return r, fmt.Errorf("--roles: unknown role %q; the roles are overlord, worker and query", strings.TrimSpace(name))
		}
	}
	return r, nil
}

// clustered reports whether this node is one of a cluster: a PostgreSQL store is shared by
// every node on it, so its nodes elect the Overlord leader even when there is only one.
func (c *serveConfig) clustered() bool { return c.MetadataURI != "" }

func (c *serveConfig) validateCluster() error {
	r, err := parseRoles(c.Roles)
	if err != nil {
		return err
	}
	if !c.clustered() {
		if r != (roles{true, true, true}) {
			return fmt.Errorf("--roles %s needs --metadata-uri postgres://…: the embedded store serves one node, which has every role", c.Roles)
		}
		if c.Advertise != "" {
			return fmt.Errorf("--advertise is for a cluster node and needs --metadata-uri postgres://…")
		}
		return nil
	}
	if !r.overlord && !r.worker && !r.query {
		return fmt.Errorf("--roles must name at least one of overlord,worker or query")
	}
	if c.LeaderLease < time.Second {
		return fmt.Errorf("--leader-lease must be at least 1s, got %s", c.LeaderLease)
	}
	if c.WorkerTimeout < time.Second {
		return fmt.Errorf("--worker-timeout must be at least 1s, got %s", c.WorkerTimeout)
	}
	switch c.WorkerSelectStrategy {
	case kidaemon.EqualDistribution, kidaemon.FillCapacity:
	default:
		return fmt.Errorf("--worker-select-strategy: %q is not a strategy; use %s or %s", c.WorkerSelectStrategy, kidaemon.EqualDistribution, kidaemon.FillCapacity)
	}
	if c.Advertise != "" {
		if err := checkAdvertise(c.Advertise, "--advertise"); err != nil {
			return err
		}
	}
	return nil
}

// checkAdvertise refuses an address other nodes cannot dial: a wildcard or missing host.
func checkAdvertise(hostPort, what string) error {
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil || port == "" || port == "0" {
		return fmt.Errorf("%s %q must be HOST:PORT with a real port", what, hostPort)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return fmt.Errorf("%s %q is not an address other nodes can reach (%q listens everywhere); pass --advertise HOST:PORT with this node's name or IP", what, hostPort, host)
	}
	return nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv("KAFKA_INDEXER_" + name); ok {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, err := strconv.ParseBool(env(name, "")); err == nil {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(env(name, "")); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(env(name, "")); err == nil {
		return v
	}
	return def
}

func envInt64(name string, def int64) int64 {
	if v, err := strconv.ParseInt(env(name, ""), 10, 64); err == nil {
		return v
	}
	return def
}

// redactURI hides the password of a connection URI.
func redactURI(s string) string {
	at := strings.LastIndex(s, "@")
	scheme := strings.Index(s, "://")
	if at < 0 || scheme < 0 {
		return s
	}
	creds := s[scheme+3 : at]
	if user, _, ok := strings.Cut(creds, ":"); ok {
		return s[:scheme+3] + user + ":xxxxx" + s[at:]
	}
	return s
}

func newLogger(c *serveConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens the metadata store the config names.
func openStore(ctx context.Context, c *serveConfig) (metadata.Store, string, error) {
	if c.MetadataURI != "" {
		s, err := postgres.Open(ctx, c.MetadataURI)
		if err != nil {
			return nil, "", fmt.Errorf("open PostgreSQL metadata store: %w", err)
		}
		return s, "postgres " + redactURI(c.MetadataURI), nil
	}
	dir := filepath.Join(c.DataDir, "metadata")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", fmt.Errorf("create metadata directory: %w", err)
	}
	s, err := embedded.Open(dir)
	if err != nil {
		return nil, "", fmt.Errorf("open embedded metadata store: %w", err)
	}
	return s, "embedded " + filepath.Join(dir, embedded.FileName), nil
}

// openDeepStorage builds the deep storage --deep-storage names: nil for local (the daemon puts
// it under --data-dir), or an S3 client for s3://BUCKET/PREFIX.
func openDeepStorage(ctx context.Context, c *serveConfig, log *slog.Logger) (storage.Deep, error) {
	if c.DeepStorage == "" || c.DeepStorage == "local" {
		return nil, nil
	}
	bucket, prefix, err := storage.ParseS3URI(c.DeepStorage)
	if err != nil {
		return nil, err
	}
	// Archives being uploaded or downloaded; what a crash left there is of no use.
	tmp := filepath.Join(c.DataDir, "tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("clear %s: %w", tmp, err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", tmp, err)
	}
	return storage.NewS3(ctx, s3Options(c, bucket, prefix, tmp, log))
}

// s3Options are the S3 settings of the command line (serve and dump-segment share them).
func s3Options(c *serveConfig, bucket, prefix, tmp string, log *slog.Logger) storage.S3Options {
	return storage.S3Options{Bucket: bucket, Prefix: prefix, Endpoint: c.S3Endpoint, PathStyle: c.S3PathStyle,
		Region: c.S3Region, PartSize: c.S3PartSize, RetryBackoff: c.S3RetryBackoff, TempDir: tmp, Logger: log}
}

// daemon is a running engine (engine/daemon) behind this process's HTTP listener.
type daemon struct {
	engine   *kidaemon.Engine
	server   *http.Server
	listener net.Listener
	log      *slog.Logger
}

// startDaemon opens the store, assembles the engine (restoring supervisors and tasks) and
// starts serving. Close stops it.
func startDaemon(ctx context.Context, c *serveConfig, logOut io.Writer) (d *daemon, err error) {
	log := newLogger(c, logOut)
	store, desc, err := openStore(ctx, c)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	unknownFields, _ := spec.ParseUnknownFields(c.UnknownSpecFields) // validated; "" (in code) is reject
	deep, err := openDeepStorage(ctx, c, log)
	if err != nil {
		ln.Close()
		store.Close()
		return nil, err
	}
	cluster, err := clusterOptions(c, ln)
	if err != nil {
		ln.Close()
		store.Close()
		return nil, err
	}
	eng, err := kidaemon.New(ctx, store, kidaemon.Options{
		DeepStorage: deep, SegmentCacheDir: c.SegmentCacheDir, SegmentCacheBytes: c.SegmentCacheBytes,
		Cluster: cluster,
		DataDir: c.DataDir, WorkerCapacity: c.WorkerCapacity, TaskQueueSize: c.TaskQueueSize, TaskHistory: c.TaskHistory, Version: version,
		Username: c.AuthUsername, Password: c.AuthPassword, MaxBodyBytes: c.MaxBodyBytes, Logger: log,
		SupervisorThresholds: c.SupervisorThresholds,
		UnknownSpecFields:    unknownFields,
		Properties:           serveProperties(c),
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := newHTTPServer(c, eng.Handler)
	d = &daemon{engine: eng, server: srv, listener: ln, log: log}
	perClient := c.MaxConnectionsPerClient
	if perClient == 0 {
		perClient = api.DefaultMaxConnsPerClient // a serveConfig built in code (the quickstart)
	}
	served := api.LimitPerClient(ln, perClient, c.TLSCert == "")
	// Supervisors reach their tasks through the chat API of this very listener (a cluster
	// node: through its advertised address).
	eng.Start(scheme(c) + "://" + ln.Addr().String())
	nSupervisors := 0
	if eng.Manager != nil {
		nSupervisors = len(eng.Manager.IDs())
	}
	if cluster != nil {
		log.Info("cluster node", "roles", c.Roles, "advertise", cluster.URL, "leader_lease", c.LeaderLease,
			"worker_timeout", c.WorkerTimeout, "worker_select_strategy", c.WorkerSelectStrategy)
	}
	log.Info("kafka-indexer starting",
		"version", version, "listen", scheme(c)+"://"+ln.Addr().String(), "data_dir", c.DataDir, "metadata", desc,
		"worker_capacity", c.WorkerCapacity, "task_queue_size", c.TaskQueueSize, "task_history", c.TaskHistory, "auth", authDesc(c), "max_body_bytes", c.MaxBodyBytes,
		"http_read_timeout", srv.ReadTimeout, "http_write_timeout", srv.WriteTimeout, "http_idle_timeout", srv.IdleTimeout,
		"max_connections_per_client", perClient,
		"supervisor_thresholds", fmt.Sprintf("%+v", c.SupervisorThresholds),
		"deep_storage", cmp.Or(c.DeepStorage, "local"), "segment_cache_bytes", c.SegmentCacheBytes,
		"supervisors", nSupervisors)
	go func() {
		var err error
		if c.TLSCert != "" {
			err = srv.ServeTLS(served, c.TLSCert, c.TLSKey)
		} else {
			err = srv.Serve(served)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", "err", err)
		}
	}()
	if eng.Elector != nil {
		// Answer Overlord calls from the start: wait for the first election round, after which
		// this node leads or knows who does.
		select {
		case <-eng.Elector.Ready():
		case <-time.After(c.LeaderLease):
		}
	}
	return d, nil
}

// clusterOptions are the engine's cluster settings (nil for the single node), with the
// advertised URL defaulting to the listener's address.
func clusterOptions(c *serveConfig, ln net.Listener) (*kidaemon.Cluster, error) {
	if !c.clustered() {
		return nil, nil
	}
	r, _ := parseRoles(c.Roles) // validated
	adv := c.Advertise
	if adv == "" {
		adv = ln.Addr().String()
		if err := checkAdvertise(adv, "the listen address"); err != nil {
			return nil, err
		}
	}
	return &kidaemon.Cluster{URL: scheme(c) + "://" + adv, Overlord: r.overlord, Worker: r.worker, Query: r.query, Lease: c.LeaderLease,
		WorkerTimeout: c.WorkerTimeout, WorkerSelectStrategy: c.WorkerSelectStrategy}, nil
}

// newHTTPServer builds the API server with every timeout set: without a read timeout a client
// sending its body one byte every few seconds holds its connection (and goroutine) forever.
// Zero settings mean the defaults, so a serveConfig built in code (the quickstart) is safe.
func newHTTPServer(c *serveConfig, h http.Handler) *http.Server {
	orDefault := func(v, def time.Duration) time.Duration {
		if v <= 0 {
			return def
		}
		return v
	}
	read := orDefault(c.HTTPReadTimeout, defaultHTTPReadTimeout)
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(defaultReadHeaderTimeout, read),
		ReadTimeout:       read,
		WriteTimeout:      orDefault(c.HTTPWriteTimeout, defaultHTTPWriteTimeout),
		IdleTimeout:       orDefault(c.HTTPIdleTimeout, defaultHTTPIdleTimeout),
	}
}

// serveProperties are the command line's settings for GET /status/properties beyond the
// engine's own: never the password, the key or the metadata URI (which may hold a password),
// only which kind of store it names.
func serveProperties(c *serveConfig) map[string]string {
	store := "embedded"
	if c.MetadataURI != "" {
		store = "postgres"
	}
	return map[string]string{
		"listen": c.Listen, "metadata-store": store, "tls": strconv.FormatBool(c.TLSCert != ""),
		"log-format": c.LogFormat, "log-level": c.LogLevel,
		"http-read-timeout": c.HTTPReadTimeout.String(), "http-write-timeout": c.HTTPWriteTimeout.String(),
		"http-idle-timeout": c.HTTPIdleTimeout.String(), "max-connections-per-client": strconv.Itoa(c.MaxConnectionsPerClient),
		"embedded-kafka": c.EmbeddedKafka, "unknown-spec-fields": c.UnknownSpecFields,
		"deep-storage": cmp.Or(c.DeepStorage, "local"), "s3-endpoint": c.S3Endpoint, "s3-path-style": strconv.FormatBool(c.S3PathStyle),
		"s3-region": c.S3Region, "s3-part-size": strconv.FormatInt(c.S3PartSize, 10),
		"roles": cmp.Or(c.Roles, allRoles), "advertise": c.Advertise, "leader-lease": c.LeaderLease.String(),
		"worker-timeout": c.WorkerTimeout.String(), "worker-select-strategy": c.WorkerSelectStrategy,
		"supervisor-healthiness-threshold":        strconv.Itoa(c.SupervisorThresholds.HealthinessThreshold),
		"supervisor-unhealthiness-threshold":      strconv.Itoa(c.SupervisorThresholds.UnhealthinessThreshold),
		"supervisor-task-healthiness-threshold":   strconv.Itoa(c.SupervisorThresholds.TaskHealthinessThreshold),
		"supervisor-task-unhealthiness-threshold": strconv.Itoa(c.SupervisorThresholds.TaskUnhealthinessThreshold),
	}
}

func scheme(c *serveConfig) string {
	if c.TLSCert != "" {
		return "https"
	}
	return "http"
}

func authDesc(c *serveConfig) string {
	if c.AuthUsername == "" {
		return "off"
	}
	return "basic (user " + c.AuthUsername + ", password xxxxx)"
}

// Addr is the address the API listens on.
func (d *daemon) Addr() string { return d.listener.Addr().String() }

// Close stops the supervisor loops (their tasks keep running), stops accepting requests and
// lets running ones finish (up to 10 s), then stops the tasks (left active in the store, so the
// next start resumes them), the loader and the store.
func (d *daemon) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d.engine.StopSupervisors()
	errs := []error{d.server.Shutdown(ctx), d.engine.Close()}
	d.log.Info("kafka-indexer stopped")
	return errors.Join(errs...)
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	if c.EmbeddedKafka != "" {
		b, err := embedkafka.Start(c.EmbeddedKafka, filepath.Join(c.DataDir, "kafka"), nil)
		if err != nil {
			return err
		}
		defer b.Close()
		fmt.Fprintf(stderr, "embedded kafka broker listening on %s\n", b.Addr())
	}
	d, err := startDaemon(ctx, c, stderr)
	if err != nil {
		return err
	}
	<-ctx.Done()
	d.log.Info("shutting down", "reason", context.Cause(ctx))
	return d.Close()
}
