// Package upgrade brings a generated project up to date with the current
// templates, or to new answers, and keeps the user's edits: it renders the
// project again and merges the result into the working tree, file by file,
// against the base the project records (.streamgen/base.txtar, checked
// against the hashes in .streamgen.json).
//
// Per file:
//
//   - unchanged by the user: the new version is taken;
//   - unchanged by the templates: the user's stays;
//   - changed by both: a line-level three-way merge (package merge, the
//     merge of git merge-file --diff3), with conflict markers where the
//     edits overlap;
//   - a file whose base is missing or does not match its recorded hash, a
//     binary file, or one the user added where the templates now add one:
//     the user's stays, and the new one goes beside it as
//     FILE.streamgen-new, a conflict;
//   - removed by the templates: deleted if untouched, else kept and
//     reported; deleted by the user: stays deleted, reported.
//
// .streamgen.json and the base are rewritten, not merged; while conflicts
// are left, .streamgen.json lists them, and the next upgrade refuses until
// they are resolved.
package upgrade

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/streamgen/streamgen/generator"
	"github.com/streamgen/streamgen/merge"
)

// Sidecar is the suffix of the file a conflict's new version is written to.
const Sidecar = ".streamgen-new"

// Labels are the conflict markers' names.
var Labels = merge.Labels{Ours: "yours", Base: "streamgen OLD", Theirs: "streamgen NEW"}

// Action is what an upgrade does to one file.
type Action string

const (
	Take      Action = "take"      // the user had not changed it: the new version
	Keep      Action = "keep"      // the templates had not changed it: the user's stays
	Merge     Action = "merge"     // both changed it; merged without conflict
	Conflict  Action = "conflict"  // both changed it; markers, or a sidecar
	Create    Action = "create"    // new in the templates
	Delete    Action = "delete"    // gone from the templates, untouched: removed
	Retain    Action = "retain"    // gone from the templates, but changed: kept
	Deleted   Action = "deleted"   // the user deleted it: stays deleted
	Unchanged Action = "unchanged" // nothing to do
)

// File is the plan for one file.
type File struct {
	Path   string `json:"path"`
	Action Action `json:"action"`
	// Reason says why, for the actions that need one (a conflict's kind,
	// a kept file).
	Reason string `json:"reason,omitempty"`
	// Conflicts counts the conflict hunks a merge left.
	Conflicts int `json:"conflicts,omitempty"`
	// Sidecar is the FILE.streamgen-new a conflict wrote, if any.
	Sidecar string `json:"sidecar,omitempty"`
	// Diff is the unified diff of the file on disk against what the
	// upgrade leaves, for --dry-run.
	Diff string `json:"-"`
}

// Options say which project to upgrade and how.
type Options struct {
	// Dir is the project directory.
	Dir string
	// Source holds the templates (nil: the built-in ones); a project of a
	// custom template needs the same template directory.
	Source *generator.Source
	// Change, when set, changes the recorded answers (answer flags of
	// `new`) before the project is rendered again.
	Change func(*generator.Options) error
	// House, when set, replaces the recorded house policy.
	House *generator.House
	// Version is the streamgen version recorded in .streamgen.json.
	Version string
	// AllowDirty upgrades a git work tree with uncommitted changes.
	AllowDirty bool
}

// Plan is what an upgrade will do.
type Plan struct {
	Dir        string   `json:"dir"`
	Files      []File   `json:"files"`
	Migrations []string `json:"migrations,omitempty"`
	// Conflicts are the files left in conflict.
	Conflicts []string `json:"conflicts,omitempty"`

	writes  generator.Files
	deletes []string
	// current says whether the project is up to date: nothing but the
	// manifest's own bookkeeping would change.
	current bool
}

// Current reports whether the project is up to date with the templates and
// answers: the upgrade would change no file.
func (p *Plan) Current() bool { return p.current }

