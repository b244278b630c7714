package planmodifiers

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestSpecEquivalent(t *testing.T) {
	const prior = `{"type":"kafka","spec":{"ioConfig":{"topic":"t","taskDuration":"PT1H"},"dataSchema":{"dataSource":"ds"}}}`
	for _, tc := range []struct {
		name      string
		config    types.String
		state     types.String
		keepState bool
	}{
		{"same spelling other shape", types.StringValue(`{"type":"kafka","dataSchema":{"dataSource":"ds"},"ioConfig":{"stream":"t","taskDuration":"PT3600S"}}`), types.StringValue(prior), true},
		{"changed value", types.StringValue(`{"type":"kafka","dataSchema":{"dataSource":"ds"},"ioConfig":{"topic":"u","taskDuration":"PT1H"}}`), types.StringValue(prior), false},
		{"removed key", types.StringValue(`{"type":"kafka","dataSchema":{"dataSource":"ds"},"ioConfig":{"topic":"t"}}`), types.StringValue(prior), false},
		{"create", types.StringValue(prior), types.StringNull(), false},
		{"unknown config", types.StringUnknown(), types.StringValue(prior), false},
		{"invalid config", types.StringValue(`{`), types.StringValue(prior), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := planmodifier.StringRequest{ConfigValue: tc.config, PlanValue: tc.config, StateValue: tc.state}
			resp := &planmodifier.StringResponse{PlanValue: tc.config}
			SpecEquivalent().PlanModifyString(context.Background(), req, resp)
			if resp.Diagnostics.HasError() {
				t.Fatal(resp.Diagnostics)
			}
			if kept := resp.PlanValue.Equal(tc.state) && !tc.config.Equal(tc.state); kept != tc.keepState {
				t.Fatalf("plan = %s, keep state = %v, want %v", resp.PlanValue, kept, tc.keepState)
			}
		})
	}
}
