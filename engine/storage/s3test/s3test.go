// Package s3test starts a real S3-compatible server for tests: gofakes3's S3 HTTP API over its
// in-memory backend on a loopback port, so code under test talks to it through the AWS SDK
// exactly as it talks to S3 (signing, path-style addressing, multipart uploads). Faults are
// injected at the HTTP level: a Server can answer 500 to the next requests that match.
package s3test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Credentials are what tests sign with; the server accepts any.
var Credentials aws.CredentialsProvider = credentials.NewStaticCredentialsProvider("test-key", "test-secret", "")

// Server is a running S3-compatible server.
type Server struct {
	// URL is the endpoint (--s3-endpoint); buckets are addressed path-style.
	URL     string
	Backend *s3mem.Backend

	faultMu sync.Mutex
	faults  []fault
	// Requests counts the requests served (faults included), by method; parts counts the
	// UploadPart requests among them.
	requests map[string]int
	parts    int
}

type fault struct {
	match func(*http.Request) bool
	left  int
}

// Start runs a server with the given buckets until the test ends.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			t.Fatalf("create bucket %s: %v", b, err)
		}
	}
	s := &Server{Backend: backend, requests: map[string]int{}}
	h := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.fail(r) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected outage</Message></Error>`))
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// FailNext makes the next n requests for which match returns true answer 500 InternalError,
// as S3 does in an outage.
func (s *Server) FailNext(n int, match func(*http.Request) bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = append(s.faults, fault{match: match, left: n})
}

// Requests returns how many requests with method were served, failed ones included.
func (s *Server) Requests(method string) int {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.requests[method]
}

// Parts returns how many UploadPart requests were served, failed ones included.
func (s *Server) Parts() int {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.parts
}

func (s *Server) fail(r *http.Request) bool {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.requests[r.Method]++
	if r.Method == http.MethodPut && r.URL.Query().Has("partNumber") {
		s.parts++
	}
	for i := range s.faults {
		if f := &s.faults[i]; f.left > 0 && f.match(r) {
			f.left--
			return true
		}
	}
	return false
}

// Keys lists the keys in bucket under prefix.
func (s *Server) Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	list, err := s.Backend.ListBucket(bucket, &gofakes3.Prefix{Prefix: prefix, HasPrefix: true}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
	}
	var keys []string
	for _, c := range list.Contents {
		keys = append(keys, c.Key)
	}
	return keys
}

// FaultsLeft is how many injected failures have not happened yet.
func (s *Server) FaultsLeft() int {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.left
	}
	return n
}
