package merge

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var gitLabels = Labels{Ours: "yours", Base: "streamgen OLD", Theirs: "streamgen NEW"}

// gitMerge runs `git merge-file --diff3 -p` on the three texts and returns
// its output and conflict count (its exit status).
func gitMerge(t *testing.T, dir string, base, ours, theirs []byte) ([]byte, int) {
	t.Helper()
	for name, b := range map[string][]byte{"base": base, "ours": ours, "theirs": theirs} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("git", "merge-file", "--diff3", "-p", "-L", gitLabels.Ours, "-L", gitLabels.Base, "-L", gitLabels.Theirs, "ours", "base", "theirs")
	cmd.Dir = dir
	out, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out, 0
	case errors.As(err, &ee) && ee.ExitCode() > 0 && ee.ExitCode() < 128:
		return out, ee.ExitCode()
	}
	t.Fatalf("git merge-file: %v", err)
	return nil, 0
}

// corpus is every text file of the golden projects: real generated code,
// README, YAML and JSON, with the repeated lines (blank, "}", "  ") that
// make a diff's alignment a choice.
func corpus(t *testing.T) [][]byte {
	t.Helper()
	var files [][]byte
	err := filepath.WalkDir(filepath.Join("..", "golden"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "node_modules" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Contains(b, []byte{0}) {
			files = append(files, b)
		}
		return nil
	})
	if err != nil || len(files) < 20 {
		t.Fatalf("the golden corpus: %d files, %v", len(files), err)
	}
	return files
}

// requireGit fails the test when git, its oracle, is not installed.
func requireGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required: it is the oracle of this test")
	}
}

// linePool is what edit inserts besides new lines: lines that repeat in
// code (blank, closing braces) and about one in twenty of text's own, so
// that the diff has equal lines to choose between.
func linePool(rng *rand.Rand, text []byte) []string {
	pool := []string{"\n", "}\n", "  }\n", "\n\n"}
	for _, l := range splitLines(text) {
		if rng.IntN(20) == 0 {
			pool = append(pool, l)
		}
	}
	return pool
}

// edit applies a few random line edits: deletions, insertions (often of a
// line the file already has), replacements and moves; shared, when not
// nil, are edits made the same way on both sides.
func edit(rng *rand.Rand, text []byte, pool []string) []byte {
	lines := splitLines(text)
	n := 1 + rng.IntN(6)
	for range n {
		pos := 0
		if len(lines) > 0 {
			pos = rng.IntN(len(lines) + 1)
		}
		newLine := func() string {
			if rng.IntN(3) == 0 && len(pool) > 0 {
				return pool[rng.IntN(len(pool))] // a line that exists: ambiguity
			}
			return fmt.Sprintf("edit %d\n", rng.IntN(1000))
		}
		switch op := rng.IntN(5); {
		case op == 0 && pos < len(lines):
			k := 1 + rng.IntN(3)
			lines = append(lines[:pos], lines[min(pos+k, len(lines)):]...)
		case op == 1 && pos < len(lines):
			lines[pos] = newLine()
		case op == 2 && pos < len(lines) && len(lines) > 2:
			l := lines[pos]
			lines = append(lines[:pos], lines[pos+1:]...)
			to := rng.IntN(len(lines) + 1)
			lines = append(lines[:to], append([]string{l}, lines[to:]...)...)
		default:
			k := 1 + rng.IntN(2)
			var ins []string
			for range k {
				ins = append(ins, newLine())
			}
			lines = append(lines[:pos], append(ins, lines[pos:]...)...)
		}
	}
	return []byte(strings.Join(lines, ""))
}

// TestThreeMatchesGit requires the merge of thousands of random edit
// pairs of real files to equal git's, text and conflict count.
func TestThreeMatchesGit(t *testing.T) {
	requireGit(t)
	files := corpus(t)
	rng := rand.New(rand.NewPCG(12, 13))
	dir := t.TempDir()
	n := 3000
	if testing.Short() {
		n = 300
	}
	conflicted, clean := 0, 0
	for i := range n {
		base := files[i%len(files)]
		pool := linePool(rng, base)
		ours, theirs := edit(rng, base, pool), edit(rng, base, pool)
		switch rng.IntN(8) {
		case 0:
			theirs = ours // the same change on both sides
		case 1:
			theirs = edit(rng, ours, pool) // theirs builds on ours
		case 2:
			ours = bytes.TrimSuffix(ours, []byte("\n")) // no newline at the end
		}
		want, wantConflicts := gitMerge(t, dir, base, ours, theirs)
		got := Three(base, ours, theirs, gitLabels)
		if !bytes.Equal(got.Text, want) || got.Conflicts != min(wantConflicts, 127) {
			os.WriteFile(filepath.Join(dir, "want"), want, 0o644)
			os.WriteFile(filepath.Join(dir, "got"), got.Text, 0o644)
			t.Fatalf("triple %d: %d conflicts, git %d; texts equal: %v (kept in %s: base, ours, theirs, want, got)",
				i, got.Conflicts, wantConflicts, bytes.Equal(got.Text, want), dir)
		}
		if got.Conflicts > 0 {
			conflicted++
		} else {
			clean++
		}
	}
	t.Logf("%d triples: %d merged cleanly, %d with conflicts, all as git merges them", n, clean, conflicted)
	if conflicted < n/10 || clean < n/10 {
		t.Errorf("a one-sided corpus: %d clean, %d conflicted", clean, conflicted)
	}
}
