package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A docCommand is one shell command of a documentation example, with the HTTP status its curl
// calls must answer: the "# 400 …" line under it in the docs, or any 2xx when there is none.
type docCommand struct {
	text   string
	status int // 0: any 2xx
}

// A docBlock is one ```sh block (or the banner's hints), run by one bash so that variables set
// by one command reach the next.
type docBlock struct {
	where string // file:line, for failure messages
	dir   string // working directory
	cmds  []docCommand
}

var (
	shFence     = regexp.MustCompile("(?m)^```sh\n")
	statusLine  = regexp.MustCompile(`^# ([1-5][0-9][0-9])\b`)
	notRunLine  = regexp.MustCompile(`^<!-- not run: .+ -->$`)
	jsonFileArg = regexp.MustCompile(`@((?:examples|engine)/[\w./-]+\.json)`)
)

// shellBlocks returns the ```sh blocks of a markdown text, each split into commands. A block
// whose fence is directly preceded by a "<!-- not run: reason -->" line is left out. A command
// goes on while a single quote is open or its line ends with a backslash or a pipe.
func shellBlocks(name, md, dir string) []docBlock {
	var out []docBlock
	for _, loc := range shFence.FindAllStringIndex(md, -1) {
		before := strings.TrimRight(md[:loc[0]], "\n")
		if prev := before[strings.LastIndex(before, "\n")+1:]; notRunLine.MatchString(prev) {
			continue
		}
		body := md[loc[1]:]
		body = body[:strings.Index(body, "```")]
		b := docBlock{where: fmt.Sprintf("%s:%d", name, strings.Count(md[:loc[0]], "\n")+1), dir: dir}
		var cur []string
		quotes := 0
		for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
			if len(cur) == 0 {
				if m := statusLine.FindStringSubmatch(line); m != nil && len(b.cmds) > 0 {
					b.cmds[len(b.cmds)-1].status, _ = strconv.Atoi(m[1])
					continue
				}
				if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
					continue
				}
			}
			cur = append(cur, line)
			quotes += strings.Count(line, "'")
			if t := strings.TrimSpace(line); quotes%2 == 1 || strings.HasSuffix(t, `\`) || strings.HasSuffix(t, "|") {
				continue
			}
			b.cmds = append(b.cmds, docCommand{text: strings.Join(cur, "\n")})
			cur, quotes = nil, 0
		}
		out = append(out, b)
	}
	return out
}

// section is the part of md from the heading through to the next heading of the same level.
func section(md, heading string) string {
	i := strings.Index(md, "\n"+heading+"\n")
	if i < 0 {
		return ""
	}
	rest := md[i+1+len(heading):]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return heading + rest
}

// bannerHints are the commands the quickstart printed for the user to try: the "Try next"
// lines and the dump-segment hint that follows the first segment. The Terraform line is left
// to TestQuickstartTerraformExample, which follows it under TF_ACC.
func bannerHints(out, dir string) docBlock {
	b := docBlock{where: "the quickstart's banner", dir: dir}
	_, hints, _ := strings.Cut(out, "Try next")
	hints, _, _ = strings.Cut(hints, "\n\n")
	lines := strings.Split(hints, "\n")[1:]
	if _, dump, ok := strings.Cut(out, "segments published; read one with:\n"); ok {
		dump, _, _ = strings.Cut(dump, "\n")
		lines = append(lines, dump)
	}
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "terraform") {
			b.cmds = append(b.cmds, docCommand{text: l})
		}
	}
	return b
}

// TestDocsCommandsRun runs, against a quickstart, every command the first hour meets: the
// README's tour, the quickstart banner's hints and every ```sh example of docs/api.md, as
// written. Only the addresses change (the quickstart here listens on free ports), in the
// commands and in the repository's JSON files they send. Each command must exit 0 and each of
// its curl calls answer the status the docs give (2xx unless a "# 400 …" line says otherwise).
func TestDocsCommandsRun(t *testing.T) {
	for _, tool := range []string{"curl", "kcat", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	here, _ := os.Getwd()
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	readme, api := read("README.md"), read("docs/api.md")
	tour := section(readme, "## Five-minute tour")
	if tour == "" {
		t.Fatal(`README.md has no "## Five-minute tour" section`)
	}
	blocks := append(shellBlocks("README.md (tour)", tour, root), shellBlocks("docs/api.md", api, root)...)
	if n := len(blocks); n < 8 {
		t.Fatalf("only %d shell blocks found", n)
	}

	// The quickstart, until the test ends; the commands run once a segment is published.
	cfg := &quickstartConfig{Listen: freePort(t), Kafka: freePort(t), DataDir: t.TempDir(), Rate: 200, Partitions: 2}
	out := startQuickstart(t, cfg, 45*time.Second, func(p qsProgress, out string) bool {
		return p.Segments > 0 && strings.Contains(out, "read one with:")
	})
	blocks = append([]docBlock{bannerHints(out.String(), here)}, blocks...)
	if len(blocks[0].cmds) < 5 {
		t.Fatalf("only %d hints in the banner:\n%s", len(blocks[0].cmds), out.String())
	}

	// The repository's JSON files, with the quickstart's addresses.
	files := t.TempDir()
	addrs := strings.NewReplacer("127.0.0.1:8090", cfg.Listen, "127.0.0.1:9092", cfg.Kafka)
	localize := func(cmd string) string {
		cmd = jsonFileArg.ReplaceAllStringFunc(cmd, func(arg string) string {
			rel := arg[1:]
			dst := filepath.Join(files, rel)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, []byte(addrs.Replace(read(rel))), 0o644); err != nil {
				t.Fatal(err)
			}
			return "@" + dst
		})
		return addrs.Replace(cmd)
	}
	// jq reads examples/… directly: point it at the localized copy too.
	jqFileArg := regexp.MustCompile(`(\s)((?:examples|engine)/[\w./-]+\.json)(\s|$)`)

	n := 0
	for _, b := range blocks {
		// Each command reports its curl statuses and exit code on stderr, between markers.
		var script strings.Builder
		script.WriteString("set -o pipefail\n" +
			"curl() { command curl -sS -w '%{stderr}HTTP-STATUS %{http_code}\\n' \"$@\"; }\n" +
			"OVERLORD=http://" + cfg.Listen + "\nSUP=$OVERLORD/druid/indexer/v1/supervisor\n")
		for i, c := range b.cmds {
			text := localize(c.text)
			text = jqFileArg.ReplaceAllStringFunc(text, func(m string) string {
				sub := jqFileArg.FindStringSubmatch(m)
				return sub[1] + localize("@" + sub[2])[1:] + sub[3]
			})
			fmt.Fprintf(&script, "echo 'CMD-START %d' >&2\n%s\necho \"CMD-EXIT %d $?\" >&2\n", i, text, i)
		}
		var stdout, stderr syncBuffer
		runCtx, stop := context.WithTimeout(t.Context(), 40*time.Second)
		cmd := exec.CommandContext(runCtx, "bash", "-c", script.String())
		cmd.Dir, cmd.Stdout, cmd.Stderr = b.dir, &stdout, &stderr
		err := cmd.Run()
		stop()
		if err != nil {
			t.Errorf("%s: bash: %v\nstderr:\n%s", b.where, err, stderr.String())
			continue
		}
		// Parse the markers back into per-command results.
		statuses := map[int][]int{}
		exits := map[int]int{}
		current := -1
		for _, line := range strings.Split(stderr.String(), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) == 2 && f[0] == "CMD-START":
				current, _ = strconv.Atoi(f[1])
			case len(f) == 3 && f[0] == "CMD-EXIT":
				i, _ := strconv.Atoi(f[1])
				exits[i], _ = strconv.Atoi(f[2])
			case len(f) == 2 && f[0] == "HTTP-STATUS":
				code, _ := strconv.Atoi(f[1])
				statuses[current] = append(statuses[current], code)
			}
		}
		for i, c := range b.cmds {
			n++
			fail := func(why string) {
				t.Errorf("%s: %s\n  %s\nstdout:\n%s\nstderr:\n%s", b.where, why, c.text, tail(stdout.String(), 1500), tail(stderr.String(), 1500))
			}
			if code, ok := exits[i]; !ok || code != 0 {
				fail(fmt.Sprintf("exit status %d (ran: %v)", code, ok))
				continue
			}
			if strings.Contains(c.text, "curl ") && len(statuses[i]) == 0 {
				fail("no curl call answered")
			}
			for _, code := range statuses[i] {
				if c.status != 0 && code != c.status || c.status == 0 && (code < 200 || code > 299) {
					want := "2xx"
					if c.status != 0 {
						want = strconv.Itoa(c.status)
					}
					fail(fmt.Sprintf("HTTP %d, want %s", code, want))
				}
			}
		}
	}
	t.Logf("%d commands in %d blocks ran", n, len(blocks))
}

// TestShellBlocks checks the extraction the docs test relies on: continuation lines, quotes
// spanning lines, expected statuses and the not-run marker.
func TestShellBlocks(t *testing.T) {
	md := "x\n```sh\nA=1\ncurl -X POST \"$A\" -d '{\n  \"k\": 1}'\n# 400 {\"error\":\"x\"}\n# a comment\njq . f.json |\n  curl --data-binary @- u\n```\n" +
		"<!-- not run: it deletes everything -->\n```sh\nrm -rf /\n```\n"
	got := shellBlocks("t.md", md, "/d")
	want := []docCommand{{text: "A=1"}, {text: "curl -X POST \"$A\" -d '{\n  \"k\": 1}'", status: 400}, {text: "jq . f.json |\n  curl --data-binary @- u"}}
	if len(got) != 1 || fmt.Sprint(got[0].cmds) != fmt.Sprint(want) || got[0].where != "t.md:2" {
		t.Fatalf("got %+v\nwant one block at t.md:2 with %+v", got, want)
	}
}
