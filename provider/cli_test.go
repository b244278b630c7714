package provider

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// providerAddress is the address main.go serves the provider under, as a
// configuration's required_providers names it.
const providerAddress = "registry.terraform.io/kafka-indexer/kafka"

// tfCLI drives the real terraform binary over one working directory, the
// way a user runs it: init, plan, apply, with -generate-config-out, import
// and removed blocks. The provider is this package served in-process and
// attached through TF_REATTACH_PROVIDERS (as the acceptance harness does),
// so no provider binary, mirror or registry is involved.
type tfCLI struct {
	t        *testing.T
	bin      string
	dir      string
	reattach string
}

// newTFCLI serves the provider for the life of the test and returns a
// driver over a fresh working directory.
func newTFCLI(t *testing.T) *tfCLI {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		// As resource.Test does: acceptance tests run with TF_ACC=1 (CI
		// always sets it; testAccPreCheck then fails without terraform).
		t.Skip("acceptance test: set TF_ACC=1")
	}
	testAccPreCheck(t)
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH is not set and terraform is not on PATH")
	}
	ctx, cancel := context.WithCancel(context.Background())
	reattachCh := make(chan *plugin.ReattachConfig)
	closeCh := make(chan struct{})
	factory := providerserver.NewProtocol6(NewWithOptions("test", Options{})())
	served := make(chan error, 1)
	go func() {
		served <- tf6server.Serve(providerAddress, func() tfprotov6.ProviderServer { return factory() },
			tf6server.WithDebug(ctx, reattachCh, closeCh),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			tf6server.WithLoggingSink(t),
			tf6server.WithoutLogStderrOverride())
	}()
	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattachCh:
	case err := <-served:
		cancel()
		t.Fatalf("serve the provider: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		<-closeCh
	})
	b, err := json.Marshal(map[string]any{providerAddress: map[string]any{
		"Protocol": string(rc.Protocol), "ProtocolVersion": rc.ProtocolVersion, "Pid": rc.Pid, "Test": true,
		"Addr": map[string]string{"Network": rc.Addr.Network(), "String": rc.Addr.String()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := &tfCLI{t: t, bin: bin, dir: t.TempDir(), reattach: string(b)}
	// An empty CLI configuration: no ~/.terraformrc of the machine applies.
	c.write(".terraformrc", "")
	return c
}

// write puts a file into the working directory.
func (c *tfCLI) write(name, content string) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, name), []byte(content), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// read returns a file of the working directory.
func (c *tfCLI) read(name string) string {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}

// run runs terraform with args (plus -no-color) and returns its combined
// output and exit code.
func (c *tfCLI) run(args ...string) (string, int) {
	c.t.Helper()
	cmd := exec.Command(c.bin, append(args, "-no-color")...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "TF_REATTACH_PROVIDERS="+c.reattach, "TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+filepath.Join(c.dir, ".terraformrc"))
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	return string(out), code
}

// must runs terraform and fails the test unless it exits with want.
func (c *tfCLI) must(want int, args ...string) string {
	c.t.Helper()
	out, code := c.run(args...)
	if code != want {
		c.t.Fatalf("terraform %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
	}
	return out
}

// cliProviderConfig is providerConfig with the required_providers block a
// user writes.
func cliProviderConfig(endpoint string) string {
	return withRequiredProviders(providerConfig(endpoint))
}

// withRequiredProviders puts the required_providers block a user writes in
// front of a configuration, so that the CLI resolves "kafka" to the
// provider served under providerAddress.
func withRequiredProviders(cfg string) string {
	return "terraform {\n  required_providers {\n    kafka = { source = \"kafka-indexer/kafka\" }\n  }\n}\n\n" + cfg
}
