package planmodifiers

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/specjson"
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

// After an import the stored spec has no defaults; a configuration that
// spells some out, or declares fewer keys, is still the same spec.
func TestImportedEquivalent(t *testing.T) {
	const imported = `{"type":"kafka","spec":{"dataSchema":{"dataSource":"ds","timestampSpec":{"column":"ts","format":"iso"}},` +
		`"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"k:9092"},"taskCount":2,"taskDuration":"PT10M"}}}`
	state, err := specjson.Normalize(imported)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		config string
		want   bool
	}{
		{"same", imported, true},
		{"defaults spelled out", `{"type":"kafka","dataSchema":{"dataSource":"ds","timestampSpec":{"column":"ts","format":"iso"},"granularitySpec":{"segmentGranularity":"day","rollup":true}},` +
			`"ioConfig":{"topic":"t","inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":"k:9092"},"taskCount":2,"replicas":1,"taskDuration":"PT600S","completionTimeout":"PT30M"},` +
			`"tuningConfig":{"type":"kafka","maxRowsPerSegment":5000000}}`, true},
		{"fewer keys", `{"type":"kafka","dataSchema":{"dataSource":"ds"},"ioConfig":{"topic":"t"}}`, true},
		{"other value", `{"type":"kafka","dataSchema":{"dataSource":"ds"},"ioConfig":{"topic":"t","taskCount":3}}`, false},
		{"other default", `{"type":"kafka","dataSchema":{"dataSource":"ds"},"ioConfig":{"topic":"t","replicas":2}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := specjson.Normalize(tc.config)
			if err != nil {
				t.Fatal(err)
			}
			if got := importedEquivalent(cfg, state); got != tc.want {
				t.Errorf("importedEquivalent = %v, want %v", got, tc.want)
			}
		})
	}
}
