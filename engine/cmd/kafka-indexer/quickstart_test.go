package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/internal/offlinetf"
)

// storedOffsets is the sum of the offsets the metadata store holds for the quickstart's
// supervisor (what a restart resumes from), read with the daemon stopped.
func storedOffsets(t *testing.T, dataDir string) int64 {
	t.Helper()
	ctx := context.Background()
	store, _, err := openStore(ctx, &serveConfig{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	md, err := store.GetDataSourceMetadata(ctx, quickstartDataSource)
	if err != nil {
		t.Fatalf("stored offsets: %v", err)
	}
	if md == nil {
		return 0
	}
	var n int64
	for _, o := range md.Offsets {
		n += o
	}
	return n
}

// syncBuffer is a bytes.Buffer safe to read while the quickstart writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startQuickstart runs the quickstart in the background until the test ends and returns its
// output once ready holds for a progress reading (or fails the test after wait).
func startQuickstart(t *testing.T, cfg *quickstartConfig, wait time.Duration, ready func(p qsProgress, out string) bool) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	readyCh := make(chan struct{})
	done := make(chan error, 1)
	out := &syncBuffer{}
	go func() {
		closed := false
		_, err := runQuickstart(ctx, cfg, out, func(p qsProgress) bool {
			if !closed && ready(p, out.String()) {
				closed = true
				close(readyCh)
			}
			return false
		})
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("quickstart: %v", err)
		}
	})
	select {
	case <-readyCh:
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("quickstart stopped: %v\n%s", err, out.String())
	case <-time.After(wait):
		t.Fatalf("quickstart not ready after %s:\n%s", wait, out.String())
	}
	return out
}

// running is the startQuickstart condition "the supervisor is RUNNING".
func running(p qsProgress, _ string) bool { return p.State == "RUNNING" }

// TestQuickstart runs the quickstart until its first segment is published with the supervisor
// RUNNING (as CI does, bounded), then again on the same data directory: the second run finds
// the supervisor, resumes from the stored offsets and publishes more.
func TestQuickstart(t *testing.T) {
	dataDir := t.TempDir()
	cfg := &quickstartConfig{Listen: freePort(t), Kafka: freePort(t), DataDir: dataDir, Rate: 300, Partitions: 2, Duration: 50 * time.Second}

	// Run 1: through the CLI's flag parsing, stopped once a segment is out.
	args := []string{"--listen", cfg.Listen, "--kafka", cfg.Kafka, "--data-dir", dataDir, "--rate", "300", "--duration", "50s", "--partitions", "2"}
	parsed, err := parseQuickstartFlags(args, os.Stderr)
	if err != nil || !reflect.DeepEqual(parsed, cfg) {
		t.Fatalf("flags parsed to %+v, %v; want %+v", parsed, err, cfg)
	}
	var out1 syncBuffer
	start := time.Now()
	sawRunning := false
	p1, err := runQuickstart(context.Background(), parsed, &out1, func(p qsProgress) bool {
		sawRunning = sawRunning || p.State == "RUNNING"
		return p.Segments >= 1 && p.State == "RUNNING"
	})
	t.Logf("run 1 (%s):\n%s", time.Since(start).Round(time.Second), out1.String())
	if err != nil {
		t.Fatal(err)
	}
	if p1.Segments < 1 || !sawRunning || p1.State != "RUNNING" {
		t.Fatalf("run 1 ended with %+v: no segment published with the supervisor RUNNING", p1)
	}
	for _, want := range []string{
		"supervisor  metrics-kafka: submitted",
		"kafka-indexer dump-segment --directory ",
		"/druid/v2 -d '{\"queryType\":\"timeseries\"",
		"examples/quickstart",
		"stopped: ",
	} {
		if !strings.Contains(out1.String(), want) {
			t.Errorf("run 1 output lacks %q", want)
		}
	}
	// One segment per hour of data: a run across an hour boundary publishes two at once.
	if !regexp.MustCompile(`segments published [1-9]\d* · supervisor RUNNING`).MatchString(out1.String()) {
		t.Error("run 1 output lacks a progress line with segments published and the supervisor RUNNING")
	}
	if strings.Contains(out1.String(), "\r") {
		t.Error("\\r line rewriting on a non-terminal")
	}
	stored1 := storedOffsets(t, dataDir)
	if stored1 <= 0 {
		t.Fatalf("no offsets stored after run 1")
	}

	// Run 2 on the same data directory (the ports too: the stored spec names the broker).
	var out2 syncBuffer
	start = time.Now()
	p2, err := runQuickstart(context.Background(), cfg, &out2, func(p qsProgress) bool {
		return p.Segments > p1.Segments && p.State == "RUNNING"
	})
	t.Logf("run 2 (%s):\n%s", time.Since(start).Round(time.Second), out2.String())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out2.String(), "already there; resuming from its stored offsets") {
		t.Error("run 2 did not find the supervisor")
	}
	if p2.Segments <= p1.Segments || p2.State != "RUNNING" {
		t.Fatalf("run 2 ended with %+v after run 1's %+v: nothing more published", p2, p1)
	}
	if stored2 := storedOffsets(t, dataDir); stored2 <= stored1 {
		t.Fatalf("stored offsets %d after run 2, %d after run 1: did not grow", stored2, stored1)
	}
	// Rows come from the tasks' row stats, which count this run's reading only.
	if p1.Rows <= 0 || p2.Rows <= 0 {
		t.Errorf("rows ingested %d in run 1, %d in run 2: want both > 0", p1.Rows, p2.Rows)
	}
}

