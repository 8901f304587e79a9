package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/generator"
	"github.com/streamgen/streamgen/internal/testtools"
)

// TestCustomTemplatePack proves the template format is complete with a
// template that is not streamgen's: testdata/packs/orders creates a
// DynamoDB table, passes its name to the function in an environment
// variable, grants dynamodb:GetItem and dynamodb:Query on that table only,
// and adds an output; testdata/packs/house.yaml is its directory's house
// policy. Generated through the CLI with --template-dir, for SAM and for
// CDK, each project passes its own npm test (for CDK with the stack tests
// and cdk-nag) and cfn-lint or cdk synth --strict; in the transformed SAM
// template and the synthesized CDK one, every role has the house
// permissions boundary and every resource whose type takes tags (as
// cfn-lint's resource schemas say) has the house tags.
func TestCustomTemplatePack(t *testing.T) {
	if testing.Short() {
		t.Skip("runs npm install, cfn-lint and cdk synth; skipped with -short")
	}
	for _, tool := range []string{"npm", "python3", "cfn-lint"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not on PATH; this test runs generated projects with the real tools", tool)
		}
	}
	packs, err := filepath.Abs(filepath.Join("testdata", "packs"))
	if err != nil {
		t.Fatal(err)
	}
	node := testtools.NodeFor(t, generator.DefaultRuntime)
	out := t.TempDir()
	for _, iac := range []string{"sam", "cdk"} {
		dir := filepath.Join(out, "orders-"+iac)
		code, _, stderr := runCLI(t, "new", "orders-"+iac, "--template-dir", packs, "--template", "orders", "--iac", iac, "--dir", dir, "--no-input")
		if code != exitOK {
			t.Fatalf("new --iac %s: exit %d\n%s", iac, code, stderr)
		}
	}
	for _, iac := range []string{"sam", "cdk"} {
		t.Run(iac, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(out, "orders-"+iac)
			testtools.Record(t, "the orders template pack with house policy: npm test and the %s checks on Node.js %s", iac, node.Version)
			run := func(timeout time.Duration, name string, args ...string) string {
				t.Helper()
				cmd := exec.Command(name, args...)
				cmd.Dir = dir
				cmd.Env = append(node.Env(os.Environ()), "CDK_DISABLE_CLI_TELEMETRY=true", "NO_COLOR=1")
				var buf bytes.Buffer
				cmd.Stdout, cmd.Stderr = &buf, &buf
				timer := time.AfterFunc(timeout, func() { cmd.Process.Kill() })
				defer timer.Stop()
				if err := cmd.Run(); err != nil {
					t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, buf.String())
				}
				return buf.String()
			}
			run(5*time.Minute, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error")
			report := run(3*time.Minute, "npm", "test", "--", "--test-reporter=tap")
			if !regexp.MustCompile(`(?m)^# fail 0$`).MatchString(report) || !regexp.MustCompile(`(?m)^# pass [1-9]`).MatchString(report) {
				t.Fatalf("npm test:\n%s", report)
			}
			var tmpl []byte
			if iac == "sam" {
				run(2*time.Minute, "cfn-lint", "template.yaml")
				tmpl = []byte(run(2*time.Minute, "python3", absFile(t, "../../golden/testdata/sam_transform.py"), "template.yaml"))
			} else {
				for _, name := range []string{"every role has the house permissions boundary", "the house tags are on every resource", "cdk-nag's AwsSolutions and Serverless packs find nothing unacknowledged"} {
					if !strings.Contains(report, "ok ") || !regexp.MustCompile(`(?m)^ok \d+ - `+regexp.QuoteMeta(name)).MatchString(report) {
						t.Errorf("npm test did not pass %q", name)
					}
				}
				run(5*time.Minute, "npx", "cdk", "synth", "--strict", "--no-notices", "--quiet")
				matches, _ := filepath.Glob(filepath.Join(dir, "cdk.out", "*.template.json"))
				if len(matches) != 1 {
					t.Fatalf("cdk.out holds %v", matches)
				}
				if tmpl, err = os.ReadFile(matches[0]); err != nil {
					t.Fatal(err)
				}
			}
			checkOrdersTemplate(t, tmpl, absFile(t, "testdata/taggable.py"))
		})
	}
}

