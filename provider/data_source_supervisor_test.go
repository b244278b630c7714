package provider

import (
	"os"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccSupervisorDataSource_Basic(t *testing.T) {
	endpoint := testEndpoint(t)
	id := acctest.RandomWithPrefix("tfacc")
	cfg := supervisorWithStateConfig(endpoint, id, 1, "SUSPENDED") + `
data "kafka_supervisor" "test" {
  id = kafka_supervisor_state.test.supervisor_id
}
`
	addr := "data.kafka_supervisor.test"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("data_source"), knownvalue.StringExact(id)),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("state"), knownvalue.StringExact("SUSPENDED")),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("detailed_state"), knownvalue.StringExact("SUSPENDED")),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("suspended"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("healthy"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("spec"), knownvalue.StringRegexp(regexp.MustCompile(`"taskCount":1`))),
			},
		}, emptyPlan(cfg)},
	})
}

func TestAccSupervisorDataSource_NotFound(t *testing.T) {
	endpoint := testEndpoint(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      providerConfig(endpoint) + "data \"kafka_supervisor\" \"x\" {\n  id = \"no-such-supervisor\"\n}\n",
			ExpectError: regexp.MustCompile(`(?s)Read Supervisor Error.*\[no-such-supervisor\] does not exist`),
		}},
	})
}

func TestAccSupervisorsDataSource_Basic(t *testing.T) {
	endpoint := testEndpoint(t)
	id := acctest.RandomWithPrefix("tfacc")
	cfg := supervisorConfig(endpoint, id, 1) + `
data "kafka_supervisors" "all" {
  depends_on = [kafka_supervisor.test]
}
`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.kafka_supervisors.all", tfjsonpath.New("ids"),
					knownvalue.ListPartial(map[int]knownvalue.Check{0: knownvalue.StringExact(id)})),
				statecheck.ExpectKnownValue("data.kafka_supervisors.all", tfjsonpath.New("supervisors").AtSliceIndex(0),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"id": knownvalue.StringExact(id), "state": startedState(),
					})),
			},
		}},
	})
}

func TestAccSupervisorStatusDataSource_Basic(t *testing.T) {
	endpoint := testEndpoint(t)
	id := acctest.RandomWithPrefix("tfacc")
	cfg := supervisorConfig(endpoint, id, 1) + `
data "kafka_supervisor_status" "test" {
  id = kafka_supervisor.test.id
}
`
	addr := "data.kafka_supervisor_status.test"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("state"), startedState()),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("suspended"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("aggregate_lag"), knownLagOrNull()),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("active_tasks"), knownvalue.Int64Exact(0)),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("publishing_tasks"), knownvalue.Int64Exact(0)),
			},
		}},
	})
}

// startedState is the state of a supervisor read right after it was created: the fake Overlord
// answers RUNNING at once; the real engine, like Druid, reports PENDING until its first run
// (after ioConfig.startDelay).
func startedState() knownvalue.Check {
	return knownvalue.StringRegexp(regexp.MustCompile(`^(PENDING|RUNNING)$`))
}

// knownLagOrNull accepts the fake's 0, or null from the real engine, which (like Druid) omits
// aggregateLag until its first offset fetch (offsetFetchPeriod).
func knownLagOrNull() knownvalue.Check {
	if os.Getenv(envAccTarget) == "engine" {
		return knownvalue.Null()
	}
	return knownvalue.Int64Exact(0)
}
