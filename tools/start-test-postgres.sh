#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the test suite and prints the DSN that
# KAFKA_INDEXER_TEST_POSTGRES should be set to. Idempotent: a server already running in the same
# directory is reused. Needs Debian's postgresql package (initdb/pg_ctl under /usr/lib/postgresql).
#   tools/start-test-postgres.sh          start (or reuse) it and print the DSN
#   tools/start-test-postgres.sh status   exit 0 when it runs
#   tools/start-test-postgres.sh stop     stop it (its data directory stays for the next start)
set -euo pipefail
cmd=${1:-start}
port=${PGTEST_PORT:-55432}
dir=${PGTEST_DIR:-/tmp/kafka-indexer-pgtest}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ]; then
  echo "start-test-postgres: no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 1
fi
run_as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}
case "$cmd" in
start) ;;
status)
  run_as_postgres "$bindir/pg_ctl -D $dir/data status" >/dev/null 2>&1
  exit ;;
stop)
  if run_as_postgres "$bindir/pg_ctl -D $dir/data status" >/dev/null 2>&1; then
    run_as_postgres "$bindir/pg_ctl -D $dir/data -m fast -w stop" >/dev/null
    echo "start-test-postgres: stopped the server in $dir" >&2
  fi
  exit 0 ;;
*)
  echo "usage: $0 [start|status|stop]" >&2
  exit 2 ;;
esac
mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
if [ ! -f "$dir/data/PG_VERSION" ]; then
  run_as_postgres "$bindir/initdb -D $dir/data -U postgres --auth=trust -E UTF8 >$dir/initdb.log 2>&1"
fi
if ! run_as_postgres "$bindir/pg_ctl -D $dir/data status" >/dev/null 2>&1; then
  run_as_postgres "$bindir/pg_ctl -D $dir/data -l $dir/server.log -w -t 60 -o '-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200' start" >/dev/null
fi
echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
