package metadatatest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// PrivatePostgres is a throwaway PostgreSQL server owned by one test, for tests that stop and
// start the database (outages). The shared test server (PostgresEnv) must never be stopped:
// other tests use it concurrently. It runs initdb and pg_ctl from Debian's
// /usr/lib/postgresql/*/bin in a t.TempDir(), as the postgres user when the test runs as root,
// listening on a free loopback port, the way tools/start-test-postgres.sh starts the shared one.
type PrivatePostgres struct {
	bin  string // directory of initdb and pg_ctl
	dir  string // owned by the server's user: data/, server.log, the socket
	port int
}

// StartPrivatePostgres initialises and starts a private server, stopped when the test ends.
// Without PostgreSQL's server binaries the test is skipped, except under CI (CI=true), where
// it fails.
func StartPrivatePostgres(t testing.TB) *PrivatePostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		const how = "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)"
		if os.Getenv("CI") == "true" {
			t.Fatal(how)
		}
		t.Skip(how)
	}
	sort.Slice(bins, func(i, j int) bool { return pgMajor(bins[i]) < pgMajor(bins[j]) })
	p := &PrivatePostgres{bin: filepath.Dir(bins[len(bins)-1]), dir: t.TempDir()}
	if os.Geteuid() == 0 {
		// initdb refuses to run as root; the postgres user must own the directory and be able
		// to reach it through t.TempDir's private parent.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("private postgres: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(filepath.Dir(p.dir), 0o711); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p.dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.port = l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	p.run(t, fmt.Sprintf("%s/initdb -D %s/data -U postgres --auth=trust -E UTF8 --no-sync >%s/initdb.log 2>&1", p.bin, p.dir, p.dir))
	p.Start(t)
	t.Cleanup(func() {
		// Before t.TempDir's removal (cleanups run last-registered first).
		_ = p.command(fmt.Sprintf("%s/pg_ctl -D %s/data -m immediate -w stop", p.bin, p.dir)).Run()
	})
	return p
}

// pgMajor is the major version in a /usr/lib/postgresql/<major>/bin path.
func pgMajor(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// DSN is the server's connection string.
func (p *PrivatePostgres) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// Start starts the (stopped) server and waits until it accepts connections.
func (p *PrivatePostgres) Start(t testing.TB) {
	t.Helper()
	p.run(t, fmt.Sprintf("%s/pg_ctl -D %s/data -l %s/server.log -w -t 60 -o '-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off' start >/dev/null",
		p.bin, p.dir, p.dir, p.port, p.dir))
}

// Stop stops the server the way an operator's restart does (pg_ctl stop -m fast): open
// sessions are terminated with admin_shutdown (57P01), new connections are refused.
func (p *PrivatePostgres) Stop(t testing.TB) {
	t.Helper()
	p.run(t, fmt.Sprintf("%s/pg_ctl -D %s/data -m fast -w -t 60 stop >/dev/null", p.bin, p.dir))
}

func (p *PrivatePostgres) run(t testing.TB, script string) {
	t.Helper()
	if out, err := p.command(script).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "server.log"))
		initLog, _ := os.ReadFile(filepath.Join(p.dir, "initdb.log"))
		t.Fatalf("private postgres: %s: %v\n%s\ninitdb.log:\n%s\nserver.log:\n%s", script, err, out, initLog, log)
	}
}

// command runs a shell script as the postgres user when the test is root (su, as
// tools/start-test-postgres.sh does), else as the current user.
func (p *PrivatePostgres) command(script string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("su", "postgres", "-s", "/bin/sh", "-c", script)
	}
	return exec.Command("sh", "-c", script)
}
