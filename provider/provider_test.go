package provider

import (
	"sync"

	"context"
	"encoding/json"
	"fmt"
	"github.com/twmb/franz-go/pkg/kfake"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/fakedruid"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/specjson"
)

// testAccProtoV6ProviderFactories serves the provider in-process; Terraform
// reattaches to it, so no provider binary or registry is needed.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"kafka": providerserver.NewProtocol6WithError(NewWithOptions("test", Options{StatePollInterval: 50 * time.Millisecond})()),
}

// envAccEndpoint points acceptance tests at a running engine instead of the
// in-process fake Overlord.
const envAccEndpoint = "KAFKA_INDEXER_ACC_ENDPOINT"

func TestMain(m *testing.M) {
	// Never let the harness download Terraform: use the binary on PATH and
	// let testAccPreCheck fail when there is none.
	if os.Getenv("TF_ACC") != "" && os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		if p, err := exec.LookPath("terraform"); err == nil {
			_ = os.Setenv("TF_ACC_TERRAFORM_PATH", p)
		}
	}
	os.Exit(m.Run())
}

// testAccPreCheck fails (never skips) when acceptance tests are requested
// but no terraform binary is available.
func testAccPreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		return
	}
	p := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if p == "" {
		t.Fatal("TF_ACC is set but no terraform binary was found on PATH; install Terraform ≥ 1.5 or set TF_ACC_TERRAFORM_PATH")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("TF_ACC_TERRAFORM_PATH=%s: %v", p, err)
	}
}

// testEndpoint returns the Overlord endpoint acceptance tests run against:
// $KAFKA_INDEXER_ACC_ENDPOINT when set (a real engine), otherwise a fake
// Druid Overlord started for this test.
func testEndpoint(t *testing.T) string {
	t.Helper()
	if e := os.Getenv(envAccEndpoint); e != "" {
		return e
	}
	if os.Getenv(envAccTarget) == "engine" {
		return enginetest.Start(t).URL
	}
	return testFake(t, fakedruid.Options{}).URL()
}

// testBroker is the bootstrap address test specs name: a real in-process Kafka-protocol broker
// (kfake, topics created on first use) when the tests run against the real engine, so its
// supervisors connect for real; a placeholder for the fake Overlord, which never connects.
func testBroker() string {
	if os.Getenv(envAccTarget) != "engine" {
		return "localhost:9092"
	}
	brokerOnce.Do(func() {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1))
		if err != nil {
			panic("start kfake: " + err.Error())
		}
		brokerAddr = c.ListenAddrs()[0]
	})
	return brokerAddr
}

var (
	brokerOnce sync.Once
	brokerAddr string
)

// envAccTarget selects what testEndpoint serves when no endpoint is given: "engine" runs the
// real kafka-indexer engine in-process; anything else the fake Druid Overlord. make test runs
// the acceptance tests against both.
const envAccTarget = "KAFKA_INDEXER_ACC_TARGET"

// testFake starts a fake Overlord for tests that need its specific
// behaviour (e.g. the kafka-indexer dry run), whatever testEndpoint says.
func testFake(t *testing.T, opts fakedruid.Options) *fakedruid.Server {
	t.Helper()
	srv := fakedruid.Start(opts)
	t.Cleanup(srv.Close)
	return srv
}

