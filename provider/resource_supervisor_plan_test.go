package provider

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/fakedruid"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/specjson"
)

// quickSpecHCL is specHCL for a supervisor that would start a task within a
// second of running (startDelay, period), so a test can tell "never started"
// from "not started yet".
func quickSpecHCL(id string) string {
	return strings.Replace(specHCL(id, 1), `useEarliestOffset  = true`,
		"useEarliestOffset  = true\n        startDelay         = \"PT0.1S\"\n        period             = \"PT0.5S\"", 1)
}

func createSuspendedConfig(endpoint, id, state string) string {
	return providerConfig(endpoint) + fmt.Sprintf(`
resource "kafka_supervisor" "test" {
  spec             = %s
  create_suspended = true
}

resource "kafka_supervisor_state" "test" {
  supervisor_id = kafka_supervisor.test.id
  state         = %q
}
`, quickSpecHCL(id), state)
}

// checkNeverStarted checks that the supervisor's first stored spec version
// was already suspended and, against the real engine, that no task of the
// datasource exists in any state (complete included) after the supervisor
// had time to start several.
func checkNeverStarted(c *client.Client, id string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		hist, err := c.SupervisorHistory(ctx, id)
		if err != nil {
			return err
		}
		if len(hist) == 0 || !specjson.Suspended(string(hist[len(hist)-1].Spec)) {
			return fmt.Errorf("the first stored version of %s is not suspended (%d versions)", id, len(hist))
		}
		if os.Getenv(envAccTarget) != "engine" {
			return nil // the fake Overlord runs no tasks
		}
		time.Sleep(2 * time.Second) // startDelay PT0.1S, period PT0.5S
		var tasks []map[string]any
		if err := c.Do(ctx, "GET", "/druid/indexer/v1/tasks?datasource="+id, nil, &tasks); err != nil {
			return err
		}
		if len(tasks) != 0 {
			return fmt.Errorf("supervisor %s created suspended started %d tasks: %v", id, len(tasks), tasks)
		}
		return nil
	}
}

// Created together with a SUSPENDED state, the supervisor is created
// suspended and starts no task; resuming it later works as usual.
func TestAccSupervisor_CreateSuspended(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	suspended := createSuspendedConfig(endpoint, id, "SUSPENDED")
	running := createSuspendedConfig(endpoint, id, "RUNNING")
	versions := 0
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(c, id),
		Steps: []resource.TestStep{
			{
				Config: suspended,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(stateAddr, tfjsonpath.New("state"), knownvalue.StringExact("SUSPENDED")),
				},
				Check: resource.ComposeTestCheckFunc(checkLive(c, id, suspendedIs(true)), checkNeverStarted(c, id)),
			},
			emptyPlan(suspended),
			{
				Config: running,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(stateAddr, tfjsonpath.New("state"), knownvalue.StringExact("RUNNING")),
				},
				Check: checkLive(c, id, suspendedIs(false)),
			},
			emptyPlan(running),
			{
				// Dropping create_suspended later posts nothing.
				PreConfig: func() { versions = historyLen(t, c, id) },
				Config:    strings.Replace(running, "create_suspended = true", "create_suspended = false", 1),
				Check: func(*terraform.State) error {
					if n := historyLen(t, c, id); n != versions {
						return fmt.Errorf("changing create_suspended stored a spec version: %d versions, had %d", n, versions)
					}
					return nil
				},
			},
		},
	})
}

