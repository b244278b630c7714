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
