package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/generator"
)

// fixture copies testdata/upgrade/echo-0.1.0 (a project streamgen 0.1.0
// generated: the echo template before the REST API front end, the
// request module and the upgrade section of the README) to a temporary
// directory.
func fixture(t *testing.T) string {
	t.Helper()
	src := filepath.Join("testdata", "upgrade", "echo-0.1.0")
	dst := filepath.Join(t.TempDir(), "echo")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func change(t *testing.T, dir, p, old, new string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, p))
	if err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q (%v)", p, old, err)
	}
	if err := os.WriteFile(filepath.Join(dir, p), []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func content(t *testing.T, dir, p string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUpgradeFromAnOlderRelease: the user's edits to the handler, README
// and template.yaml survive an upgrade to the current templates, whose
// changes arrive; one deliberate overlap conflicts (exit 3, markers, the
// pending record); the next run refuses until the markers are resolved,
// then succeeds, and the project is current.
func TestUpgradeFromAnOlderRelease(t *testing.T) {
	dir := fixture(t)
	const pipelineOld = "  await pipeline(Readable.from(echoLines(event, context)), stream);\n"
	change(t, dir, "src/index.mjs", "  'x-api-key',\n", "  'x-api-key',\n  'x-internal-token',\n")
	change(t, dir, "src/index.mjs", pipelineOld, "  await pipeline(Readable.from(echoLines(event, context)), stream, { signal: AbortSignal.timeout(60_000) });\n")
	change(t, dir, "README.md", "## Layout\n", "## Layout\n\nThe payments team owns this service.\n")
	change(t, dir, "template.yaml", "      MemorySize: 256", "      MemorySize: 512")

	// The preview writes nothing.
	before := snapshot(t, dir)
	code, stdout, stderr := runCLI(t, "upgrade", "--dir", dir, "--dry-run")
	if code != exitOK || !strings.Contains(stdout, "conflict  src/index.mjs") || !strings.Contains(stdout, "+++ b/src/request.mjs") || !strings.Contains(stdout, "Dry run: nothing was written.") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, _ := runCLI(t, "upgrade", "--dir", dir, "--check"); code != exitFailed {
		t.Errorf("--check on an outdated project: exit %d, want 1", code)
	}
	assertUnchanged(t, before, snapshot(t, dir))

	code, stdout, stderr = runCLI(t, "upgrade", "--dir", dir)
	if code != exitConflicts || !strings.Contains(stderr, "conflicts in src/index.mjs") {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"take      test/handler.test.mjs", "merge     README.md", "keep      template.yaml", "delete    events/function-url.json", "create    src/request.mjs"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the plan has no %q:\n%s", want, stdout)
		}
	}
	// The user's edits stayed, the templates' changes arrived.
	handler := content(t, dir, "src/index.mjs")
	if !strings.Contains(handler, "'x-internal-token'") || !strings.Contains(handler, "import { corsHeaders, readRequest } from './request.mjs';") {
		t.Errorf("src/index.mjs lost the user's edit or the new import:\n%s", handler)
	}
	readme := content(t, dir, "README.md")
	if !strings.Contains(readme, "The payments team owns this service.") || !strings.Contains(readme, "## Upgrade") || strings.Contains(readme, "## Regenerate") {
		t.Errorf("README.md:\n%s", readme)
	}
	if !strings.Contains(content(t, dir, "template.yaml"), "MemorySize: 512") {
		t.Error("template.yaml lost the user's memory")
	}
	if _, err := os.Stat(filepath.Join(dir, "events", "function-url.json")); !os.IsNotExist(err) {
		t.Error("the file the templates removed is still there")
	}
	// The overlap, marked.
	marked := "<<<<<<< yours\n  await pipeline(Readable.from(echoLines(event, context)), stream, { signal: AbortSignal.timeout(60_000) });\n" +
		"||||||| streamgen OLD\n" + pipelineOld + "=======\n  await pipeline(Readable.from(echoLines(request, context)), stream);\n>>>>>>> streamgen NEW\n"
	if !strings.Contains(handler, marked) {
		t.Errorf("src/index.mjs has no conflict of the pipeline line:\n%s", handler)
	}
	var m generator.Manifest
	if err := json.Unmarshal([]byte(content(t, dir, generator.ManifestPath)), &m); err != nil || len(m.Conflicts) != 1 || m.Conflicts[0] != "src/index.mjs" {
		t.Errorf("manifest conflicts %v (%v)", m.Conflicts, err)
	}

	// Refused until resolved.
	before = snapshot(t, dir)
	if code, _, stderr := runCLI(t, "upgrade", "--dir", dir); code != exitFailed || !strings.Contains(stderr, "src/index.mjs (conflict markers)") {
		t.Errorf("with markers left: exit %d, %s", code, stderr)
	}
	assertUnchanged(t, before, snapshot(t, dir))
	change(t, dir, "src/index.mjs", marked, "  await pipeline(Readable.from(echoLines(request, context)), stream, { signal: AbortSignal.timeout(60_000) });\n")
	if code, stdout, stderr := runCLI(t, "upgrade", "--dir", dir); code != exitOK {
		t.Fatalf("after resolving: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, _ := runCLI(t, "upgrade", "--dir", dir, "--check"); code != exitOK || !strings.Contains(stdout, "is current") {
		t.Errorf("--check after the upgrade: exit %d %s", code, stdout)
	}
	var after generator.Manifest
	if err := json.Unmarshal([]byte(content(t, dir, generator.ManifestPath)), &after); err != nil || len(after.Conflicts) != 0 || after.StreamgenVersion == "0.1.0" {
		t.Errorf("manifest after: conflicts %v version %s", after.Conflicts, after.StreamgenVersion)
	}
}

// Answers change with new's flags, and --json reports the plan.
func TestUpgradeChangesAnswers(t *testing.T) {
	dir := fixture(t)
	code, stdout, stderr := runCLI(t, "upgrade", "--dir", dir, "--memory", "1024", "--front", "rest-api", "--auth", "api-key", "--json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var out struct {
		Plan struct {
			Files []struct{ Path, Action string }
		}
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || len(out.Plan.Files) == 0 {
		t.Fatalf("--json output %q: %v", stdout, err)
	}
	tmpl := content(t, dir, "template.yaml")
	if !strings.Contains(tmpl, "MemorySize: 1024") || !strings.Contains(tmpl, "ApiKeyRequired: true") || strings.Contains(tmpl, "FunctionUrlConfig") {
		t.Errorf("template.yaml does not have the new answers:\n%s", tmpl)
	}
	if code, _, stderr := runCLI(t, "upgrade", "--dir", dir, "--auth", "magic"); code != exitUsage || !strings.Contains(stderr, `--auth "magic"`) {
		t.Errorf("a bad answer: exit %d %s", code, stderr)
	}
}

// --json prints one document, whatever the exit code, and says the code.
func TestUpgradeJSONIsOneDocument(t *testing.T) {
	dir := fixture(t)
	change(t, dir, "src/index.mjs", "  await pipeline(Readable.from(echoLines(event, context)), stream);\n", "  await pipeline(Readable.from(echoLines(event, context)), stream, { end: true });\n")
	for _, args := range [][]string{{"--check", "--json"}, {"--json"}} {
		code, stdout, stderr := runCLI(t, append([]string{"upgrade", "--dir", dir}, args...)...)
		dec := json.NewDecoder(strings.NewReader(stdout))
		var doc struct {
			ExitCode *int `json:"exitCode"`
			Written  *struct {
				Created []string `json:"created"`
			} `json:"written"`
		}
		if err := dec.Decode(&doc); err != nil || dec.More() {
			t.Fatalf("%v: stdout is not one JSON document (%v):\n%s\n%s", args, err, stdout, stderr)
		}
		if doc.ExitCode == nil || *doc.ExitCode != code {
			t.Errorf("%v: exit %d, document says %v", args, code, doc.ExitCode)
		}
		if args[0] == "--json" && (code != exitConflicts || doc.Written == nil || len(doc.Written.Created) == 0) {
			t.Errorf("%v: exit %d, written %+v", args, code, doc.Written)
		}
	}
}

// Changing an answer that another parameter depends on drops the
// parameter that no longer applies, with a note.
func TestUpgradeDropsParamsThatNoLongerApply(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "chat")
	if code, stdout, stderr := runCLI(t, "new", "chat", "--dir", dir, "--no-input", "--template", "llm-stream", "--provider", "openai", "--base-url", "https://gw.example.com"); code != exitOK {
		t.Fatalf("new: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr := runCLI(t, "upgrade", "--dir", dir, "--provider", "bedrock")
	if code != exitOK || !strings.Contains(stderr, "baseUrl no longer applies") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if m := content(t, dir, generator.ManifestPath); strings.Contains(m, "baseUrl") || !strings.Contains(m, `"provider": "bedrock"`) {
		t.Errorf("the record:\n%s", m)
	}
	if code, _, stderr := runCLI(t, "upgrade", "--dir", dir, "--set", "bogus="); code != exitUsage || !strings.Contains(stderr, "unknown parameter") {
		t.Errorf("--set bogus=: exit %d %s", code, stderr)
	}
}
