package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/generator"
)

// scriptedPrompter answers the wizard's questions from a script keyed by
// Question.Key, and records what was asked. An answer of "^C" acts as
// Ctrl-C; an input's answers separated by "|" are tried in turn, as a
// person re-typing after an error would. A question without an answer
// fails the test: the wizard asked for something it should not have.
type scriptedPrompter struct {
	t       *testing.T
	answers map[string]string
	asked   []string
	notes   []string
	// invalid records, per question, the last answer Validate refused.
	invalid map[string]error
}

func (p *scriptedPrompter) Ask(_ context.Context, qs []*Question) error {
	for _, q := range qs {
		if q.skipped() {
			continue
		}
		p.asked = append(p.asked, q.Key)
		a, ok := p.answers[q.Key]
		if !ok {
			p.t.Errorf("unexpected question %q (%s)", q.Key, q.Title)
			return errors.New("unexpected question")
		}
		if a == "^C" {
			return context.Canceled
		}
		switch q.Kind {
		case KindSelect:
			if a != "" {
				if !slices.ContainsFunc(q.Choices, func(c Choice) bool { return c.Value == a }) {
					p.t.Errorf("question %q: %q is not among the choices %v", q.Key, a, q.Choices)
				}
				*q.Value = a
			}
		case KindConfirm:
			*q.Value = a
		default:
			accepted := false
			for _, try := range strings.Split(a, "|") {
				v := try
				if v == "" {
					v = *q.Value
				}
				if q.Validate != nil {
					if err := q.Validate(v); err != nil {
						if p.invalid == nil {
							p.invalid = map[string]error{}
						}
						p.invalid[q.Key] = err
						continue
					}
				}
				*q.Value, accepted = v, true
				break
			}
			if !accepted {
				return errors.New("every scripted answer was refused")
			}
		}
		if q.Notice != nil {
			if n := q.Notice(); n != "" {
				p.notes = append(p.notes, n)
			}
		}
	}
	return nil
}

// runWizard runs the CLI in dir as if in a terminal, with p answering.
func runWizard(t *testing.T, p Prompter, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := &app{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(string) string { return "" }, makePrompter: func(bool) Prompter { return p }}
	code := a.run(args)
	return code, stdout.String(), stderr.String()
}

