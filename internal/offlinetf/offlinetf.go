// Package offlinetf gives tests the shell of a user on a machine with no Terraform registry, for
// the tests that install the provider with `make install-provider` and run the real terraform CLI
// as the README and the examples tell a user to.
package offlinetf

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Env is the environment of a user's shell on a machine with no registry: HOME is home (so
// Terraform's implied local mirror is home/.terraform.d/plugins), no CLI configuration file (hence
// no dev_overrides), and proxies pointing at a closed port so that any attempt to reach a registry
// fails at once instead of hanging. Go keeps its caches, so `make` builds warm. extra is appended.
func Env(t testing.TB, home string, extra ...string) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	goenv := strings.Fields(string(out))
	if len(goenv) != 3 {
		t.Fatalf("go env printed %q", out)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "HOME", strings.HasPrefix(k, "XDG_"), strings.HasPrefix(k, "TF_"), k == "PLUGIN_DIR", k == "VERSION",
			strings.HasSuffix(strings.ToUpper(k), "_PROXY"), strings.HasPrefix(k, "KAFKA_INDEXER_"):
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "GOCACHE="+goenv[0], "GOMODCACHE="+goenv[1], "GOPATH="+goenv[2],
		"CHECKPOINT_DISABLE=1", "HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=127.0.0.1,localhost",
		"GOPROXY=off")
	return append(env, extra...)
}