func historyLen(t *testing.T, c *client.Client, id string) int {
	t.Helper()
	h, err := c.SupervisorHistory(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return len(h)
}

// A dataSchema change plans with a warning that the update hands off every
// task group, naming the field (the engine's dry run; against Druid, which
// hands off on every update, the warning says so). Against the engine an
// ioConfig-only change says the tasks are kept. Checked in the output of
// the real `terraform plan`.
func TestAccSupervisor_UpdateImpactWarning(t *testing.T) {
	endpoint := testEndpoint(t)
	id := acctest.RandomWithPrefix("tfacc")
	cli := newTFCLI(t)
	hourly := withRequiredProviders(supervisorConfig(endpoint, id, 1))
	cli.write("main.tf", hourly)
	cli.must(0, "init")
	cli.must(0, "apply", "-auto-approve")
	t.Cleanup(func() { cli.must(0, "destroy", "-auto-approve") })
	if out := cli.must(0, "plan"); strings.Contains(out, "Warning") {
		t.Errorf("a plan without changes warns:\n%s", out)
	}

	cli.write("main.tf", strings.Replace(hourly, `segmentGranularity = "hour"`, `segmentGranularity = "day"`, 1))
	out := flat(cli.must(0, "plan"))
	want := "hands off every task group: Apache Druid stops every reading task group on any spec update"
	if os.Getenv(envAccTarget) == "engine" {
		want = "hands off every task group: dataSchema.granularitySpec.segmentGranularity changed."
	}
	if !strings.Contains(out, "Warning: Supervisor Update Hands Off Every Task Group") || !strings.Contains(out, want) {
		t.Errorf("plan of a dataSchema change; want a warning containing %q:\n%s", want, out)
	}

	if os.Getenv(envAccTarget) == "engine" {
		cli.write("main.tf", strings.Replace(hourly, `taskDuration       = "PT1H"`, `taskDuration       = "PT2H"`, 1))
		out := flat(cli.must(0, "plan"))
		if want := "keeps its running tasks: ioConfig.taskDuration changed"; !strings.Contains(out, want) {
			t.Errorf("plan of an ioConfig-only change; want a warning containing %q:\n%s", want, out)
		}
	}
	cli.write("main.tf", hourly)
}

// flat joins terraform's output into one line: the CLI wraps diagnostics
// at 78 columns.
func flat(out string) string { return strings.Join(strings.Fields(out), " ") }

// A typo fails `terraform plan` against a Druid Overlord, which cannot
// dry-run a spec: the provider checks it with the engine's own rules, names
// the JSON path, and sends nothing. Against testEndpoint (the engine or the
// fake) the same configuration fails plan too.
func TestAccSupervisor_OfflineValidation(t *testing.T) {
	id := acctest.RandomWithPrefix("tfacc")
	typo := func(endpoint string) string {
		return providerConfig(endpoint) + fmt.Sprintf(`
resource "kafka_supervisor" "test" {
  spec = %s
}
`, strings.Replace(specHCL(id, 1), `taskCount          = 1`, `taskCuont          = 1`, 1))
	}
	druid := testFake(t, fakedruid.Options{})
	for _, endpoint := range []string{druid.URL(), testEndpoint(t)} {
		resource.Test(t, resource.TestCase{
			PreCheck:                 func() { testAccPreCheck(t) },
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{{
				Config:      typo(endpoint),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`ioConfig\.taskCuont: unknown field`),
			}},
		})
	}
	if posts := druid.Posts(); len(posts) != 0 {
		t.Errorf("the spec was posted to Druid: %q", posts)
	}
	// offline_validation = false lets a field kafka-indexer does not know
	// through to Druid (which, being the fake, stores it).
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:             strings.Replace(typo(druid.URL()), "spec = ", "offline_validation = false\n  spec = ", 1),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		}},
	})
}

// Consumer secrets unknown at plan time (here from a resource not created
// yet) may supply bootstrap.servers: neither offline validation (Druid) nor
// the engine's dry run fails on it, and other mistakes are still caught.
func TestAccSupervisor_OfflineValidationUnknownSecrets(t *testing.T) {
	druid := testFake(t, fakedruid.Options{})
	id := acctest.RandomWithPrefix("tfacc")
	noServers := strings.Replace(specHCL(id, 1), fmt.Sprintf(`consumerProperties = { "bootstrap.servers" = "%s" }`, testBroker()),
		`consumerProperties = { "security.protocol" = "PLAINTEXT" }`, 1)
	if strings.Contains(noServers, "bootstrap.servers") {
		t.Fatal("test spec still names bootstrap.servers")
	}
	for _, endpoint := range []string{druid.URL(), testEndpoint(t)} {
		cfg := func(spec string) string {
			return providerConfig(endpoint) + fmt.Sprintf(`
resource "terraform_data" "servers" {
  input = %q
}

resource "kafka_supervisor" "test" {
  spec             = %s
  consumer_secrets = { "bootstrap.servers" = terraform_data.servers.output }
}
`, testBroker(), spec)
		}
		resource.Test(t, resource.TestCase{
			PreCheck:                 func() { testAccPreCheck(t) },
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{
				{
					Config:      cfg(strings.Replace(noServers, `taskCount          = 1`, `taskCount          = 0`, 1)),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(`ioConfig\.taskCount: must be ≥ 1`),
				},
				{
					Config: cfg(noServers),
					Check:  checkLive(testClient(t, endpoint), id, taskCountIs("1")),
				},
			},
		})
	}
}
