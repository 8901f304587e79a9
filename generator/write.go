package generator

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
)

// Policy says what Write may do to a target directory that already has files.
type Policy int

const (
	// CreateOnly writes only into a directory that does not exist or is
	// empty. It is the default and the safe choice.
	CreateOnly Policy = iota
	// OverwriteGenerated writes into a non-empty directory, replacing the
	// files the tree contains and leaving every other file alone. Nothing is
	// ever deleted. This is the CLI's --force.
	OverwriteGenerated
)

// Result says what Write did.
type Result struct {
	Dir         string   `json:"dir"`               // the target directory
	Created     []string `json:"created"`           // paths that did not exist before
	Overwritten []string `json:"overwritten"`       // paths that existed and were replaced
	Deleted     []string `json:"deleted,omitempty"` // paths removed (WriteChanges only)
}

// TargetError reports a target directory Write will not write to, and why.
type TargetError struct {
	Dir    string
	Reason string
	Hint   string
}

func (e *TargetError) Error() string {
	msg := fmt.Sprintf("target directory %s %s", Quote(e.Dir), e.Reason)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// Write writes files into dir under policy. It is WriteContext without
// cancellation.
func Write(files Files, dir string, policy Policy) (*Result, error) {
	return WriteContext(context.Background(), files, dir, policy)
}

// WriteContext writes files into dir under policy.
//
// Everything is checked before anything is written: every path must be clean
// and relative, and, when dir exists, no path may pass through a symbolic
// link or a file, nor replace a directory or a link. The tree is then built in
// a staging directory and renamed into place:
//
//   - when dir does not exist, the staging directory is created beside it
//     and renamed to dir in one step;
//   - when dir exists (empty, or non-empty with OverwriteGenerated), the
//     staging directory is created inside dir, so every rename stays within
//     one os.Root, and each file is renamed into place; if a rename fails,
//     the files already moved are taken back and replaced ones restored.
//
// If ctx is cancelled (the CLI cancels it on SIGINT) before the final renames,
// the staging directory is removed and nothing is left behind. Files are
// written 0644 (or their File.Mode) and directories 0755, whatever the umask.
func WriteContext(ctx context.Context, files Files, dir string, policy Policy) (*Result, error) {
	if err := checkFiles(files); err != nil {
		return nil, err
	}
	shown := dir
	dir = filepath.Clean(dir) // "link/" and "link/." must be seen as the link
	state, err := inspectTarget(dir, shown, policy)
	if err != nil {
		return nil, err
	}
	var res *Result
	if state == targetMissing {
		res, err = createFresh(ctx, files, dir)
	} else {
		res, err = overwriteInPlace(ctx, files, nil, dir, policy)
	}
	if res != nil {
		res.Dir = shown
	}
	return res, err
}

// WriteChanges writes files into the existing directory dir and removes
// the files deletes names, all or nothing: as WriteContext's
// OverwriteGenerated, every path is checked first (no symbolic links on
// the way, regular files only), the new files are staged, and the final
// renames and removals are undone if one fails. streamgen upgrade uses it.
func WriteChanges(ctx context.Context, dir string, files Files, deletes []string) (*Result, error) {
	if len(files) > 0 {
		if err := checkFiles(files); err != nil {
			return nil, err
		}
	}
	for _, p := range deletes {
		if err := checkRelPath(p); err != nil {
			return nil, fmt.Errorf("refusing to delete: %w", err)
		}
		if slices.ContainsFunc(files, func(f File) bool { return f.Path == p }) {
			return nil, fmt.Errorf("refusing to both write and delete %s", Quote(p))
		}
	}
	shown := dir
	dir = filepath.Clean(dir)
	info, err := os.Lstat(dir)
	switch {
	case err != nil:
		return nil, &TargetError{Dir: shown, Reason: "cannot be inspected: " + err.Error()}
	case info.Mode()&fs.ModeSymlink != 0:
		return nil, &TargetError{Dir: shown, Reason: "is a symbolic link", Hint: "pass the real directory; streamgen does not write through links"}
	case !info.IsDir():
		return nil, &TargetError{Dir: shown, Reason: "is not a directory"}
	}
	res, err := overwriteInPlace(ctx, files, deletes, dir, OverwriteGenerated)
	if res != nil {
		res.Dir = shown
	}
	return res, err
}

// CheckTarget reports whether Write could write into dir under policy,
// without writing anything: --dry-run uses it to report the same errors.
func CheckTarget(files Files, dir string, policy Policy) error {
	if err := checkFiles(files); err != nil {
		return err
	}
	shown := dir
	dir = filepath.Clean(dir)
	state, err := inspectTarget(dir, shown, policy)
	if err != nil {
		return err
	}
	if state == targetMissing {
		return checkCreatable(dir, shown)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	_, err = planOverwrite(root, shown, files, policy)
	return err
}

// checkCreatable checks that a missing dir could be created: its nearest
// existing ancestor must be a directory.
func checkCreatable(dir, shown string) error {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		switch {
		case err == nil && info.IsDir():
			return nil
		case err == nil:
			return &TargetError{Dir: shown, Reason: fmt.Sprintf("cannot be created: %s is not a directory", Quote(d)), Hint: "choose another --dir"}
		case !errors.Is(err, fs.ErrNotExist):
			return &TargetError{Dir: shown, Reason: "cannot be created: " + err.Error(), Hint: "choose another --dir"}
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
}

func checkFiles(files Files) error {
	if len(files) == 0 {
		return errors.New("nothing to write: the file list is empty")
	}
	seen := map[string]bool{}
	for _, f := range files {
		if err := checkRelPath(f.Path); err != nil {
			return fmt.Errorf("refusing to write: %w", err)
		}
		if seen[f.Path] {
			return fmt.Errorf("refusing to write: path %s appears twice", Quote(f.Path))
		}
		seen[f.Path] = true
		if f.Mode&^fs.ModePerm != 0 {
			return fmt.Errorf("refusing to write %s: mode %v is not a plain file mode", Quote(f.Path), f.Mode)
		}
	}
	for p := range seen {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if seen[d] {
				return fmt.Errorf("refusing to write: %s is both a file and a directory", Quote(d))
			}
		}
	}
	return nil
}

type targetState int

const (
	targetMissing targetState = iota
	targetEmpty
	targetNonEmpty
)

// inspectTarget classifies the cleaned dir; shown is the path as the user
// gave it, for messages.
func inspectTarget(dir, shown string, policy Policy) (targetState, error) {
	if shown == "" {
		return 0, &TargetError{Dir: shown, Reason: "is empty", Hint: "pass a directory with --dir"}
	}
	if err := checkText("--dir", shown); err != nil {
		return 0, err
	}
	info, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return targetMissing, nil
	case err != nil:
		return 0, &TargetError{Dir: shown, Reason: "cannot be inspected: " + err.Error()}
	case info.Mode()&fs.ModeSymlink != 0:
		return 0, &TargetError{Dir: shown, Reason: "is a symbolic link", Hint: "pass the real directory with --dir; streamgen does not write through links"}
	case !info.IsDir():
		return 0, &TargetError{Dir: shown, Reason: "exists and is not a directory", Hint: "choose another --dir"}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, &TargetError{Dir: shown, Reason: "cannot be read: " + err.Error()}
	}
	if len(entries) == 0 {
		return targetEmpty, nil
	}
	if policy != OverwriteGenerated {
		return 0, &TargetError{Dir: shown, Reason: "already exists and is not empty",
			Hint: "choose another NAME or --dir, or pass --force to overwrite the files streamgen generates (other files are kept)"}
	}
	return targetNonEmpty, nil
}

// createFresh stages the tree beside dir, which does not exist, and renames
// it into place.
func createFresh(ctx context.Context, files Files, dir string) (res *Result, err error) {
	parent := filepath.Dir(dir)
	madeParents, err := mkdirParents(parent)
	defer func() {
		if err != nil {
			// Only the directories this call made, deepest first, and only
			// if still empty: another process may have used them since.
			for i := len(madeParents) - 1; i >= 0; i-- {
				os.Remove(madeParents[i])
			}
		}
	}()
	if err != nil {
		return nil, err
	}
	if testHookAfterParents != nil {
		testHookAfterParents()
	}
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".streamgen-")
	if err != nil {
		return nil, fmt.Errorf("create staging directory in %s: %w", Quote(parent), err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(stage) // ours alone: MkdirTemp made it with a unique name
		}
	}()
	root, err := os.OpenRoot(stage)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if err := writeTree(ctx, root, "", files); err != nil {
		return nil, err
	}
	if err := os.Chmod(stage, 0o755); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted; nothing was written: %w", err)
	}
	// rename(2) replaces an empty directory created meanwhile but fails on a
	// non-empty one, so nothing that appeared in the meantime is lost.
	if err := os.Rename(stage, dir); err != nil {
		return nil, fmt.Errorf("move the generated tree into %s: %w", Quote(dir), err)
	}
	return &Result{Dir: dir, Created: files.Paths()}, nil
}

