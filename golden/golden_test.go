package golden

import (
	"flag"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/streamgen/streamgen/generator"
)

var update = flag.Bool("update", false, "rewrite the golden folders from the templates and delete stale ones")

// TestGolden renders every case in memory and compares the whole tree with
// its folder, both ways: files missing from the render, files the render has
// that the folder lacks, content byte for byte and the executable bit.
func TestGolden(t *testing.T) {
	if *update {
		removeStaleFolders(t)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files, err := c.render()
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			dir := c.name
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				if _, err := generator.Write(files, dir, generator.CreateOnly); err != nil {
					t.Fatal(err)
				}
				return
			}
			compareTree(t, dir, files)
		})
	}
}

func compareTree(t *testing.T, dir string, files generator.Files) {
	t.Helper()
	onDisk := readTree(t, dir)
	const hint = "; if the change is intended, run: go test ./golden -run TestGolden -update"
	for _, f := range files {
		want, ok := onDisk[f.Path]
		if !ok {
			t.Errorf("%s/%s: generated but missing from the golden folder%s", dir, f.Path, hint)
			continue
		}
		delete(onDisk, f.Path)
		if string(want.content) != string(f.Content) {
			diff := cmp.Diff(strings.Split(string(want.content), "\n"), strings.Split(string(f.Content), "\n"))
			t.Errorf("%s/%s differs from the golden file (-golden +generated):\n%s%s", dir, f.Path, diff, hint)
		}
		if exec := f.Mode&0o111 != 0; exec != want.exec {
			t.Errorf("%s/%s: executable bit is %v in the render, %v in the golden folder%s", dir, f.Path, exec, want.exec, hint)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(onDisk)) {
		t.Errorf("%s/%s: in the golden folder but no longer generated%s", dir, p, hint)
	}
}

type diskFile struct {
	content []byte
	exec    bool
}

func readTree(t *testing.T, dir string) map[string]diskFile {
	t.Helper()
	out := map[string]diskFile{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = diskFile{content: b, exec: info.Mode()&0o111 != 0}
		return nil
	})
	if err != nil {
		t.Fatalf("read golden folder %s: %v (run with -update to create it)", dir, err)
	}
	return out
}

// removeStaleFolders deletes golden folders no case produces any more.
func removeStaleFolders(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "testdata" || slices.ContainsFunc(cases, func(c goldenCase) bool { return c.name == e.Name() }) {
			continue
		}
		t.Logf("removing stale golden folder %s", e.Name())
		if err := os.RemoveAll(e.Name()); err != nil {
			t.Fatal(err)
		}
	}
}
