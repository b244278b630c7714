#!/usr/bin/env bash
# Fails when the committed provider documentation under docs/ is not what tfplugindocs generates
# from the current schema, examples and templates (run `make docs` and commit the result).
set -euo pipefail
cd "$(dirname "$0")/.."
before=$(git status --porcelain -- docs/ examples/ | sort)
(cd tools && go generate ./...) >/dev/null
after=$(git status --porcelain -- docs/ examples/ | sort)
if [ "$before" != "$after" ] || ! git diff --quiet -- docs/index.md docs/resources docs/data-sources docs/functions docs/guides examples/; then
  echo "check-docs: the generated provider docs are stale; run 'make docs' and commit:" >&2
  git status --short -- docs/ examples/ >&2
  git diff --stat -- docs/ examples/ >&2
  exit 1
fi
echo "check-docs: provider docs are up to date"
