package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

func runMergeSpec(t *testing.T, base, overrides attr.Value) (string, *function.FuncError) {
	t.Helper()
	req := function.RunRequest{Arguments: function.NewArgumentsData([]attr.Value{types.DynamicValue(base), types.DynamicValue(overrides)})}
	resp := &function.RunResponse{Result: function.NewResultData(types.StringUnknown())}
	NewMergeSpecFunction().Run(context.Background(), req, resp)
	if resp.Error != nil {
		return "", resp.Error
	}
	return resp.Result.Value().(types.String).ValueString(), nil
}

func TestMergeSpecFunction(t *testing.T) {
	obj := func(attrs map[string]attr.Value) attr.Value {
		ty := map[string]attr.Type{}
		for k, v := range attrs {
			ty[k] = v.Type(context.Background())
		}
		return types.ObjectValueMust(ty, attrs)
	}
	base := `{"type":"kafka","spec":{"dataSchema":{"dataSource":"base"},"ioConfig":{"topic":"base","taskCount":1,"taskDuration":"PT1H"},"tuningConfig":{"type":"kafka","maxRowsInMemory":150000}}}`
	for _, tc := range []struct {
		name            string
		base, overrides attr.Value
		want            string
	}{
		{"strings", types.StringValue(base),
			types.StringValue(`{"spec":{"ioConfig":{"topic":"t1","taskDuration":null}}}`),
			`{"type":"kafka","spec":{"dataSchema":{"dataSource":"base"},"ioConfig":{"topic":"t1","taskCount":1},"tuningConfig":{"type":"kafka","maxRowsInMemory":150000}}}`},
		{"HCL object overrides, flat into the wrapper", types.StringValue(base),
			obj(map[string]attr.Value{
				"ioConfig":     obj(map[string]attr.Value{"topic": types.StringValue("t2"), "taskCount": types.NumberValue(big.NewFloat(3))}),
				"tuningConfig": obj(map[string]attr.Value{"maxRowsInMemory": types.NumberValue(big.NewFloat(1e6)), "skipSequenceNumberAvailabilityCheck": types.BoolValue(true)}),
				"dataSchema":   types.StringNull(),
			}),
			`{"type":"kafka","spec":{"ioConfig":{"topic":"t2","taskCount":3,"taskDuration":"PT1H"},"tuningConfig":{"type":"kafka","maxRowsInMemory":1000000,"skipSequenceNumberAvailabilityCheck":true}}}`},
		{"HCL lists replace", obj(map[string]attr.Value{"d": types.ListValueMust(types.StringType, []attr.Value{types.StringValue("a"), types.StringValue("b")})}),
			obj(map[string]attr.Value{"d": types.TupleValueMust([]attr.Type{types.StringType, types.NumberType}, []attr.Value{types.StringValue("z"), types.NumberValue(big.NewFloat(0.5))})}),
			`{"d":["z",0.5]}`},
		{"null overrides", types.StringValue(`{"a":12345678901234567890}`), types.DynamicNull(), `{"a":12345678901234567890}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ferr := runMergeSpec(t, tc.base, tc.overrides)
			if ferr != nil {
				t.Fatal(ferr)
			}
			if strings.ContainsAny(got, "\n ") {
				t.Errorf("result is not compact JSON: %s", got)
			}
			var g, w any
			if err := json.Unmarshal([]byte(got), &g); err != nil {
				t.Fatalf("result %s: %v", got, err)
			}
			_ = json.Unmarshal([]byte(tc.want), &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("merge_spec = %s\nwant         %s", got, tc.want)
			}
		})
	}
	if got, _ := runMergeSpec(t, types.StringValue(`{"a":12345678901234567890}`), types.StringValue(`{}`)); got != `{"a":12345678901234567890}` {
		t.Errorf("large integer rewritten: %s", got)
	}

	for _, tc := range []struct {
		name            string
		base, overrides attr.Value
		arg             int64
		msg             string
	}{
		{"base not JSON", types.StringValue(`{"a":`), types.StringValue(`{}`), 0, "base: not valid JSON"},
		{"base trailing text", types.StringValue(`{} {}`), types.StringValue(`{}`), 0, "base: not valid JSON: text after the value"},
		{"base an array", types.StringValue(`[1]`), types.StringValue(`{}`), 0, "base must be a JSON object"},
		{"overrides a string of a string", types.StringValue(`{}`), types.StringValue(`"x"`), 1, "overrides must be a JSON object, got a string"},
		{"overrides not JSON", types.StringValue(`{}`), types.StringValue(`topic=x`), 1, "overrides: not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ferr := runMergeSpec(t, tc.base, tc.overrides)
			if ferr == nil {
				t.Fatal("no error")
			}
			if ferr.FunctionArgument == nil || *ferr.FunctionArgument != tc.arg || !strings.Contains(ferr.Text, tc.msg) {
				t.Errorf("error %+v (argument %v), want argument %d and %q", ferr, ferr.FunctionArgument, tc.arg, tc.msg)
			}
		})
	}
}

// mergeSpecTopics are the supervisors TestAccMergeSpec_TenSupervisors stamps out of one base.
func mergeSpecTopics(prefix string) []string {
	var ids []string
	for i := range 10 {
		ids = append(ids, fmt.Sprintf("%s-%02d", prefix, i))
	}
	return ids
}

// mergeSpecConfig is the documented pattern (examples/functions/merge_spec): one base spec, ten
// supervisors, each overriding its datasource and topic, one of them its taskCount too.
func mergeSpecConfig(endpoint string, ids []string) string {
	quoted, _ := json.Marshal(ids)
	return providerConfig(endpoint) + fmt.Sprintf(`
locals {
  base = %[1]s
  topics = %[2]s
}

# count rather than for_each: the test harness's state shim rejects for_each instances (the
# for_each form is examples/functions/merge_spec, run with the real CLI by TestInstallProvider).
resource "kafka_supervisor" "stamped" {
  count = length(local.topics)
  spec = provider::kafka::merge_spec(local.base, {
    spec = {
      dataSchema = { dataSource = local.topics[count.index] }
      ioConfig = merge({ topic = local.topics[count.index] }, local.topics[count.index] == %[3]q ? { taskCount = 2 } : {})
    }
  })
}

output "first" {
  value = provider::kafka::merge_spec(local.base, jsonencode({ ioConfig = { topic = "x", taskDuration = null } }))
}
`, specHCL("base", 1), quoted, ids[len(ids)-1])
}

// Ten supervisors from one base with merge_spec, against the real server: each one runs with its
// own datasource and topic and the base's other keys, and the same configuration plans no change.
func TestAccMergeSpec_TenSupervisors(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	ids := mergeSpecTopics("tfacc-merge")
	cfg := mergeSpecConfig(endpoint, ids)
	// The live checks are a state check and, after the implicit destroy, a cleanup.
	t.Cleanup(func() {
		for _, id := range ids {
			if err := checkGone(c, id)(nil); err != nil {
				t.Errorf("after destroy: %v", err)
			}
		}
	})
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// Provider functions need Terraform 1.8; an older CLI fails the test rather than skipping it.
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.RequireAbove(tfversion.Version1_8_0)},
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("first", knownvalue.StringRegexp(regexp.MustCompile(
						`^\{"spec":\{"dataSchema":\{"dataSource":"base",.*"ioConfig":\{"consumerProperties":\{.*\},"inputFormat":\{"type":"json"\},"taskCount":1,"topic":"x","useEarliestOffset":true\},`))),
					liveCheck(func() error {
						for i, id := range ids {
							io, _ := liveIOConfig(t, c, id)
							want := "1"
							if i == len(ids)-1 {
								want = "2"
							}
							if io["topic"] != id || fmt.Sprint(io["taskCount"]) != want || !strings.HasPrefix(fmt.Sprint(io["taskDuration"]), "PT") {
								return fmt.Errorf("supervisor %s runs ioConfig %v; want topic %s, taskCount %s and the base's taskDuration", id, io, id, want)
							}
						}
						return nil
					}),
				},
			},
			emptyPlan(cfg),
		},
	})
}

// liveCheck is a state check that looks at the server rather than the state.
type liveCheck func() error

func (f liveCheck) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f()
}
