package generator

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func sampleFiles() Files {
	return Files{
		{Path: ".gitignore", Content: []byte("node_modules/\n"), Mode: 0o644},
		{Path: "run.sh", Content: []byte("#!/bin/sh\n"), Mode: 0o755},
		{Path: "src/index.mjs", Content: []byte("export {}\n"), Mode: 0o644},
		{Path: "src/lib/deep.mjs", Content: []byte("export {}\n"), Mode: 0o644},
	}
}

// snapshot records every path under dir with its mode and content, so a test
// can prove a failed write changed nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		info, _ := os.Lstat(p)
		v := info.Mode().String()
		if info.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			v += " " + string(b)
		} else if info.Mode()&fs.ModeSymlink != 0 {
			l, _ := os.Readlink(p)
			v += " -> " + l
		}
		out[p] = v
		return nil
	})
	return out
}

func sameSnapshot(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, v := range before {
		if after[p] != v {
			t.Errorf("%s changed: %q -> %q", p, v, after[p])
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s appeared", p)
		}
	}
}

func TestWriteCreatesTreeWithDeliberateModes(t *testing.T) {
	old := syscall.Umask(0o077) // a strict umask must not narrow the modes
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "parent", "proj")
	res, err := Write(sampleFiles(), dir, CreateOnly)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 4 || len(res.Overwritten) != 0 {
		t.Errorf("result %+v", res)
	}
	for path, want := range map[string]fs.FileMode{
		"": 0o755 | fs.ModeDir, "src": 0o755 | fs.ModeDir, "src/lib": 0o755 | fs.ModeDir,
		".gitignore": 0o644, "run.sh": 0o755, "src/lib/deep.mjs": 0o644,
	} {
		info, err := os.Stat(filepath.Join(dir, path))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != want {
			t.Errorf("%q: mode %v, want %v", path, info.Mode(), want)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("staging left behind: %v", entries)
	}
}

func TestWriteIntoEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if _, err := Write(sampleFiles(), dir, CreateOnly); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 { // .gitignore, run.sh, src
		t.Errorf("entries %v", entries)
	}
}

func TestWriteRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o600)
	before := snapshot(t, dir)
	_, err := Write(sampleFiles(), dir, CreateOnly)
	var te *TargetError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err = %v, want a TargetError suggesting --force", err)
	}
	sameSnapshot(t, before, snapshot(t, dir))
}

func TestWriteForceOverwritesOnlyGeneratedFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o600)
	os.MkdirAll(filepath.Join(dir, "src"), 0o755)
	os.WriteFile(filepath.Join(dir, "src", "index.mjs"), []byte("old"), 0o644)
	os.WriteFile(filepath.Join(dir, "src", "mine.mjs"), []byte("mine"), 0o644)
	res, err := Write(sampleFiles(), dir, OverwriteGenerated)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Overwritten, ",") != "src/index.mjs" || len(res.Created) != 3 {
		t.Errorf("result %+v", res)
	}
	for path, want := range map[string]string{"keep.txt": "mine", "src/mine.mjs": "mine", "src/index.mjs": "export {}\n", "src/lib/deep.mjs": "export {}\n"} {
		b, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", path, b, err, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".streamgen-stage") {
			t.Errorf("staging directory left behind: %s", e.Name())
		}
	}
}

// TestWriteNeverFollowsSymlinks plants links in the target, pointing outside
// it, where the tree has a directory or a file; nothing may be written.
func TestWriteNeverFollowsSymlinks(t *testing.T) {
	for _, tc := range []struct{ name, link string }{
		{"dir link", "src"},
		{"nested dir link", "src/lib"},
		{"file link", "src/index.mjs"},
		{"top file link", ".gitignore"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			outside := filepath.Join(base, "outside")
			dir := filepath.Join(base, "proj")
			os.MkdirAll(outside, 0o755)
			os.WriteFile(filepath.Join(outside, "index.mjs"), []byte("outside"), 0o644)
			os.MkdirAll(filepath.Dir(filepath.Join(dir, tc.link)), 0o755)
			target := outside
			if strings.HasSuffix(tc.link, ".mjs") || tc.link == ".gitignore" {
				target = filepath.Join(outside, "index.mjs")
			}
			if err := os.Symlink(target, filepath.Join(dir, tc.link)); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, base)
			_, err := Write(sampleFiles(), dir, OverwriteGenerated)
			if err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Fatalf("err = %v, want a symbolic link refusal", err)
			}
			sameSnapshot(t, before, snapshot(t, base))
			if err := CheckTarget(sampleFiles(), dir, OverwriteGenerated); err == nil {
				t.Error("CheckTarget accepted the same target")
			}
		})
	}
}

