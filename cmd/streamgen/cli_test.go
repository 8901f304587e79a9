package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// runCLI runs the CLI in-process with empty stdin (not a terminal, so it
// never prompts) and returns the exit code and both outputs.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// snapshot records every path under dir, with mode, content or link target.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		v := info.Mode().String()
		switch {
		case info.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			v += " " + string(b)
		case info.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			v += " -> " + l
		}
		out[p] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func assertUnchanged(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, v := range before {
		if after[p] != v {
			t.Errorf("%s changed or vanished", p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s was written", p)
		}
	}
}

// sandbox is a working directory holding the targets hostile inputs aim at:
// a file, a non-empty directory, a directory with a link to outside, a link
// to a directory, and an "outside" directory that must never change.
func sandbox(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "outside"), 0o755))
	must(os.WriteFile(filepath.Join(root, "outside", "secret.txt"), []byte("keep"), 0o600))
	must(os.WriteFile(filepath.Join(root, "afile"), []byte("a file"), 0o644))
	must(os.MkdirAll(filepath.Join(root, "full"), 0o755))
	must(os.WriteFile(filepath.Join(root, "full", "notes.txt"), []byte("mine"), 0o644))
	must(os.MkdirAll(filepath.Join(root, "linked"), 0o755))
	must(os.WriteFile(filepath.Join(root, "linked", "notes.txt"), []byte("mine"), 0o644))
	must(os.Symlink(filepath.Join(root, "outside"), filepath.Join(root, "linked", "src")))
	must(os.Symlink(filepath.Join(root, "outside"), filepath.Join(root, "dirlink")))
	must(os.MkdirAll(filepath.Join(root, "blocked"), 0o755))
	must(os.WriteFile(filepath.Join(root, "blocked", "src"), []byte("a file where a dir goes"), 0o644))
	t.Chdir(root)
	return root
}

