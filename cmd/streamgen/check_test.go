package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckCommand(t *testing.T) {
	// A generated project is clean: exit 0, nothing on stdout.
	code, stdout, stderr := runCLI(t, "check", filepath.Join("..", "..", "golden", "echo-sam"))
	if code != exitOK || stdout != "" || !strings.Contains(stderr, "no findings") {
		t.Errorf("a golden project: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// A broken one: text lines, exit 1.
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "src"), 0o755)
	tmpl := "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Runtime: nodejs20.x\n      CodeUri: src/\n      FunctionUrlConfig:\n        AuthType: AWS_IAM\n"
	os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(tmpl), 0o644)
	os.WriteFile(filepath.Join(dir, "src", "index.mjs"), []byte("export const handler = awslambda.streamifyResponse(async (e, s) => { s.write('x'); s.end(); });\n"), 0o644)
	code, stdout, _ = runCLI(t, "check", dir)
	if code != exitFailed || !strings.Contains(stdout, "template.yaml:8: SG001 error: ") || !strings.Contains(stdout, "template.yaml:2: SG009 error: ") {
		t.Errorf("a broken project: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "check", dir, "--format", "json", "--skip", "SG001", "--skip", "SG009", "--skip", "SG008", "--skip", "SG011")
	var out struct{ Findings []any }
	if code != exitOK || json.Unmarshal([]byte(stdout), &out) != nil || len(out.Findings) != 0 {
		t.Errorf("all skipped: exit %d %s", code, stdout)
	}
	if code, stdout, _ := runCLI(t, "check", dir, "--format", "sarif", "--rule", "SG009"); code != exitFailed || !strings.Contains(stdout, `"version": "2.1.0"`) || !strings.Contains(stdout, `"uri": "file://`+filepath.ToSlash(dir)+`/template.yaml"`) {
		t.Errorf("sarif: exit %d %s", code, stdout)
	}
	// Paths are relative to where the command runs.
	local := filepath.Join("testdata", "check-rebase")
	os.MkdirAll(filepath.Join(local, "src"), 0o755)
	t.Cleanup(func() { os.RemoveAll(local) })
	os.WriteFile(filepath.Join(local, "template.yaml"), []byte(tmpl), 0o644)
	os.WriteFile(filepath.Join(local, "src", "index.mjs"), []byte("export const handler = awslambda.streamifyResponse(async (e, s) => { s.write('x'); s.end(); });\n"), 0o644)
	if code, stdout, _ := runCLI(t, "check", local, "--format", "sarif", "--rule", "SG009"); code != exitFailed || !strings.Contains(stdout, `"uri": "testdata/check-rebase/template.yaml"`) {
		t.Errorf("sarif of a relative directory: exit %d %s", code, stdout)
	}
	if code, stdout, _ := runCLI(t, "check", "./"+local+"/", "--rule", "SG009"); code != exitFailed || !strings.HasPrefix(stdout, "testdata/check-rebase/template.yaml:2: SG009") {
		t.Errorf("text of a relative directory: exit %d %s", code, stdout)
	}
	// Usage errors: exit 2.
	for _, args := range [][]string{{"check", dir, "--format", "xml"}, {"check", dir, "--rule", "SG999"}, {"check", t.TempDir()}, {"check", "--explain", "nope"}} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d %s", args, code, stderr)
		}
	}
	// --explain: one rule, or the list.
	if code, stdout, _ := runCLI(t, "check", "--explain", "SG013"); code != exitOK || !strings.Contains(stdout, "from-then-end-without-write") || !strings.Contains(stdout, "end() with no write") {
		t.Errorf("--explain SG013: %d %s", code, stdout)
	}
	if code, stdout, _ := runCLI(t, "check", "--explain", "all"); code != exitOK || strings.Count(stdout, "\n") < 15 {
		t.Errorf("--explain: %d %s", code, stdout)
	}
}