// Error is a reason an upgrade cannot run, naming the value and what to do.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Prepare reads the project and plans the upgrade; it writes nothing.
func Prepare(ctx context.Context, o Options) (*Plan, error) {
	dir := o.Dir
	if dir == "" {
		dir = "."
	}
	info, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, errorf("--dir %s: no such directory; pass the project's directory", generator.Quote(dir))
	case err != nil:
		return nil, errorf("--dir %s: %v", generator.Quote(dir), err)
	case info.Mode()&fs.ModeSymlink != 0:
		return nil, errorf("--dir %s is a symbolic link; pass the real directory (streamgen never writes through links)", generator.Quote(dir))
	case !info.IsDir():
		return nil, errorf("--dir %s is not a directory; pass the project's directory", generator.Quote(dir))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()

	raw, err := readRegular(root, generator.ManifestPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errorf("%s has no %s: it was not generated by streamgen, or the file was removed; upgrade works on generated projects", generator.Quote(dir), generator.ManifestPath)
	}
	if err != nil {
		return nil, err
	}
	rec, err := readRecord(raw)
	if err != nil {
		return nil, err
	}
	if err := pendingConflicts(root, rec.Conflicts); err != nil {
		return nil, err
	}
	if !o.AllowDirty {
		if err := checkClean(dir); err != nil {
			return nil, err
		}
	}

	opts, err := generator.ReadValues(raw, generator.ManifestPath)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(rec.StreamgenVersion, o.Version); err != nil {
		return nil, err
	}
	plan := &Plan{Dir: dir}
	plan.Migrations = migrate(&opts, rec.format())
	opts.Source, opts.Version = o.Source, o.Version
	if o.House != nil {
		opts.House = o.House
	}
	if o.Change != nil {
		if err := o.Change(&opts); err != nil {
			return nil, err
		}
	}
	src := o.Source
	if src == nil {
		src = generator.Builtin()
	}
	if _, ok := src.Template(opts.Template); !ok {
		return nil, errorf("the project's template %s is not among streamgen's (%s); if it came from a template directory, pass --template-dir DIR", generator.Quote(opts.Template), strings.Join(src.Names(), ", "))
	}
	if rec.TemplateDir && src.Origin(opts.Template) == "builtin" {
		// Rendered from the built-ins alone, the project would lose
		// whatever the directory added or patched, silently.
		if o.Source == nil || o.Source == generator.Builtin() {
			return nil, errorf("the project was generated from a template directory (%s records templateDir), and --template-dir is not given; pass --template-dir DIR, the directory it came from (or its newer version)", generator.ManifestPath)
		}
		return nil, errorf("the project was generated from a template directory (%s records templateDir), but the --template-dir given neither provides nor patches its template %s; pass the directory it came from (or its newer version)", generator.ManifestPath, generator.Quote(opts.Template))
	}
	rendered, err := generator.Render(opts)
	if err != nil {
		return nil, err
	}
	newFiles := map[string][]byte{}
	var newManifest, newBase generator.File
	for _, f := range rendered {
		switch f.Path {
		case generator.ManifestPath:
			newManifest = f
		case generator.BasePath:
			newBase = f
		default:
			newFiles[f.Path] = f.Content
		}
	}
	modes := map[string]fs.FileMode{}
	for _, f := range rendered {
		modes[f.Path] = f.Mode
	}

	// The base: the archive's files that match their recorded hash.
	// A checkout with core.autocrlf may have given the archive CRLF line
	// ends too: its files are then read with LF ones, and must still match.
	base := map[string][]byte{}
	if b, err := readRegular(root, generator.BasePath); err == nil {
		// (txtar reads CRLF file markers as it reads LF ones.)
		for p, content := range generator.ParseBase(b) {
			h, ok := rec.Files[p]
			switch {
			case ok && h == generator.FileHash(content):
				base[p] = content
			case ok && h == generator.FileHash(toLF(content)):
				base[p] = toLF(content)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}

	paths := slices.Sorted(maps.Keys(newFiles))
	for p := range rec.Files {
		if _, ok := newFiles[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	changed := false
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cur, present, err := readProjectFile(root, p)
		if err != nil {
			return nil, err
		}
		next, inNew := newFiles[p]
		old, hasBase := base[p]
		hash, recorded := rec.Files[p]
		switch {
		case hasBase || !present || !recorded:
		case generator.FileHash(cur) == hash:
			// The archive lacks it, but the file is as generated: it is
			// its own base.
			old, hasBase = cur, true
		case isCRLF(cur) && generator.FileHash(toLF(cur)) == hash:
			old, hasBase = toLF(cur), true // as generated, checked out CRLF
		}
		mode := modes[p]
		if m, ok := fileMode(root, p); ok {
			mode = m // the user's permissions stay
		}
		// A work tree checked out with CRLF line ends (core.autocrlf) is
		// merged as LF, and written back with CRLF.
		crlf := present && hasBase && isCRLF(cur) && !bytes.Contains(old, []byte("\r")) && !bytes.Contains(next, []byte("\r"))
		raw := cur
		if crlf {
			cur = toLF(cur)
		}
		f := File{Path: p}
		write := func(content []byte) {
			if crlf {
				content = bytes.ReplaceAll(content, []byte("\n"), []byte("\r\n"))
			}
			plan.writes = append(plan.writes, generator.File{Path: p, Content: content, Mode: mode})
			changed = true
		}
		var sidecarErr error
		sidecar := func(reason string) {
			if _, exists, err := readProjectFile(root, p+Sidecar); err != nil || exists {
				sidecarErr = errorf("%s is in the way of the new version of %s; move it away, then run streamgen upgrade again", generator.Quote(p+Sidecar), generator.Quote(p))
				if err != nil {
					sidecarErr = err
				}
			}
			f.Action, f.Reason, f.Sidecar = Conflict, reason, p+Sidecar
			plan.writes = append(plan.writes, generator.File{Path: p + Sidecar, Content: next, Mode: modes[p]})
			changed = true
		}
		switch {
		case !inNew && !present:
			f.Action = Unchanged
			if recorded {
				f.Reason = "gone from the templates and from the project"
			}
		case !inNew && hasBase && bytes.Equal(cur, old):
			f.Action = Delete
			plan.deletes = append(plan.deletes, p)
			changed = true
		case !inNew:
			f.Action, f.Reason = Retain, "gone from the templates; you changed it (or its base is unknown), so it stays"
		case !present && recorded:
			f.Action, f.Reason = Deleted, "you deleted it; it stays deleted"
		case !present:
			f.Action = Create
			write(next)
		case bytes.Equal(cur, next):
			f.Action = Unchanged
		case len(rec.Files) == 0:
			sidecar("the project records no base for its files (the streamgen that generated it did not record one); merge the new version by hand")
		case !recorded:
			sidecar("you have a file where the templates now add one")
		case !hasBase:
			sidecar("its base is missing from " + generator.BasePath + " or does not match the hash in " + generator.ManifestPath)
		case bytes.Equal(cur, old):
			f.Action = Take
			write(next)
		case bytes.Equal(next, old):
			f.Action = Keep
		case isBinary(cur) || isBinary(old) || isBinary(next):
			sidecar("a binary file both changed")
		default:
			m := merge.Three(old, cur, next, Labels)
			f.Conflicts = m.Conflicts
			if m.Conflicts > 0 {
				f.Action, f.Reason = Conflict, fmt.Sprintf("%d overlapping edits, marked in the file", m.Conflicts)
			} else {
				f.Action = Merge
			}
			if !bytes.Equal(m.Text, cur) {
				write(m.Text)
			}
		}
		if sidecarErr != nil {
			return nil, sidecarErr
		}
		if f.Action == Conflict {
			plan.Conflicts = append(plan.Conflicts, p)
		}
		f.Diff = fileDiff(p, raw, plannedContent(plan, p, raw))
		plan.Files = append(plan.Files, f)
	}

	// The manifest records the new render, and the conflicts left; the
	// base is the new render, which is what the user merges against next.
	var m generator.Manifest
	if err := jsonUnmarshal(newManifest.Content, &m); err != nil {
		return nil, err
	}
	m.Conflicts = plan.Conflicts
	manifest, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	curBase, _, _ := readProjectFile(root, generator.BasePath)
	if !bytes.Equal(curBase, newBase.Content) {
		plan.writes = append(plan.writes, newBase)
	}
	if !bytes.Equal(raw, manifest) {
		plan.writes = append(plan.writes, generator.File{Path: generator.ManifestPath, Content: manifest, Mode: 0o644})
	}
	plan.current = !changed
	return plan, nil
}

// plannedContent is what path holds after the plan: its planned write, or
// nothing when deleted, else cur.
func plannedContent(p *Plan, path string, cur []byte) []byte {
	for _, w := range p.writes {
		if w.Path == path {
			return w.Content
		}
	}
	if slices.Contains(p.deletes, path) {
		return nil
	}
	return cur
}

// Apply carries out the plan, all or nothing, and returns the files it
// wrote and removed.
func (p *Plan) Apply(ctx context.Context) (*generator.Result, error) {
	if len(p.writes) == 0 && len(p.deletes) == 0 {
		return &generator.Result{Dir: p.Dir}, nil
	}
	return generator.WriteChanges(ctx, p.Dir, p.writes, p.deletes)
}

// record is what upgrade reads of .streamgen.json beyond the answers.
type record struct {
	StreamgenVersion string            `json:"streamgenVersion"`
	Format           int               `json:"format"`
	TemplateDir      bool              `json:"templateDir"`
	Files            map[string]string `json:"files"`
	Conflicts        []string          `json:"conflicts"`
}

// format is the record's Format; one written before formats were numbered
// is format 2 when it has file hashes, else 1.
func (r record) format() int {
	switch {
	case r.Format > 0:
		return r.Format
	case len(r.Files) > 0:
		// Hashes came after the change that format 2 names, before the
		// format was recorded.
		return 2
	}
	return 1
}

func readRecord(raw []byte) (record, error) {
	var r record
	if err := jsonUnmarshal(raw, &r); err != nil {
		return r, errorf("%s does not parse: %v; restore it from version control", generator.ManifestPath, err)
	}
	if r.Format < 0 || r.Format > generator.ManifestFormat {
		return r, errorf("%s has format %d, which this streamgen does not know (it writes format %d); install the streamgen that generated the project (%s) or a newer one", generator.ManifestPath, r.Format, generator.ManifestFormat, generator.Quote(r.StreamgenVersion))
	}
	for p, h := range r.Files {
		if err := checkPath(p); err != nil {
			return r, errorf("%s records the file %s, %v; restore the file from version control", generator.ManifestPath, generator.Quote(p), err)
		}
		if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
			return r, errorf("%s records %s for %s, which is not a SHA-256; restore the file from version control", generator.ManifestPath, generator.Quote(h), generator.Quote(p))
		}
	}
	for _, p := range r.Conflicts {
		if err := checkPath(p); err != nil {
			return r, errorf("%s records the conflict %s, %v; restore the file from version control", generator.ManifestPath, generator.Quote(p), err)
		}
	}
	return r, nil
}

// checkPath accepts a clean relative path inside the project that is not
// one of streamgen's own.
func checkPath(p string) error {
	switch {
	case p == "" || path.IsAbs(p) || strings.Contains(p, "\\"):
		return errors.New("which is not a relative path")
	case path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../"):
		return errors.New("which leaves the project or is not clean")
	case p == generator.ManifestPath || p == generator.BasePath:
		return errors.New("which is streamgen's own")
	case slices.Contains(strings.Split(p, "/"), ".git"):
		return errors.New("which is inside git's own folder")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return errors.New("which has a control character")
		}
	}
	return nil
}

// pendingConflicts refuses while the last upgrade's conflicts are not
// resolved: a file still holds a marker, or its sidecar is still there.
func pendingConflicts(root *os.Root, conflicts []string) error {
	var open []string
	for _, p := range conflicts {
		if _, present, _ := readProjectFile(root, p+Sidecar); present {
			open = append(open, p+" (remove "+p+Sidecar+" once you have taken what you need from it)")
			continue
		}
		cur, present, err := readProjectFile(root, p)
		if err != nil {
			return err
		}
		if present && hasMarkers(cur) {
			open = append(open, p+" (conflict markers)")
		}
	}
	if len(open) > 0 {
		return errorf("the last upgrade left conflicts that are not resolved: %s; resolve them, then run streamgen upgrade again", strings.Join(open, ", "))
	}
	return nil
}

// hasMarkers reports whether text still holds a conflict an upgrade left.
func hasMarkers(text []byte) bool {
	for _, line := range bytes.Split(text, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if bytes.Equal(line, []byte("<<<<<<< "+Labels.Ours)) || bytes.Equal(line, []byte(">>>>>>> "+Labels.Theirs)) || bytes.Equal(line, []byte("||||||| "+Labels.Base)) {
			return true
		}
	}
	return false
}

// checkClean refuses a git work tree with uncommitted changes: the
// upgrade's own changes must be reviewable, and undoable, on their own.
func checkClean(dir string) error {
	git, err := exec.LookPath("git")
	if err != nil {
		return nil // no git: not a work tree this can check
	}
	// Git's messages are read, so they must be in English.
	gitEnv := append(os.Environ(), "LC_ALL=C", "LANGUAGE=")
	cmd := exec.Command(git, "-C", dir, "rev-parse", "--is-inside-work-tree")
	cmd.Env = gitEnv
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	inside, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "not a git repository") {
			return nil // not a work tree
		}
		// Git is there but cannot say (a "dubious ownership" refusal, a
		// broken repository): the tree may well be dirty.
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return errorf("cannot tell whether %s has uncommitted changes: git rev-parse failed (%v: %s); fix that, or pass --allow-dirty", generator.Quote(dir), err, msg)
	}
	if strings.TrimSpace(string(inside)) != "true" {
		return nil // inside .git, or a bare repository
	}
	status := exec.Command(git, "-C", dir, "status", "--porcelain", "--", ".")
	status.Env = gitEnv
	out, err := status.Output()
	if err != nil {
		return errorf("git status in %s failed: %v; pass --allow-dirty to upgrade without the check", generator.Quote(dir), err)
	}
	if len(bytes.TrimSpace(out)) > 0 {
		var files []string
		for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			if len(l) > 3 {
				files = append(files, l[3:])
			}
		}
		if len(files) > 5 {
			files = append(files[:5], fmt.Sprintf("and %d more", len(files)-5))
		}
		return errorf("%s has uncommitted changes (%s); commit or stash them first so the upgrade's changes stand on their own, or pass --allow-dirty", generator.Quote(dir), strings.Join(files, ", "))
	}
	return nil
}

