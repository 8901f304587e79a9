package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/generator"
)

// TestListJSONHasEveryParameter checks that list --json carries every
// template and every declared parameter with its flag, and that each flag
// it names exists on `new`: the declarations are the single source.
func TestListJSONHasEveryParameter(t *testing.T) {
	code, stdout, stderr := runCLI(t, "list", "--json")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got listJSON
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("stdout is not the list document: %v\n%s", err, stdout)
	}
	a := &app{}
	newCmd := a.newCommand()
	a.templateFlags()
	newFlags := newCmd.Flags()
	for _, tmpl := range generator.Templates() {
		i := slices.IndexFunc(got.Templates, func(tj templateJSON) bool { return tj.Name == tmpl.Name })
		if i < 0 {
			t.Errorf("template %s missing", tmpl.Name)
			continue
		}
		tj := got.Templates[i]
		if len(tj.Params) != len(tmpl.Params) {
			t.Errorf("%s: %d params, want %d", tmpl.Name, len(tj.Params), len(tmpl.Params))
			continue
		}
		for j, p := range tmpl.Params {
			pj := tj.Params[j]
			if pj.Name != p.Name || pj.Help != p.Help || pj.Default != p.Default || pj.Ask != p.Ask || pj.Flag != "--"+p.Flag() {
				t.Errorf("%s.%s: %+v", tmpl.Name, p.Name, pj)
			}
			if newFlags.Lookup(p.Flag()) == nil {
				t.Errorf("new has no flag --%s for %s.%s", p.Flag(), tmpl.Name, p.Name)
			}
		}
	}
	if len(got.Options) != 10 || got.Options[0].Name != "template" {
		t.Errorf("options %+v", got.Options)
	}
}

