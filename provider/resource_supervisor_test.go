package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/fakedruid"
)

const supervisorAddr = "kafka_supervisor.test"

func supervisorConfig(endpoint, id string, taskCount int) string {
	return providerConfig(endpoint) + fmt.Sprintf(`
resource "kafka_supervisor" "test" {
  spec = %s
}
`, specHCL(id, taskCount))
}

func taskCountIs(n string) func(io map[string]any, _ bool) error {
	return func(io map[string]any, _ bool) error {
		if got := fmt.Sprint(io["taskCount"]); got != n {
			return fmt.Errorf("live taskCount = %s, want %s", got, n)
		}
		return nil
	}
}

// Create, plan again without changes, update in place keeping the id.
func TestAccSupervisor_Basic(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(c, id),
		Steps: []resource.TestStep{
			{
				Config: supervisorConfig(endpoint, id, 1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(supervisorAddr, tfjsonpath.New("id"), knownvalue.StringExact(id)),
					statecheck.ExpectKnownValue(supervisorAddr, tfjsonpath.New("data_source"), knownvalue.StringExact(id)),
					sameID.AddStateValue(supervisorAddr, tfjsonpath.New("id")),
				},
				Check: checkLive(c, id, taskCountIs("1")),
			},
			emptyPlan(supervisorConfig(endpoint, id, 1)),
			{
				Config: supervisorConfig(endpoint, id, 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(supervisorAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(supervisorAddr, tfjsonpath.New("id"))},
				Check:             checkLive(c, id, taskCountIs("2")),
			},
			emptyPlan(supervisorConfig(endpoint, id, 2)),
		},
	})
}

// Changing the datasource (hence the supervisor id) replaces the resource:
// the old supervisor is terminated, a new one created.
func TestAccSupervisor_RenameReplaces(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	oldID, newID := acctest.RandomWithPrefix("tfacc"), acctest.RandomWithPrefix("tfacc")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(c, newID),
		Steps: []resource.TestStep{
			{Config: supervisorConfig(endpoint, oldID, 1)},
			{
				Config: supervisorConfig(endpoint, newID, 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(supervisorAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkGone(c, oldID),
					resource.TestCheckResourceAttr(supervisorAddr, "id", newID),
				),
			},
			emptyPlan(supervisorConfig(endpoint, newID, 1)),
		},
	})
}

// A spec written in other accepted shapes (flat sections, aliases, PT60M,
// explicit defaults) plans no change against the same supervisor.
func TestAccSupervisor_EquivalentSpellings(t *testing.T) {
	endpoint := testEndpoint(t)
	id := acctest.RandomWithPrefix("tfacc")
	flat := providerConfig(endpoint) + fmt.Sprintf(`
resource "kafka_supervisor" "test" {
  spec = jsonencode({
    type = "kafka"
    dataSchema = {
      dataSource      = %[1]q
      timestampSpec   = { column = "ts", format = "iso" }
      dimensionsSpec  = { dimensions = [{ type = "string", name = "user" }, { type = "long", name = "likes" }] }
      granularitySpec = { segmentGranularity = "HOUR", queryGranularity = { type = "none" }, rollup = false }
    }
    ioConfig = {
      stream                    = %[1]q
      inputFormat               = { type = "json" }
      consumerProperties        = { "bootstrap.servers" = "%[2]s" }
      taskCount                 = 1
      taskDuration              = "PT60M"
      useEarliestSequenceNumber = true
    }
    tuningConfig = { type = "kafka", intermediatePersistPeriod = "PT600S" }
  })
}
`, id, testBroker())
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: supervisorConfig(endpoint, id, 1)},
			{
				Config: flat,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			emptyPlan(flat),
		},
	})
}

// taskCount changed outside Terraform shows as an update and is restored.
func TestAccSupervisor_DriftRestored(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	cfg := supervisorConfig(endpoint, id, 1)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			emptyPlan(cfg),
			{
				PreConfig: func() {
					editLive(t, c, id, func(io map[string]any) { io["taskCount"] = json.Number("3") })
				},
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(supervisorAddr, plancheck.ResourceActionUpdate),
				}},
				Check: checkLive(c, id, taskCountIs("1")),
			},
			emptyPlan(cfg),
		},
	})
}

// A supervisor terminated outside Terraform is created again.
func TestAccSupervisor_DeletedOutOfBand(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	cfg := supervisorConfig(endpoint, id, 1)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(c, id),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() {
					if err := c.Terminate(context.Background(), id); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(supervisorAddr, plancheck.ResourceActionCreate),
				}},
				Check: checkLive(c, id, taskCountIs("1")),
			},
			emptyPlan(cfg),
		},
	})
}

// Import by id: ImportStateVerify against the applied state (spec differs by
// design: after import it holds the server's view), then an empty plan.
func TestAccSupervisor_Import(t *testing.T) {
	endpoint := testEndpoint(t)
	id := acctest.RandomWithPrefix("tfacc")
	cfg := supervisorConfig(endpoint, id, 1)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				ResourceName:            supervisorAddr,
				ImportState:             true,
				ImportStateId:           id,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"spec"},
			},
			{
				ResourceName:    supervisorAddr,
				Config:          cfg,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(supervisorAddr, plancheck.ResourceActionNoop),
				}},
			},
		},
	})
}

