package upgrade

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/generator"
)

// project writes a project generated with o into a new directory.
func project(t *testing.T, o generator.Options) string {
	t.Helper()
	o.Version = "0.0.0-test"
	files, err := generator.Render(o)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "p")
	if _, err := generator.Write(files, dir, generator.CreateOnly); err != nil {
		t.Fatal(err)
	}
	return dir
}

func read(t *testing.T, dir, p string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func write(t *testing.T, dir, p, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, p), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// edit replaces old with new in a file, which must hold old.
func edit(t *testing.T, dir, p, old, new string) {
	t.Helper()
	s := read(t, dir, p)
	if !strings.Contains(s, old) {
		t.Fatalf("%s has no %q", p, old)
	}
	write(t, dir, p, strings.Replace(s, old, new, 1))
}

func actions(p *Plan) map[string]Action {
	out := map[string]Action{}
	for _, f := range p.Files {
		out[f.Path] = f.Action
	}
	return out
}

func run(t *testing.T, o Options) *Plan {
	t.Helper()
	plan, err := Prepare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	return plan
}

func setMemory(mb int) func(*generator.Options) error {
	return func(o *generator.Options) error { o.Memory = mb; return nil }
}

// A project that nobody changed is current, and stays byte for byte.
func TestCurrentProject(t *testing.T) {
	dir := project(t, generator.Options{Name: "demo"})
	before := read(t, dir, generator.ManifestPath)
	plan, err := Prepare(context.Background(), Options{Dir: dir, AllowDirty: true, Version: "0.0.0-test"})
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Current() || len(plan.writes) != 0 || len(plan.deletes) != 0 {
		t.Errorf("an untouched project is not current: %+v", plan)
	}
	run(t, Options{Dir: dir, AllowDirty: true, Version: "0.0.0-test"})
	if read(t, dir, generator.ManifestPath) != before {
		t.Error(".streamgen.json changed")
	}
}

// New answers: files the user did not touch take the new version, files
// the templates did not change keep the user's, files both changed are
// merged, and overlapping edits conflict with markers.
func TestPerFileActions(t *testing.T) {
	dir := project(t, generator.Options{Name: "demo"})
	// Yours: a handler edit the templates leave alone, a README edit in a
	// paragraph the new memory does not touch, and template.yaml's memory
	// line, which the new answer changes too.
	edit(t, dir, "src/index.mjs", "  'x-api-key',\n", "  'x-api-key',\n  'x-internal-token',\n")
	edit(t, dir, "README.md", "## Layout\n", "## Layout\n\nOur team's notes.\n")
	edit(t, dir, "template.yaml", "      MemorySize: 256", "      MemorySize: 384")
	os.Remove(filepath.Join(dir, "test/request.test.mjs"))

	plan := run(t, Options{Dir: dir, AllowDirty: true, Change: setMemory(1024)})
	got := actions(plan)
	for p, want := range map[string]Action{
		"src/index.mjs":         Keep,
		"README.md":             Merge,
		"template.yaml":         Conflict,
		"test/request.test.mjs": Deleted,
		"package.json":          Unchanged,
	} {
		if got[p] != want {
			t.Errorf("%s: %s, want %s", p, got[p], want)
		}
	}
	if s := read(t, dir, "README.md"); !strings.Contains(s, "Our team's notes.") || !strings.Contains(s, "1024 MB") {
		t.Errorf("README.md lost an edit or the new memory:\n%s", s)
	}
	if s := read(t, dir, "src/index.mjs"); !strings.Contains(s, "x-internal-token") {
		t.Error("the handler edit is gone")
	}
	want := "<<<<<<< yours\n      MemorySize: 384\n||||||| streamgen OLD\n      MemorySize: 256\n=======\n      MemorySize: 1024\n>>>>>>> streamgen NEW\n"
	if s := read(t, dir, "template.yaml"); !strings.Contains(s, want) {
		t.Errorf("template.yaml has no conflict of the memory lines:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "test/request.test.mjs")); !os.IsNotExist(err) {
		t.Error("a file the user deleted came back")
	}
	var m generator.Manifest
	json.Unmarshal([]byte(read(t, dir, generator.ManifestPath)), &m)
	if len(m.Conflicts) != 1 || m.Conflicts[0] != "template.yaml" || m.Answers.Memory != 1024 {
		t.Errorf("manifest: conflicts %v, memory %d", m.Conflicts, m.Answers.Memory)
	}

	// Refused while the markers are there; upgraded once they are gone.
	if _, err := Prepare(context.Background(), Options{Dir: dir, AllowDirty: true}); err == nil || !strings.Contains(err.Error(), "template.yaml (conflict markers)") {
		t.Errorf("with markers left: %v", err)
	}
	edit(t, dir, "template.yaml", want, "      MemorySize: 384\n")
	plan = run(t, Options{Dir: dir, AllowDirty: true})
	if len(plan.Conflicts) != 0 {
		t.Errorf("conflicts after resolving: %v", plan.Conflicts)
	}
	// The base is now the last render: the user's 384 is an edit of theirs.
	plan = run(t, Options{Dir: dir, AllowDirty: true})
	if got := actions(plan)["template.yaml"]; got != Keep || !plan.Current() {
		t.Errorf("template.yaml: %s, current %v", got, plan.Current())
	}
}

// Changing the IaC removes the SAM template if untouched, keeps it when
// changed, and creates the CDK app.
func TestRemovedAndCreated(t *testing.T) {
	for _, touched := range []bool{false, true} {
		dir := project(t, generator.Options{Name: "demo"})
		if touched {
			edit(t, dir, "template.yaml", "Resources:", "# ours\nResources:")
		}
		plan := run(t, Options{Dir: dir, AllowDirty: true, Change: func(o *generator.Options) error { o.IaC = "cdk"; return nil }})
		got := actions(plan)
		want := Delete
		if touched {
			want = Retain
		}
		if got["template.yaml"] != want || got["lib/stack.ts"] != Create {
			t.Errorf("touched %v: template.yaml %s, lib/stack.ts %s", touched, got["template.yaml"], got["lib/stack.ts"])
		}
		_, err := os.Stat(filepath.Join(dir, "template.yaml"))
		if exists := err == nil; exists != touched {
			t.Errorf("touched %v: template.yaml exists %v", touched, exists)
		}
	}
}

// A file whose recorded hash does not match its base, a binary file both
// changed, and a file the user added where the templates now add one get
// the new version beside them, and are conflicts.
func TestSidecars(t *testing.T) {
	dir := project(t, generator.Options{Name: "demo"})
	// A tampered hash: the base of README.md can no longer be trusted.
	raw := read(t, dir, generator.ManifestPath)
	var m map[string]any
	json.Unmarshal([]byte(raw), &m)
	m["files"].(map[string]any)["README.md"] = strings.Repeat("0", 64)
	b, _ := json.MarshalIndent(m, "", "  ")
	write(t, dir, generator.ManifestPath, string(b)+"\n")
	edit(t, dir, "README.md", "## Layout\n", "## Layout\n\nours\n")
	plan := run(t, Options{Dir: dir, AllowDirty: true, Change: setMemory(1024)})
	var readme File
	for _, f := range plan.Files {
		if f.Path == "README.md" {
			readme = f
		}
	}
	if readme.Action != Conflict || readme.Sidecar != "README.md"+Sidecar || !strings.Contains(readme.Reason, "base") {
		t.Errorf("README.md: %+v", readme)
	}
	if !strings.Contains(read(t, dir, "README.md"), "ours") || !strings.Contains(read(t, dir, "README.md"+Sidecar), "1024 MB") {
		t.Error("the user's README was replaced, or the sidecar lacks the new version")
	}
	if _, err := Prepare(context.Background(), Options{Dir: dir, AllowDirty: true}); err == nil || !strings.Contains(err.Error(), "remove README.md"+Sidecar) {
		t.Errorf("with the sidecar left: %v", err)
	}
	os.Remove(filepath.Join(dir, "README.md"+Sidecar))
	if _, err := Prepare(context.Background(), Options{Dir: dir, AllowDirty: true}); err != nil {
		t.Errorf("after removing the sidecar: %v", err)
	}
}

// A file of the user's where the templates now add one stays, with the
// new one beside it.
func TestUserFileWhereTemplatesAddOne(t *testing.T) {
	dir := project(t, generator.Options{Name: "demo"})
	os.MkdirAll(filepath.Join(dir, "lib"), 0o755)
	write(t, dir, "lib/stack.ts", "// mine\n")
	plan := run(t, Options{Dir: dir, AllowDirty: true, Change: func(o *generator.Options) error { o.IaC = "cdk"; return nil }})
	if got := actions(plan)["lib/stack.ts"]; got != Conflict || read(t, dir, "lib/stack.ts") != "// mine\n" || !strings.Contains(read(t, dir, "lib/stack.ts"+Sidecar), "extends cdk.Stack") {
		t.Errorf("lib/stack.ts: %s", got)
	}
}

// Hostile projects are refused, and nothing is written.
func TestHostileProjects(t *testing.T) {
	snapshot := func(dir string) string {
		var b strings.Builder
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			rel, _ := filepath.Rel(dir, p)
			b.WriteString(rel + " " + info.Mode().String())
			if info.Mode().IsRegular() {
				c, _ := os.ReadFile(p)
				b.Write(c)
			}
			b.WriteString("\n")
			return nil
		})
		return b.String()
	}
	for _, tc := range []struct {
		name string
		set  func(t *testing.T, dir string)
		want string
	}{
		{"a symlink planted for a generated file", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "src/index.mjs"))
			os.Symlink("/etc/passwd", filepath.Join(dir, "src/index.mjs"))
		}, `"src/index.mjs" is a symbolic link`},
		{"a symlinked folder", func(t *testing.T, dir string) {
			os.RemoveAll(filepath.Join(dir, "src"))
			os.Symlink(t.TempDir(), filepath.Join(dir, "src"))
		}, `"src" is a symbolic link`},
		{"a recorded path that leaves the project", func(t *testing.T, dir string) {
			edit(t, dir, generator.ManifestPath, `"README.md":`, `"../../outside.txt":`)
		}, `records the file "../../outside.txt", which leaves the project`},
		{"a manifest that does not parse", func(t *testing.T, dir string) {
			write(t, dir, generator.ManifestPath, "{")
		}, "does not parse"},
		{"a recorded path inside .git", func(t *testing.T, dir string) {
			edit(t, dir, generator.ManifestPath, `"README.md":`, `".git/HEAD":`)
		}, `records the file ".git/HEAD", which is inside git's own folder`},
		{"a file in the way of a sidecar", func(t *testing.T, dir string) {
			edit(t, dir, generator.ManifestPath, `"files": {`, `"files": {"lib/stack.ts": "`+strings.Repeat("0", 64)+`",`)
			os.MkdirAll(filepath.Join(dir, "lib"), 0o755)
			write(t, dir, "lib/stack.ts", "// mine\n")
			write(t, dir, "lib/stack.ts"+Sidecar, "// also mine\n")
		}, `"lib/stack.ts.streamgen-new" is in the way`},
		{"a record newer than this streamgen", func(t *testing.T, dir string) {
			edit(t, dir, generator.ManifestPath, `"streamgenVersion": "0.0.0-test"`, `"streamgenVersion": "9.1.0"`)
		}, `generated by streamgen "9.1.0", newer than this one`},
		{"a record format this streamgen does not know", func(t *testing.T, dir string) {
			edit(t, dir, generator.ManifestPath, `"format": 2,`, `"format": 99,`)
		}, "has format 99, which this streamgen does not know"},
		{"a dirty git work tree", func(t *testing.T, dir string) {
			for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "x"}} {
				if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
					t.Fatalf("git %v: %v %s", args, err, out)
				}
			}
			write(t, dir, "notes.txt", "uncommitted")
		}, "has uncommitted changes (notes.txt)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, generator.Options{Name: "demo"})
			tc.set(t, dir)
			before := snapshot(dir)
			_, err := Prepare(context.Background(), Options{Dir: dir, Change: func(o *generator.Options) error { o.Memory, o.IaC = 1024, "cdk"; return nil }, Version: "1.0.0"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
			if snapshot(dir) != before {
				t.Error("something was written")
			}
		})
	}
}

