package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/specjson"
)

// realisticSpecJSON is a spec as an operator posts it with curl: ten-minute
// tasks, hourly segments with minute rollup, metrics, a tuned tuningConfig,
// and a few values spelled out that are the defaults anyway.
func realisticSpecJSON(id string, taskCount int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"kafka","spec":{
  "dataSchema":{"dataSource":%[1]q,"timestampSpec":{"column":"ts","format":"iso"},
    "dimensionsSpec":{"dimensions":["user","page",{"type":"long","name":"likes"}]},
    "metricsSpec":[{"type":"count","name":"count"},{"type":"longSum","name":"likes_sum","fieldName":"likes"}],
    "granularitySpec":{"type":"uniform","segmentGranularity":"hour","queryGranularity":"minute","rollup":true}},
  "ioConfig":{"topic":%[1]q,"inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":%[3]q},
    "taskCount":%[2]d,"replicas":1,"taskDuration":"PT10M","completionTimeout":"PT20M","useEarliestOffset":true},
  "tuningConfig":{"type":"kafka","maxRowsInMemory":100000,"intermediatePersistPeriod":"PT5M","maxRowsPerSegment":5000000}}}`,
		id, taskCount, testBroker()))
}

// realisticSpecHCL is realisticSpecJSON the way the configuration writes it
// after an import: the keys that are not defaults, PT10M, HOUR/MINUTE.
func realisticSpecHCL(id string, taskCount int) string {
	return fmt.Sprintf(`jsonencode({
    type = "kafka"
    spec = {
      dataSchema = {
        dataSource      = %[1]q
        timestampSpec   = { column = "ts", format = "iso" }
        dimensionsSpec  = { dimensions = ["user", "page", { type = "long", name = "likes" }] }
        metricsSpec     = [{ type = "count", name = "count" }, { type = "longSum", name = "likes_sum", fieldName = "likes" }]
        granularitySpec = { segmentGranularity = "HOUR", queryGranularity = "MINUTE" }
      }
      ioConfig = {
        topic              = %[1]q
        inputFormat        = { type = "json" }
        consumerProperties = { "bootstrap.servers" = "%[3]s" }
        taskCount          = %[2]d
        taskDuration       = "PT10M"
        completionTimeout  = "PT20M"
        useEarliestOffset  = true
      }
      tuningConfig = { type = "kafka", maxRowsInMemory = 100000, intermediatePersistPeriod = "PT5M" }
    }
  })`, id, taskCount, testBroker())
}

// realisticSpecState is what `spec` holds after importing realisticSpecJSON:
// exactly what jsonencode makes of realisticSpecHCL (sorted keys, compact).
func realisticSpecState(id string, taskCount int) string {
	return fmt.Sprintf(`{"spec":{"dataSchema":{"dataSource":%[1]q,`+
		`"dimensionsSpec":{"dimensions":["user","page",{"name":"likes","type":"long"}]},`+
		`"granularitySpec":{"queryGranularity":"MINUTE","segmentGranularity":"HOUR"},`+
		`"metricsSpec":[{"name":"count","type":"count"},{"fieldName":"likes","name":"likes_sum","type":"longSum"}],`+
		`"timestampSpec":{"column":"ts","format":"iso"}},`+
		`"ioConfig":{"completionTimeout":"PT20M","consumerProperties":{"bootstrap.servers":%[3]q},"inputFormat":{"type":"json"},`+
		`"taskCount":%[2]d,"taskDuration":"PT10M","topic":%[1]q,"useEarliestOffset":true},`+
		`"tuningConfig":{"intermediatePersistPeriod":"PT5M","maxRowsInMemory":100000,"type":"kafka"}},"type":"kafka"}`,
		id, taskCount, testBroker())
}

func realisticConfig(endpoint, id string, taskCount int) string {
	return providerConfig(endpoint) + fmt.Sprintf(`
