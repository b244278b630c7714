#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the test suite and prints the DSN that
# KAFKA_INDEXER_TEST_POSTGRES should be set to. Idempotent: a server already running in the same
# directory is reused. Needs Debian's postgresql package (initdb/pg_ctl under /usr/lib/postgresql).
set -euo pipefail
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
mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
if [ ! -f "$dir/data/PG_VERSION" ]; then
  run_as_postgres "$bindir/initdb -D $dir/data -U postgres --auth=trust -E UTF8 >$dir/initdb.log 2>&1"
fi
if ! run_as_postgres "$bindir/pg_ctl -D $dir/data status" >/dev/null 2>&1; then
  run_as_postgres "$bindir/pg_ctl -D $dir/data -l $dir/server.log -w -t 60 -o '-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200' start" >/dev/null
fi
echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
