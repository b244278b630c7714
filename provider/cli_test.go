package provider

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// cliDir is a Terraform working directory driven with the real terraform
// CLI, for what the test harness does not expose (warnings in plan output).
// The provider is served in-process and reattached, as the harness does.
type cliDir struct {
	t   *testing.T
	dir string
	env []string
}

// newCLIDir starts the provider in-process and returns a working directory
// whose terraform commands reattach to it.
func newCLIDir(t *testing.T) *cliDir {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (as resource.Test requires)")
	}
	testAccPreCheck(t)
	ctx, cancel := context.WithCancel(context.Background())
	cfgCh := make(chan *plugin.ReattachConfig, 1)
	closeCh := make(chan struct{})
	const addr = "registry.terraform.io/hashicorp/kafka"
	go func() {
		_ = tf6server.Serve(addr, providerserver.NewProtocol6(New("test")()),
			tf6server.WithDebug(ctx, cfgCh, closeCh), tf6server.WithoutLogStderrOverride())
	}()
	rc := <-cfgCh
	t.Cleanup(func() { cancel(); <-closeCh })
	reattach, err := json.Marshal(map[string]any{addr: map[string]any{
		"Protocol": rc.Protocol, "ProtocolVersion": rc.ProtocolVersion, "Pid": rc.Pid, "Test": rc.Test,
		"Addr": map[string]string{"Network": rc.Addr.Network(), "String": rc.Addr.String()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rcFile := filepath.Join(dir, ".terraformrc")
	if err := os.WriteFile(rcFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return &cliDir{t: t, dir: dir, env: append(os.Environ(), "TF_REATTACH_PROVIDERS="+string(reattach),
		"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_CLI_CONFIG_FILE="+rcFile)}
}

// write replaces the configuration with cfg.
func (c *cliDir) write(cfg string) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, "main.tf"), []byte(cfg), 0o600); err != nil {
		c.t.Fatal(err)
	}
}

// run runs terraform with args and returns its combined output; a failure
// fails the test unless wantErr.
func (c *cliDir) run(wantErr bool, args ...string) string {
	c.t.Helper()
	cmd := exec.Command(os.Getenv("TF_ACC_TERRAFORM_PATH"), append(args, "-no-color")...)
	cmd.Dir, cmd.Env = c.dir, c.env
	out, err := cmd.CombinedOutput()
	if (err != nil) != wantErr {
		c.t.Fatalf("terraform %v: err %v, want error %v\n%s", args, err, wantErr, out)
	}
	return string(out)
}
