#!/usr/bin/env bash
# Builds the provider's release in the layout the Terraform registry reads (GoReleaser's naming in
# HashiCorp's provider scaffolding), under $DIST (default dist/):
#   terraform-provider-kafka_<version>_<os>_<arch>.zip   holding terraform-provider-kafka_v<version>[.exe]
#   terraform-provider-kafka_<version>_manifest.json     a copy of terraform-registry-manifest.json
#   terraform-provider-kafka_<version>_SHA256SUMS        sha256 of every zip and of the manifest
# for every os_arch in $PLATFORMS (default linux, darwin, windows × amd64, arm64). Binaries are
# static (CGO_ENABLED=0) and reproducible (-trimpath, zip entries dated at the commit time).
# The zips also work as a packed filesystem mirror: copy them to
# <mirror>/registry.terraform.io/kafka-indexer/kafka/ and `terraform init` installs from there.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:-$(tools/version.sh)}
dist=${DIST:-dist}
platforms=${PLATFORMS:-linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64 windows_arm64}
name=terraform-provider-kafka
stamp=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d%H%M.%S 2>/dev/null || date -u +%Y%m%d%H%M.%S)
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
rm -f "$dist/${name}_${version}_"*
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=()
for p in $platforms; do
  goos=${p%_*}
  goarch=${p#*_}
  ext=
  [ "$goos" = windows ] && ext=.exe
  bin="${name}_v$version$ext"
  mkdir -p "$work/$p"
  GOOS=$goos GOARCH=$goarch CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$work/$p/$bin" .
  TZ=UTC touch -t "$stamp" "$work/$p/$bin"
  zip="${name}_${version}_${p}.zip"
  (cd "$work/$p" && TZ=UTC zip -q -X "$dist/$zip" "$bin")
  files+=("$zip")
  echo "built $zip"
done
cp terraform-registry-manifest.json "$dist/${name}_${version}_manifest.json"
files+=("${name}_${version}_manifest.json")
(cd "$dist" && sha256sum "${files[@]}" > "${name}_${version}_SHA256SUMS")
echo "release $version in $dist"
