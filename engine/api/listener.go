package api

import (
	"net"
	"strconv"
	"sync"
	"time"
)

// DefaultMaxConnsPerClient is how many connections one client IP may hold open at once when
// the daemon is not told otherwise (--max-connections-per-client). It is far above what a
// browser (6), the Terraform provider or a supervisor's chat client (a few per task) open, and
// far below what exhausts the process's file descriptors.
const DefaultMaxConnsPerClient = 256

// LimitPerClient wraps ln so that no client IP holds more than max connections at once; a
// connection beyond that is answered 503 (when reply is set: the listener carries plain HTTP)
// or closed, and never reaches the HTTP server. max ≤ 0 returns ln unchanged. Together with
// the server's read timeout it keeps slow or greedy clients from holding every connection.
//
// The count is per IP, not per IP and port: a client behind one address shares the budget,
// which is what a flood from one host needs.
func LimitPerClient(ln net.Listener, max int, reply bool) net.Listener {
	if max <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, max: max, reply: reply, conns: map[string]int{}}
}

type limitListener struct {
	net.Listener
	max   int
	reply bool

	connsMu sync.Mutex
	conns   map[string]int // open connections per client IP
}

// tooManyConnsBody is the body written to a refused plain-HTTP connection, so curl and clients
// see why.
const tooManyConnsBody = `{"error":"too many connections from this client; try again later"}` + "\n"

var tooManyConns = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n" +
	"Content-Length: " + strconv.Itoa(len(tooManyConnsBody)) + "\r\n\r\n" + tooManyConnsBody

// Accept returns the next connection within its client's budget. Refused connections are
// handled here, so the HTTP server never sees an error for them (it backs off on errors).
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := clientIP(c.RemoteAddr())
		l.connsMu.Lock()
		if l.conns[ip] >= l.max {
			l.connsMu.Unlock()
			go l.refuse(c)
			continue
		}
		l.conns[ip]++
		l.connsMu.Unlock()
		return &limitConn{Conn: c, release: func() { l.release(ip) }}, nil
	}
}

// refuse answers a connection over budget without blocking Accept on a client that does not
// read.
func (l *limitListener) refuse(c net.Conn) {
	if l.reply {
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = c.Write([]byte(tooManyConns))
	}
	_ = c.Close()
}

func (l *limitListener) release(ip string) {
	l.connsMu.Lock()
	defer l.connsMu.Unlock()
	if l.conns[ip]--; l.conns[ip] <= 0 {
		delete(l.conns, ip) // keep the map as small as the set of connected clients
	}
}

func clientIP(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// limitConn gives its slot back once, however often it is closed (the HTTP server and TLS
// both close connections).
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
