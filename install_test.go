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
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/enginetest"
	"github.com/kafka-indexer/terraform-provider-kafka/internal/offlinetf"
)

// requireTerraform returns the terraform CLI for an acceptance test: it skips without TF_ACC, and
// fails (never skips) when there is no CLI and TF_ACC is set or CI=true.
func requireTerraform(t *testing.T) string {
	t.Helper()
	tf, err := exec.LookPath("terraform")
	if err != nil && (os.Getenv("TF_ACC") != "" || os.Getenv("CI") == "true") {
		t.Fatal("the terraform CLI is not on PATH (acceptance tests need Terraform ≥ 1.8)")
	}
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
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

// madeVersion returns the version make printed after prefix ("installed kafka-indexer/kafka ",
// "release "): the one tools/version.sh gave the build, whatever else changes in the tree meanwhile.
func madeVersion(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			v, _, _ = strings.Cut(v, " ")
			return v
		}
	}
	t.Fatalf("make printed no %q line:\n%s", prefix, out)
	return ""
}

// TestInstallProvider (acceptance, TF_ACC=1): `make install-provider` lays the provider out in
// Terraform's implied local mirror under HOME, and a plain `terraform init` (no registry, no
// dev_overrides) installs it from there; then examples/functions/merge_spec, as written, stamps
// ten supervisors out of one base against a real engine, plans no change, and destroys them.
func TestInstallProvider(t *testing.T) {
	tf := requireTerraform(t)
	home := t.TempDir()
	platform := runtime.GOOS + "_" + runtime.GOARCH
	mirror := filepath.Join(home, ".terraform.d", "plugins", "registry.terraform.io", "kafka-indexer", "kafka")
	// An earlier build: install-provider replaces it, so init never chooses between two builds.
	stale := filepath.Join(mirror, "0.0.0+1.gdeadbee", platform)
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}

	env := offlinetf.Env(t, home)
	out, code := run(t, env, ".", "", "make", "install-provider")
	if code != 0 {
		t.Fatalf("make install-provider: exit %d\n%s", code, out)
	}
	version := madeVersion(t, out, "installed kafka-indexer/kafka ")
	if _, err := semver(version); err != nil {
		t.Errorf("make install-provider used version %q: %v", version, err)
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
	tfEnv := offlinetf.Env(t, home, "KAFKA_INDEXER_ENDPOINT="+e.URL, "TF_VAR_kafka_bootstrap="+broker.ListenAddrs()[0], "TF_IN_AUTOMATION=1")
	terraform := func(args ...string) (string, int) { return run(t, tfEnv, work, "", tf, append(args, "-no-color")...) }

	out, code = terraform("init")
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
	native := runtime.GOOS + "_" + runtime.GOARCH
	env := offlinetf.Env(t, home, "DIST="+dist, "PLATFORMS="+native+" windows_arm64")
	out, code := run(t, env, ".", "", "make", "release")
	if code != 0 {
		t.Fatalf("make release: exit %d\n%s", code, out)
	}
	version := madeVersion(t, out, "release ")
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
	out, code = run(t, env, work, "", tf, "init", "-no-color")
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

var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// semver checks that v is a semantic version (2.0.0) and returns its prerelease part.
func semver(v string) (prerelease string, err error) {
	m := semverRE.FindStringSubmatch(v)
	if m == nil {
		return "", fmt.Errorf("%q is not a semantic version", v)
	}
	return strings.TrimPrefix(m[4], "-"), nil
}

// TestVersionScheme runs tools/version.sh in a scratch repository through the cases its comment
// lists: every version is a semantic version Terraform accepts, development builds are never
// prereleases, and different trees never share a version.
func TestVersionScheme(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is not installed")
	}
	repo := t.TempDir()
	script, err := os.ReadFile("tools/version.sh")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(repo, "tools"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "tools", "version.sh"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(repo, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	version := func() string {
		t.Helper()
		out, err := exec.Command(filepath.Join(repo, "tools", "version.sh")).Output()
		if err != nil {
			t.Fatalf("version.sh: %v", err)
		}
		v := strings.TrimSpace(string(out))
		if _, err := semver(v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-qm", "one")
	write("a", "1")
	git("add", ".")
	git("commit", "-qm", "two")
	sha := git("rev-parse", "--short=7", "HEAD")
	seen := map[string]string{}
	check := func(name, got, want string) {
		t.Helper()
		if !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("%s: version %q, want %s", name, got, want)
		}
		if pre, _ := semver(got); pre != "" && !strings.Contains(name, "prerelease tag") {
			t.Errorf("%s: %q is a prerelease, which no version constraint but an exact one selects", name, got)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%s and %s share version %q", name, other, got)
		}
		seen[got] = name
	}
	check("no tag", version(), `^0\.0\.0\+2\.g`+sha+`$`)
	write("a", "2")
	dirty1 := version()
	check("no tag, dirty", dirty1, `^0\.0\.0\+2\.g`+sha+`\.dirty\.[0-9a-f]{8}$`)
	write("a", "3")
	check("no tag, dirty differently", version(), `^0\.0\.0\+2\.g`+sha+`\.dirty\.[0-9a-f]{8}$`)
	write("a", "2")
	if v := version(); v != dirty1 {
		t.Errorf("the same dirty tree gave %q, then %q", dirty1, v)
	}
	delete(seen, dirty1)
	git("checkout", "-q", "a")
	write("new.go", "package x")
	check("no tag, untracked file", version(), `^0\.0\.0\+2\.g`+sha+`\.dirty\.[0-9a-f]{8}$`)
	if err := os.Remove(filepath.Join(repo, "new.go")); err != nil {
		t.Fatal(err)
	}
	git("tag", "v1.2.3")
	check("on a release tag", version(), `^1\.2\.3$`)
	write("a", "4")
	git("commit", "-qam", "three")
	after := version()
	check("after a release tag", after, `^1\.2\.3\+1\.g`+git("rev-parse", "--short=7", "HEAD")+`$`)
	git("tag", "not-a-version")
	if v := version(); v != after {
		t.Errorf("a tag that is not vX.Y.Z changed the version from %q to %q", after, v)
	}
	git("tag", "v2.0.0-rc.1")
	check("on a prerelease tag", version(), `^2\.0\.0-rc\.1$`)
}
