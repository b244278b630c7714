#!/usr/bin/env bash
# The lint gate (`make lint`; tools/test.sh runs it first): go vet, gofmt, staticcheck at the version
# pinned in tools/go.mod (a `tool` of that module, so `go mod download` there fetches it), and
# `go mod tidy -diff` for the root and tools/ modules. Exits non-zero on the first failing check.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go vet"
go vet ./...

echo "== gofmt"
out=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$out" ]; then
  echo "lint: gofmt needed (run 'make fmt'):" >&2
  echo "$out" >&2
  exit 1
fi

echo "== staticcheck"
# Built from the tools module and run here, so it checks the root module's packages (and tests).
mkdir -p bin
go -C tools build -o ../bin/staticcheck honnef.co/go/tools/cmd/staticcheck
bin/staticcheck ./...

echo "== go mod tidy -diff"
tidy_ok=true
for dir in . tools; do
  if ! diff=$(go -C "$dir" mod tidy -diff); then
    echo "lint: go mod tidy -diff failed in $dir: not tidy (run 'go mod tidy' there and commit) or it could not load the module graph:" >&2
    echo "$diff" >&2
    tidy_ok=false
  fi
done
$tidy_ok
echo "lint: ok"
