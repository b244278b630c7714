package api

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLimitPerClient holds max connections open from one client and checks that the next one
// is answered 503 and closed, and that closing one gives its slot back.
func TestLimitPerClient(t *testing.T) {
	const max = 3
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(LimitPerClient(ln, max, true))
	t.Cleanup(func() { srv.Close() })

	get := func(c net.Conn) string {
		t.Helper()
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return "write: " + err.Error()
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second)) // a hang guard, not an assertion
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return "read: " + err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.Status + " " + strings.TrimSpace(string(b))
	}
	var held []net.Conn
	for i := 0; i < max; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// A request on each proves the server accepted it (not just the kernel backlog).
		if got := get(c); got != "200 OK ok" {
			t.Fatalf("connection %d: %s", i, got)
		}
		held = append(held, c)
	}
	extra, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	_ = extra.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(extra), nil)
	if err != nil {
		t.Fatalf("connection %d: no 503: %v", max+1, err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "too many connections") {
		t.Fatalf("connection %d: %s %s", max+1, resp.Status, b)
	}
	if n, err := extra.Read(make([]byte, 1)); err == nil {
		t.Fatalf("refused connection still open (read %d bytes)", n)
	}

	// Freeing a slot lets a new connection in, eventually (the server notices the close).
	held[0].Close()
	// The deadline is a liveness bound, generous for a loaded machine.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		got := get(c)
		c.Close()
		if got == "200 OK ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot never freed: %s", got)
		}
	}
}

// TestLimitPerClientOff checks that a non-positive cap leaves the listener alone.
func TestLimitPerClientOff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if got := LimitPerClient(ln, 0, true); got != ln {
		t.Fatalf("LimitPerClient(ln, 0) wrapped the listener: %T", got)
	}
}