resource "kafka_supervisor" "test" {
  spec = %s
}
`, realisticSpecHCL(id, taskCount))
}

// createOutOfBand creates a supervisor through the API, as it existed before
// Terraform, and terminates whatever is left of it when the test ends.
func createOutOfBand(t *testing.T, endpoint, id string, spec json.RawMessage) {
	t.Helper()
	c := testClient(t, endpoint)
	if _, err := c.CreateOrUpdateSupervisor(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Terminate(context.Background(), id) })
}

// After an import, spec holds the configuration form of the server's spec:
// the keys that are not defaults, PT10M rather than PT600S, HOUR and MINUTE
// rather than granularity objects, no "suspended", no nulls, no echo copies.
func TestAccSupervisor_ImportCleanSpec(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	createOutOfBand(t, endpoint, id, realisticSpecJSON(id, 2))
	cfg := realisticConfig(endpoint, id, 2)
	want := realisticSpecState(id, 2)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(c, id),
		Steps: []resource.TestStep{
			{
				// An import block: the import plan itself is a no-op.
				Config:          cfg,
				ResourceName:    supervisorAddr,
				ImportState:     true,
				ImportStateId:   id,
				ImportStateKind: resource.ImportBlockWithID,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(supervisorAddr, plancheck.ResourceActionNoop),
					expectSpecChanges(supervisorAddr),
				}},
			},
			{
				// terraform import.
				Config:             cfg,
				ResourceName:       supervisorAddr,
				ImportState:        true,
				ImportStateId:      id,
				ImportStatePersist: true,
				ImportStateCheck: func(s []*terraform.InstanceState) error {
					if len(s) != 1 {
						return fmt.Errorf("imported %d instances", len(s))
					}
					if got := s[0].Attributes["spec"]; got != want {
						return fmt.Errorf("imported spec =\n%s\nwant\n%s", got, want)
					}
					if _, ok := s[0].Attributes["effective_spec"]; ok {
						return fmt.Errorf("effective_spec is still in the resource's state")
					}
					return nil
				},
			},
			emptyPlan(cfg),
			{
				// Drift on an imported supervisor shows as that key alone.
				PreConfig: func() {
					editLive(t, c, id, func(io map[string]any) { io["taskCount"] = json.Number("5") })
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(supervisorAddr, plancheck.ResourceActionUpdate),
					expectSpecChanges(supervisorAddr, "spec.spec.ioConfig.taskCount"),
				}},
				Check: checkLive(c, id, taskCountIs("2")),
			},
			emptyPlan(cfg),
		},
	})
}

// The first change after an import plans exactly that change: one key of
// spec, nothing else of the resource.
func TestAccSupervisor_ImportThenEditOneField(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	createOutOfBand(t, endpoint, id, realisticSpecJSON(id, 2))
	cfg := realisticConfig(endpoint, id, 2)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(c, id),
		Steps: []resource.TestStep{
			{
				Config:             cfg,
				ResourceName:       supervisorAddr,
				ImportState:        true,
				ImportStateId:      id,
				ImportStatePersist: true,
			},
			{
				Config: realisticConfig(endpoint, id, 3),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(supervisorAddr, plancheck.ResourceActionUpdate),
					// The attribute spec, then the wrapper's "spec" key.
					expectSpecChanges(supervisorAddr, "spec.spec.ioConfig.taskCount"),
				}},
				Check: checkLive(c, id, taskCountIs("3")),
			},
			emptyPlan(realisticConfig(endpoint, id, 3)),
		},
	})
}

// The way to bring existing supervisors under Terraform, with the real CLI:
// an import block and `terraform plan -generate-config-out` write a
// jsonencode() spec of the non-default keys; applying it imports with an
// empty plan; a one-key edit plans a short plan with that key only; a
// removed block with destroy = false stops managing the supervisor and
// leaves it running.
func TestAccSupervisor_GenerateConfigCLI(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	createOutOfBand(t, endpoint, id, realisticSpecJSON(id, 2))
	tf := newTFCLI(t)
	tf.write("main.tf", cliProviderConfig(endpoint)+fmt.Sprintf(`
