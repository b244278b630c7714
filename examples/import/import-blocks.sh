#!/usr/bin/env bash
# Writes Terraform import blocks for every supervisor of an Overlord (kafka-indexer or Apache
# Druid): a kafka_supervisor and a kafka_supervisor_state for each, named after the supervisor id.
# Then `terraform plan -generate-config-out=generated.tf` writes their configuration and
# `terraform apply` imports them all (see the guide "Importing existing supervisors").
#
#   KAFKA_INDEXER_ENDPOINT=https://overlord.example.com:8281 ./import-blocks.sh > imports.tf
#
# --spec-only leaves out kafka_supervisor_state (Terraform then does not own running/suspended).
# Basic auth comes from KAFKA_INDEXER_USERNAME and KAFKA_INDEXER_PASSWORD, as for the provider.
# Needs curl and jq.
set -euo pipefail
endpoint=${KAFKA_INDEXER_ENDPOINT:?set KAFKA_INDEXER_ENDPOINT to the Overlord URL}
with_state=true
case "${1:-}" in
  "") ;;
  --spec-only) with_state=false ;;
  *) echo "usage: $0 [--spec-only]" >&2; exit 1 ;;
esac
auth=()
if [ -n "${KAFKA_INDEXER_USERNAME:-}" ]; then
  auth=(--user "$KAFKA_INDEXER_USERNAME:${KAFKA_INDEXER_PASSWORD:-}")
fi
curl -fsS "${auth[@]}" "${endpoint%/}/druid/indexer/v1/supervisor" |
  jq -r --argjson with_state "$with_state" '
    .[] as $id
    # A resource name: letters, digits, "_" and "-", not starting with a digit or "-".
    | ($id | gsub("[^A-Za-z0-9_-]"; "_") | if test("^[A-Za-z_]") then . else "s_" + . end) as $name
    # The id as an HCL string: JSON escapes, and no template sequences.
    | ($id | tojson | gsub("\\$\\{"; "$${") | gsub("%\\{"; "%%{")) as $quoted
    | "import {\n  to = kafka_supervisor.\($name)\n  id = \($quoted)\n}\n",
      (if $with_state then "import {\n  to = kafka_supervisor_state.\($name)\n  id = \($quoted)\n}\n" else empty end)'