// A supervisor created outside Terraform is imported; the state then holds
// the server's view of the spec and the minimal configuration plans no
// change; a later change to a declared key is an in-place update.
func TestAccSupervisor_ImportExisting(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	if _, err := c.CreateOrUpdateSupervisor(context.Background(), specJSON(id, 1)); err != nil {
		t.Fatal(err)
	}
	cfg := supervisorConfig(endpoint, id, 1)
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
				ImportStateCheck: func(s []*terraform.InstanceState) error {
					if len(s) != 1 || s[0].Attributes["id"] != id || s[0].Attributes["data_source"] != id {
						return fmt.Errorf("imported state = %v", s)
					}
					return nil
				},
			},
			emptyPlan(cfg),
			{
				Config: supervisorConfig(endpoint, id, 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(supervisorAddr, plancheck.ResourceActionUpdate),
				}},
				Check: checkLive(c, id, taskCountIs("2")),
			},
			emptyPlan(supervisorConfig(endpoint, id, 2)),
		},
	})
}

// Secrets reach the server but never appear in spec; the write-only variant
// appears nowhere in state.
func TestAccSupervisor_Secrets(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	const secret, woSecret = "s3cr3t-sensitive", "s3cr3t-write-only"
	cfg := providerConfig(endpoint) + fmt.Sprintf(`
resource "kafka_supervisor" "test" {
  spec = %s
  consumer_secrets = {
    "sasl.jaas.config" = %q
  }
  consumer_secrets_wo = {
    "ssl.key.password" = %q
  }
  consumer_secrets_wo_version = 1
}
`, specHCL(id, 1), secret, woSecret)
	sent := checkLive(c, id, func(io map[string]any, _ bool) error {
		cp, _ := io["consumerProperties"].(map[string]any)
		if cp["sasl.jaas.config"] != secret || cp["ssl.key.password"] != woSecret || cp["bootstrap.servers"] != testBroker() {
			return fmt.Errorf("server consumerProperties = %v", cp)
		}
		return nil
	})
	notInState := func(s *terraform.State) error {
		rs := s.RootModule().Resources[supervisorAddr]
		if rs == nil {
			return fmt.Errorf("%s not in state", supervisorAddr)
		}
		for k, v := range rs.Primary.Attributes {
			if strings.Contains(v, woSecret) {
				return fmt.Errorf("write-only secret stored in state attribute %s", k)
			}
			if strings.Contains(v, secret) && k != "consumer_secrets.sasl.jaas.config" {
				return fmt.Errorf("secret stored in clear in state attribute %s", k)
			}
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check:  resource.ComposeAggregateTestCheckFunc(sent, notInState),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectSensitiveValue(supervisorAddr, tfjsonpath.New("consumer_secrets")),
					statecheck.ExpectKnownValue(supervisorAddr, tfjsonpath.New("consumer_secrets_wo"), knownvalue.Null()),
				},
			},
			emptyPlan(cfg),
			{
				// A secret changed on the server shows as drift.
				PreConfig: func() {
					editLive(t, c, id, func(io map[string]any) {
						io["consumerProperties"].(map[string]any)["sasl.jaas.config"] = "rotated-elsewhere"
					})
				},
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{Config: cfg, Check: resource.ComposeAggregateTestCheckFunc(sent, notInState)},
			emptyPlan(cfg),
		},
	})
}

// Destroy terminates the supervisor.
func TestAccSupervisor_Destroy(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	cfg := supervisorConfig(endpoint, id, 1)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(c, id),
		Steps: []resource.TestStep{
			{Config: cfg},
			{Config: cfg, Destroy: true},
		},
	})
}

// "suspended" in the spec is refused at plan time; a spec the server
// rejects fails apply with the engine's message.
func TestAccSupervisor_InvalidSpec(t *testing.T) {
	endpoint := testEndpoint(t)
	id := acctest.RandomWithPrefix("tfacc")
	suspended := providerConfig(endpoint) + fmt.Sprintf(`
resource "kafka_supervisor" "test" {
  spec = jsonencode({ type = "kafka", suspended = true, dataSchema = { dataSource = %q }, ioConfig = { topic = "t" } })
}
`, id)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: suspended, ExpectError: regexp.MustCompile(`kafka_supervisor_state`)},
			{Config: supervisorConfig(endpoint, id, 0), ExpectError: regexp.MustCompile(`ioConfig.taskCount: must be ≥ 1`)},
		},
	})
}

// Against kafka-indexer a bad field fails `terraform plan` (dry run) and
// nothing is stored; real Druid (the default fake) is never sent a dry run.
func TestAccSupervisor_PlanTimeValidation(t *testing.T) {
	fake := testFake(t, fakedruid.Options{KafkaIndexer: true})
	id := acctest.RandomWithPrefix("tfacc")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      supervisorConfig(fake.URL(), id, 0),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid Supervisor Spec.*ioConfig.taskCount: must be ≥ 1`),
			},
			{
				PreConfig: func() {
					if n := len(fake.Posts()); n != 0 {
						t.Fatalf("dry run stored %d specs", n)
					}
				},
				Config: supervisorConfig(fake.URL(), id, 1),
			},
		},
	})
	druid := testFake(t, fakedruid.Options{})
	id2 := acctest.RandomWithPrefix("tfacc")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:             supervisorConfig(druid.URL(), id2, 1),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		}},
	})
	if n := len(druid.Posts()); n != 0 {
		t.Fatalf("plan posted %d specs to Druid (validateOnly would have created the supervisor)", n)
	}
}

// Provider configuration values unknown at plan time are attribute errors.
func TestAccSupervisor_UnknownProviderConfig(t *testing.T) {
	endpoint := testEndpoint(t)
	cfg := fmt.Sprintf(`
resource "terraform_data" "endpoint" {
  input = %q
}

provider "kafka" {
  endpoint = terraform_data.endpoint.output
}

resource "kafka_supervisor" "test" {
  spec = %s
}
`, endpoint, specHCL(acctest.RandomWithPrefix("tfacc"), 1))
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg, ExpectError: regexp.MustCompile(`Unknown Provider Configuration Value`)},
		},
	})
}
