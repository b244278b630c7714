//go:build generate

// Package tools pins the documentation tooling and runs it: from this
// directory, `go generate ./...` formats the examples and regenerates
// ../docs with tfplugindocs. tfplugindocs builds the provider and runs
// `terraform providers schema -json`, so terraform must be on PATH (it is
// not downloaded when present).
package tools

import (
	_ "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs"
)

// Format Terraform code for use in documentation.
//go:generate terraform fmt -recursive ../examples/

// Generate documentation.
//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs generate --provider-dir .. -provider-name kafka
