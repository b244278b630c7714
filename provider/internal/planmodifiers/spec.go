// Package planmodifiers holds the provider's custom plan modifiers.
package planmodifiers

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"

	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/specjson"
)

// PrivateKeyServerShaped is the private-state key set when the stored spec
// was read from the server (after import, see specjson.ConfigForm) rather
// than taken from the user's configuration.
const PrivateKeyServerShaped = "spec_server_shaped"

// SpecEquivalent plans the prior spec when the configured one is
// semantically equivalent to it, so no diff appears for key order, Druid's
// spellings (PT1H/PT3600S, "hour"/"HOUR", string dimensions) or, after an
// import, for server-added defaults. Terraform core accepts a planned value
// equal to the prior state as functionally equivalent to the config.
//
// When the state holds the user's spec, both must declare the same keys, so
// removing a key from the configuration is still a change. When it was read
// from the server (after import), only the keys the configuration declares
// are compared, with the server's defaults for keys the import left out.
func SpecEquivalent() planmodifier.String { return specEquivalent{} }

type specEquivalent struct{}

func (specEquivalent) Description(context.Context) string {
	return "Keeps the prior spec when the configured spec is semantically equal to it."
}

func (m specEquivalent) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (specEquivalent) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.StateValue.IsNull() || req.StateValue.IsUnknown() || req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if req.StateValue.Equal(req.ConfigValue) {
		return
	}
	cfg, err := specjson.Normalize(req.ConfigValue.ValueString())
	if err != nil {
		return
	}
	state, err := specjson.Normalize(req.StateValue.ValueString())
	if err != nil {
		return
	}
	serverShaped := false
	if req.Private != nil {
		b, diags := req.Private.GetKey(ctx, PrivateKeyServerShaped)
		resp.Diagnostics.Append(diags...)
		serverShaped = string(b) == "true"
	}
	if serverShaped && importedEquivalent(cfg, state) || !serverShaped && specjson.Equal(cfg, state) {
		resp.PlanValue = req.StateValue
	}
}

// importedEquivalent compares a configuration with the spec an import
// stored, which leaves out every default: the configuration may declare
// defaults, so its keys are compared with the stored spec and, failing that,
// with the stored spec's defaults filled in by the engine's spec rules.
func importedEquivalent(cfg, state specjson.Doc) bool {
	if specjson.Contains(cfg, state) {
		return true
	}
	full, ok := specjson.Expand(state)
	return ok && specjson.Contains(cfg, full)
}