// testClient is the out-of-band actor of acceptance tests: it changes the
// server behind Terraform's back, through the same API a human would use.
func testClient(t *testing.T, endpoint string) *client.Client {
	t.Helper()
	c, err := client.New(endpoint, client.WithMaxRetries(1), client.WithRetryWait(10*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func providerConfig(endpoint string) string {
	return fmt.Sprintf("provider \"kafka\" {\n  endpoint = %q\n  max_retries = 1\n}\n", endpoint)
}

// specHCL is a minimal supervisor spec written the way users write it:
// wrapper shape, PT1H, string dimensions, lower-case granularity.
func specHCL(id string, taskCount int) string {
	return fmt.Sprintf(`jsonencode({
    type = "kafka"
    spec = {
      dataSchema = {
        dataSource      = %[1]q
        timestampSpec   = { column = "ts", format = "iso" }
        dimensionsSpec  = { dimensions = ["user", { type = "long", name = "likes" }] }
        granularitySpec = { segmentGranularity = "hour", queryGranularity = "none", rollup = false }
      }
      ioConfig = {
        topic              = %[1]q
        inputFormat        = { type = "json" }
        consumerProperties = { "bootstrap.servers" = "%[3]s" }
        taskCount          = %[2]d
        taskDuration       = "PT1H"
        useEarliestOffset  = true
      }
      tuningConfig = { type = "kafka", intermediatePersistPeriod = "PT10M" }
    }
  })`, id, taskCount, testBroker())
}

// specJSON is specHCL as the JSON a user would POST with curl.
func specJSON(id string, taskCount int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"kafka","spec":{
  "dataSchema":{"dataSource":%[1]q,"timestampSpec":{"column":"ts","format":"iso"},
    "dimensionsSpec":{"dimensions":["user",{"type":"long","name":"likes"}]},
    "granularitySpec":{"segmentGranularity":"hour","queryGranularity":"none","rollup":false}},
  "ioConfig":{"topic":%[1]q,"inputFormat":{"type":"json"},"consumerProperties":{"bootstrap.servers":%[3]q},
    "taskCount":%[2]d,"taskDuration":"PT1H","useEarliestOffset":true},
  "tuningConfig":{"type":"kafka","intermediatePersistPeriod":"PT10M"}}}`, id, taskCount, testBroker()))
}

// emptyPlan is the PlanOnly step that follows every apply: the same
// configuration must plan no change.
func emptyPlan(cfg string) resource.TestStep {
	return resource.TestStep{Config: cfg, PlanOnly: true}
}

// editLive rewrites the live spec of id through the API, the way an
// operator would with curl: GET, edit both copies of ioConfig, POST back
// (keeping "suspended" as echoed).
func editLive(t *testing.T, c *client.Client, id string, edit func(io map[string]any)) {
	t.Helper()
	ctx := context.Background()
	raw, err := c.GetSupervisor(ctx, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	v, err := specjson.Parse(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	top := v.(map[string]any)
	if io, ok := top["ioConfig"].(map[string]any); ok {
		edit(io)
	}
	if inner, ok := top["spec"].(map[string]any); ok {
		if io, ok := inner["ioConfig"].(map[string]any); ok {
			edit(io)
		}
	}
	body, _ := json.Marshal(top)
	if _, err := c.CreateOrUpdateSupervisor(ctx, body); err != nil {
		t.Fatalf("post %s: %v", id, err)
	}
}

// liveIOConfig returns the normalised ioConfig the server runs for id.
func liveIOConfig(t *testing.T, c *client.Client, id string) (map[string]any, bool) {
	t.Helper()
	raw, err := c.GetSupervisor(context.Background(), id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	d, err := specjson.Normalize(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	io, _ := d["ioConfig"].(map[string]any)
	return io, specjson.Suspended(string(raw))
}

func checkLive(c *client.Client, id string, f func(io map[string]any, suspended bool) error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		raw, err := c.GetSupervisor(context.Background(), id)
		if err != nil {
			return fmt.Errorf("get %s: %w", id, err)
		}
		d, err := specjson.Normalize(string(raw))
		if err != nil {
			return err
		}
		io, _ := d["ioConfig"].(map[string]any)
		return f(io, specjson.Suspended(string(raw)))
	}
}

func checkGone(c *client.Client, id string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		_, err := c.GetSupervisor(context.Background(), id)
		if err == nil {
			return fmt.Errorf("supervisor %s still exists", id)
		}
		if !strings.Contains(err.Error(), "does not exist") {
			return fmt.Errorf("get %s: %w", id, err)
		}
		return nil
	}
}

func TestParseTimeout(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"30", 30 * time.Second, false},
		{"2.5", 2500 * time.Millisecond, false},
		{"1m30s", 90 * time.Second, false},
		{"-1", 0, true},
		{"soon", 0, true},
	} {
		got, err := parseTimeout(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseTimeout(%q) = %v, %v", tc.in, got, err)
		}
	}
}