import {
  to = kafka_supervisor.clicks
  id = %q
}
`, id))
	tf.must(0, "init", "-input=false")

	out := tf.must(0, "plan", "-input=false", "-generate-config-out=generated.tf")
	if !strings.Contains(out, "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.") {
		t.Fatalf("import plan:\n%s", out)
	}
	gen := tf.read("generated.tf")
	t.Logf("generated.tf (%d lines):\n%s", strings.Count(gen, "\n"), gen)
	for _, re := range []string{`(?m)^  spec = jsonencode\(\{$`, `taskDuration\s+= "PT10M"`, `completionTimeout\s+= "PT20M"`,
		`segmentGranularity\s+= "HOUR"`, `queryGranularity\s+= "MINUTE"`, `maxRowsInMemory\s+= 100000`, `dimensions = \["user", "page", \{`} {
		if !regexp.MustCompile(re).MatchString(gen) {
			t.Errorf("generated.tf does not match %s", re)
		}
	}
	if regexp.MustCompile(`(?m)^\s*"?suspended"?\s*=`).MatchString(gen) {
		t.Error("generated.tf sets suspended")
	}
	for _, bad := range []string{"PT600S", "maxBytesInMemory", "replicas", "stream", "context", "multiValueHandling", "effective_spec"} {
		if strings.Contains(gen, bad) {
			t.Errorf("generated.tf contains %q", bad)
		}
	}

	out = tf.must(0, "apply", "-input=false", "-auto-approve")
	if !strings.Contains(out, "1 imported, 0 added, 0 changed, 0 destroyed") {
		t.Fatalf("apply of the generated configuration:\n%s", out)
	}
	tf.must(0, "plan", "-input=false", "-detailed-exitcode")

	// One edit, one line of change.
	edited := regexp.MustCompile(`taskCount(\s*)= 2`).ReplaceAllString(gen, "taskCount${1}= 3")
	if edited == gen {
		t.Fatal("no taskCount = 2 in generated.tf")
	}
	tf.write("generated.tf", edited)
	out = tf.must(2, "plan", "-input=false", "-detailed-exitcode")
	n, body := planLines(out)
	// The plan itself, up to its "Plan:" summary; the update-impact warning after it is wanted.
	planPart := out
	if i := strings.Index(out, "\nPlan:"); i >= 0 {
		planPart = out[:i+1]
	}
	total := strings.Count(strings.TrimSpace(planPart), "\n") + 2
	t.Logf("plan after a one-key edit: %d lines of plan (379 before issue 12), %d of them the change:\n%s", total, n, body)
	if total > 40 {
		t.Errorf("terraform plan printed %d lines for a one-key edit:\n%s", total, out)
	}
	var changed []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, "->") || strings.Contains(l, "known after apply") {
			changed = append(changed, strings.TrimSpace(l))
		}
	}
	if len(changed) != 1 || !regexp.MustCompile(`^~ taskCount\s+= 2 -> 3$`).MatchString(changed[0]) {
		t.Errorf("changed lines = %q, want only taskCount 2 -> 3", changed)
	}
	if n > 20 {
		t.Errorf("the plan of a one-key edit is %d lines long", n)
	}
	if !strings.Contains(out, "Plan: 0 to add, 1 to change, 0 to destroy.") {
		t.Errorf("plan summary:\n%s", out)
	}
	tf.must(0, "apply", "-input=false", "-auto-approve")
	if err := checkLive(c, id, taskCountIs("3"))(nil); err != nil {
		t.Fatal(err)
	}
	tf.must(0, "plan", "-input=false", "-detailed-exitcode")

	// Stop managing the supervisor without terminating it.
	tf.write("main.tf", cliProviderConfig(endpoint))
	tf.write("generated.tf", `removed {
  from = kafka_supervisor.clicks

  lifecycle {
    destroy = false
  }
}
`)
	out = tf.must(0, "plan", "-input=false")
	if !strings.Contains(out, "will no longer be managed by Terraform, but will not be destroyed") ||
		!strings.Contains(out, "0 to destroy") {
		t.Fatalf("plan with a removed block:\n%s", out)
	}
	out = tf.must(0, "apply", "-input=false", "-auto-approve")
	if !strings.Contains(out, "0 destroyed") {
		t.Fatalf("apply with a removed block:\n%s", out)
	}
	if got := strings.TrimSpace(tf.must(0, "state", "list")); got != "" {
		t.Errorf("state still lists %q", got)
	}
	if err := checkLive(c, id, func(io map[string]any, suspended bool) error {
		if suspended {
			return fmt.Errorf("supervisor %s is suspended", id)
		}
		return taskCountIs("3")(io, suspended)
	})(nil); err != nil {
		t.Fatalf("after the removed block: %v", err)
	}
	rep, err := c.SupervisorStatus(context.Background(), id)
	if err != nil {
		t.Fatalf("status of %s after the removed block: %v", id, err)
	}
	if rep.Payload.Suspended || rep.Payload.State == "SUSPENDED" || rep.Payload.State == "STOPPING" {
		t.Errorf("supervisor %s after the removed block: state %s, suspended %v", id, rep.Payload.State, rep.Payload.Suspended)
	}
}

// Many supervisors at once, as the importing guide says: import blocks for
// every supervisor from examples/import/import-blocks.sh, configuration from
// -generate-config-out, one apply that imports them all and changes nothing,
// then an empty plan. One of them is suspended and stays so.
func TestAccSupervisor_ImportManyCLI(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	ids := []string{acctest.RandomWithPrefix("tfacc"), acctest.RandomWithPrefix("tfacc"), acctest.RandomWithPrefix("tfacc")}
	for i, id := range ids {
		createOutOfBand(t, endpoint, id, realisticSpecJSON(id, i+1))
	}
	if _, err := c.Suspend(context.Background(), ids[2]); err != nil {
		t.Fatal(err)
	}
	versions := func() map[string]int {
		n := map[string]int{}
		for _, id := range ids {
			h, err := c.SupervisorHistory(context.Background(), id)
			if err != nil {
				t.Fatalf("history of %s: %v", id, err)
			}
			n[id] = len(h)
		}
		return n
	}
	before := versions()
	tf := newTFCLI(t)
	script, err := filepath.Abs(filepath.Join("..", "examples", "import", "import-blocks.sh"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "KAFKA_INDEXER_ENDPOINT="+endpoint)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	imports, err := cmd.Output()
	if err != nil {
		t.Fatalf("import-blocks.sh: %v\n%s", err, stderr.String())
	}
	for _, id := range ids {
		for _, typ := range []string{"kafka_supervisor", "kafka_supervisor_state"} {
			if block := fmt.Sprintf("import {\n  to = %s.%s\n  id = %q\n}\n", typ, id, id); !strings.Contains(string(imports), block) {
				t.Fatalf("import-blocks.sh wrote no\n%s\nin\n%s", block, imports)
			}
		}
	}
	tf.write("main.tf", cliProviderConfig(endpoint))
	tf.write("imports.tf", string(imports))
	tf.must(0, "init", "-input=false")
	tf.must(0, "plan", "-input=false", "-generate-config-out=generated.tf")
	gen := tf.read("generated.tf")
	t.Logf("generated.tf:\n%s", gen)
	if !regexp.MustCompile(`state\s+= "SUSPENDED"`).MatchString(gen) {
		t.Errorf("generated.tf does not keep %s suspended:\n%s", ids[2], gen)
	}
	out := tf.must(0, "apply", "-input=false", "-auto-approve")
	if !strings.Contains(out, "6 imported, 0 added, 0 changed, 0 destroyed") {
		t.Fatalf("apply of the generated configuration:\n%s", out)
	}
	tf.must(0, "plan", "-input=false", "-detailed-exitcode")
	if after := versions(); !reflect.DeepEqual(after, before) {
		t.Errorf("the import posted specs: history lengths %v, before %v", after, before)
	}
	for i, id := range ids {
		if err := checkLive(c, id, func(io map[string]any, suspended bool) error {
			if suspended != (i == 2) {
				return fmt.Errorf("%s: suspended = %v", id, suspended)
			}
			return taskCountIs(fmt.Sprint(i+1))(io, suspended)
		})(nil); err != nil {
			t.Error(err)
		}
	}
}

// A state written by an older version of the provider (effective_spec, and
// after an import the server's whole echo as spec) still loads, plans no
// change, and is rewritten in configuration form by the next refresh.
func TestAccSupervisor_StateFromOlderVersionCLI(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	createOutOfBand(t, endpoint, id, realisticSpecJSON(id, 2))
	tf := newTFCLI(t)
	tf.write("main.tf", cliProviderConfig(endpoint)+fmt.Sprintf(`
resource "kafka_supervisor" "test" {
  spec = %s
}

import {
  to = kafka_supervisor.test
  id = %q
}
`, realisticSpecHCL(id, 2), id))
	tf.must(0, "init", "-input=false")
	tf.must(0, "apply", "-input=false", "-auto-approve")

	// Rewrite the state the way the previous version stored an import.
	raw, err := c.GetSupervisor(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	full, err := specjson.Normalize(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	oldSpec, _ := specjson.Marshal(full)
	var st map[string]any
	if err := json.Unmarshal([]byte(tf.read("terraform.tfstate")), &st); err != nil {
		t.Fatal(err)
	}
	attrs := st["resources"].([]any)[0].(map[string]any)["instances"].([]any)[0].(map[string]any)["attributes"].(map[string]any)
	attrs["spec"] = oldSpec
	attrs["effective_spec"] = string(raw)
	b, _ := json.Marshal(st)
	tf.write("terraform.tfstate", string(b))

	tf.must(0, "plan", "-input=false", "-detailed-exitcode")
	tf.must(0, "apply", "-input=false", "-auto-approve", "-refresh-only")
	if err := json.Unmarshal([]byte(tf.read("terraform.tfstate")), &st); err != nil {
		t.Fatal(err)
	}
	attrs = st["resources"].([]any)[0].(map[string]any)["instances"].([]any)[0].(map[string]any)["attributes"].(map[string]any)
	if got, want := attrs["spec"], realisticSpecState(id, 2); got != want {
		t.Errorf("spec after a refresh =\n%s\nwant\n%s", got, want)
	}
	if _, ok := attrs["effective_spec"]; ok {
		t.Errorf("effective_spec is still in the state")
	}
}

// expectSpecChanges checks that the planned change of addr touches no
// attribute but spec, and inside spec exactly the given JSON paths
// ("spec.spec.ioConfig.taskCount": the attribute, then the JSON keys); no
// paths means no change at all.
func expectSpecChanges(addr string, paths ...string) plancheck.PlanCheck {
	return specChangesCheck{addr: addr, want: paths}
}

type specChangesCheck struct {
	addr string
	want []string
}

func (c specChangesCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.addr || rc.Change == nil {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		unknown, _ := rc.Change.AfterUnknown.(map[string]any)
		var got []string
		for k := range unknown {
			if v, _ := unknown[k].(bool); v {
				got = append(got, k+" (known after apply)")
			}
		}
		for k, b := range before {
			a := after[k]
			if k == "spec" {
				bs, _ := b.(string)
				as, _ := a.(string)
				bv, err1 := specjson.Parse(bs)
				av, err2 := specjson.Parse(as)
				if err1 != nil || err2 != nil {
					resp.Error = fmt.Errorf("%s: spec is not JSON: %v %v", c.addr, err1, err2)
					return
				}
				got = append(got, jsonDiff("spec", bv, av)...)
				continue
			}
			if _, isUnknown := unknown[k]; !isUnknown && !reflect.DeepEqual(b, a) {
				got = append(got, k)
			}
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(c.want))
		if !slices.Equal(got, want) {
			resp.Error = fmt.Errorf("%s: planned changes %v, want %v", c.addr, got, want)
		}
		return
	}
	resp.Error = fmt.Errorf("%s: not in the plan", c.addr)
}

// jsonDiff lists the paths at which two decoded JSON values differ.
func jsonDiff(path string, a, b any) []string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		var out []string
		for k := range am {
			out = append(out, jsonDiff(path+"."+k, am[k], bm[k])...)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				out = append(out, path+"."+k)
			}
		}
		return out
	}
	if reflect.DeepEqual(a, b) {
		return nil
	}
	return []string{path}
}

// planLines counts the lines of a plan's text output between the first
// resource header and the "Plan:" summary.
func planLines(out string) (int, string) {
	start := strings.Index(out, "  # ")
	end := strings.Index(out, "Plan: ")
	if start < 0 || end < start {
		return 0, ""
	}
	body := strings.TrimRight(out[start:end], "\n ")
	return strings.Count(body, "\n") + 1, body
}