// mkdirParents creates dir and its missing ancestors, 0755 each, and returns
// the directories it created, outermost first, so a failed write can remove
// exactly those again.
func mkdirParents(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	slices.Reverse(missing)
	var made []string
	for _, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return made, fmt.Errorf("create parent directory %s: %w", Quote(d), err)
		} else if err == nil {
			made = append(made, d)
			os.Chmod(d, 0o755)
		}
	}
	return made, nil
}

// writeTree writes files under prefix inside root with deliberate modes:
// files get their File.Mode (0644 when unset) and directories 0755, set
// explicitly because the umask may have narrowed them.
func writeTree(ctx context.Context, root *os.Root, prefix string, files Files) error {
	made := map[string]bool{}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted; nothing was written: %w", err)
		}
		p := path.Join(prefix, f.Path)
		if err := mkdirAllMode(root, path.Dir(p), made); err != nil {
			return err
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		if err := writeNew(root, p, f.Content, mode); err != nil {
			return fmt.Errorf("write %s: %w", Quote(f.Path), err)
		}
	}
	return nil
}

// writeNew creates p (which must not exist yet) with content and mode.
func writeNew(root *os.Root, p string, content []byte, mode fs.FileMode) error {
	file, err := root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = file.Write(content)
	if err == nil {
		err = file.Chmod(mode)
	}
	if closeErr := file.Close(); err == nil {
		err = closeErr
	}
	return err
}