func TestWriteRefusesTargetThatIsALinkOrFile(t *testing.T) {
	base := t.TempDir()
	os.WriteFile(filepath.Join(base, "file"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(base, "real"), 0o755)
	os.Symlink(filepath.Join(base, "real"), filepath.Join(base, "link"))
	// A trailing "/" or "/." must not make the link look like a directory.
	for _, name := range []string{"file", "link", "link/", "link/.", "link//"} {
		before := snapshot(t, base)
		if _, err := Write(sampleFiles(), filepath.Join(base, name), OverwriteGenerated); err == nil {
			t.Errorf("%s: accepted", name)
		}
		sameSnapshot(t, before, snapshot(t, base))
	}
}

func TestWriteRefusesBadPaths(t *testing.T) {
	for _, p := range []string{"../evil", "/etc/passwd", `a\..\..\x`, "a/../../x", "./a", "a//b", "", "a/\x1b[31m", "dir/.."} {
		dir := filepath.Join(t.TempDir(), "proj")
		_, err := Write(Files{{Path: p, Content: []byte("x"), Mode: 0o644}}, dir, CreateOnly)
		if err == nil {
			t.Errorf("path %q accepted", p)
		}
		if _, statErr := os.Lstat(dir); statErr == nil {
			t.Errorf("path %q: target created", p)
		}
	}
	if _, err := Write(Files{{Path: "a", Mode: 0o644}, {Path: "a/b", Mode: 0o644}}, filepath.Join(t.TempDir(), "p"), CreateOnly); err == nil {
		t.Error("a path that is both file and directory was accepted")
	}
	if _, err := Write(Files{{Path: "a", Mode: fs.ModeSymlink | 0o777}}, filepath.Join(t.TempDir(), "p"), CreateOnly); err == nil {
		t.Error("a symlink mode was accepted")
	}
}

func TestWriteForceRefusesFileWhereDirNeeded(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "src"), []byte("a file"), 0o644)
	before := snapshot(t, dir)
	if _, err := Write(sampleFiles(), dir, OverwriteGenerated); err == nil || !strings.Contains(err.Error(), "needs a directory") {
		t.Fatalf("err = %v", err)
	}
	sameSnapshot(t, before, snapshot(t, dir))
}

// TestFailedWriteRemovesOnlyItsOwnParents fails a write into a new nested
// directory after another writer has used the same new parents: the failed
// write may remove only directories that are still empty.
func TestFailedWriteRemovesOnlyItsOwnParents(t *testing.T) {
	base := t.TempDir()
	testHookAfterParents = func() {
		testHookAfterParents = nil
		if _, err := Write(sampleFiles(), filepath.Join(base, "a", "b", "other"), CreateOnly); err != nil {
			t.Errorf("other writer: %v", err)
		}
	}
	defer func() { testHookAfterParents = nil }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := WriteContext(ctx, sampleFiles(), filepath.Join(base, "a", "b", "proj"), CreateOnly); err == nil {
		t.Fatal("cancelled write succeeded")
	}
	if _, err := os.Stat(filepath.Join(base, "a", "b", "other", "src", "index.mjs")); err != nil {
		t.Errorf("the other writer's project is gone: %v", err)
	}
	if _, err := os.Stat(filepath.Join(base, "a", "b", "proj")); err == nil {
		t.Error("the failed write left its target")
	}
}