// checkOrdersTemplate checks a deployed orders stack: the table, its name
// in the function's environment, the exact grant on it, the output, and
// the house policy on every role and taggable resource.
func checkOrdersTemplate(t *testing.T, raw []byte, taggableScript string) {
	t.Helper()
	var tmpl struct {
		Resources map[string]struct {
			Type       string         `json:"Type"`
			Properties map[string]any `json:"Properties"`
		} `json:"Resources"`
		Outputs map[string]struct {
			Value any `json:"Value"`
		} `json:"Outputs"`
	}
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatal(err)
	}
	var table string
	for id, r := range tmpl.Resources {
		if r.Type == "AWS::DynamoDB::Table" {
			table = id
		}
	}
	if table == "" {
		t.Fatal("no AWS::DynamoDB::Table")
	}
	ref := fmt.Sprintf(`{"Ref":%q}`, table)
	arn := fmt.Sprintf(`{"Fn::GetAtt":[%q,"Arn"]}`, table)
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	grants := 0
	for id, r := range tmpl.Resources {
		switch r.Type {
		case "AWS::Lambda::Function":
			env, _ := r.Properties["Environment"].(map[string]any)
			vars, _ := env["Variables"].(map[string]any)
			if js(vars["TABLE_NAME"]) != ref {
				t.Errorf("%s: TABLE_NAME = %s, want %s", id, js(vars["TABLE_NAME"]), ref)
			}
		case "AWS::IAM::Role", "AWS::IAM::Policy":
			if strings.Contains(js(r.Properties), "dynamodb:") {
				doc := js(r.Properties)
				if !strings.Contains(doc, `"dynamodb:GetItem","dynamodb:Query"`) || !strings.Contains(doc, `"Resource":`+arn) {
					t.Errorf("%s: the DynamoDB grant is not GetItem and Query on the table:\n%s", id, doc)
				}
				if n := strings.Count(doc, "dynamodb:"); n != 2 {
					t.Errorf("%s: %d DynamoDB actions, want 2", id, n)
				}
				grants++
			}
		}
	}
	if grants != 1 {
		t.Errorf("%d resources grant DynamoDB actions, want 1", grants)
	}
	found := false
	for _, o := range tmpl.Outputs {
		found = found || js(o.Value) == ref
	}
	if !found {
		t.Errorf("no output is the table's name (%s)", ref)
	}

	// House policy: judged by cfn-lint's schemas, not streamgen's table.
	cmd := exec.Command("python3", taggableScript)
	cmd.Stdin = bytes.NewReader(raw)
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("taggable.py: %v", err)
	}
	var taggable map[string]struct {
		Type        string  `json:"type"`
		TagProperty *string `json:"tagProperty"`
	}
	if err := json.Unmarshal(outb, &taggable); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"team": "payments", "cost-center": "4711"}
	roles, tagged := 0, 0
	for id, r := range tmpl.Resources {
		if r.Type == "AWS::IAM::Role" {
			roles++
			if js(r.Properties["PermissionsBoundary"]) != `"arn:aws:iam::123456789012:policy/house-boundary"` {
				t.Errorf("%s: PermissionsBoundary %s", id, js(r.Properties["PermissionsBoundary"]))
			}
		}
		prop := taggable[id].TagProperty
		if prop == nil {
			continue
		}
		tagged++
		got := map[string]string{}
		switch tags := r.Properties[*prop].(type) {
		case []any:
			for _, tag := range tags {
				m, _ := tag.(map[string]any)
				k, _ := m["Key"].(string)
				v, _ := m["Value"].(string)
				got[k] = v
			}
		case map[string]any:
			for k, v := range tags {
				got[k], _ = v.(string)
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s (%s) takes tags but has %s=%q, want %q", id, r.Type, k, got[k], v)
			}
		}
	}
	if roles == 0 || tagged < 4 {
		t.Errorf("%d roles and %d taggable resources; the stack has a role, a function, a log group and a table at least", roles, tagged)
	}
}

func absFile(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
