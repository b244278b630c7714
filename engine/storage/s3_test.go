package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/segment"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/storage/s3test"
)

func newTestS3(t *testing.T, srv *s3test.Server, prefix string, change func(*S3Options)) *S3 {
	t.Helper()
	opts := S3Options{Bucket: "deep", Prefix: prefix, Endpoint: srv.URL, PathStyle: true, Credentials: s3test.Credentials,
		RetryBackoff: 10 * time.Millisecond, TempDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)}
	if change != nil {
		change(&opts)
	}
	s, err := NewS3(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bigSegment builds a segment whose archive is a few tens of KiB (distinct values compress
// badly), so a small PartSize makes several parts.
func bigSegment(t *testing.T) (string, SegmentKey) {
	t.Helper()
	meta := segment.Metadata{
		DataSource: "wiki", Interval: segment.Interval{Start: t0, End: t0.Add(time.Hour)}, Version: "2026-01-01T00:00:00.000Z", Partition: 0,
		Dimensions: []segment.DimensionSchema{{Name: "page", Type: segment.TypeString}},
		Metrics:    []segment.MetricSchema{{Name: "count", Type: segment.TypeLong}},
	}
	dir := filepath.Join(t.TempDir(), "seg")
	w, err := segment.NewWriter(dir, meta, segment.DefaultIndexSpec())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		page := fmt.Sprintf("page-%08x-%d", uint32(i)*2654435761, i)
		if err := w.Add(&segment.Row{Time: t0.UnixMilli() + int64(i), Dims: []segment.DimValue{{Str: page}}, Metrics: []segment.MetricValue{{Long: int64(i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, SegmentKey{DataSource: meta.DataSource, Start: meta.Interval.Start, End: meta.Interval.End, Version: meta.Version, Partition: meta.Partition}
}

func pullRows(t *testing.T, s *S3, spec LoadSpec) int {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "pulled")
	if err := s.Pull(t.Context(), spec, dst); err != nil {
		t.Fatal(err)
	}
	r, err := segment.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return r.NumRows()
}

func TestS3PushPullKill(t *testing.T) {
	srv := s3test.Start(t, "deep")
	s := newTestS3(t, srv, "/druid/segments/", nil)
	dir, meta := buildSegment(t)
	key := SegmentKey{DataSource: meta.DataSource, Start: meta.Interval.Start, End: meta.Interval.End, Version: meta.Version, Partition: meta.Partition}

	spec, size, err := s.Push(t.Context(), dir, key)
	if err != nil {
		t.Fatal(err)
	}
	// Druid's layout: baseKey/dataSource/start_end/version/partitionNum/uuid/index.zip.
	want := regexp.MustCompile(`^druid/segments/wiki/2026-01-01T00:00:00\.000Z_2026-01-01T01:00:00\.000Z/2026-01-01T00:00:00\.000Z/2/[0-9a-f-]{36}/index\.zip$`)
	if !want.MatchString(spec.Key) {
		t.Fatalf("key %q does not match %s", spec.Key, want)
	}
	js, _ := json.Marshal(spec)
	if got := string(js); got != `{"type":"s3_zip","bucket":"deep","key":"`+spec.Key+`","S3Schema":"s3n"}` {
		t.Fatalf("loadSpec %s", got)
	}
	obj, err := srv.Backend.HeadObject("deep", spec.Key)
	if err != nil || obj.Size != size {
		t.Fatalf("object %v, size %d, want %d", err, obj.Size, size)
	}
	if n := pullRows(t, s, spec); n != 3 {
		t.Fatalf("pulled %d rows, want 3", n)
	}

	// Kill refuses what is not this storage's, then deletes; a second kill is a no-op.
	for _, bad := range []LoadSpec{
		{Type: "s3_zip", Bucket: "other", Key: spec.Key},
		{Type: "s3_zip", Bucket: "deep", Key: "elsewhere/index.zip"},
		{Type: "s3_zip", Bucket: "deep", Key: "druid/segments/../x/index.zip"},
		{Type: "s3_zip", Bucket: "deep", Key: strings.TrimSuffix(spec.Key, "index.zip") + "meta.json"},
	} {
		if err := s.Kill(t.Context(), bad); err == nil {
			t.Errorf("kill %+v: no error", bad)
		}
	}
	if err := s.Kill(t.Context(), LoadSpec{Type: "local", Path: "/x/index.zip"}); !errors.Is(err, ErrUnsupportedLoadSpec) {
		t.Errorf("kill local loadSpec: %v", err)
	}
	if err := s.Kill(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	if keys := srv.Keys(t, "deep", ""); len(keys) != 0 {
		t.Fatalf("after kill: %v", keys)
	}
	if err := s.Kill(t.Context(), spec); err != nil {
		t.Fatalf("second kill: %v", err)
	}
	if err := s.Pull(t.Context(), spec, filepath.Join(t.TempDir(), "gone")); err == nil {
		t.Fatal("pull of a killed segment: no error")
	}
}

// isPart matches UploadPart requests.
func isPart(r *http.Request) bool {
	return r.Method == http.MethodPut && r.URL.Query().Has("partNumber")
}

func TestS3MultipartPushRetriesParts(t *testing.T) {
	srv := s3test.Start(t, "deep")
	s := newTestS3(t, srv, "p", func(o *S3Options) { o.PartSize = 4 << 10 })
	dir, key := bigSegment(t)
	srv.FailNext(2, isPart) // an outage in the middle of the upload
	spec, size, err := s.Push(t.Context(), dir, key)
	if err != nil {
		t.Fatal(err)
	}
	if size < 3*(4<<10) {
		t.Fatalf("archive of %d bytes: too small to need several parts", size)
	}
	if puts := srv.Requests(http.MethodPut); puts < 3+2 {
		t.Fatalf("%d PUT requests: want one per part plus the 2 failed ones", puts)
	}
	if keys := srv.Keys(t, "deep", ""); len(keys) != 1 || keys[0] != spec.Key {
		t.Fatalf("keys %v, want just %s", keys, spec.Key)
	}
	if n := pullRows(t, s, spec); n != 2000 {
		t.Fatalf("pulled %d rows, want 2000", n)
	}
}

func TestS3MultipartFailureAborts(t *testing.T) {
	srv := s3test.Start(t, "deep")
	s := newTestS3(t, srv, "p", func(o *S3Options) { o.PartSize = 4 << 10; o.MaxAttempts = 3 })
	dir, key := bigSegment(t)
	srv.FailNext(1000, func(r *http.Request) bool { return isPart(r) && r.URL.Query().Get("partNumber") == "2" })
	_, _, err := s.Push(t.Context(), dir, key)
	if err == nil || !strings.Contains(err.Error(), "upload part 2") {
		t.Fatalf("push with part 2 failing: %v", err)
	}
	if keys := srv.Keys(t, "deep", ""); len(keys) != 0 {
		t.Fatalf("a failed push left %v", keys)
	}
	if dels := srv.Requests(http.MethodDelete); dels != 1 {
		t.Fatalf("%d DELETE requests, want the one AbortMultipartUpload", dels)
	}
}

func TestS3PutRetriesOutage(t *testing.T) {
	srv := s3test.Start(t, "deep")
	s := newTestS3(t, srv, "", nil)
	dir, meta := buildSegment(t)
	key := SegmentKey{DataSource: meta.DataSource, Start: meta.Interval.Start, End: meta.Interval.End, Version: meta.Version, Partition: meta.Partition}
	srv.FailNext(3, func(r *http.Request) bool { return r.Method == http.MethodPut })
	spec, _, err := s.Push(t.Context(), dir, key)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(spec.Key, "wiki/") { // no leading slash without a prefix
		t.Fatalf("key %q", spec.Key)
	}
	if keys := srv.Keys(t, "deep", ""); len(keys) != 1 {
		t.Fatalf("keys %v", keys)
	}
	// A pull retries too.
	srv.FailNext(2, func(r *http.Request) bool { return r.Method == http.MethodGet })
	if n := pullRows(t, s, spec); n != 3 {
		t.Fatalf("pulled %d rows", n)
	}
	// Answers that will not change are not retried.
	gets := srv.Requests(http.MethodGet)
	err = s.Pull(t.Context(), LoadSpec{Type: "s3_zip", Bucket: "deep", Key: "missing/index.zip"}, filepath.Join(t.TempDir(), "x"))
	if err == nil || srv.Requests(http.MethodGet) != gets+1 {
		t.Fatalf("pull of a missing key: %v after %d GETs", err, srv.Requests(http.MethodGet)-gets)
	}
}

func TestS3PushCancelled(t *testing.T) {
	srv := s3test.Start(t, "deep")
	s := newTestS3(t, srv, "", func(o *S3Options) { o.RetryBackoff = time.Hour })
	dir, meta := buildSegment(t)
	key := SegmentKey{DataSource: meta.DataSource, Start: meta.Interval.Start, End: meta.Interval.End, Version: meta.Version, Partition: meta.Partition}
	srv.FailNext(1, func(r *http.Request) bool { return r.Method == http.MethodPut })
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, _, err := s.Push(ctx, dir, key); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("push cancelled while waiting to retry: %v", err)
	}
}

func TestParseS3URI(t *testing.T) {
	for _, tc := range []struct {
		name, uri, bucket, key string
		bad                    bool
	}{
		{name: "bucket only", uri: "s3://b", bucket: "b"},
		{name: "prefix", uri: "s3://b/druid/segments", bucket: "b", key: "druid/segments"},
		{name: "archive", uri: "s3://b/ds/x/index.zip", bucket: "b", key: "ds/x/index.zip"},
		{name: "other scheme", uri: "gs://b/x", bad: true},
		{name: "no bucket", uri: "s3:///x", bad: true},
		{name: "not a URI", uri: "local", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, k, err := ParseS3URI(tc.uri)
			if (err != nil) != tc.bad || b != tc.bucket || k != tc.key {
				t.Fatalf("ParseS3URI(%q) = %q, %q, %v", tc.uri, b, k, err)
			}
		})
	}
}

// TestS3ServerDownIsRetried: a refused connection (the server is down) counts as transient, so
// it is tried MaxAttempts times before the push fails.
func TestS3ServerDownIsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	s, err := NewS3(t.Context(), S3Options{Bucket: "deep", Endpoint: url, PathStyle: true, Credentials: s3test.Credentials,
		MaxAttempts: 3, RetryBackoff: time.Millisecond, TempDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	dir, meta := buildSegment(t)
	key := SegmentKey{DataSource: meta.DataSource, Start: meta.Interval.Start, End: meta.Interval.End, Version: meta.Version, Partition: meta.Partition}
	if _, _, err := s.Push(t.Context(), dir, key); err == nil || !strings.Contains(err.Error(), "try 3 of 3") {
		t.Fatalf("push to a server that is down: %v", err)
	}
}