func readManifest(t *testing.T, dir string) generator.Manifest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, generator.ManifestPath))
	if err != nil {
		t.Fatal(err)
	}
	var m generator.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWizardAsksEverythingMissing(t *testing.T) {
	t.Chdir(t.TempDir())
	p := &scriptedPrompter{t: t, answers: map[string]string{
		"name": "Bad Name|my-chat", "template": "llm-stream", "iac": "cdk", "runtime": "nodejs22.x",
		"arch": "x86_64", "front": "", "auth": "none", "param:llm-stream:provider": "openai", "param:llm-stream:model": "",
		"param:llm-stream:baseUrl": "ftp://nope|https://llm.example.com", "param:llm-stream:apiKeyParameter": "", "confirm": "yes",
	}}
	code, stdout, stderr := runWizard(t, p, "new")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	want := []string{"name", "template", "iac", "runtime", "arch", "front", "auth", "param:llm-stream:provider", "param:llm-stream:model", "param:llm-stream:baseUrl", "param:llm-stream:apiKeyParameter", "confirm"}
	if !slices.Equal(p.asked, want) {
		t.Errorf("asked %v, want %v", p.asked, want)
	}
	if p.invalid["name"] == nil || p.invalid["param:llm-stream:baseUrl"] == nil {
		t.Errorf("invalid answers were not refused as typed: %v", p.invalid)
	}
	if len(p.notes) != 2 || !strings.Contains(p.notes[0], "public") || !strings.Contains(p.notes[1], "my-chat") {
		t.Errorf("notes = %q, want the auth none warning, then a summary", p.notes)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("the wizard already showed the warning; stderr repeats it: %s", stderr)
	}
	m := readManifest(t, "my-chat")
	a := m.Answers
	if m.Template != "llm-stream" || a.IaC != "cdk" || a.Runtime != "nodejs22.x" || a.Arch != "x86_64" || a.Auth != "none" ||
		!mapsEqual(a.Set, map[string]string{"provider": "openai", "baseUrl": "https://llm.example.com"}) {
		t.Errorf("manifest %+v", m)
	}
	if !strings.Contains(stdout, "Generated ./my-chat") {
		t.Errorf("stdout %s", stdout)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestWizardAsksOnlyWhatFlagsLeftOut(t *testing.T) {
	t.Chdir(t.TempDir())
	// bedrock: baseUrl and apiKeyParameter do not apply, so are not asked;
	// corsOrigins has no Ask and takes its default silently.
	p := &scriptedPrompter{t: t, answers: map[string]string{"runtime": "", "arch": "", "front": "", "param:llm-stream:model": "", "confirm": "yes"}}
	code, _, stderr := runWizard(t, p, "new", "demo", "--template", "llm-stream", "--iac", "sam", "--auth", "iam", "--provider", "bedrock")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := []string{"runtime", "arch", "front", "param:llm-stream:model", "confirm"}; !slices.Equal(p.asked, want) {
		t.Errorf("asked %v, want %v", p.asked, want)
	}
	m := readManifest(t, "demo")
	if m.Answers.Runtime != generator.DefaultRuntime || m.Answers.Set["provider"] != "bedrock" {
		t.Errorf("manifest %+v", m)
	}
}

func TestWizardValuesFileCountsAsGiven(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	values := "template: s3-proxy\nanswers:\n  iac: cdk\n  runtime: nodejs24.x\n  arch: arm64\n  front: url\n  auth: iam\n  set:\n    bucket: my-assets\n"
	if err := os.WriteFile("answers.yaml", []byte(values), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &scriptedPrompter{t: t, answers: map[string]string{"name": "assets", "param:s3-proxy:prefix": "public/", "confirm": "yes"}}
	code, _, stderr := runWizard(t, p, "new", "--values", "answers.yaml")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := []string{"name", "param:s3-proxy:prefix", "confirm"}; !slices.Equal(p.asked, want) {
		t.Errorf("asked %v, want %v", p.asked, want)
	}
	if m := readManifest(t, "assets"); m.Answers.IaC != "cdk" || m.Answers.Set["prefix"] != "public/" || m.Answers.Set["bucket"] != "my-assets" {
		t.Errorf("manifest %+v", m)
	}
}

func TestWizardYesAsksOnlyTheName(t *testing.T) {
	t.Chdir(t.TempDir())
	p := &scriptedPrompter{t: t, answers: map[string]string{"name": "quick"}}
	code, _, stderr := runWizard(t, p, "new", "--yes", "--template", "s3-proxy")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !slices.Equal(p.asked, []string{"name"}) {
		t.Errorf("asked %v", p.asked)
	}
	if m := readManifest(t, "quick"); m.Answers.IaC != generator.DefaultIaC || m.Answers.Memory != 512 || len(m.Answers.Set) != 0 {
		t.Errorf("manifest %+v", m)
	}
	// With the name given too, --yes asks nothing.
	p = &scriptedPrompter{t: t}
	if code, _, stderr := runWizard(t, p, "new", "quick2", "-y"); code != exitOK || len(p.asked) != 0 {
		t.Errorf("exit %d, asked %v: %s", code, p.asked, stderr)
	}
}

func TestWizardCancelWritesNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers map[string]string
		code    int
		msg     string
	}{
		{"ctrl-c at the name", map[string]string{"name": "^C"}, exitInterrupted, "interrupted; nothing was written"},
		{"ctrl-c at a parameter", map[string]string{"name": "x", "template": "s3-proxy", "iac": "", "runtime": "", "arch": "", "front": "", "auth": "", "param:s3-proxy:bucket": "^C"}, exitInterrupted, "interrupted"},
		{"ctrl-c at the summary", map[string]string{"name": "x", "template": "", "iac": "", "runtime": "", "arch": "", "front": "", "auth": "", "confirm": "^C"}, exitInterrupted, "interrupted"},
		{"declined summary", map[string]string{"name": "x", "template": "", "iac": "", "runtime": "", "arch": "", "front": "", "auth": "", "confirm": "no"}, exitFailed, "cancelled at the summary; nothing was written"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			p := &scriptedPrompter{t: t, answers: tc.answers}
			code, stdout, stderr := runWizard(t, p, "new")
			if code != tc.code || !strings.Contains(stderr, tc.msg) || stdout != "" {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tc.code, stdout, stderr, tc.msg)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("wrote %v", entries)
			}
		})
	}
}