// TestBadInput runs hostile inputs: each must exit 2 with a message that
// names the problem, print nothing raw that a terminal would act on, write
// nothing to stdout, and leave every file in the sandbox as it was.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"parent traversal", []string{"new", "../evil"}, `invalid NAME "../evil"`},
		{"absolute path", []string{"new", "/etc/x"}, "URL-safe"},
		{"backslash traversal", []string{"new", `a\..\..\x`}, "URL-safe"},
		{"uppercase", []string{"new", "My-App"}, "must be lowercase"},
		{"core module", []string{"new", "http"}, "Node.js core module"},
		{"core module fs", []string{"new", "fs"}, "Node.js core module"},
		{"reserved", []string{"new", "node_modules"}, "npm reserves"},
		{"leading dot", []string{"new", ".hidden"}, `cannot start with "."`},
		{"leading underscore", []string{"new", "_private"}, `cannot start with "."`},
		{"scoped", []string{"new", "@scope/pkg"}, "scoped"},
		{"empty name", []string{"new", ""}, "empty"},
		{"215 characters", []string{"new", strings.Repeat("a", 215)}, "at most 214"},
		{"129 characters", []string{"new", strings.Repeat("a", 129)}, "at most 128"},
		{"leading digit", []string{"new", "1demo"}, "start with a letter"},
		{"underscore inside", []string{"new", "my_app"}, "letters, digits and hyphens"},
		{"newline", []string{"new", "demo\nPolicies: AdministratorAccess"}, "control character"},
		{"ANSI escape", []string{"new", "demo\x1b[31mred"}, "control character"},
		{"NUL", []string{"new", "demo\x00"}, "control character"},
		{"bidi override", []string{"new", "demo\u202egnp"}, "control character"},
		{"memory too high", []string{"new", "demo", "--memory", "99999"}, `invalid --memory "99999"`},
		{"memory too low", []string{"new", "demo", "--memory", "64"}, "between 128 and 10240"},
		{"memory not a number", []string{"new", "demo", "--memory", "lots"}, "--memory takes a whole number"},
		{"timeout zero", []string{"new", "demo", "--timeout", "0"}, `invalid --timeout "0"`},
		{"empty iac", []string{"new", "demo", "--iac", ""}, `invalid --iac "": it is empty`},
		{"timeout too high", []string{"new", "demo", "--timeout", "901"}, "between 1 and 900"},
		{"deprecated runtime", []string{"new", "demo", "--runtime", "nodejs20.x"}, "deprecated"},
		{"unknown arch", []string{"new", "demo", "--arch", "arm"}, "arm64, x86_64"},
		{"unknown auth", []string{"new", "demo", "--auth", "public"}, "iam, none"},
		{"unknown iac", []string{"new", "demo", "--iac", "terraform"}, "sam, cdk"},
		{"unknown template", []string{"new", "demo", "--template", "nope"}, "streamgen list"},
		{"escape in template", []string{"new", "demo", "--template", "echo\x1b]0;pwned\x07"}, "control character"},
		{"target is a file", []string{"new", "demo", "--dir", "afile"}, "not a directory"},
		{"target not empty", []string{"new", "demo", "--dir", "full"}, "--force"},
		{"target not empty, dry run", []string{"new", "demo", "--dir", "full", "--dry-run"}, "--force"},
		{"symlink inside target", []string{"new", "demo", "--dir", "linked", "--force"}, "symbolic link"},
		{"target is a symlink", []string{"new", "demo", "--dir", "dirlink", "--force"}, "symbolic link"},
		{"file where a dir goes", []string{"new", "demo", "--dir", "blocked", "--force"}, "needs a directory"},
		{"escape in dir", []string{"new", "demo", "--dir", "x\x1b[2J"}, "control character"},
		{"missing name", []string{"new", "--no-input"}, "missing NAME"},
		{"missing name without terminal", []string{"new"}, "missing NAME"},
		{"two names", []string{"new", "a", "b"}, "accepts at most 1 arg"},
		{"unknown flag", []string{"new", "demo", "--regoin", "x"}, "unknown flag"},
		{"unknown flag with escape", []string{"new", "demo", "--\x1b[31m"}, "unknown flag"},
		{"unknown command", []string{"nwe", "demo"}, `unknown command "nwe" for "streamgen"; did you mean "new"?`},
		{"newline in an unknown flag", []string{"new", "demo", "--a\nstreamgen: fake"}, `unknown flag: --a\nstreamgen: fake`},
		{"trailing slash on a linked target", []string{"new", "demo", "--dir", "dirlink/", "--force"}, "symbolic link"},
		{"dot after a linked target", []string{"new", "demo", "--dir", "dirlink/."}, "symbolic link"},
		{"target under a file", []string{"new", "demo", "--dir", "afile/proj", "--dry-run"}, "not a directory"},
		{"set without equals", []string{"new", "demo", "--set", "bucket"}, "not KEY=VALUE"},
		{"set on a template without parameters", []string{"new", "demo", "--set", "bucket=x"}, "template echo has no parameters"},
		{"set unknown key", []string{"new", "demo", "--template", "s3-proxy", "--set", "bukket=x"}, "takes bucket, prefix"},
		{"set bad bucket", []string{"new", "demo", "--template", "s3-proxy", "--set", "bucket=Bad_Bucket"}, `invalid --set bucket "Bad_Bucket"`},
		{"set prefix with wildcard", []string{"new", "demo", "--template", "s3-proxy", "--set", "prefix=a*/"}, "widen the IAM policy"},
		{"set prefix without slash", []string{"new", "demo", "--template", "s3-proxy", "--set", "prefix=reports"}, `end in "/"`},
		{"set prefix traversal", []string{"new", "demo", "--template", "s3-proxy", "--set", "prefix=a/../b/"}, `".." segment`},
		{"set base URL with /chat/completions", []string{"new", "demo", "--template", "llm-stream", "--set", "provider=openai", "--set", "baseUrl=https://api.example.com/v1/chat/completions"}, "appends /chat/completions itself"},
		{"set plain-http base URL", []string{"new", "demo", "--template", "llm-stream", "--set", "provider=openai", "--set", "baseUrl=http://api.example.com"}, "unencrypted"},
		{"set wildcard CORS", []string{"new", "demo", "--template", "llm-stream", "--set", "corsOrigins=*"}, "wildcard"},
		{"set openai key with bedrock", []string{"new", "demo", "--template", "llm-stream", "--set", "apiKeyParameter=/x/key"}, "applies only when provider=openai"},
		{"set unknown provider", []string{"new", "demo", "--template", "llm-stream", "--set", "provider=azure"}, "bedrock, openai"},
		{"set twice", []string{"new", "demo", "--template", "s3-proxy", "--set", "prefix=a/", "--set", "prefix=b/"}, "given twice"},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d hostile inputs", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := sandbox(t)
			before := snapshot(t, root)
			code, stdout, stderr := runCLI(t, c.args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, c.want) || !strings.HasPrefix(stderr, "streamgen: error: ") {
				t.Errorf("stderr %q does not say %q", stderr, c.want)
			}
			if strings.IndexFunc(strings.TrimSuffix(stderr, "\n"), func(r rune) bool { return unicode.IsControl(r) || r == '\u202e' }) >= 0 {
				t.Errorf("stderr is not one line of printable text: %q", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout is not empty: %q", stdout)
			}
			assertUnchanged(t, before, snapshot(t, root))
		})
	}
}

