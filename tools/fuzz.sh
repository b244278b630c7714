#!/usr/bin/env bash
# Runs every Go fuzz target of the repository (every `func FuzzXxx(f *testing.F)`, found with
# `go test -list`) for a short time each, so new targets are picked up without editing this
# script. `go test -fuzz` takes one target in one package per run, hence the loop.
#
#   FUZZTIME      how long each target runs (a go test -fuzztime value; default 5s)
#   FUZZPARALLEL  fuzzing workers per target (default: go's, GOMAXPROCS)
#
# Extra arguments are package patterns (default ./...), e.g. tools/fuzz.sh ./engine/input/.
# A failing input is written by go under the package's testdata/fuzz/<target>/; commit it as a
# regression seed once it is fixed. The script fails if any target fails, after running them all.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-5s}
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then
  pkgs=(./...)
fi
parallel=()
if [ -n "${FUZZPARALLEL:-}" ]; then
  parallel=(-parallel "$FUZZPARALLEL")
fi

# `go test -list` prints a package's matching names, then "ok <package> <time>". It compiles
# every test binary, so a build failure stops the script here, loudly.
if ! listing=$(go test -list '^Fuzz' "${pkgs[@]}"); then
  echo "fuzz: go test -list failed" >&2
  exit 1
fi
targets=$(awk '
  /^Fuzz/ { names[n++] = $1; next }
  /^ok/   { for (i = 0; i < n; i++) print $2, names[i]; n = 0 }
' <<<"$listing")
if [ -z "$targets" ]; then
  echo "fuzz: no fuzz targets found in ${pkgs[*]}" >&2
  exit 1
fi

failed=()
while read -r pkg name; do
  echo "== $name ($pkg) for $fuzztime"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "${parallel[@]}" "$pkg"; then
    failed+=("$name ($pkg)")
  fi
done <<<"$targets"

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failing targets:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "fuzz: $(wc -l <<<"$targets") targets passed"
