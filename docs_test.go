package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var jsonBlock = regexp.MustCompile("(?s)```json\n(.*?)```")

// TestDocsExamplesParse checks that every ```json block in README.md and docs/*.md is valid
// JSON (examples that drift from reality usually stop parsing first), allowing the "..." and
// "…" ellipses the docs use to elide parts.
func TestDocsExamplesParse(t *testing.T) {
	files, _ := filepath.Glob("docs/*.md")
	files = append(files, "README.md")
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range jsonBlock.FindAllSubmatch(b, -1) {
			block := string(m[1])
			if strings.Contains(block, "...") || strings.Contains(block, "…") || strings.Contains(block, "//") {
				continue
			}
			n++
			dec := json.NewDecoder(strings.NewReader(block))
			for dec.More() {
				var v any
				if err := dec.Decode(&v); err != nil {
					t.Errorf("%s: a json example does not parse: %v\n%s", f, err, block)
					break
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d json examples checked", n)
	}
}

// TestTerraformExamplesFormatted checks the Terraform examples with `terraform fmt -check`.
func TestTerraformExamplesFormatted(t *testing.T) {
	tf, err := exec.LookPath("terraform")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("terraform is not on PATH")
		}
		t.Skip("terraform not installed")
	}
	out, err := exec.Command(tf, "fmt", "-check", "-recursive", "examples").CombinedOutput()
	if err != nil {
		t.Fatalf("terraform fmt -check: %v\n%s", err, out)
	}
}

// TestDocsCurlConventions holds every curl example in README.md, docs/*.md and the examples'
// READMEs to the conventions a first hour depends on: one meaning of $OVERLORD (the engine's
// address, with SUP=$OVERLORD/druid/indexer/v1/supervisor), JSON files sent with --data-binary
// (-d strips newlines, so a parse error names the wrong line) and URLs with a query string
// quoted (an unquoted ? or & is a shell glob or a background job). The examples that run
// against the quickstart are executed by TestDocsCommandsRun in engine/cmd/kafka-indexer.
func TestDocsCurlConventions(t *testing.T) {
	files, _ := filepath.Glob("docs/*.md")
	more, _ := filepath.Glob("examples/*/README.md")
	files = append(append(files, more...), "README.md")
	overlord := regexp.MustCompile(`(?m)^\s*OVERLORD=(\S+)`)
	sup := regexp.MustCompile(`(?m)^\s*SUP=(\S+)`)
	dataFile := regexp.MustCompile(`(^|\s)(-d|--data|--data-raw)\s+@`)
	unquotedQuery := regexp.MustCompile(`(^|\s)(\$\w+|https?://)[^\s'"]*[?&]`)
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		md := string(b)
		for _, m := range overlord.FindAllStringSubmatch(md, -1) {
			if m[1] != "http://127.0.0.1:8090" {
				t.Errorf("%s: OVERLORD=%s; the docs' OVERLORD is the engine's address, http://127.0.0.1:8090", f, m[1])
			}
		}
		for _, m := range sup.FindAllStringSubmatch(md, -1) {
			if m[1] != "$OVERLORD/druid/indexer/v1/supervisor" {
				t.Errorf("%s: SUP=%s; want SUP=$OVERLORD/druid/indexer/v1/supervisor", f, m[1])
			}
		}
		for _, line := range strings.Split(md, "\n") {
			if !strings.Contains(line, "curl ") || strings.HasPrefix(strings.TrimSpace(line), "|") {
				continue // prose and table rows mention curl without being commands
			}
			checked++
			if dataFile.MatchString(line) {
				t.Errorf("%s: a JSON file sent with -d, not --data-binary: %s", f, line)
			}
			if unquotedQuery.MatchString(line) {
				t.Errorf("%s: a URL with a query string, unquoted: %s", f, line)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d curl lines checked", checked)
	}
}