func TestQuickstartFlags(t *testing.T) {
	c, err := parseQuickstartFlags(nil, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	want := &quickstartConfig{Listen: "127.0.0.1:8090", Kafka: "127.0.0.1:9092", DataDir: "./var/quickstart", Rate: 200, Partitions: 2}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults %+v, want %+v", c, want)
	}
	for _, bad := range [][]string{{"--rate", "0"}, {"--partitions", "0"}, {"--duration", "-1s"}, {"extra"}} {
		if _, err := parseQuickstartFlags(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"quickstart", "-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "--data-dir") && !strings.Contains(errOut.String(), "-data-dir") {
		t.Errorf("quickstart -h: exit %d, %s", code, errOut.String())
	}
	if code := run([]string{"help"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "quickstart") {
		t.Errorf("usage does not mention quickstart: %s", out.String())
	}
}

// TestQuickstartExampleInSync checks that examples/quickstart/supervisor.json, which the
// Terraform example applies, is the spec the quickstart submits: adopting it is a no-op.
func TestQuickstartExampleInSync(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "quickstart", "supervisor.json"))
	if err != nil {
		t.Fatal(err)
	}
	var example, ours any
	if err := json.Unmarshal(b, &example); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(quickstartSpec("127.0.0.1:9092"))
	_ = json.Unmarshal(raw, &ours)
	if !reflect.DeepEqual(example, ours) {
		t.Errorf("examples/quickstart/supervisor.json differs from quickstartSpec:\nexample %s\nours    %s", b, raw)
	}
}

func TestQuickstartThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestQuickstartEmbeddedKafkaWithKcat runs `serve --embedded-kafka` as a process and round-trips records
// through it with the kcat CLI, as a user bringing their own producer would.
func TestQuickstartEmbeddedKafkaWithKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("kcat is not installed (apt-get install -y kcat)")
		}
		t.Skip("kcat is not installed")
	}
	dataDir, addr, kafka := t.TempDir(), freePort(t), freePort(t)
	var log syncBuffer
	cmd := exec.Command(binary, "serve", "--listen", addr, "--data-dir", dataDir, "--embedded-kafka", kafka)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve exited with %v:\n%s", err, log.String())
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("serve did not stop on SIGINT:\n%s", log.String())
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(log.String(), "kafka-indexer starting") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(log.String(), "embedded kafka broker listening on "+kafka) {
		t.Errorf("serve did not report the broker:\n%s", log.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lines := []string{`{"timestamp":"2024-03-05T00:00:00Z","host":"a","value":1}`, `{"timestamp":"2024-03-05T00:00:01Z","host":"b","value":2}`, "third"}
	prod := exec.CommandContext(ctx, kcat, "-b", kafka, "-t", "t", "-P")
	prod.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := prod.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	cons := exec.CommandContext(ctx, kcat, "-b", kafka, "-t", "t", "-C", "-e", "-o", "beginning", "-q")
	out, err := cons.Output()
	if err != nil {
		t.Fatalf("kcat -C: %v\n%s", err, out)
	}
	if got := strings.Split(strings.TrimSpace(string(out)), "\n"); !reflect.DeepEqual(got, lines) {
		t.Errorf("kcat read back %q, want %q", got, lines)
	}
}

// quickstartREADMECommands returns the commands of the "# terminal 2" part of the sh block in
// examples/quickstart/README.md, without their comments.
func quickstartREADMECommands(t *testing.T, root string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "examples", "quickstart", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, _ := strings.Cut(string(b), "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	_, term2, ok := strings.Cut(block, "# terminal 2")
	if !ok {
		t.Fatal("examples/quickstart/README.md: no \"# terminal 2\" in the first sh block")
	}
	var cmds []string
	for _, line := range strings.Split(term2, "\n")[1:] {
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line != "" {
			cmds = append(cmds, line)
		}
	}
	return cmds
}

// TestQuickstartTerraformExample (acceptance, TF_ACC=1) follows examples/quickstart/README.md as
// written, against a running quickstart: `make install-provider` (into a temporary HOME), then
// `cd examples/quickstart`, `terraform init` (from the local mirror: no registry, no
// dev_overrides), plan, and apply answered "yes", which only imports the supervisor and its state.
// The banner's Terraform line must be those same commands. Then examples/ci/drift-check.sh, as
// written, exits 0, and 2 after the README's curl suspends the supervisor out of band.
func TestQuickstartTerraformExample(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatal("TF_ACC is set but terraform is not installed")
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cmds := quickstartREADMECommands(t, root)
	want := []string{"make install-provider", "cd examples/quickstart", "terraform init", "terraform plan", "terraform apply"}
	if !reflect.DeepEqual(cmds, want) {
		t.Fatalf("examples/quickstart/README.md's terminal 2 runs %q; this test runs %q: update both", cmds, want)
	}
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	// The examples are copied so that init and apply leave the checkout alone; cd goes there.
	examples := filepath.Join(tmp, "examples")
	for _, d := range []string{"quickstart", "ci"} {
		if err := os.CopyFS(filepath.Join(examples, d), os.DirFS(filepath.Join(root, "examples", d))); err != nil {
			t.Fatal(err)
		}
	}

	cfg := &quickstartConfig{Listen: freePort(t), Kafka: freePort(t), DataDir: filepath.Join(tmp, "data"), Rate: 100, Partitions: 2, Duration: 2 * time.Minute}
	out := startQuickstart(t, cfg, 30*time.Second, running)

	// The banner's line is a subsequence of the README's commands.
	var banner []string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "terraform init") {
			line, _, _ = strings.Cut(line, "(see")
			// Run from elsewhere (as here, the package directory), the banner says where to run it.
			line = strings.TrimPrefix(strings.TrimSpace(line), "from the repository root:")
			for _, c := range strings.Split(line, "&&") {
				banner = append(banner, strings.TrimSpace(c))
			}
		}
	}
	if i := 0; len(banner) > 0 {
		for _, c := range cmds {
			if i < len(banner) && c == banner[i] {
				i++
			}
		}
		if i != len(banner) {
			t.Errorf("the banner's %q is not the README's %q", banner, cmds)
		}
	} else {
		t.Errorf("the banner names no terraform commands:\n%s", out.String())
	}

	env := offlinetf.Env(t, home, "TF_VAR_endpoint=http://"+cfg.Listen, "TF_VAR_kafka_bootstrap="+cfg.Kafka, "KAFKA_INDEXER_ENDPOINT=http://"+cfg.Listen)
	sh := func(dir, stdin, name string, args ...string) (string, int) {
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env, cmd.Stdin = dir, env, strings.NewReader(stdin)
		b, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(b), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(b), 0
	}
	dir := root
	expect := map[string]string{
		"terraform init":  "Installed kafka-indexer/kafka v",
		"terraform plan":  "2 to import, 0 to add, 0 to change, 0 to destroy",
		"terraform apply": "2 imported, 0 added, 0 changed, 0 destroyed",
	}
	for _, c := range cmds {
		args := strings.Fields(c)
		switch args[0] {
		case "cd":
			dir = filepath.Join(tmp, args[1])
			continue
		case "terraform":
			args[0] = tf
		}
		o, code := sh(dir, "yes\n", args[0], args[1:]...)
		if code != 0 || !strings.Contains(o, expect[c]) {
			t.Fatalf("%s: exit %d\n%s", c, code, o)
		}
		if strings.Contains(o, "overrides are in effect") {
			t.Errorf("%s ran with development overrides:\n%s", c, o)
		}
	}

	drift := filepath.Join("..", "ci", "drift-check.sh")
	if o, code := sh(dir, "", drift); code != 0 || !strings.Contains(o, "no drift") {
		t.Fatalf("drift-check.sh after apply: exit %d, want 0\n%s", code, o)
	}
	b, _ := os.ReadFile(filepath.Join(root, "examples", "quickstart", "README.md"))
	_, curl, _ := strings.Cut(string(b), "\ncurl -X POST ")
	curl, _, _ = strings.Cut(curl, "\n")
	curl = strings.Replace(curl, "127.0.0.1:8090", cfg.Listen, 1)
	if o, code := sh(dir, "", "curl", "-fsS", "-X", "POST", curl); code != 0 {
		t.Fatalf("curl -X POST %s: exit %d\n%s", curl, code, o)
	}
	if o, code := sh(dir, "", drift); code != 2 || !strings.Contains(o, "DRIFT") || !strings.Contains(o, "kafka_supervisor_state.metrics") {
		t.Fatalf("drift-check.sh after an out-of-band suspend: exit %d, want 2\n%s", code, o)
	}
}