// mkdirAllMode creates d and its missing parents inside root, each 0755.
// made remembers directories already known to exist, saving system calls.
func mkdirAllMode(root *os.Root, d string, made map[string]bool) error {
	if d == "." || d == "" || made[d] {
		return nil
	}
	if info, err := root.Lstat(d); err == nil {
		if !info.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", Quote(d))
		}
		made[d] = true
		return nil
	}
	if err := mkdirAllMode(root, path.Dir(d), made); err != nil {
		return err
	}
	if err := root.Mkdir(d, 0o755); err != nil {
		return err
	}
	made[d] = true
	return root.Chmod(d, 0o755)
}

// overwriteInPlace writes the generated files inside an existing dir,
// replacing those that exist and leaving every other file alone.
func overwriteInPlace(ctx context.Context, files Files, deletes []string, dir string, policy Policy) (res *Result, err error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	existing, err := planOverwrite(root, dir, files, policy)
	if err != nil {
		return nil, err
	}
	var gone Files
	for _, p := range deletes {
		gone = append(gone, File{Path: p})
	}
	toDelete, err := planOverwrite(root, dir, gone, OverwriteGenerated)
	if err != nil {
		return nil, err
	}
	stage := ".streamgen-stage-" + randomSuffix()
	if err := root.Mkdir(stage, 0o700); err != nil {
		return nil, fmt.Errorf("create staging directory in %s: %w", Quote(dir), err)
	}
	defer root.RemoveAll(stage)
	if err := writeTree(ctx, root, path.Join(stage, "new"), files); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted; nothing was written: %w", err)
	}

	// Final phase: move each file into place, keeping the replaced one in
	// the staging area until all moves succeeded.
	res = &Result{Dir: dir}
	type move struct{ path, backup string }
	var done []move
	var madeDirs []string
	backupDirs := map[string]bool{}
	defer func() {
		if err == nil {
			return
		}
		for i := len(done) - 1; i >= 0; i-- {
			m := done[i]
			if m.backup != "" {
				root.Rename(m.backup, m.path) // replaced or deleted: put it back
			} else {
				root.Remove(m.path)
			}
		}
		for i := len(madeDirs) - 1; i >= 0; i-- {
			root.Remove(madeDirs[i])
		}
	}()
	for _, f := range files {
		if testHookBeforeMove != nil {
			if err = testHookBeforeMove(f.Path); err != nil {
				return nil, err
			}
		}
		for _, d := range ancestors(f.Path) {
			if _, statErr := root.Lstat(d); errors.Is(statErr, fs.ErrNotExist) {
				if err = root.Mkdir(d, 0o755); err != nil {
					return nil, err
				}
				if err = root.Chmod(d, 0o755); err != nil {
					return nil, err
				}
				madeDirs = append(madeDirs, d)
			}
		}
		m := move{path: f.Path}
		if existing[f.Path] {
			m.backup = path.Join(stage, "old", f.Path)
			if err = mkdirAllMode(root, path.Dir(m.backup), backupDirs); err != nil {
				return nil, err
			}
			if err = root.Rename(f.Path, m.backup); err != nil {
				return nil, fmt.Errorf("replace %s: %w", Quote(f.Path), err)
			}
		}
		staged := path.Join(stage, "new", f.Path)
		if m.backup != "" {
			err = root.Rename(staged, f.Path)
		} else {
			// A new file is linked, not renamed, into place: link(2) fails
			// if a file appeared there since the checks, where rename(2)
			// would silently replace it.
			err = root.Link(staged, f.Path)
			if err != nil && !errors.Is(err, fs.ErrExist) && !exists(root, f.Path) {
				err = root.Rename(staged, f.Path) // a file system without hard links
			}
		}
		if err != nil {
			if m.backup != "" {
				root.Rename(m.backup, f.Path)
			}
			return nil, fmt.Errorf("write %s: %w", Quote(f.Path), err)
		}
		done = append(done, m)
		if existing[f.Path] {
			res.Overwritten = append(res.Overwritten, f.Path)
		} else {
			res.Created = append(res.Created, f.Path)
		}
	}
	// Deletions go to the staging area too, so a failure can bring them
	// back; a file already gone is nothing to delete.
	for _, p := range deletes {
		if !toDelete[p] {
			continue
		}
		if testHookBeforeMove != nil {
			if err = testHookBeforeMove(p); err != nil {
				return nil, err
			}
		}
		m := move{path: p, backup: path.Join(stage, "old", p)}
		if err = mkdirAllMode(root, path.Dir(m.backup), backupDirs); err != nil {
			return nil, err
		}
		if err = root.Rename(p, m.backup); err != nil {
			return nil, fmt.Errorf("delete %s: %w", Quote(p), err)
		}
		done = append(done, m)
		res.Deleted = append(res.Deleted, p)
	}
	// A folder a deletion emptied goes too (Remove refuses one that is
	// not empty); this is past the point of rollback, so failures are
	// left alone.
	for _, p := range res.Deleted {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if root.Remove(d) != nil {
				break
			}
		}
	}
	return res, nil
}

