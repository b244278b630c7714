#!/usr/bin/env bash
# Runs the whole test suite the way CI does: unit tests, the PostgreSQL metadata-store tests against
# a throwaway server on loopback, and the Terraform acceptance tests with the real terraform CLI.
# Extra arguments go to `go test` (e.g. tools/test.sh -run TestSupervisor ./engine/api/).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v terraform >/dev/null 2>&1; then
  echo "test: the terraform CLI is not on PATH; the provider's acceptance tests need it" >&2
  exit 1
fi
if [ -z "${KAFKA_INDEXER_TEST_POSTGRES:-}" ]; then
  # A server this run starts is stopped when it ends, pass or fail; one already running (a
  # previous run's, or started by hand) is reused and left running.
  if ! tools/start-test-postgres.sh status; then
    trap 'tools/start-test-postgres.sh stop' EXIT
  fi
  KAFKA_INDEXER_TEST_POSTGRES=$(tools/start-test-postgres.sh)
  export KAFKA_INDEXER_TEST_POSTGRES
fi
export TF_ACC=1
# CI=true makes PostgreSQL-backed tests fail rather than skip if the server is unreachable.
export CI=${CI:-true}

# Without a package pattern among the arguments, test everything.
pkgs=(./...)
for a in "$@"; do
  case "$a" in ./*) pkgs=() ;; esac
done

# The whole suite starts with the lint gate (`make lint`): it takes a minute where the tests take
# many, and a vet, staticcheck or go.mod finding should fail CI before the long run, not after it.
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "== lint"
  tools/lint.sh
fi

go test -count=1 -timeout 20m "$@" "${pkgs[@]}"

# The provider's acceptance tests ran above against a fake Druid Overlord (Druid's echo shapes);
# run them again against the real engine, in-process.
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "== provider acceptance tests against the real engine"
  KAFKA_INDEXER_ACC_TARGET=engine go test -count=1 -timeout 20m ./provider/
  echo "== generated provider docs"
  tools/check-docs.sh
  # A short run of every fuzz target (spec decoder, input formats, timestamps, expressions) on top
  # of their committed corpora, which the go test run above already replayed as regression tests.
  echo "== fuzz targets, ${FUZZTIME:-5s} each"
  FUZZTIME=${FUZZTIME:-5s} tools/fuzz.sh
fi
