package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/api"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata/metadatatest"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/query"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage/s3test"
)

// rows is what the S3 ingestion tests produce: one every 12 s over two hours, so two segments.
const rows = 600

// s3TestEnv points the AWS default credential chain at static test keys and away from this
// machine's profile and instance metadata.
func s3TestEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "")
}

// s3ClusterEnv is what every multi-node S3 test starts with: a fresh PostgreSQL schema, the
// S3 test server with the bucket "deep" (its credentials in the environment the node
// processes inherit), and a kfake broker with the topic "stream" of the given partitions,
// closed when the test ends.
func s3ClusterEnv(t *testing.T, partitions int) (dsn string, srv *s3test.Server, broker string) {
	t.Helper()
	dsn = metadatatest.FreshPostgresSchema(t)
	s3TestEnv(t)
	srv = s3test.Start(t, "deep")
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(partitions), "stream"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	return dsn, srv, cluster.ListenAddrs()[0]
}

// produceTimedIDs writes rows records {"timestamp", "id": i} to "stream", 12 s apart from
// 2024-03-05T10:00Z, and waits until the broker has them all.
func produceTimedIDs(t *testing.T, broker string, rows int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range rows {
		b, _ := json.Marshal(map[string]any{"timestamp": time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * 12 * time.Second).Format(time.RFC3339), "id": i})
		cl.Produce(context.Background(), &kgo.Record{Topic: "stream", Value: b}, nil)
	}
	if err := cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestServeS3DeepStorage runs `serve --deep-storage s3://deep/druid/segments` against an