// TestDedicatedParamFlagsMatchSet shows --bucket X renders exactly what
// --set bucket=X does.
func TestDedicatedParamFlagsMatchSet(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{
		{"new", "a", "--template", "llm-stream", "--provider", "openai", "--base-url", "https://llm.example.com", "--cors-origins", "https://app.example.com"},
		{"new", "b", "--template", "llm-stream", "--set", "provider=openai", "--set", "baseUrl=https://llm.example.com", "--set", "corsOrigins=https://app.example.com"},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	a, b := readManifest(t, "a"), readManifest(t, "b")
	if !mapsEqual(a.Answers.Set, b.Answers.Set) || len(a.Answers.Set) != 3 {
		t.Errorf("answers differ: %v vs %v", a.Answers.Set, b.Answers.Set)
	}
	code, _, stderr := runCLI(t, "new", "c", "--bucket", "x")
	if code != exitUsage || !strings.Contains(stderr, `unknown parameter; template echo has no parameters`) {
		t.Errorf("a parameter flag for another template: exit %d: %s", code, stderr)
	}
}

func TestNewJSON(t *testing.T) {
	t.Chdir(t.TempDir())
	code, stdout, stderr := runCLI(t, "new", "pub", "--auth", "none", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got newJSON
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil || dec.More() {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
	}
	if got.Dir != "pub" || got.DryRun || got.Template != "echo" || got.Answers.Auth != "none" || len(got.Warnings) != 1 {
		t.Errorf("result %+v", got)
	}
	var paths []string
	for _, f := range got.Files {
		paths = append(paths, f.Path)
		if f.Action != "created" {
			t.Errorf("%s: action %q", f.Path, f.Action)
		}
		info, err := os.Stat(filepath.Join("pub", f.Path))
		if err != nil || info.Size() != int64(f.Size) {
			t.Errorf("%s: reported size %d, on disk %v %v", f.Path, f.Size, info, err)
		}
	}
	if !slices.Contains(paths, "src/index.mjs") || !slices.Contains(paths, ".streamgen.json") {
		t.Errorf("files %v", paths)
	}

	// Overwriting reports which files were replaced; a dry run writes none.
	code, stdout, _ = runCLI(t, "new", "pub", "--auth", "none", "--json", "--force")
	if code != exitOK || !strings.Contains(stdout, `"action": "overwritten"`) {
		t.Errorf("force: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "new", "dry", "--json", "--dry-run")
	if code != exitOK || !strings.Contains(stdout, `"dryRun": true`) || !strings.Contains(stdout, `"action": "write"`) {
		t.Errorf("dry run: exit %d\n%s", code, stdout)
	}
	if _, err := os.Stat("dry"); !os.IsNotExist(err) {
		t.Errorf("dry run wrote: %v", err)
	}

	// Errors are JSON on stdout too, with field and value.
	code, stdout, stderr = runCLI(t, "new", "Bad", "--memory", "64", "--json")
	var failed errorJSON
	if err := json.Unmarshal([]byte(stdout), &failed); err != nil || code != exitUsage || failed.ExitCode != exitUsage ||
		len(failed.Errors) != 2 || failed.Errors[0].Field != "NAME" || failed.Errors[1].Value != "64" || !strings.Contains(stderr, "invalid --memory") {
		t.Errorf("exit %d, %+v (%v), stderr %s", code, failed, err, stderr)
	}
}

// TestValuesFileAndFlags checks precedence (flags over the file) and that a
// project's .streamgen.json regenerates it identically.
func TestValuesFileAndFlags(t *testing.T) {
	t.Chdir(t.TempDir())
	if code, _, stderr := runCLI(t, "new", "orig", "--template", "s3-proxy", "--iac", "cdk", "--bucket", "my-assets", "--prefix", "public/", "--memory", "1024", "--arch", "x86_64"); code != exitOK {
		t.Fatal(stderr)
	}
	if code, _, stderr := runCLI(t, "new", "--values", "orig/.streamgen.json", "--dir", "copy"); code != exitOK {
		t.Fatal(stderr)
	}
	if a, b := relSnapshot(t, "orig"), relSnapshot(t, "copy"); len(a) < 10 || !mapsEqual(a, b) {
		t.Error("regenerating from .streamgen.json gave a different tree")
	}
	// Regenerating in place changes nothing.
	before := snapshot(t, "orig")
	t.Chdir("orig")
	if code, _, stderr := runCLI(t, "new", "--values", ".streamgen.json", "--dir", ".", "--force"); code != exitOK {
		t.Fatal(stderr)
	}
	t.Chdir("..")
	if !mapsEqual(before, snapshot(t, "orig")) {
		t.Error("regenerating in place changed files")
	}

	values := "template: s3-proxy\nanswers:\n  name: from-file\n  memory: 1024\n  set:\n    bucket: file-bucket\n    prefix: file/\n"
	if err := os.WriteFile("v.yaml", []byte(values), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "new", "from-flag", "--values", "v.yaml", "--memory", "2048", "--bucket", "flag-bucket")
	if code != exitOK {
		t.Fatal(stderr)
	}
	m := readManifest(t, "from-flag")
	if m.Answers.Name != "from-flag" || m.Answers.Memory != 2048 || m.Answers.Set["bucket"] != "flag-bucket" || m.Answers.Set["prefix"] != "file/" {
		t.Errorf("precedence: %+v", m.Answers)
	}

	for _, tc := range []struct{ args, want string }{
		{"--values missing.yaml", `invalid --values "missing.yaml": cannot read it: no such file or directory`},
		{"--values v.yaml --template echo", `unknown parameter; template echo has no parameters`},
	} {
		before := snapshot(t, ".")
		code, stdout, stderr := runCLI(t, append([]string{"new", "x"}, strings.Fields(tc.args)...)...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %s", tc.args, code, stderr)
		}
		if !mapsEqual(before, snapshot(t, ".")) {
			t.Errorf("%s: wrote files", tc.args)
		}
	}
}

// TestCustomTemplateDirEndToEnd generates a project from a house template
// directory (a new template, plus a patched built-in file) through the CLI,
// then runs the project's own tests with npm, as a user would.
func TestCustomTemplateDirEndToEnd(t *testing.T) {
	tpl := writeTree(t, map[string]string{
		"greeter/streamgen.yaml": `description: Streams a greeting, one word per chunk
params:
  - name: greeting
    help: the words to stream
    default: hello from the house template
`,
		"greeter/src/index.mjs.tmpl": `import { streamifyResponse } from "./streamify.mjs";

// The greeting, chosen when the project was generated.
const GREETING = {{js (index .Params "greeting")}};

export const handler = streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType("text/plain");
  for (const word of GREETING.split(" ")) {
    responseStream.write(word + "\n");
  }
  responseStream.end();
});
`,
		"greeter/test/handler.test.mjs": `import { test } from "node:test";
import assert from "node:assert/strict";
import { invoke } from "../src/streamify.mjs";
import { handler } from "../src/index.mjs";

test("streams the greeting word by word", async () => {
  const res = await invoke(handler, {});
  assert.equal(res.statusCode, 200);
  assert.equal(res.body.toString(), "ahoy\nthere\n");
  assert.equal(res.chunks.length, 2);
});
`,
		"base/CONTRIBUTING.md.tmpl": "# Contributing to {{md .Name}}\n\nAsk the platform team.\n",
	})
	out := t.TempDir()
	t.Chdir(out)
	code, stdout, stderr := runCLI(t, "new", "hello", "--template-dir", tpl, "--template", "greeter", "--set", "greeting=ahoy there", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `"path": "CONTRIBUTING.md"`) {
		t.Errorf("patched base file missing:\n%s", stdout)
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("npm is required for this test (CI has Node.js and npm)")
	}
	cmd := exec.Command("npm", "test", "--silent")
	cmd.Dir = filepath.Join(out, "hello")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		t.Fatalf("npm test in the generated project: %v\n%s", err, buf.String())
	}
	// The template's own test runs beside the base layer's.
	if !strings.Contains(buf.String(), "fail 0") || !strings.Contains(buf.String(), "greet") {
		t.Errorf("npm test did not pass the template's test:\n%s", buf.String())
	}

	// A broken template is refused with its file and line, and nothing is
	// written.
	bad := writeTree(t, map[string]string{"greeter/streamgen.yaml": "description: x\n", "greeter/src/index.mjs.tmpl": "ok\n{{.Greeting}}\n"})
	before := snapshot(t, out)
	code, _, stderr = runCLI(t, "new", "broken", "--template-dir", bad, "--template", "greeter")
	if code != exitUsage || !strings.Contains(stderr, filepath.Join(bad, "greeter/src/index.mjs.tmpl")+":2: executing") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if !mapsEqual(before, snapshot(t, out)) {
		t.Error("a failed run wrote files")
	}
	code, _, stderr = runCLI(t, "list", "--template-dir", filepath.Join(out, "nope"))
	if code != exitUsage || !strings.Contains(stderr, "no such file or directory; pass a directory that holds template folders") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestCompletion(t *testing.T) {
	code, stdout, _ := runCLI(t, "__complete", "new", "--template", "")
	if code != exitOK || !strings.Contains(stdout, "s3-proxy\tStreams S3 objects") {
		t.Errorf("template completion: %s", stdout)
	}
	code, stdout, _ = runCLI(t, "__complete", "new", "--template", "llm-stream", "--set", "")
	if code != exitOK || !strings.Contains(stdout, "provider=\t") || !strings.Contains(stdout, "corsOrigins=") {
		t.Errorf("--set completion: %s", stdout)
	}
	code, stdout, _ = runCLI(t, "completion", "bash")
	if code != exitOK || !strings.Contains(stdout, "bash completion") {
		t.Errorf("completion bash: exit %d", code)
	}
}

// relSnapshot is snapshot with paths relative to dir, to compare two trees.
func relSnapshot(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	for p, v := range snapshot(t, dir) {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			t.Fatal(err)
		}
		out[rel] = v
	}
	return out
}

func TestValuesFileErrorsNameTheFile(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct{ content, want string }{
		{"answers:\n  memory: -5\n", `v.yaml:2: memory "-5": Lambda memory must be between 128 and 10240 MB`},
		{"answers:\n  name: Bad\n", `v.yaml:2: name "Bad": npm package names must be lowercase`},
		{"template: echo\ntemplate: s3-proxy\n", `v.yaml:2: "template" is given twice (first on line 1)`},
		{"template: s3-proxy\nanswers:\n  name: x\n  set:\n    bucket: BAD BUCKET\n", `v.yaml: answers.set.bucket: invalid --set bucket "BAD BUCKET"`},
	} {
		if err := os.WriteFile("v.yaml", []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCLI(t, "new", "--values", "v.yaml")
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %s, want %q", tc.content, code, stderr, tc.want)
		}
	}
	code, _, stderr := runCLI(t, "new", "x", "--values", "/dev/zero")
	if code != exitUsage || !strings.Contains(stderr, `invalid --values "/dev/zero": it is not a regular file`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// Broken template packs and house policies are refused with their file and
// line, exit 2, and nothing is written.
func TestBadPacksAndHouseWriteNothing(t *testing.T) {
	out := t.TempDir()
	t.Chdir(out)
	wild := writeTree(t, map[string]string{"greeter/streamgen.yaml": "description: x\ninfrastructure:\n  policies:\n    - name: p\n      statements:\n        - actions: [s3:GetObject]\n          resources: [\"*\"]\n"})
	longTag := writeTree(t, map[string]string{"house.yaml": "tags:\n  " + strings.Repeat("k", 129) + ": v\n"})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a * resource", []string{"new", "demo", "--template-dir", wild, "--template", "greeter"}, filepath.Join(wild, "greeter/streamgen.yaml") + `:7: resource "*" allows the actions on every resource`},
		{"a house tag key over 128 characters in --house", []string{"new", "demo", "--house", filepath.Join(longTag, "house.yaml")}, filepath.Join(longTag, "house.yaml") + ":2: tag key"},
		{"a house tag key over 128 characters in a template dir", []string{"new", "demo", "--template-dir", longTag}, filepath.Join(longTag, "house.yaml") + ":2: tag key"},
		{"a missing house file", []string{"new", "demo", "--house", "nope.yaml"}, `invalid --house "nope.yaml": cannot read it`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, out)
			code, _, stderr := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant %q", code, stderr, tc.want)
			}
			if !mapsEqual(before, snapshot(t, out)) {
				t.Error("a refused run wrote files")
			}
		})
	}

	// A good house file is applied and recorded; the record regenerates
	// the same project.
	house := writeTree(t, map[string]string{"house.yaml": "tags: {team: payments}\nlogRetentionDays: 90\n"})
	code, _, stderr := runCLI(t, "new", "housed", "--house", filepath.Join(house, "house.yaml"), "--no-input")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	manifest, err := os.ReadFile(filepath.Join(out, "housed", ".streamgen.json"))
	if err != nil || !strings.Contains(string(manifest), `"house": {`) || !strings.Contains(string(manifest), `"logRetentionDays": 90`) {
		t.Fatalf(".streamgen.json does not record the house policy (%v):\n%s", err, manifest)
	}
	tmpl, _ := os.ReadFile(filepath.Join(out, "housed", "template.yaml"))
	if !strings.Contains(string(tmpl), "RetentionInDays: 90") || !strings.Contains(string(tmpl), `"team": "payments"`) {
		t.Errorf("template.yaml does not follow the house policy:\n%s", tmpl)
	}
	code, _, stderr = runCLI(t, "new", "--values", filepath.Join(out, "housed", ".streamgen.json"), "--dir", "again", "--no-input")
	if code != exitOK {
		t.Fatalf("regenerate: exit %d: %s", code, stderr)
	}
	rel := func(dir string) map[string]string {
		m := map[string]string{}
		for p, v := range snapshot(t, dir) {
			m[strings.TrimPrefix(p, dir)] = v
		}
		return m
	}
	if a, b := rel(filepath.Join(out, "housed")), rel(filepath.Join(out, "again")); !mapsEqual(a, b) || len(a) < 5 {
		t.Errorf("the project regenerated from its .streamgen.json differs (%d and %d files)", len(a), len(b))
	}
}
