package check

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input gives a finding or an error, never a panic.
func TestBadInput(t *testing.T) {
	t.Run("binary handler", func(t *testing.T) {
		dir := writeProject(t, files(map[string]string{"src/index.mjs": "\x00\x01\x02\xffELF"}))
		rep, err := Run(dir, Options{})
		if err != nil || len(rep.Findings) != 1 || rep.Findings[0].Rule != "SG000" || !strings.Contains(rep.Findings[0].Message, "not text") {
			t.Errorf("%v%s", err, describe(rep.Findings))
		}
	})
	t.Run("handler that does not parse", func(t *testing.T) {
		dir := writeProject(t, files(map[string]string{"src/index.mjs": "export const handler = awslambda.streamifyResponse(async (event, s) => {\n  s.write(;\n"}))
		rep, err := Run(dir, Options{})
		if err != nil || len(rep.Findings) == 0 || rep.Findings[0].Rule != "SG000" {
			t.Errorf("%v%s", err, describe(rep.Findings))
		}
	})
	t.Run("a link loop", func(t *testing.T) {
		dir := writeProject(t, files(map[string]string{"src/index.mjs": ""}))
		os.Symlink("loop.mjs", filepath.Join(dir, "src", "index.mjs"))
		os.Symlink("index.mjs", filepath.Join(dir, "src", "loop.mjs"))
		if _, err := Run(dir, Options{}); err != nil {
			t.Errorf("a link loop: %v", err)
		}
	})
	t.Run("a 50 MB template", func(t *testing.T) {
		dir := writeProject(t, nil)
		f, _ := os.Create(filepath.Join(dir, "template.yaml"))
		f.Truncate(50 << 20)
		f.Close()
		rep, err := Run(dir, Options{})
		if err != nil || len(rep.Findings) != 1 || !strings.Contains(rep.Findings[0].Message, "over the 16 MB") {
			t.Errorf("%v%s", err, describe(rep.Findings))
		}
	})
	t.Run("YAML of the wrong shapes", func(t *testing.T) {
		for _, tmpl := range []string{"[]", "Resources: 3", "Resources:\n  Fn: 3\n", "Resources:\n  Fn:\n    Type: [x]\n", "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: [1]\n", "a: &x [*x]\n", "Resources:\n  Fn:\n    Type: AWS::Lambda::Url\n    Properties:\n      TargetFunctionArn: !GetAtt [\n"} {
			dir := writeProject(t, map[string]string{"template.yaml": tmpl})
			if _, err := Run(dir, Options{}); err != nil {
				t.Errorf("%q: %v", tmpl, err)
			}
		}
	})
	t.Run("YAML aliases that loop or explode", func(t *testing.T) {
		loop := "Resources:\n  Url:\n    Type: AWS::Lambda::Url\n    Properties:\n      TargetFunctionArn: &x [*x]\n"
		var bomb strings.Builder
		bomb.WriteString("Mappings:\n  M:\n    a0: &a0 [x, x]\n")
		for i := 1; i < 40; i++ {
			fmt.Fprintf(&bomb, "    a%d: &a%d [*a%d, *a%d]\n", i, i, i-1, i-1)
		}
		bomb.WriteString("Resources:\n  Url:\n    Type: AWS::Lambda::Url\n    Properties:\n      TargetFunctionArn: *a39\n")
		for name, tmpl := range map[string]string{"loop": loop, "bomb": bomb.String()} {
			for _, file := range []string{"template.yaml", "serverless.yml"} {
				rep, err := Run(writeProject(t, map[string]string{file: tmpl}), Options{})
				if err != nil || len(rep.Findings) != 1 || rep.Findings[0].Rule != "SG000" || !strings.Contains(rep.Findings[0].Message, "YAML alias") {
					t.Errorf("%s in %s: %v%s", name, file, err, describe(rep.Findings))
				}
			}
		}
	})
	t.Run("no project", func(t *testing.T) {
		if _, err := Run(t.TempDir(), Options{}); err == nil || !strings.Contains(err.Error(), "nothing to check") {
			t.Errorf("%v", err)
		}
	})
}

// FuzzTemplate: any template text, checked with the clean handler.
func FuzzTemplate(f *testing.F) {
	for _, fx := range ruleFixtures {
		f.Add(fx.fail["template.yaml"])
	}
	f.Add("{\"Resources\": {\"Fn\": {\"Type\": \"AWS::Lambda::Function\"}}}")
	// Aliases where the readers walk: under Properties and in references.
	f.Add("Resources:\n  Url:\n    Type: AWS::Lambda::Url\n    Properties: &p\n      TargetFunctionArn: [*p]\n")
	f.Add("Resources:\n  Fn: &f\n    Type: AWS::Serverless::Function\n    Properties:\n      <<: *f\n")
	f.Fuzz(func(t *testing.T, tmpl string) {
		dir := writeProject(t, map[string]string{"template.yaml": tmpl, "src/index.mjs": cleanHandler})
		Run(dir, Options{})
	})
}

// FuzzSource: any handler source, behind the clean template.
func FuzzSource(f *testing.F) {
	for _, fx := range ruleFixtures {
		if s := fx.fail["src/index.mjs"]; s != "" {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		dir := writeProject(t, map[string]string{"template.yaml": cleanTemplate, "src/index.mjs": src})
		Run(dir, Options{})
	})
}