// S3-compatible server on loopback: a supervisor ingests from kfake while S3 fails the first
// uploads; its segments are published once each, with Druid's s3_zip loadSpec naming objects
// that are in the bucket (and nothing else is). A query node that never built them (its own
// loader over an empty, bounded cache, on the same metadata store) serves every row through
// POST /druid/v2, and dump-segment reads one back from its s3:// URI.
func TestServeS3DeepStorage(t *testing.T) {
	// An outage when the first segment is pushed: the first uploads (PutObject, or the parts
	// and completion of a multipart upload) answer 500, and the push's retries ride it out.
	srv, d, segs, keys, sizes := ingestToS3(t, 3) // the daemon is closed when the test ends
	store := d.engine.Store
	// The query node: its own S3 client, loader and HTTP API, an empty cache that holds one
	// segment at most, and the same metadata store.
	deep, err := storage.NewS3(context.Background(), storage.S3Options{Bucket: "deep", Endpoint: srv.URL, PathStyle: true,
		TempDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	loader := query.NewLoader(store, deep, cacheDir, query.LoaderOptions{Poll: 100 * time.Millisecond, CacheBytes: sizes * 3 / 4, Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		_ = loader.Run(ctx)
	}()
	defer func() {
		cancel()
		<-loaded
		loader.Close()
	}()
	qapi := api.New(api.Services{Segments: metadata.NewCatalog(store), Loaded: loader}, api.Options{Logger: slog.New(slog.DiscardHandler)})
	qapi.RouteQueries(query.New(loader))
	qsrv := httptest.NewServer(qapi)
	defer qsrv.Close()
	gets := srv.Requests(http.MethodGet)
	q := []byte(`{"queryType":"timeseries","dataSource":"web","granularity":"all","intervals":["2024-03-05/2024-03-06"],
		"aggregations":[{"type":"count","name":"rows"},{"type":"cardinality","name":"pages","fields":["page"]}]}`)
	for deadline := time.Now().Add(15 * time.Second); ; {
		code, body := httpDo(t, "POST", qsrv.URL+"/druid/v2", q)
		if code == 200 && strings.Contains(body, fmt.Sprintf(`"rows":%d`, rows)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("query node answers %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if srv.Requests(http.MethodGet) <= gets {
		t.Fatal("the query node served the segments without downloading them")
	}
	// The cache cannot hold both segments: what a query needs is pulled back, and once the
	// query is done the cache is within its bound again.
	gets = srv.Requests(http.MethodGet)
	if code, body := httpDo(t, "POST", qsrv.URL+"/druid/v2", q); code != 200 || !strings.Contains(body, fmt.Sprintf(`"rows":%d`, rows)) {
		t.Fatalf("second query: %d %s", code, body)
	}
	if srv.Requests(http.MethodGet) == gets {
		t.Fatal("a bounded cache kept both segments")
	}
	ents, _ := os.ReadDir(filepath.Join(cacheDir, "web"))
	if len(ents) > 1 || loader.CacheBytes() > sizes*3/4 {
		t.Fatalf("query node cache: %d segments, %d bytes (bound %d)", len(ents), loader.CacheBytes(), sizes*3/4)
	}

	// dump-segment reads an archive straight from the bucket.
	var out, errOut bytes.Buffer
	if err := dumpSegment([]string{"--directory", "s3://deep/" + keys[0], "--s3-endpoint", srv.URL, "--s3-path-style", "--dump", "rows", "--column", "page"}, &out, &errOut); err != nil {
		t.Fatalf("dump-segment: %v\n%s", err, errOut.String())
	}
	lines := strings.Count(out.String(), "\n")
	var want int64
	for _, s := range segs {
		if strings.Contains(keys[0], "/"+druidapi.FormatTime(s.Start)+"_") {
			want = s.NumRows
		}
	}
	if int64(lines) != want || !strings.Contains(out.String(), `"page":"page-`) {
		t.Fatalf("dump-segment printed %d rows, want %d:\n%.300s", lines, want, out.String())
	}
	if err := dumpSegment([]string{"--directory", "s3://deep/druid/missing/index.zip", "--s3-endpoint", srv.URL, "--s3-path-style"}, io.Discard, io.Discard); err == nil {
		t.Fatal("dump-segment of a missing archive: no error")
	}
}

// ingestToS3 runs the daemon with S3 deep storage, S3 failing the first faults uploads, and
// ingests 600 rows; it returns once every row is published, having checked that each is
// published once and that the bucket holds exactly the published archives.
func ingestToS3(t *testing.T, faults int) (srv *s3test.Server, d *daemon, segs []metadata.Segment, keys []string, sizes int64) {
	t.Helper()
	s3TestEnv(t)
	srv = s3test.Start(t, "deep")
	srv.FailNext(faults, func(r *http.Request) bool { return r.Method == http.MethodPut || r.Method == http.MethodPost })

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "web"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		b, _ := json.Marshal(map[string]any{"ts": time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * 12 * time.Second).Format(time.RFC3339),
			"page": fmt.Sprintf("page-%d-%x", i, i*7919)})
		cl.Produce(context.Background(), &kgo.Record{Topic: "web", Value: b}, nil)
	}
	if err := cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	cl.Close()

	c := &serveConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir(), WorkerCapacity: 2, MaxBodyBytes: 1 << 20, LogFormat: "text", LogLevel: "error",
		DeepStorage: "s3://deep/druid/segments", S3Endpoint: srv.URL, S3PathStyle: true,
		S3PartSize:     1 << 10, // segments of a few KiB go up in several parts
		S3RetryBackoff: 50 * time.Millisecond}
	d, err = startDaemon(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	base := "http://" + d.Addr()
	spec, _ := json.Marshal(map[string]any{"type": "kafka", "spec": map[string]any{
		"dataSchema": map[string]any{
			"dataSource":      "web",
			"timestampSpec":   map[string]any{"column": "ts", "format": "iso"},
			"dimensionsSpec":  map[string]any{"dimensions": []any{"page"}},
			"metricsSpec":     []any{map[string]any{"type": "count", "name": "count"}},
			"granularitySpec": map[string]any{"segmentGranularity": "hour", "queryGranularity": "none", "rollup": false},
		},
		"ioConfig": map[string]any{"topic": "web", "inputFormat": map[string]any{"type": "json"},
			"consumerProperties": map[string]any{"bootstrap.servers": broker}, "taskCount": 1, "taskDuration": "PT2S",
			"startDelay": "PT0.1S", "period": "PT0.5S", "useEarliestOffset": true},
	}})
	if code, body := httpDo(t, "POST", base+"/druid/indexer/v1/supervisor", spec); code != 200 {
		t.Fatalf("create supervisor: %d %s", code, body)
	}

	// Every row published: 600 rows every 12 s span two hours, so two segments.
	store := d.engine.Store
	for deadline := time.Now().Add(25 * time.Second); ; {
		segs, err = store.Segments(context.Background(), "web", true)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, s := range segs {
			n += s.NumRows
		}
		if n == rows {
			break
		}
		if n > rows {
			t.Fatalf("%d rows published, want %d", n, rows)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d rows published", n, rows)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if left := srv.FaultsLeft(); left != 0 {
		t.Fatalf("%d injected S3 failures never happened", left)
	}
	if len(segs) != 2 {
		t.Fatalf("%d segments, want 2", len(segs))
	}
	for _, s := range segs {
		var ds druidapi.DataSegment
		if err := json.Unmarshal(s.Payload, &ds); err != nil {
			t.Fatal(err)
		}
		ls := ds.LoadSpec
		js, _ := json.Marshal(ls)
		if want := `{"type":"s3_zip","bucket":"deep","key":"` + ls.Key + `","S3Schema":"s3n"}`; string(js) != want {
			t.Fatalf("loadSpec %s, want %s", js, want)
		}
		wantDir := "druid/segments/web/" + druidapi.FormatTime(s.Start) + "_" + druidapi.FormatTime(s.End) + "/" + s.Version + "/0/"
		if !strings.HasPrefix(ls.Key, wantDir) || !strings.HasSuffix(ls.Key, "/index.zip") {
			t.Fatalf("key %s, want %s<uuid>/index.zip", ls.Key, wantDir)
		}
		obj, err := srv.Backend.HeadObject("deep", ls.Key)
		if err != nil || obj.Size != s.Size {
			t.Fatalf("object %s: %v (size %d, segment size %d)", ls.Key, err, obj.Size, s.Size)
		}
		keys = append(keys, ls.Key)
		sizes += s.Size
	}
	// The retried uploads left nothing beside the published archives.
	if got := srv.Keys(t, "deep", ""); !slices.Equal(sortedCopy(got), sortedCopy(keys)) {
		t.Fatalf("bucket holds %v, published %v", got, keys)
	}
	if srv.Parts() < 4 {
		t.Fatalf("%d UploadPart requests for archives of %d bytes: the multipart path was not taken", srv.Parts(), sizes)
	}

	return srv, d, segs, keys, sizes
}

// TestServeS3LongOutage: S3 refuses uploads for longer than a push retries, so publishing tasks
// fail; the supervisor's next tasks re-read the same offsets and publish every row exactly once,
// and the failed pushes leave nothing in the bucket.
func TestServeS3LongOutage(t *testing.T) {
	ingestToS3(t, 2*storage.DefaultS3MaxAttempts+1) // two whole pushes fail, the third succeeds on a retry
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func httpDo(t *testing.T, method, url string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeDeepStorageFlags(t *testing.T) {
	t.Setenv("KAFKA_INDEXER_S3_ENDPOINT", "http://127.0.0.1:9000")
	c, err := parseServeFlags([]string{"--deep-storage", "s3://deep/druid/segments", "--s3-path-style", "--segment-cache-bytes", "1000000"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.DeepStorage != "s3://deep/druid/segments" || c.S3Endpoint != "http://127.0.0.1:9000" || !c.S3PathStyle ||
		c.SegmentCacheBytes != 1000000 || c.S3PartSize != storage.DefaultS3PartSize {
		t.Fatalf("config %+v", c)
	}
	if c, err := parseServeFlags(nil, io.Discard); err != nil || c.DeepStorage != "local" || c.SegmentCacheBytes != 0 {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	for _, tc := range []struct{ name, flag, value, want string }{
		{"scheme", "--deep-storage", "gs://b/p", "--deep-storage must be local or s3://BUCKET/PREFIX"},
		{"no bucket", "--deep-storage", "s3:///p", "--deep-storage must be local or s3://BUCKET/PREFIX"},
		{"endpoint", "--s3-endpoint", "localhost:9000", "--s3-endpoint must be an http:// or https:// URL"},
		{"cache", "--segment-cache-bytes", "-1", "--segment-cache-bytes must be ≥ 0"},
		{"part size", "--s3-part-size", "-5", "--s3-part-size must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseServeFlags([]string{tc.flag, tc.value}, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%s %s: %v, want %q", tc.flag, tc.value, err, tc.want)
			}
		})
	}
}

// TestClusterS3QueryNode runs two `serve` processes on one PostgreSQL schema and one bucket:
// an overlord node with S3 deep storage ingests from kfake, and a node with --roles query and
// a segment cache of one byte, which never built a segment, answers the native query for every
// row by pulling the archives the s3_zip loadSpecs name.
func TestClusterS3QueryNode(t *testing.T) {
	dsn, srv, broker := s3ClusterEnv(t, 1)
	produceTimedIDs(t, broker, rows)
	s3flags := []string{"--deep-storage", "s3://deep/druid/segments", "--s3-endpoint", srv.URL, "--s3-path-style", "--s3-part-size", "1024"}
	overlord := startNode(t, "overlord", dsn, s3flags...)
	querier := startNode(t, "query", dsn, append(s3flags, "--roles", "query", "--segment-cache-bytes", "1")...)
	waitLeader(t, []*node{overlord})
	spec := map[string]any{"type": "kafka", "spec": map[string]any{
		"dataSchema": map[string]any{
			"dataSource":     "stream",
			"timestampSpec":  map[string]any{"column": "timestamp", "format": "iso"},
			"dimensionsSpec": map[string]any{"dimensions": []any{map[string]any{"type": "long", "name": "id"}}},
			"metricsSpec": []any{map[string]any{"type": "count", "name": "count"},
				map[string]any{"type": "longSum", "name": "idsum", "fieldName": "id"}},
			"granularitySpec": map[string]any{"segmentGranularity": "hour", "queryGranularity": "none", "rollup": false},
		},
		"ioConfig": map[string]any{"topic": "stream", "inputFormat": map[string]any{"type": "json"},
			"consumerProperties": map[string]any{"bootstrap.servers": broker}, "taskCount": 1, "taskDuration": "PT2S",
			"startDelay": "PT0.1S", "period": "PT0.5S", "useEarliestOffset": true},
	}}
	if code := overlord.proc().call(t, "POST", "/druid/indexer/v1/supervisor", spec, nil); code != 200 {
		t.Fatalf("create supervisor: %d", code)
	}
	waitPublished(t, overlord, "by the overlord node", 2)
	// The query node runs no tasks: it reads the published segments it pulls from the bucket
	// and asks the overlord node's worker for the rows not published yet. Never more than
	// every row, and every row exactly once in the end.
	wantSum := int64(rows * (rows - 1) / 2)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		n, sum := countQuery(t, querier)
		if n == rows && sum == wantSum {
			break
		}
		if n > rows || time.Now().After(deadline) {
			t.Fatalf("query node counts %d rows (id sum %d), want %d (%d)", n, sum, rows, wantSum)
		}
	}
	if keys := srv.Keys(t, "deep", "druid/segments/stream/"); len(keys) != 2 {
		t.Fatalf("bucket holds %v, want the 2 published archives", keys)
	}
}
