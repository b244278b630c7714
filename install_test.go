package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
)

// offlineEnv is the environment of a user's shell on a machine with no registry: HOME is home
// (so Terraform's implied local mirror is home/.terraform.d/plugins), no CLI configuration file
// (hence no dev_overrides), and proxies pointing at a closed port so that any attempt to reach a
// registry fails at once instead of hanging. Go keeps its caches, so `make` builds warm.
func offlineEnv(t *testing.T, home string, extra ...string) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	goenv := strings.Fields(string(out))
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

// requireTerraform returns the terraform CLI for an acceptance test, failing (never skipping)
// when TF_ACC is set and there is none.
func requireTerraform(t *testing.T) string {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatal("TF_ACC is set but the terraform CLI is not on PATH")
	}
	return tf
}

// run runs name with args in dir and returns the combined output and exit code.
func run(t *testing.T, env []string, dir string, stdin string, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin = strings.NewReader(stdin)
	b, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(b), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(b), 0
}

func repoVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("tools/version.sh").Output()
	if err != nil {
		t.Fatalf("tools/version.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestInstallProvider (acceptance, TF_ACC=1): `make install-provider` lays the provider out in
// Terraform's implied local mirror under HOME, and a plain `terraform init` (no registry, no
// dev_overrides) installs it from there; then examples/functions/merge_spec, as written, stamps
// ten supervisors out of one base against a real engine, plans no change, and destroys them.
func TestInstallProvider(t *testing.T) {
	tf := requireTerraform(t)
	home := t.TempDir()
	version := repoVersion(t)
	platform := runtime.GOOS + "_" + runtime.GOARCH
	mirror := filepath.Join(home, ".terraform.d", "plugins", "registry.terraform.io", "kafka-indexer", "kafka")
	// An earlier build: install-provider replaces it, so init never chooses between two builds.
	stale := filepath.Join(mirror, "0.0.0+1.gdeadbee", platform)
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}

	env := offlineEnv(t, home)
	if out, code := run(t, env, ".", "", "make", "install-provider"); code != 0 {
		t.Fatalf("make install-provider: exit %d\n%s", code, out)
	}
	bin := filepath.Join(mirror, version, platform, "terraform-provider-kafka_v"+version)
	if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("make install-provider did not install an executable %s: %v", bin, err)
	}
	if entries, _ := os.ReadDir(mirror); len(entries) != 1 {
		t.Errorf("the mirror holds %d versions, want only the new build", len(entries))
	}

	e := enginetest.Start(t)
	broker, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1))
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	work := filepath.Join(t.TempDir(), "merge_spec")
	if err := os.CopyFS(work, os.DirFS("examples/functions/merge_spec")); err != nil {
		t.Fatal(err)
	}
	tfEnv := offlineEnv(t, home, "KAFKA_INDEXER_ENDPOINT="+e.URL, "TF_VAR_kafka_bootstrap="+broker.ListenAddrs()[0], "TF_IN_AUTOMATION=1")
	terraform := func(args ...string) (string, int) { return run(t, tfEnv, work, "", tf, append(args, "-no-color")...) }

	out, code := terraform("init")
	if code != 0 || !strings.Contains(out, "Installed kafka-indexer/kafka v"+version+" (unauthenticated)") {
		t.Fatalf("terraform init: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "overrides") {
		t.Errorf("terraform init mentions development overrides:\n%s", out)
	}
	if lock, err := os.ReadFile(filepath.Join(work, ".terraform.lock.hcl")); err != nil || !strings.Contains(string(lock), `version = "`+version+`"`) {
		t.Errorf("lock file does not record %s: %v\n%s", version, err, lock)
	}

	if out, code := terraform("apply", "-auto-approve"); code != 0 || !strings.Contains(out, "10 added, 0 changed, 0 destroyed") {
		t.Fatalf("terraform apply: exit %d\n%s", code, out)
	}
	c, err := client.New(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := c.ListSupervisors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(ids)
	if len(ids) != 10 || ids[0] != "clicks-00" || ids[9] != "clicks-09" {
		t.Fatalf("supervisors on the engine: %v", ids)
	}
	for _, id := range ids {
		raw, err := c.GetSupervisor(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Spec struct {
				IOConfig struct {
					Topic     string `json:"topic"`
					TaskCount int    `json:"taskCount"`
				} `json:"ioConfig"`
				DataSchema struct {
					DataSource string `json:"dataSource"`
					Dimensions struct {
						Dimensions []json.RawMessage `json:"dimensions"`
					} `json:"dimensionsSpec"`
				} `json:"dataSchema"`
			} `json:"spec"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		want := 1
		if id == "clicks-00" {
			want = 2
		}
		if s.Spec.IOConfig.Topic != id || s.Spec.DataSchema.DataSource != id || s.Spec.IOConfig.TaskCount != want || len(s.Spec.DataSchema.Dimensions.Dimensions) != 2 {
			t.Errorf("supervisor %s runs %s; want its own topic and datasource, taskCount %d and the base's two dimensions", id, raw, want)
		}
	}
	if out, code := terraform("plan", "-detailed-exitcode"); code != 0 {
		t.Errorf("plan after apply: exit %d (2 = changes)\n%s", code, out)
	}
	if out, code := terraform("destroy", "-auto-approve"); code != 0 || !strings.Contains(out, "10 destroyed") {
		t.Fatalf("terraform destroy: exit %d\n%s", code, out)
	}
}

// TestRelease (acceptance, TF_ACC=1): `make release` writes the registry's layout (zip, manifest
// and SHA256SUMS, GoReleaser's names), and its zip works as a packed filesystem mirror:
// `terraform init` installs it, with the `>= 0.0.0` constraint the docs give for development
// builds, recording the zip's checksum, and `terraform validate` runs the provider. The test builds
// this machine's platform and windows/arm64 (the .exe name); `make release` builds all six.
func TestRelease(t *testing.T) {
	tf := requireTerraform(t)
	home := t.TempDir()
	dist := t.TempDir()
	version := repoVersion(t)
	native := runtime.GOOS + "_" + runtime.GOARCH
	env := offlineEnv(t, home, "DIST="+dist, "PLATFORMS="+native+" windows_arm64")
	if out, code := run(t, env, ".", "", "make", "release"); code != 0 {
		t.Fatalf("make release: exit %d\n%s", code, out)
	}
	name := "terraform-provider-kafka_" + version
	var got []string
	entries, _ := os.ReadDir(dist)
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{name + "_SHA256SUMS", name + "_manifest.json", name + "_" + native + ".zip", name + "_windows_arm64.zip"}
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("dist holds %v, want %v", got, want)
	}
	manifest, _ := os.ReadFile(filepath.Join(dist, name+"_manifest.json"))
	if orig, _ := os.ReadFile("terraform-registry-manifest.json"); !bytes.Equal(manifest, orig) {
		t.Errorf("the manifest is not terraform-registry-manifest.json:\n%s", manifest)
	}
	sums := map[string]string{}
	b, _ := os.ReadFile(filepath.Join(dist, name+"_SHA256SUMS"))
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		sum, file, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q", line)
		}
		sums[file] = sum
	}
	for _, f := range want[1:] {
		data, _ := os.ReadFile(filepath.Join(dist, f))
		if h := sha256.Sum256(data); sums[f] != hex.EncodeToString(h[:]) {
			t.Errorf("SHA256SUMS gives %q for %s, the file hashes to %x", sums[f], f, h)
		}
	}
	for p, bin := range map[string]string{native: "terraform-provider-kafka_v" + version, "windows_arm64": "terraform-provider-kafka_v" + version + ".exe"} {
		zr, err := zip.OpenReader(filepath.Join(dist, name+"_"+p+".zip"))
		if err != nil {
			t.Fatal(err)
		}
		if len(zr.File) != 1 || zr.File[0].Name != bin {
			t.Errorf("%s zip holds %v, want only %s", p, zr.File, bin)
		}
		zr.Close()
	}

	// The zip as a packed mirror in the implied local mirror directory.
	mirror := filepath.Join(home, ".terraform.d", "plugins", "registry.terraform.io", "kafka-indexer", "kafka")
	zipName := name + "_" + native + ".zip"
	data, _ := os.ReadFile(filepath.Join(dist, zipName))
	if err := os.MkdirAll(mirror, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mirror, zipName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(`terraform {
  required_providers {
    kafka = {
      source  = "kafka-indexer/kafka"
      version = ">= 0.0.0"
    }
  }
}

output "merged" {
  value = provider::kafka::merge_spec(jsonencode({ ioConfig = { topic = "a", taskCount = 1 } }), { ioConfig = { topic = "b" } })
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := run(t, env, work, "", tf, "init", "-no-color")
	if code != 0 || !strings.Contains(out, "Installed kafka-indexer/kafka v"+version) {
		t.Fatalf("terraform init from the release zip: exit %d\n%s", code, out)
	}
	// A filesystem mirror gets no registry-signed "zh:" hashes; the "h1:" hash Terraform records
	// is of the zip's contents, so it names exactly the binary the release holds.
	lock, _ := os.ReadFile(filepath.Join(work, ".terraform.lock.hcl"))
	if h1 := zipHash1(t, filepath.Join(dist, zipName)); !strings.Contains(string(lock), `"`+h1+`"`) {
		t.Errorf("the lock file does not record the release zip's hash %s:\n%s", h1, lock)
	}
	if out, code := run(t, env, work, "", tf, "validate", "-no-color"); code != 0 {
		t.Fatalf("terraform validate with the released provider: exit %d\n%s", code, out)
	}
	if out, code := run(t, env, work, "", tf, "apply", "-auto-approve", "-no-color"); code != 0 || !strings.Contains(out, `merged = "{\"ioConfig\":{\"taskCount\":1,\"topic\":\"b\"}}"`) {
		t.Fatalf("terraform apply of merge_spec with the released provider: exit %d\n%s", code, out)
	}
}

// zipHash1 is the "h1:" hash Terraform records for a provider package: golang.org/x/mod's dirhash
// Hash1 over the files the zip holds.
func zipHash1(t *testing.T, path string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var lines []string
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, r); err != nil {
			t.Fatal(err)
		}
		r.Close()
		lines = append(lines, fmt.Sprintf("%x  %s\n", h.Sum(nil), f.Name))
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "")))
	return "h1:" + base64.StdEncoding.EncodeToString(sum[:])
}
