#!/usr/bin/env bash
# Drift check for a CI job (cron or on every merge): exits 0 when the live supervisors match the
# Terraform configuration, 2 when something drifted (a spec edited or a supervisor suspended out
# of band), and 1 on errors. Run it from the directory holding the configuration, e.g.
#   KAFKA_INDEXER_ENDPOINT=https://overlord.example.com examples/ci/drift-check.sh
# `terraform init` installs the provider the way every run does: from the registry, or from a
# local mirror (`make install-provider`, or the release zips; see the drift-detection guide).
set -uo pipefail
terraform init -input=false >/dev/null || exit 1
terraform plan -detailed-exitcode -input=false -lock=false -no-color -out=drift.tfplan
code=$?
case $code in
  0) echo "no drift" ;;
  2) echo "DRIFT: the live supervisors differ from the configuration (see the plan above)."
     echo "Run 'terraform apply drift.tfplan' to restore them, or update the configuration." ;;
  *) echo "terraform plan failed (exit $code)" ;;
esac
exit $code