// planOverwrite checks every path in root before anything is written and
// returns the set of files that exist and will be replaced. No path may pass
// through a symbolic link or a non-directory, and no target may be a link, a
// directory or anything but a regular file.
//
// Under CreateOnly (an empty target) any existing path is an error: it
// appeared after the target was found empty, and is not ours to replace.
func planOverwrite(root *os.Root, dir string, files Files, policy Policy) (map[string]bool, error) {
	existing := map[string]bool{}
	for _, f := range files {
		for _, d := range ancestors(f.Path) {
			info, err := root.Lstat(d)
			if errors.Is(err, fs.ErrNotExist) {
				break
			}
			if err != nil {
				return nil, err
			}
			if info.Mode()&fs.ModeSymlink != 0 {
				return nil, &TargetError{Dir: dir, Reason: fmt.Sprintf("contains a symbolic link at %s where streamgen writes %s", Quote(d), Quote(f.Path)),
					Hint: "streamgen never writes through links; remove the link or choose another --dir"}
			}
			if !info.IsDir() {
				return nil, &TargetError{Dir: dir, Reason: fmt.Sprintf("has a file at %s where streamgen needs a directory", Quote(d)),
					Hint: "move that file away or choose another --dir"}
			}
		}
		info, err := root.Lstat(f.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return nil, err
		case info.Mode()&fs.ModeSymlink != 0:
			return nil, &TargetError{Dir: dir, Reason: fmt.Sprintf("contains a symbolic link at %s", Quote(f.Path)),
				Hint: "streamgen never writes through links; remove the link or choose another --dir"}
		case !info.Mode().IsRegular():
			return nil, &TargetError{Dir: dir, Reason: fmt.Sprintf("has a directory or special file at %s where streamgen writes a file", Quote(f.Path)),
				Hint: "move it away or choose another --dir"}
		case policy != OverwriteGenerated:
			return nil, &TargetError{Dir: dir, Reason: fmt.Sprintf("already has %s", Quote(f.Path)),
				Hint: "pass --force to overwrite the files streamgen generates"}
		}
		existing[f.Path] = true
	}
	return existing, nil
}

func exists(root *os.Root, p string) bool {
	_, err := root.Lstat(p)
	return err == nil
}

// ancestors returns the directories above p, outermost first:
// "a/b/c.txt" -> ["a", "a/b"].
func ancestors(p string) []string {
	var out []string
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		out = append(out, d)
	}
	slices.Reverse(out)
	return out
}

// Test hooks: testHookBeforeMove can fail the final phase at a chosen
// file; testHookAfterParents runs once the parents of a new target exist.
var (
	testHookBeforeMove   func(path string) error
	testHookAfterParents func()
)

// randomSuffix names a staging directory. It needs to be unlikely to
// collide, not unpredictable: Mkdir fails rather than reuse a name.
func randomSuffix() string {
	return strconv.FormatUint(rand.Uint64(), 36)
}