func TestCreateOnlyNeverReplacesAFile(t *testing.T) {
	dir := t.TempDir()
	// The target looked empty when checked; a file appears before the move.
	testHookBeforeMove = func(p string) error {
		if p == ".gitignore" {
			os.MkdirAll(filepath.Join(dir, "src"), 0o755)
			os.WriteFile(filepath.Join(dir, "src", "index.mjs"), []byte("theirs"), 0o644)
		}
		return nil
	}
	defer func() { testHookBeforeMove = nil }()
	if _, err := Write(sampleFiles(), dir, CreateOnly); err == nil {
		t.Error("the write succeeded over a file that appeared during it")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "src", "index.mjs")); string(b) != "theirs" {
		t.Errorf("a file that appeared during the write was replaced: %q", b)
	}
}

func TestCheckTargetParentMustBeADirectory(t *testing.T) {
	base := t.TempDir()
	os.WriteFile(filepath.Join(base, "file"), []byte("x"), 0o644)
	if err := CheckTarget(sampleFiles(), filepath.Join(base, "file", "proj"), CreateOnly); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("CheckTarget under a file: %v", err)
	}
	if err := CheckTarget(sampleFiles(), filepath.Join(base, "new", "proj"), CreateOnly); err != nil {
		t.Errorf("CheckTarget under a missing parent: %v", err)
	}
}

// TestWriteCancelledLeavesNothing cancels before the write (as SIGINT does
// in the CLI): no target, no staging directory, no created parents.
func TestWriteCancelledLeavesNothing(t *testing.T) {
	base := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := WriteContext(ctx, sampleFiles(), filepath.Join(base, "a", "b", "proj"), CreateOnly)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(base); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o644)
	before := snapshot(t, dir)
	if _, err := WriteContext(ctx, sampleFiles(), dir, OverwriteGenerated); !errors.Is(err, context.Canceled) {
		t.Fatalf("force: err = %v", err)
	}
	sameSnapshot(t, before, snapshot(t, dir))
}

// TestWriteForceRollsBackOnFailure fails the move of the last file and
// checks that the files moved before it are taken back: replaced files get
// their old content, new files and directories disappear.
func TestWriteForceRollsBackOnFailure(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("old"), 0o644)
	os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o644)
	before := snapshot(t, dir)
	files := sampleFiles()
	last := files[len(files)-1].Path
	testHookBeforeMove = func(p string) error {
		if p == last {
			return errors.New("injected failure")
		}
		return nil
	}
	defer func() { testHookBeforeMove = nil }()
	if _, err := Write(files, dir, OverwriteGenerated); err == nil || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("err = %v, want the injected failure", err)
	}
	sameSnapshot(t, before, snapshot(t, dir))
}

// WriteChanges is all or nothing: a failure at its last step puts back
// every file it replaced or removed, and removes every file it added.
func TestWriteChangesRollsBack(t *testing.T) {
	dir := t.TempDir()
	for p, c := range map[string]string{"keep.txt": "keep", "old.txt": "old", "gone.txt": "gone"} {
		os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644)
	}
	files := Files{{Path: "old.txt", Content: []byte("new")}, {Path: "sub/added.txt", Content: []byte("added")}}
	testHookBeforeMove = func(p string) error {
		if p == "gone.txt" {
			return errors.New("injected failure")
		}
		return nil
	}
	defer func() { testHookBeforeMove = nil }()
	if _, err := WriteChanges(context.Background(), dir, files, []string{"gone.txt"}); err == nil {
		t.Fatal("no error")
	}
	for p, want := range map[string]string{"keep.txt": "keep", "old.txt": "old", "gone.txt": "gone"} {
		if b, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(b) != want {
			t.Errorf("%s: %q %v, want %q back", p, b, err, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("left behind: %v", entries)
	}

	// A cancelled context (Ctrl-C) before the final phase writes nothing.
	testHookBeforeMove = nil
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := WriteChanges(ctx, dir, files, []string{"gone.txt"}); err == nil || !strings.Contains(err.Error(), "nothing was written") {
		t.Errorf("cancelled: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("a cancelled write left %v", entries)
	}

	// Without the failure: written and removed.
	res, err := WriteChanges(context.Background(), dir, files, []string{"gone.txt"})
	if err != nil || len(res.Deleted) != 1 || len(res.Created) != 1 || len(res.Overwritten) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "gone.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("gone.txt is still there: %v", err)
	}
}
