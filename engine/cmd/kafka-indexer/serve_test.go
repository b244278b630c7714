package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSlowClientCutOff runs the daemon with a short read timeout and checks that a client
// dribbling a request body (slowloris) loses its connection, while a normal request on another
// connection is answered.
func TestSlowClientCutOff(t *testing.T) {
	c := &serveConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir(), WorkerCapacity: 1, MaxBodyBytes: 1 << 20,
		LogFormat: "text", LogLevel: "error", HTTPReadTimeout: 300 * time.Millisecond}
	d, err := startDaemon(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	conn, err := net.Dial("tcp", d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /druid/indexer/v1/supervisor HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// Send one byte at a time until the server gives up on us: the write or a read fails.
	// The loop bound only keeps a broken server from hanging the test.
	cut := false
	for i := 0; i < 400 && !cut; i++ {
		if _, err := conn.Write([]byte{' '}); err != nil {
			cut = true
			break
		}
		_ = conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		var buf [512]byte
		n, err := conn.Read(buf[:])
		var ne net.Error
		switch {
		case n > 0:
			// The server answers 408 (the body did not arrive in time) and closes.
			if !strings.Contains(string(buf[:n]), "HTTP/1.1 408") {
				t.Fatalf("unexpected answer to a dribbled body: %q", buf[:n])
			}
			cut = true
		case errors.As(err, &ne) && ne.Timeout():
			// still open; keep dribbling
		case err != nil:
			cut = true
		}
	}
	if !cut {
		t.Fatal("connection dribbling its body was never cut off")
	}

	// The daemon still serves well-behaved clients.
	resp, err := http.Get("http://" + d.Addr() + "/status/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %s", resp.Status)
	}
}

// TestServeHTTPFlags checks the HTTP limit flags, their environment fallbacks and that a
// serveConfig built in code (the quickstart) gets every timeout.
func TestServeHTTPFlags(t *testing.T) {
	c, err := parseServeFlags([]string{"--http-read-timeout", "5s", "--max-connections-per-client", "7"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPReadTimeout != 5*time.Second || c.MaxConnectionsPerClient != 7 || c.HTTPWriteTimeout != defaultHTTPWriteTimeout || c.HTTPIdleTimeout != defaultHTTPIdleTimeout {
		t.Fatalf("parsed %+v", c)
	}
	if c.TaskQueueSize != 64 || c.TaskHistory != 100 {
		t.Fatalf("task bounds %d, %d; want the runner defaults", c.TaskQueueSize, c.TaskHistory)
	}
	for _, flag := range []string{"--task-queue-size", "--max-connections-per-client"} {
		if _, err := parseServeFlags([]string{flag, "0"}, io.Discard); err == nil {
			t.Fatalf("%s 0 accepted", flag)
		}
		if _, err := parseServeFlags([]string{flag, "-1"}, io.Discard); err != nil {
			t.Fatalf("%s -1 (no bound) refused: %v", flag, err)
		}
	}
	t.Setenv("KAFKA_INDEXER_HTTP_IDLE_TIMEOUT", "3m")
	if c, err = parseServeFlags(nil, io.Discard); err != nil || c.HTTPIdleTimeout != 3*time.Minute {
		t.Fatalf("env fallback: %v %+v", err, c)
	}
	t.Setenv("KAFKA_INDEXER_HTTP_IDLE_TIMEOUT", "3 minutes")
	if _, err = parseServeFlags(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "KAFKA_INDEXER_HTTP_IDLE_TIMEOUT") {
		t.Fatalf("mistyped env accepted: %v", err)
	}
	os.Unsetenv("KAFKA_INDEXER_HTTP_IDLE_TIMEOUT")
	srv := newHTTPServer(&serveConfig{}, http.NotFoundHandler())
	if srv.ReadTimeout != defaultHTTPReadTimeout || srv.WriteTimeout != defaultHTTPWriteTimeout || srv.IdleTimeout != defaultHTTPIdleTimeout || srv.ReadHeaderTimeout != defaultReadHeaderTimeout {
		t.Fatalf("defaults not applied: %+v", srv)
	}
	// The write timeout must leave room for a query running its whole default timeout.
	if srv.WriteTimeout <= 300*time.Second {
		t.Fatalf("write timeout %s does not fit the default query timeout", srv.WriteTimeout)
	}
}

// TestServeUnknownSpecFields checks --unknown-spec-fields, its environment fallback, and that
// the daemon applies it: under warn a typo is dropped with a Warning header instead of a 400.
func TestServeUnknownSpecFields(t *testing.T) {
	c, err := parseServeFlags(nil, io.Discard)
	if err != nil || c.UnknownSpecFields != "reject" {
		t.Fatalf("default: %v %q", err, c.UnknownSpecFields)
	}
	if _, err := parseServeFlags([]string{"--unknown-spec-fields", "loud"}, io.Discard); err == nil || !strings.Contains(err.Error(), "--unknown-spec-fields") {
		t.Fatalf("bad value: %v", err)
	}
	t.Setenv("KAFKA_INDEXER_UNKNOWN_SPEC_FIELDS", "warn")
	if c, err = parseServeFlags(nil, io.Discard); err != nil || c.UnknownSpecFields != "warn" {
		t.Fatalf("env fallback: %v %+v", err, c)
	}
	c.Listen, c.DataDir, c.LogLevel = "127.0.0.1:0", t.TempDir(), "error"
	d, err := startDaemon(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	typo := `{"type":"kafka","suspended":true,"dataSchema":{"dataSource":"d"},"ioConfig":{"topic":"t","taskCuont":2,"inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"x:1"}}}`
	resp, err := http.Post("http://"+d.Addr()+"/druid/indexer/v1/supervisor", "application/json", strings.NewReader(typo))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(b)) != `{"id":"d"}` {
		t.Fatalf("warn mode: %s %s", resp.Status, b)
	}
	if w := resp.Header.Get("Warning"); !strings.Contains(w, "ioConfig.taskCuont: unknown field (did you mean taskCount?); ignored") {
		t.Fatalf("Warning header %q", w)
	}
}
