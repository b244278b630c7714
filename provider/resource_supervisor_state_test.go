package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const stateAddr = "kafka_supervisor_state.test"

func supervisorWithStateConfig(endpoint, id string, taskCount int, state string) string {
	return supervisorConfig(endpoint, id, taskCount) + fmt.Sprintf(`
resource "kafka_supervisor_state" "test" {
  supervisor_id = kafka_supervisor.test.id
  state         = %q
}
`, state)
}

func suspendedIs(want bool) func(map[string]any, bool) error {
	return func(_ map[string]any, suspended bool) error {
		if suspended != want {
			return fmt.Errorf("live suspended = %v, want %v", suspended, want)
		}
		return nil
	}
}

// Suspend and resume through the state resource.
func TestAccSupervisorState_Basic(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	running := supervisorWithStateConfig(endpoint, id, 1, "RUNNING")
	suspended := supervisorWithStateConfig(endpoint, id, 1, "SUSPENDED")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: running,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(stateAddr, tfjsonpath.New("state"), knownvalue.StringExact("RUNNING")),
					statecheck.ExpectKnownValue(stateAddr, tfjsonpath.New("healthy"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(stateAddr, tfjsonpath.New("id"), knownvalue.StringExact(id)),
				},
				Check: checkLive(c, id, suspendedIs(false)),
			},
			emptyPlan(running),
			{
				Config: suspended,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(stateAddr, tfjsonpath.New("detailed_state"), knownvalue.StringExact("SUSPENDED")),
				},
				Check: checkLive(c, id, suspendedIs(true)),
			},
			emptyPlan(suspended),
			{Config: running, Check: checkLive(c, id, suspendedIs(false))},
			emptyPlan(running),
		},
	})
}

// A suspend made outside Terraform shows as drift and apply resumes.
func TestAccSupervisorState_OutOfBandSuspend(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	cfg := supervisorWithStateConfig(endpoint, id, 1, "RUNNING")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() {
					if _, err := c.Suspend(context.Background(), id); err != nil {
						t.Fatal(err)
					}
				},
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(stateAddr, plancheck.ResourceActionUpdate),
					// The spec resource is not disturbed by the flag.
					plancheck.ExpectResourceAction(supervisorAddr, plancheck.ResourceActionNoop),
				}},
				Check: checkLive(c, id, suspendedIs(false)),
			},
			emptyPlan(cfg),
		},
	})
}

// Updating the spec of a suspended supervisor keeps it suspended.
func TestAccSupervisorState_SuspendedPreservedOnSpecUpdate(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	before := supervisorWithStateConfig(endpoint, id, 1, "SUSPENDED")
	after := supervisorWithStateConfig(endpoint, id, 2, "SUSPENDED")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: before, Check: checkLive(c, id, suspendedIs(true))},
			emptyPlan(before),
			{
				Config: after,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(supervisorAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(stateAddr, plancheck.ResourceActionNoop),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkLive(c, id, suspendedIs(true)),
					checkLive(c, id, taskCountIs("2")),
				),
			},
			emptyPlan(after),
		},
	})
}

// Import by supervisor id, then an empty plan; destroying the state
// resource leaves the supervisor as it is.
func TestAccSupervisorState_Import(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	cfg := supervisorWithStateConfig(endpoint, id, 1, "SUSPENDED")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				ResourceName:      stateAddr,
				ImportState:       true,
				ImportStateId:     id,
				ImportStateVerify: true,
			},
			{
				ResourceName:    stateAddr,
				Config:          cfg,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(stateAddr, plancheck.ResourceActionNoop),
				}},
			},
			{
				// Drop only the state resource: the supervisor stays suspended.
				Config: supervisorConfig(endpoint, id, 1),
				Check:  checkLive(c, id, suspendedIs(true)),
			},
		},
	})
}

// The state of a supervisor suspended outside Terraform is imported and
// the matching configuration plans no change.
func TestAccSupervisorState_ImportExisting(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	ctx := context.Background()
	if _, err := c.CreateOrUpdateSupervisor(ctx, specJSON(id, 1)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Terminate(context.Background(), id) })
	if _, err := c.Suspend(ctx, id); err != nil {
		t.Fatal(err)
	}
	cfg := providerConfig(endpoint) + fmt.Sprintf(`
resource "kafka_supervisor_state" "test" {
  supervisor_id = %q
  state         = "SUSPENDED"
}
`, id)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:             cfg,
				ResourceName:       stateAddr,
				ImportState:        true,
				ImportStateId:      id,
				ImportStatePersist: true,
			},
			emptyPlan(cfg),
			{Config: providerConfig(endpoint), Check: checkLive(c, id, suspendedIs(true))},
		},
	})
}

// A supervisor terminated outside Terraform drops out of the state
// resource's state instead of failing the refresh.
func TestAccSupervisorState_SupervisorGone(t *testing.T) {
	endpoint := testEndpoint(t)
	c := testClient(t, endpoint)
	id := acctest.RandomWithPrefix("tfacc")
	cfg := supervisorWithStateConfig(endpoint, id, 1, "RUNNING")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
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
					plancheck.ExpectResourceAction(stateAddr, plancheck.ResourceActionCreate),
				}},
				Check: checkLive(c, id, suspendedIs(false)),
			},
			emptyPlan(cfg),
		},
	})
}

func TestReached(t *testing.T) {
	for _, tc := range []struct {
		want, state string
		ok          bool
	}{
		{"SUSPENDED", "SUSPENDED", true},
		{"SUSPENDED", "RUNNING", false},
		{"RUNNING", "RUNNING", true},
		{"RUNNING", "PENDING", true},
		{"RUNNING", "UNHEALTHY_TASKS", true},
		{"RUNNING", "SUSPENDED", false},
		{"RUNNING", "STOPPING", false},
		{"RUNNING", "", false},
	} {
		if got := reached(tc.want, tc.state); got != tc.ok {
			t.Errorf("reached(%s, %s) = %v", tc.want, tc.state, got)
		}
	}
}
