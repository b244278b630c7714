// Package validators holds the provider's attribute validators.
package validators

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/specjson"
)

// SupervisorSpec checks that a kafka_supervisor spec is a JSON object of type
// "kafka" with a dataSchema.dataSource and without "suspended" (owned by
// kafka_supervisor_state), and warns about credentials written in clear in
// ioConfig.consumerProperties.
func SupervisorSpec() validator.String { return supervisorSpec{} }

type supervisorSpec struct{}

func (supervisorSpec) Description(context.Context) string {
	return `value must be a Kafka supervisor spec JSON object without "suspended"`
}

func (v supervisorSpec) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (supervisorSpec) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	raw := req.ConfigValue.ValueString()
	v, err := specjson.Parse(raw)
	if err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Supervisor Spec",
			"The spec must be valid JSON; build it with jsonencode() or file().\n\nError: "+err.Error())
		return
	}
	top, ok := v.(map[string]any)
	if !ok {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Supervisor Spec",
			"The spec must be a JSON object such as {\"type\":\"kafka\",\"spec\":{...}}.")
		return
	}
	if _, ok := top["suspended"]; ok {
		resp.Diagnostics.AddAttributeError(req.Path, "Suspended Flag In Spec",
			`Remove "suspended" from the spec. Whether the supervisor runs is managed by the `+
				`kafka_supervisor_state resource (state = "RUNNING" or "SUSPENDED"); kafka_supervisor keeps `+
				`the live value when it updates the spec.`)
	}
	if t, ok := top["type"]; ok && t != "kafka" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Supervisor Spec",
			fmt.Sprintf(`The spec's "type" must be "kafka", got %v.`, t))
	}
	d, err := specjson.Normalize(raw)
	if err != nil {
		return
	}
	if specjson.DataSource(d) == "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Supervisor Spec",
			"The spec must set dataSchema.dataSource: it names the datasource and, unless \"id\" is set, the supervisor.")
	}
	var secret []string
	for k := range specjson.ConsumerProperties(d) {
		if specjson.LooksSecret(k) {
			secret = append(secret, k)
		}
	}
	if len(secret) > 0 {
		sort.Strings(secret)
		resp.Diagnostics.AddAttributeWarning(req.Path, "Credentials In Supervisor Spec",
			"ioConfig.consumerProperties declares "+strings.Join(secret, ", ")+" in the spec, which Terraform shows "+
				"in plans and stores in clear. Move them to consumer_secrets (sensitive) or consumer_secrets_wo (write-only).")
	}
}