// TestQuickstartProgressStates suspends and then terminates the quickstart's supervisor through
// the API while the quickstart runs: its progress line must follow, SUSPENDED then TERMINATED,
// rather than keep the last RUNNING it saw.
func TestQuickstartProgressStates(t *testing.T) {
	cfg := &quickstartConfig{Listen: freePort(t), Kafka: freePort(t), DataDir: t.TempDir(), Rate: 100, Partitions: 1, Duration: 50 * time.Second}
	post := func(path string) {
		resp, err := http.Post("http://"+cfg.Listen+"/druid/indexer/v1/supervisor/"+quickstartDataSource+path, "application/json", nil)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("POST %s: %d", path, resp.StatusCode)
		}
	}
	var seen []string
	var out syncBuffer
	suspended, terminated := false, false
	last, err := runQuickstart(context.Background(), cfg, &out, func(p qsProgress) bool {
		if len(seen) == 0 || seen[len(seen)-1] != p.State {
			seen = append(seen, p.State)
		}
		switch p.State {
		case "RUNNING":
			if p.Rows > 0 && !suspended {
				suspended = true
				post("/suspend")
			}
		case "SUSPENDED":
			if !terminated {
				terminated = true
				post("/terminate")
			}
		}
		return p.State == "TERMINATED"
	})
	if err != nil {
		t.Fatal(err)
	}
	if last.State != "TERMINATED" || !slices.Contains(seen, "SUSPENDED") {
		t.Fatalf("states seen %v, last %+v; want SUSPENDED then TERMINATED\n%s", seen, last, out.String())
	}
	if !strings.Contains(out.String(), "· supervisor SUSPENDED") || !strings.Contains(out.String(), "· supervisor TERMINATED") {
		t.Errorf("progress lines do not show the states:\n%s", out.String())
	}
}