func TestNewWritesProject(t *testing.T) {
	root := sandbox(t)
	outside := snapshot(t, filepath.Join(root, "outside"))
	code, stdout, stderr := runCLI(t, "new", "demo", "--no-input")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, p := range []string{"package.json", "src/index.mjs", "src/streamify.mjs", "template.yaml", ".streamgen.json", ".gitignore"} {
		info, err := os.Stat(filepath.Join(root, "demo", p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if info.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v", p, info.Mode())
		}
		if !strings.Contains(stdout, "  "+p+"\n") {
			t.Errorf("stdout does not list %s", p)
		}
	}
	if !strings.Contains(stdout, "cd demo\n  npm test\n  sam build && sam deploy --guided --stack-name demo") {
		t.Errorf("stdout lacks the next steps:\n%s", stdout)
	}
	if stderr != "" {
		t.Errorf("unexpected stderr: %s", stderr)
	}
	assertUnchanged(t, outside, snapshot(t, filepath.Join(root, "outside")))

	// A second run refuses the now non-empty directory.
	before := snapshot(t, root)
	if code, _, stderr := runCLI(t, "new", "demo"); code != exitUsage || !strings.Contains(stderr, "not empty") {
		t.Errorf("second run: exit %d, %s", code, stderr)
	}
	assertUnchanged(t, before, snapshot(t, root))
}

func TestNewForceKeepsUserFiles(t *testing.T) {
	root := sandbox(t)
	if code, _, stderr := runCLI(t, "new", "demo"); code != exitOK {
		t.Fatal(stderr)
	}
	dir := filepath.Join(root, "demo")
	os.WriteFile(filepath.Join(dir, "src", "index.mjs"), []byte("// edited"), 0o644)
	os.WriteFile(filepath.Join(dir, "src", "extra.mjs"), []byte("// mine"), 0o644)
	code, stdout, stderr := runCLI(t, "new", "demo", "--force", "--memory", "512")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "overwritten") {
		t.Errorf("stdout does not report overwriting: %s", stdout)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "src", "extra.mjs")); string(b) != "// mine" {
		t.Error("user file changed")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "src", "index.mjs")); string(b) == "// edited" {
		t.Error("generated file not overwritten")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "template.yaml")); !strings.Contains(string(b), "MemorySize: 512") {
		t.Error("new answers not applied")
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	root := sandbox(t)
	before := snapshot(t, root)
	code, stdout, stderr := runCLI(t, "new", "demo", "--iac", "cdk", "--dry-run")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, p := range []string{"lib/stack.ts", "bin/app.ts", "cdk.json", "-rw-r--r--", "nothing was written"} {
		if !strings.Contains(stdout, p) {
			t.Errorf("dry run output lacks %q:\n%s", p, stdout)
		}
	}
	assertUnchanged(t, before, snapshot(t, root))
}

