#!/usr/bin/env bash
# Builds the provider for this machine and installs it where `terraform init` finds it with the
# default CLI configuration: Terraform's implied local mirror ($PLUGIN_DIR, by default
# ~/.terraform.d/plugins), in the unpacked layout
#   <PLUGIN_DIR>/registry.terraform.io/kafka-indexer/kafka/<version>/<os>_<arch>/terraform-provider-kafka_v<version>
# Earlier builds of the provider in that mirror are removed, so `terraform init` never has to choose
# between two builds; a working directory whose lock file names an earlier build needs
# `terraform init -upgrade`. VERSION (tools/version.sh) and PLUGIN_DIR may be overridden.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:-$(tools/version.sh)}
plugins=${PLUGIN_DIR:-$HOME/.terraform.d/plugins}
goos=$(go env GOOS)
goarch=$(go env GOARCH)
ext=
[ "$goos" = windows ] && ext=.exe
provider_dir="$plugins/registry.terraform.io/kafka-indexer/kafka"
tmp="$provider_dir/.tmp-for-creation"
rm -rf "$tmp"
mkdir -p "$tmp/$version/${goos}_$goarch"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" \
  -o "$tmp/$version/${goos}_$goarch/terraform-provider-kafka_v$version$ext" .
# Swap the new build in: drop every other version, then rename.
find "$provider_dir" -mindepth 1 -maxdepth 1 ! -name .tmp-for-creation -exec rm -rf {} +
mv "$tmp/$version" "$provider_dir/$version"
rmdir "$tmp"
echo "installed kafka-indexer/kafka $version ($goos/$goarch) in $provider_dir/$version"