// A Ctrl-C before the final renames writes nothing.
func TestCancelledWritesNothing(t *testing.T) {
	dir := project(t, generator.Options{Name: "demo"})
	plan, err := Prepare(context.Background(), Options{Dir: dir, AllowDirty: true, Change: setMemory(1024)})
	if err != nil {
		t.Fatal(err)
	}
	before := read(t, dir, "template.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := plan.Apply(ctx); err == nil {
		t.Fatal("a cancelled upgrade wrote")
	}
	if read(t, dir, "template.yaml") != before {
		t.Error("template.yaml changed")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".streamgen-stage") {
			t.Errorf("left %s", e.Name())
		}
	}
}

// The openai base URL recorded without /v1 by a format-1 record gains it,
// once: the upgraded record is format 2, and the next upgrade is a no-op.
func TestMigrateOpenAIBaseURL(t *testing.T) {
	dir := project(t, generator.Options{Name: "chat", Template: "llm-stream", Set: map[string]string{"provider": "openai", "baseUrl": "https://llm.example.com/v1"}})
	edit(t, dir, generator.ManifestPath, `"baseUrl": "https://llm.example.com/v1"`, `"baseUrl": "https://llm.example.com"`)
	// A record from before formats and hashes: no format, no files.
	raw := read(t, dir, generator.ManifestPath)
	var m map[string]any
	json.Unmarshal([]byte(raw), &m)
	delete(m, "format")
	delete(m, "files")
	b, _ := json.MarshalIndent(m, "", "  ")
	write(t, dir, generator.ManifestPath, string(b)+"\n")
	plan := run(t, Options{Dir: dir, AllowDirty: true})
	if len(plan.Conflicts) != 0 {
		t.Fatalf("conflicts %v", plan.Conflicts)
	}
	if len(plan.Migrations) != 1 || !strings.Contains(plan.Migrations[0], `"https://llm.example.com/v1"`) {
		t.Errorf("migrations %v", plan.Migrations)
	}
	if !bytes.Contains([]byte(read(t, dir, generator.ManifestPath)), []byte(`"baseUrl": "https://llm.example.com/v1"`)) {
		t.Error("the manifest does not record the migrated base URL")
	}
	again, err := Prepare(context.Background(), Options{Dir: dir, AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Current() || len(again.Migrations) != 0 {
		t.Errorf("a second upgrade migrates %v (current %v)", again.Migrations, again.Current())
	}
}

// A base URL without a path that this streamgen recorded means what it
// says: a gateway at its root is not migrated.
func TestCurrentRecordIsNotMigrated(t *testing.T) {
	dir := project(t, generator.Options{Name: "chat", Template: "llm-stream", Set: map[string]string{"provider": "openai", "baseUrl": "https://gw.example.com"}})
	plan, err := Prepare(context.Background(), Options{Dir: dir, AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Migrations) != 0 || !plan.Current() {
		t.Errorf("a fresh project migrates %v (current %v)", plan.Migrations, plan.Current())
	}
}

// Moving between front ends keeps the handler's edits.
func TestFrontMoveKeepsHandlerEdits(t *testing.T) {
	dir := project(t, generator.Options{Name: "demo"})
	edit(t, dir, "src/index.mjs", "  'x-api-key',\n", "  'x-api-key',\n  'x-internal-token',\n")
	plan := run(t, Options{Dir: dir, AllowDirty: true, Change: func(o *generator.Options) error { o.Front = "rest-api"; return nil }})
	if len(plan.Conflicts) != 0 {
		t.Errorf("conflicts: %v", plan.Conflicts)
	}
	if !strings.Contains(read(t, dir, "src/index.mjs"), "x-internal-token") || !strings.Contains(read(t, dir, "template.yaml"), "AWS::ApiGateway::RestApi") {
		t.Error("the handler edit is gone, or the REST API did not arrive")
	}
}

// A file the base archive lacks, but that is as generated (its hash
// matches), is its own base: it takes the new version, with no sidecar.
func TestMissingBaseEntryOfAnUntouchedFile(t *testing.T) {
	dir := project(t, generator.Options{Name: "demo"})
	os.RemoveAll(filepath.Join(dir, ".streamgen"))
	plan := run(t, Options{Dir: dir, AllowDirty: true, Change: func(o *generator.Options) error { o.IaC = "cdk"; return nil }})
	got := actions(plan)
	if got["README.md"] != Take || got["template.yaml"] != Delete || len(plan.Conflicts) != 0 {
		t.Errorf("README.md %s, template.yaml %s, conflicts %v", got["README.md"], got["template.yaml"], plan.Conflicts)
	}
}

// A record without file hashes (a streamgen that did not keep them) gives
// a sidecar for each file that differs, saying why.
func TestRecordWithoutHashes(t *testing.T) {
	dir := project(t, generator.Options{Name: "demo"})
	raw := read(t, dir, generator.ManifestPath)
	var m map[string]any
	json.Unmarshal([]byte(raw), &m)
	delete(m, "files")
	b, _ := json.MarshalIndent(m, "", "  ")
	write(t, dir, generator.ManifestPath, string(b)+"\n")
	os.RemoveAll(filepath.Join(dir, ".streamgen"))
	plan := run(t, Options{Dir: dir, AllowDirty: true, Change: setMemory(1024)})
	for _, f := range plan.Files {
		if f.Path == "README.md" && (f.Action != Conflict || !strings.Contains(f.Reason, "records no base")) {
			t.Errorf("README.md: %+v", f)
		}
	}
}

// A project from a template directory is not rendered from the built-ins
// alone, which would drop what the directory added.
func TestTemplateDirProjectNeedsItsDirectory(t *testing.T) {
	tpl := t.TempDir()
	os.MkdirAll(filepath.Join(tpl, "echo", "src"), 0o755)
	os.WriteFile(filepath.Join(tpl, "echo", "src", "extra.mjs"), []byte("export const extra = 1;\n"), 0o644)
	src, err := generator.LoadSource(os.DirFS(tpl), tpl)
	if err != nil {
		t.Fatal(err)
	}
	dir := project(t, generator.Options{Name: "demo", Source: src})
	if !strings.Contains(read(t, dir, generator.ManifestPath), `"templateDir": true`) {
		t.Fatal("the record does not say the project came from a template directory")
	}
	if _, err := Prepare(context.Background(), Options{Dir: dir, AllowDirty: true}); err == nil || !strings.Contains(err.Error(), "pass --template-dir DIR") {
		t.Errorf("without the directory: %v", err)
	}
	other := t.TempDir()
	os.MkdirAll(filepath.Join(other, "s3-proxy"), 0o755)
	os.WriteFile(filepath.Join(other, "s3-proxy", "NOTES.md"), []byte("notes\n"), 0o644)
	otherSrc, err := generator.LoadSource(os.DirFS(other), other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(context.Background(), Options{Dir: dir, AllowDirty: true, Source: otherSrc}); err == nil || !strings.Contains(err.Error(), "neither provides nor patches") {
		t.Errorf("with a directory that does not patch echo: %v", err)
	}
	plan := run(t, Options{Dir: dir, AllowDirty: true, Source: src})
	if !plan.Current() {
		t.Error("with the directory, the project is not current")
	}
}

// A work tree checked out with CRLF line ends merges as LF, and stays CRLF.
func TestCRLFWorkTree(t *testing.T) {
	dir := project(t, generator.Options{Name: "demo"})
	edit(t, dir, "README.md", "## Layout\n", "## Layout\n\nours\n")
	for _, p := range []string{"README.md", "template.yaml"} {
		write(t, dir, p, strings.ReplaceAll(read(t, dir, p), "\n", "\r\n"))
	}
	plan := run(t, Options{Dir: dir, AllowDirty: true, Change: setMemory(1024)})
	got := actions(plan)
	if got["README.md"] != Merge || got["template.yaml"] != Take || len(plan.Conflicts) != 0 {
		t.Fatalf("README.md %s, template.yaml %s, conflicts %v", got["README.md"], got["template.yaml"], plan.Conflicts)
	}
	for _, p := range []string{"README.md", "template.yaml"} {
		c := read(t, dir, p)
		if strings.Count(c, "\n") != strings.Count(c, "\r\n") || !strings.Contains(c, "1024") {
			t.Errorf("%s is not all CRLF, or lacks the change", p)
		}
	}
	if !strings.Contains(read(t, dir, "README.md"), "ours") {
		t.Error("the README edit is gone")
	}
}

// A taken or merged file keeps the user's permissions; a folder a deletion
// empties goes too.
func TestModesAndEmptiedFolders(t *testing.T) {
	dir := project(t, generator.Options{Name: "demo", IaC: "cdk"})
	os.Chmod(filepath.Join(dir, "README.md"), 0o600)
	run(t, Options{Dir: dir, AllowDirty: true, Change: func(o *generator.Options) error { o.IaC = "sam"; return nil }})
	info, err := os.Stat(filepath.Join(dir, "README.md"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("README.md mode %v (%v)", info.Mode(), err)
	}
	for _, d := range []string{"bin", "lib"} {
		if _, err := os.Stat(filepath.Join(dir, d)); err == nil {
			t.Errorf("%s/ is left, empty", d)
		}
	}
}

// A record with hashes but no format was written after format 2's change:
// it is not migrated.
func TestRecordWithHashesIsFormat2(t *testing.T) {
	dir := project(t, generator.Options{Name: "chat", Template: "llm-stream", Set: map[string]string{"provider": "openai", "baseUrl": "https://gw.example.com"}})
	edit(t, dir, generator.ManifestPath, `"format": 2,`, ``)
	plan, err := Prepare(context.Background(), Options{Dir: dir, AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Migrations) != 0 || !plan.Current() {
		t.Errorf("migrations %v, current %v", plan.Migrations, plan.Current())
	}
}

// A checkout where git made every file CRLF, the base archive included
// (core.autocrlf), merges as if it were LF.
func TestCRLFCheckoutOfTheArchiveToo(t *testing.T) {
	dir := project(t, generator.Options{Name: "demo"})
	edit(t, dir, "template.yaml", "Resources:", "# ours\nResources:")
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() && filepath.Base(p) != ".streamgen.json" {
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")), info.Mode())
		}
		return nil
	})
	plan := run(t, Options{Dir: dir, AllowDirty: true, Change: setMemory(1024)})
	got := actions(plan)
	if len(plan.Conflicts) != 0 || got["template.yaml"] != Merge || got["README.md"] != Take {
		t.Errorf("conflicts %v, template.yaml %s, README.md %s", plan.Conflicts, got["template.yaml"], got["README.md"])
	}
	if c := read(t, dir, "template.yaml"); !strings.Contains(c, "# ours\r\n") || !strings.Contains(c, "1024") {
		t.Error("template.yaml lost the edit, the change, or its CRLF")
	}
}

// Git's messages are read in English whatever the user's language: a
// folder that is not a repository is not a dirty work tree.
func TestNotARepositoryInAnyLanguage(t *testing.T) {
	t.Setenv("LANGUAGE", "de")
	t.Setenv("LC_ALL", "C.UTF-8")
	dir := project(t, generator.Options{Name: "demo"})
	if _, err := Prepare(context.Background(), Options{Dir: dir}); err != nil {
		t.Errorf("outside a repository: %v", err)
	}
}
