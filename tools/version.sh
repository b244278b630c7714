#!/usr/bin/env bash
# Prints the version of this checkout as a semantic version Terraform accepts, from `git describe`:
#
#   clean checkout of a release tag vX.Y.Z      X.Y.Z
#   N commits after vX.Y.Z (or after the root)  X.Y.Z+N.g<sha>          (0.0.0+N.g<sha> without a tag)
#   uncommitted changes on top of either        ...+N.g<sha>.dirty.<h>  (<h>: hash of the changes)
#
# Build metadata (after "+") is ignored when Terraform compares versions, so a development build
# satisfies exactly the constraints the release it builds on satisfies, and it is never a
# prerelease: a `required_providers` entry with no version constraint selects it (Terraform only
# selects prereleases named by an exact constraint). The metadata still makes every build's version
# unique, which the dependency lock file needs: a rebuilt binary under an old version string would
# no longer match the checksum `terraform init` recorded for it. <h> covers tracked changes and
# untracked files, so two different dirty builds never share a version.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "0.0.0+unknown"
  exit 0
fi
sha=$(git rev-parse --short=7 HEAD)
if desc=$(git describe --tags --long --match 'v[0-9]*.[0-9]*.[0-9]*' 2>/dev/null); then
  # vX.Y.Z[-pre]-N-gSHA
  n=${desc%-g*}; n=${n##*-}
  tag=${desc%-*-g*}
  base=${tag#v}
else
  base=0.0.0
  n=$(git rev-list --count HEAD)
fi
status=$(git status --porcelain --untracked-files=normal)
if [ -z "$status" ] && [ "$n" = 0 ]; then
  echo "$base"
  exit 0
fi
meta="$n.g$sha"
if [ -n "$status" ]; then
  h=$({ git diff HEAD --binary; git ls-files -z --others --exclude-standard | xargs -0r sha256sum; } | sha256sum | cut -c1-8)
  meta="$meta.dirty.$h"
fi
echo "$base+$meta"
