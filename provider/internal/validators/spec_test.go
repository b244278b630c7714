package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestSupervisorSpec(t *testing.T) {
	for _, tc := range []struct {
		name    string
		value   types.String
		errors  []string
		warning string
	}{
		{name: "valid wrapper", value: types.StringValue(`{"type":"kafka","spec":{"dataSchema":{"dataSource":"ds"},"ioConfig":{"topic":"t"}}}`)},
		{name: "valid flat", value: types.StringValue(`{"type":"kafka","dataSchema":{"dataSource":"ds"}}`)},
		{name: "unknown", value: types.StringUnknown()},
		{name: "null", value: types.StringNull()},
		{name: "not json", value: types.StringValue(`{"type":`), errors: []string{"valid JSON"}},
		{name: "array", value: types.StringValue(`[]`), errors: []string{"JSON object"}},
		{name: "suspended", value: types.StringValue(`{"type":"kafka","suspended":true,"dataSchema":{"dataSource":"ds"}}`), errors: []string{"kafka_supervisor_state"}},
		{name: "kinesis", value: types.StringValue(`{"type":"kinesis","dataSchema":{"dataSource":"ds"}}`), errors: []string{`"kafka"`}},
		{name: "no datasource", value: types.StringValue(`{"type":"kafka","ioConfig":{}}`), errors: []string{"dataSchema.dataSource"}},
		{name: "secret in clear", value: types.StringValue(`{"type":"kafka","dataSchema":{"dataSource":"ds"},"ioConfig":{"consumerProperties":{"sasl.jaas.config":"x"}}}`), warning: "consumer_secrets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &validator.StringResponse{}
			SupervisorSpec().ValidateString(context.Background(), validator.StringRequest{Path: path.Root("spec"), ConfigValue: tc.value}, resp)
			errs := resp.Diagnostics.Errors()
			if len(errs) != len(tc.errors) {
				t.Fatalf("errors = %v, want %d", errs, len(tc.errors))
			}
			for i, want := range tc.errors {
				if !strings.Contains(errs[i].Detail(), want) {
					t.Errorf("error %q does not mention %q", errs[i].Detail(), want)
				}
			}
			warns := resp.Diagnostics.Warnings()
			if (tc.warning != "") != (len(warns) == 1) || tc.warning != "" && !strings.Contains(warns[0].Detail(), tc.warning) {
				t.Errorf("warnings = %v, want one mentioning %q", warns, tc.warning)
			}
		})
	}
}
