package main

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b string
		want string
	}{
		{"equal", "a\nb", "a\nb", ""},
		{"one change", "a\nb\nc", "a\nB\nc", "--- x\n+++ y\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"insert at end", "a", "a\nb", "--- x\n+++ y\n@@ -1 +1,2 @@\n a\n+b\n"},
		{"from empty", "", "a", "--- x\n+++ y\n@@ -1 +1 @@\n-\n+a\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11", "1\nX\n3\n4\n5\n6\n7\n8\n9\nY\n11",
			"--- x\n+++ y\n@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n@@ -7,5 +7,5 @@\n 7\n 8\n 9\n-10\n+Y\n 11\n"},
		{"merged hunks", "1\n2\n3\n4\n5\n6\n7\n8", "1\nX\n3\n4\n5\n6\nY\n8",
			"--- x\n+++ y\n@@ -1,8 +1,8 @@\n 1\n-2\n+X\n 3\n 4\n 5\n 6\n-7\n+Y\n 8\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := unifiedDiff("x", "y", strings.Split(c.a, "\n"), strings.Split(c.b, "\n"), 3); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// TestUnifiedDiffApplies applies generated diffs with `git apply`, a strict real consumer of the
// format (it checks every context line and hunk count): each must turn a into b exactly.
func TestUnifiedDiffApplies(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatal("git is not installed")
	}
	r := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	for i := range 40 {
		a := make([]string, r.IntN(30)+1)
		for j := range a {
			a[j] = string(rune('a' + r.IntN(5)))
		}
		var b []string
		for _, l := range a {
			switch r.IntN(6) {
			case 0: // drop
			case 1:
				b = append(b, l, "new")
			case 2:
				b = append(b, "changed")
			default:
				b = append(b, l)
			}
		}
		d := unifiedDiff("a/a.txt", "b/a.txt", a, b, 3)
		file := filepath.Join(dir, "a.txt")
		if err := os.WriteFile(file, []byte(strings.Join(a, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if d == "" {
			if strings.Join(a, "\n") != strings.Join(b, "\n") {
				t.Fatalf("case %d: empty diff of different texts", i)
			}
			continue
		}
		cmd := exec.Command(git, "apply", "--unsafe-paths", "-")
		cmd.Dir, cmd.Stdin = dir, strings.NewReader(d)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("case %d: git apply: %v\n%s\ndiff:\n%s", i, err, out, d)
		}
		got, _ := os.ReadFile(file)
		if want := strings.Join(b, "\n") + "\n"; len(b) > 0 && string(got) != want {
			t.Fatalf("case %d: patched to %q, want %q\ndiff:\n%s", i, got, want, d)
		}
	}
}