func TestNoPromptsWithoutTerminalOrWithNoInputOrJSON(t *testing.T) {
	for _, args := range [][]string{{"new", "--no-input"}, {"new", "--json"}} {
		dir := t.TempDir()
		t.Chdir(dir)
		p := &scriptedPrompter{t: t}
		code, _, stderr := runWizard(t, p, args...)
		if code != exitUsage || !strings.Contains(stderr, "missing NAME: pass the project name") || len(p.asked) != 0 {
			t.Errorf("%v: exit %d, asked %v, stderr %q", args, code, p.asked, stderr)
		}
	}
	// No terminal: Run never makes a Prompter; the defaults apply.
	t.Chdir(t.TempDir())
	code, _, stderr := runCLI(t, "new", "plain")
	if code != exitOK {
		t.Errorf("exit %d: %s", code, stderr)
	}
	// A required custom parameter without a terminal names the flag.
	tpl := writeTree(t, map[string]string{
		"greeter/streamgen.yaml":     "description: Greets\nparams:\n  - name: audience\n    help: who is greeted\n    required: true\n",
		"greeter/src/index.mjs.tmpl": "export const who = {{js (index .Params \"audience\")}};\n",
	})
	code, _, stderr = runCLI(t, "new", "g", "--template-dir", tpl, "--template", "greeter")
	if code != exitUsage || !strings.Contains(stderr, "pass --set audience=VALUE") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestAccessibleAndNoColorFromEnvironment(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for i, tc := range []struct {
		env  func(string) string
		want bool
	}{
		{env(), false}, {env("ACCESSIBLE", "1"), true}, {env("STREAMGEN_ACCESSIBLE", "true"), true},
		{env("ACCESSIBLE", "0"), false}, {env("TERM", "dumb"), true}, {env("TERM", "xterm-256color"), false},
	} {
		if got := accessibleRequested(tc.env); got != tc.want {
			t.Errorf("case %d: accessibleRequested = %v", i, got)
		}
	}
	if !noColorRequested(env("NO_COLOR", "1")) || noColorRequested(env()) {
		t.Error("NO_COLOR is not followed")
	}
}

// writeTree writes files (slash paths -> content) under a new temp dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestWizardDropsAnswersThatNoLongerApply runs the questions twice, as a
// person going back (Shift+Tab) and changing an earlier answer would: the
// first pass picks openai and types a base URL, the second switches to
// bedrock. The base URL no longer applies and must not reach the project.
func TestWizardDropsAnswersThatNoLongerApply(t *testing.T) {
	t.Chdir(t.TempDir())
	first := &scriptedPrompter{t: t, answers: map[string]string{
		"template": "llm-stream", "iac": "", "runtime": "", "arch": "", "front": "", "auth": "",
		"param:llm-stream:provider": "openai", "param:llm-stream:model": "gpt-4o-mini",
		"param:llm-stream:baseUrl": "https://llm.example.com", "param:llm-stream:apiKeyParameter": "", "confirm": "yes",
	}}
	second := &scriptedPrompter{t: t, answers: map[string]string{
		"template": "", "iac": "", "runtime": "", "arch": "", "front": "", "auth": "",
		"param:llm-stream:provider": "bedrock", "param:llm-stream:model": "gpt-4o-mini|amazon.nova-pro-v1:0", "confirm": "yes",
	}}
	code, _, stderr := runWizard(t, &twoPasses{first, second}, "new", "back")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The model typed for openai is refused once the provider is bedrock.
	if second.invalid["param:llm-stream:model"] == nil {
		t.Error("the openai model id was accepted for bedrock")
	}
	if set := readManifest(t, "back").Answers.Set; !mapsEqual(set, map[string]string{"provider": "bedrock", "model": "amazon.nova-pro-v1:0"}) {
		t.Errorf("set = %v", set)
	}
}

// twoPasses asks every question with a, then again with b, keeping the
// answers between passes as a form does.
type twoPasses struct{ a, b *scriptedPrompter }

func (p *twoPasses) Ask(ctx context.Context, qs []*Question) error {
	if err := p.a.Ask(ctx, qs); err != nil {
		return err
	}
	return p.b.Ask(ctx, qs)
}

func TestWizardConditionalParameterWithDefault(t *testing.T) {
	tpl := writeTree(t, map[string]string{
		"greeter/streamgen.yaml": "description: Greets\nparams:\n  - name: tone\n    help: how it sounds\n    choices: [warm, dry]\n    default: warm\n" +
			"  - name: signature\n    help: closing line\n    default: regards\n    when: {tone: warm}\n  - name: audience\n    help: who\n    required: true\n    ask: false\n",
		"greeter/src/index.mjs.tmpl": "export const s = {{js (index .Params \"signature\")}};\n",
	})
	t.Chdir(t.TempDir())
	p := &scriptedPrompter{t: t, answers: map[string]string{"param:greeter:tone": "dry", "param:greeter:audience": "world", "confirm": "yes"}}
	code, _, stderr := runWizard(t, p, "new", "g", "--template-dir", tpl, "--template", "greeter", "--iac", "sam", "--runtime", "nodejs24.x", "--arch", "arm64", "--front", "url", "--auth", "iam")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// signature does not apply to a dry tone; audience is required, so it
	// is asked even though its manifest says ask: false.
	if want := []string{"param:greeter:tone", "param:greeter:audience", "confirm"}; !slices.Equal(p.asked, want) {
		t.Errorf("asked %v, want %v", p.asked, want)
	}
	if set := readManifest(t, "g").Answers.Set; !mapsEqual(set, map[string]string{"tone": "dry", "audience": "world"}) {
		t.Errorf("set = %v", set)
	}
}

func TestWizardChecksGivenValuesFirst(t *testing.T) {
	t.Chdir(t.TempDir())
	p := &scriptedPrompter{t: t}
	code, _, stderr := runWizard(t, p, "new", "Bad_Name", "--memory", "5")
	if code != exitUsage || len(p.asked) != 0 || !strings.Contains(stderr, "invalid NAME") || !strings.Contains(stderr, "invalid --memory") {
		t.Errorf("exit %d, asked %v: %s", code, p.asked, stderr)
	}
}

func TestWizardRESTAPI(t *testing.T) {
	t.Chdir(t.TempDir())
	// The REST API's auth question offers api-key and cognito; cognito
	// then asks for the user pool, and the stage is asked.
	p := &scriptedPrompter{t: t, answers: map[string]string{
		"front": "rest-api", "auth:rest-api": "cognito", "stage": "bad stage|v2",
		"user-pool-arn": "nope|arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc123", "confirm": "yes",
	}}
	code, stdout, stderr := runWizard(t, p, "new", "api", "--template", "echo", "--iac", "sam", "--runtime", "nodejs24.x", "--arch", "arm64")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := []string{"front", "auth:rest-api", "stage", "user-pool-arn", "confirm"}; !slices.Equal(p.asked, want) {
		t.Errorf("asked %v, want %v", p.asked, want)
	}
	if p.invalid["stage"] == nil || p.invalid["user-pool-arn"] == nil {
		t.Errorf("invalid answers were not refused as typed: %v", p.invalid)
	}
	a := readManifest(t, "api").Answers
	if a.Front != "rest-api" || a.Auth != "cognito" || a.Stage != "v2" || a.UserPoolARN != "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc123" {
		t.Errorf("answers %+v", a)
	}
	if !strings.Contains(stdout, "REST API stage v2") {
		t.Errorf("stdout %s", stdout)
	}
}