func TestAuthNoneWarns(t *testing.T) {
	sandbox(t)
	code, _, stderr := runCLI(t, "new", "demo", "--auth", "none")
	if code != exitOK || !strings.Contains(stderr, "warning: --auth none makes the endpoint public") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestListVersionHelp(t *testing.T) {
	if code, out, _ := runCLI(t, "list"); code != exitOK || !strings.HasPrefix(out, "echo ") {
		t.Errorf("list: %d %q", code, out)
	}
	if code, out, _ := runCLI(t, "version"); code != exitOK || !strings.HasPrefix(out, "streamgen ") {
		t.Errorf("version: %d %q", code, out)
	}
	code, out, _ := runCLI(t, "new", "--help")
	if code != exitOK {
		t.Fatalf("help exit %d", code)
	}
	for _, want := range []string{`--memory int`, "(default 256; s3-proxy 512)", "(default 30; llm-stream 300; s3-proxy 180)", `(default "nodejs24.x")`, `(default "arm64")`, `(default "iam")`, `(default "sam")`, "Examples:", "Exit codes"} {
		if !strings.Contains(out, want) {
			t.Errorf("new --help lacks %q", want)
		}
	}
}

// TestInterruptedRunWritesNothing cancels the context as SIGINT does in
// main: the run exits 130, says so, and leaves nothing behind.
func TestInterruptedRunWritesNothing(t *testing.T) {
	root := sandbox(t)
	before := snapshot(t, root)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := Run(ctx, []string{"new", "demo", "--dir", "a/b/demo"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted; nothing was written") {
		t.Errorf("exit %d, stderr %q; want %d and an interrupted message", code, stderr.String(), exitInterrupted)
	}
	assertUnchanged(t, before, snapshot(t, root))
}

// The templates' manifests are read for their flags only when a command
// line can use them; a line that cannot must still run as before.
func TestTemplateFlagsOnlyWhenNeeded(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"new", "app", "--no-input", "--dir", "d"}, false},
		{[]string{"new", "app", "-y", "--memory=512", "--set", "k=v"}, false},
		{[]string{"new", "app", "--", "--bucket"}, false},
		{[]string{"new", "app", "--dir", "--", "--bucket", "b"}, true}, // -- is --dir's value
		{[]string{"new", "app", "--dir", "--bucket", "--no-input"}, false},
		{[]string{"new", "app", "--dir=d", "--", "--bucket"}, false},
		{[]string{"upgrade", "--dry-run"}, false},
		{[]string{"version"}, false},
		{[]string{"check", "."}, false},
		{[]string{"new", "app", "--bucket", "b"}, true},
		{[]string{"new", "app", "--bucket=b"}, true},
		{[]string{"upgrade", "--model", "m"}, true},
		{[]string{"new", "--help"}, true},
		{[]string{"new", "-h"}, true},
		{[]string{"new", "-yh"}, true},
		{[]string{"help", "new"}, true},
		{[]string{"__complete", "new", "--"}, true},
	} {
		a := &app{}
		root := a.rootCommand()
		target, _, err := root.Find(c.args)
		if got := err != nil || needsTemplateFlags(target, c.args); got != c.want {
			t.Errorf("%q: needs the template flags %v, want %v", c.args, got, c.want)
		}
	}
	// Without the parameter flags, a parameter given with --set still
	// reaches the template.
	dir := filepath.Join(sandbox(t), "assets")
	code, _, stderr := runCLI(t, "new", "assets", "--dir", dir, "--template", "s3-proxy", "--set", "bucket=my-assets", "--no-input")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "template.yaml")); err != nil || !strings.Contains(string(b), "my-assets") {
		t.Errorf("the bucket did not reach template.yaml: %v", err)
	}
}