// readProjectFile reads p inside root without following a symbolic link
// anywhere on its way; present is false when it does not exist.
func readProjectFile(root *os.Root, p string) (content []byte, present bool, err error) {
	b, err := readRegular(root, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	return b, err == nil, err
}

// readRegular reads the regular file p inside root; a symbolic link, a
// directory or a special file on the way is refused.
func readRegular(root *os.Root, p string) ([]byte, error) {
	parts := strings.Split(p, "/")
	for i := range parts {
		q := strings.Join(parts[:i+1], "/")
		info, err := root.Lstat(q)
		if err != nil {
			return nil, err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			return nil, errorf("%s is a symbolic link; streamgen never follows links in a project: replace it with the file, or remove it", generator.Quote(q))
		case i < len(parts)-1 && !info.IsDir():
			return nil, errorf("%s is not a directory, where streamgen expects the folder of %s", generator.Quote(q), generator.Quote(p))
		case i == len(parts)-1 && !info.Mode().IsRegular():
			return nil, errorf("%s is not a regular file; move it away", generator.Quote(q))
		}
	}
	return root.ReadFile(p)
}

// fileMode is the permission bits of the regular file p, when it exists.
func fileMode(root *os.Root, p string) (fs.FileMode, bool) {
	info, err := root.Lstat(p)
	if err != nil || !info.Mode().IsRegular() {
		return 0, false
	}
	return info.Mode().Perm(), true
}

// toLF turns CRLF line ends into LF.
func toLF(text []byte) []byte { return bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n")) }

// isCRLF reports whether text has line ends and every one is CRLF.
func isCRLF(text []byte) bool {
	n := bytes.Count(text, []byte("\n"))
	return n > 0 && bytes.Count(text, []byte("\r\n")) == n
}

// checkVersion refuses to take a project back to an older streamgen's
// templates, which would undo the newer one's changes. Versions that are
// not releases (a development build) are not compared.
func checkVersion(recorded, running string) error {
	r, okR := parseVersion(recorded)
	n, okN := parseVersion(running)
	if okR && okN && slices.Compare(r, n) > 0 {
		return errorf("the project was generated by streamgen %s, newer than this one (%s); install streamgen %s or newer to upgrade it", generator.Quote(recorded), generator.Quote(running), recorded)
	}
	return nil
}

// parseVersion reads a release version, MAJOR.MINOR.PATCH with an optional
// leading v; pre-releases and builds do not count as releases.
func parseVersion(v string) ([]int, bool) {
	parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
	if len(parts) != 3 {
		return nil, false
	}
	out := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || strings.Trim(p, "0123456789") != "" {
			return nil, false // a sign, or a pre-release such as 1-rc1
		}
		out[i] = n
	}
	return out, true
}

// isBinary reports whether content is not text: a NUL byte, or not UTF-8.
func isBinary(content []byte) bool {
	return bytes.IndexByte(content, 0) >= 0 || !utf8.Valid(content)
}

// fileDiff is a unified diff of a file from before to after.
func fileDiff(p string, before, after []byte) string {
	if bytes.Equal(before, after) || isBinary(before) || isBinary(after) {
		return ""
	}
	return merge.Unified("a/"+p, "b/"+p, before, after)
}

// Absolute makes dir absolute for messages, keeping it as given when that
// fails.
func Absolute(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
