package merge

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// gitDiff runs git diff --no-index on two texts and returns its hunks:
// the output from the first @@ line, with the function names git adds
// after a hunk header removed.
func gitDiff(t *testing.T, dir string, a, b []byte) string {
	t.Helper()
	for name, content := range map[string][]byte{"a": a, "b": b} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("git", "-c", "core.quotePath=false", "diff", "--no-index", "--no-color", "--no-ext-diff", "--no-indent-heuristic", "-U3", "a", "b")
	cmd.Dir = dir
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		t.Fatalf("git diff: %v", err)
	}
	text := string(out)
	i := strings.Index(text, "\n@@ ")
	if i < 0 {
		return ""
	}
	return hunkFuncName.ReplaceAllString(text[i+1:], "$1")
}

var hunkFuncName = regexp.MustCompile(`(?m)^(@@ [^@]* @@).*$`)

// TestUnifiedMatchesGit requires the diff of thousands of random edits
// of real files to have git diff's hunks, line for line.
func TestUnifiedMatchesGit(t *testing.T) {
	requireGit(t)
	files := corpus(t)
	rng := rand.New(rand.NewPCG(21, 22))
	dir := t.TempDir()
	n := 1000
	if testing.Short() {
		n = 200
	}
	multi := 0
	for i := range n {
		a := files[i%len(files)]
		b := edit(rng, a, linePool(rng, a))
		switch rng.IntN(6) {
		case 0:
			b = bytes.TrimSuffix(b, []byte("\n")) // no newline at the end
		case 1:
			a, b = b, nil // everything deleted
		case 2:
			b = a // no change
		}
		want := gitDiff(t, dir, a, b)
		got := Unified("a/f", "b/f", a, b)
		if want == "" {
			if got != "" {
				t.Fatalf("pair %d: git sees no change, Unified gives\n%s", i, got)
			}
			continue
		}
		body, ok := strings.CutPrefix(got, "--- a/f\n+++ b/f\n")
		if !ok || body != want {
			os.WriteFile(filepath.Join(dir, "want"), []byte(want), 0o644)
			os.WriteFile(filepath.Join(dir, "got"), []byte(got), 0o644)
			t.Fatalf("pair %d differs from git diff (kept in %s: a, b, want, got)", i, dir)
		}
		if strings.Count(got, "\n@@ ") > 1 {
			multi++
		}
	}
	if multi < n/10 {
		t.Errorf("only %d of %d diffs had more than one hunk: the corpus does not test hunk joining", multi, n)
	}
}

func TestUnifiedHeaders(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"", "x\n", "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n"},
		{"x\n", "", "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n"},
		{"x", "x\n", "--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n"},
		{"a\nb\n", "a\nb\n", ""},
	} {
		if got := Unified("a", "b", []byte(c.a), []byte(c.b)); got != c.want {
			t.Errorf("Unified(%q, %q) =\n%s\nwant\n%s", c.a, c.b, got, c.want)
		}
	}
}
