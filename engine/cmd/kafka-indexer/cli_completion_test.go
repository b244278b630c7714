package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCompletionBash loads the generated script into a real bash, as a user's shell does, and
// asks it for completions.
func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("bash is not installed")
		}
		t.Skip("bash is not installed")
	}
	out, err := exec.Command(bash, "-c", "source <("+binary+" completion bash) && complete -p kafka-indexer").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "complete -o default -F _kafka_indexer kafka-indexer" {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	for _, c := range []struct {
		line string // the words typed so far; the last one is being completed
		want []string
		not  []string
	}{
		{"kafka-indexer ", []string{"serve", "quickstart", "dump-segment", "supervisor", "task", "datasource", "completion"}, nil},
		{"kafka-indexer sup", []string{"supervisor"}, []string{"serve"}},
		{"kafka-indexer supervisor ", []string{"list", "status", "reset-offsets", "diff"}, []string{"shutdown"}},
		{"kafka-indexer supervisor re", []string{"resume", "reset", "reset-offsets"}, []string{"list"}},
		{"kafka-indexer supervisor status metrics --", []string{"--watch", "--interval", "--endpoint", "--output", "--help"}, []string{"--dry-run", "--yes"}},
		{"kafka-indexer supervisor reset x --", []string{"--yes"}, []string{"--watch"}},
		{"kafka-indexer task list --state ", []string{"running", "pending", "waiting", "complete"}, nil},
		{"kafka-indexer task list -o ", []string{"table", "json"}, nil},
		{"kafka-indexer completion ", []string{"bash", "zsh", "fish"}, nil},
		{"kafka-indexer completion bash --", []string{"--help"}, []string{"--endpoint"}},
	} {
		got := map[string]bool{}
		for _, w := range bashComplete(t, nil, c.line) {
			got[w] = true
		}
		for _, w := range c.want {
			if !got[w] {
				t.Errorf("%q completes to %v, lacking %q", c.line, got, w)
			}
		}
		for _, w := range c.not {
			if got[w] {
				t.Errorf("%q completes to %v, which should not include %q", c.line, got, w)
			}
		}
	}
}

// bashComplete loads the bash script and returns the completions of line, whose last word is
// the one being completed, with the built binary first on PATH and env added to the environment.
func bashComplete(t *testing.T, env []string, line string) []string {
	t.Helper()
	words := strings.Split(line, " ")
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "'" + w + "'"
	}
	script := "source <(kafka-indexer completion bash)\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" +
		strconv.Itoa(len(words)-1) + "\n_kafka_indexer\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(append(os.Environ(), "PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH")), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%q: %v\n%s", line, err, out)
	}
	return strings.Fields(string(out))
}

// TestCompletionZshFish checks the zsh and fish scripts against the command table (zsh and fish
// need not be installed; when they are, their syntax check runs too).
func TestCompletionZshFish(t *testing.T) {
	zsh, fish := zshCompletion(), fishCompletion()
	if !strings.HasPrefix(zsh, "#compdef kafka-indexer\n") || !strings.Contains(zsh, "compdef _kafka_indexer kafka-indexer") {
		t.Errorf("zsh script lacks #compdef or compdef:\n%s", zsh)
	}
	if n, m := strings.Count(zsh, "case "), strings.Count(zsh, "esac"); n != m {
		t.Errorf("zsh script: %d case, %d esac", n, m)
	}
	if n, m := len(regexp.MustCompile(`\bif (\[\[|\(\()`).FindAllString(zsh, -1)), len(regexp.MustCompile(`\bfi\b`).FindAllString(zsh, -1)); n != m {
		t.Errorf("zsh script: %d if, %d fi", n, m)
	}
	for _, c := range cliCommands {
		mustContain(t, "zsh script", zsh, "'"+c.path()+"')", zshDescribe(c.name, c.summary))
		cond := fishQuote("__fish_seen_subcommand_from " + c.group + "; and __fish_seen_subcommand_from " + c.name)
		mustContain(t, "fish script", fish, "-a "+c.name+" -d "+fishQuote(c.summary))
		for _, f := range c.allFlags() {
			mustContain(t, "zsh script", zsh, "--"+f.name)
			mustContain(t, "fish script", fish, "-n "+cond+" -l "+f.name)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(fish), "\n") {
		if !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "complete -c kafka-indexer ") {
			t.Errorf("fish script line is not a complete command: %q", line)
		}
		if strings.Count(strings.ReplaceAll(line, `\'`, ""), "'")%2 != 0 {
			t.Errorf("fish script line has unbalanced quotes: %q", line)
		}
	}
	for name, script := range map[string]string{"zsh": zsh, "fish": fish} {
		sh, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		cmd := exec.Command(sh, "-n")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", name, err, out)
		}
	}
	// The scripts the binary prints are these.
	for _, sh := range []string{"zsh", "fish"} {
		want := map[string]string{"zsh": zsh, "fish": fish}[sh]
		if got := cliOK(t, "completion", sh); got != want {
			t.Errorf("kafka-indexer completion %s differs from the generated script", sh)
		}
	}
}

var updateCompletion = flag.Bool("update", false, "rewrite testdata/completion.* from the command table")

// TestCompletionGolden keeps the generated scripts in testdata, so a change to the command
// table shows up in review as a change to the scripts. After changing the table:
//
//	go test ./engine/cmd/kafka-indexer -run TestCompletionGolden -update
func TestCompletionGolden(t *testing.T) {
	for name, script := range map[string]string{"bash": bashCompletion(), "zsh": zshCompletion(), "fish": fishCompletion()} {
		path := filepath.Join("testdata", "completion."+name)
		if *updateCompletion {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if string(want) != script {
			t.Errorf("the %s script differs from %s; if the command table changed on purpose, run with -update and review the diff", name, path)
		}
	}
}
