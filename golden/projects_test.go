package golden

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/check"
	"github.com/streamgen/streamgen/generator"
	"github.com/streamgen/streamgen/internal/testtools"
)

// TestGeneratedProjects runs every golden folder as a user would, on the
// Node.js release of its Lambda runtime: it copies the folder to a
// temporary directory, runs `npm install` and `npm test` (for CDK, that
// includes the stack's assertions and cdk-nag),
// runs the sample-event snippet from the generated README, and checks the
// infrastructure with the real tools: cfn-lint and the SAM transform for SAM,
// `tsc` and `cdk synth --strict` for CDK. In both, the resulting CloudFormation must
// stream through its front end with the chosen auth (see frontChecks).
//
// It needs node, npm and (for SAM) cfn-lint; a missing tool fails the test.
// `go test -short` skips it.
func TestGeneratedProjects(t *testing.T) {
	if testing.Short() {
		t.Skip("runs npm install, cfn-lint and cdk synth; skipped with -short")
	}
	requireTools(t, "npm", "python3", "cfn-lint")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			opts := c.opts.WithDefaults()
			dir := copyTree(t, c.name)
			testtools.Record(t, "npm install, npm test and the %s checks on Node.js %s, for %s", opts.IaC, dir.node.Version, opts.Runtime)
			files, err := c.render()
			if err != nil {
				t.Fatal(err)
			}
			pkg, _ := files.Get("package.json")
			if !strings.Contains(string(pkg.Content), `"dependencies":`) && !strings.Contains(string(pkg.Content), `"devDependencies":`) {
				// Nothing to install: the tests must pass before npm install.
				npmTest(t, dir)
			}
			run(t, dir, 5*time.Minute, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error")
			report := npmTest(t, dir)
			if opts.IaC == "cdk" {
				// The project's own infrastructure tests ran, and passed.
				for _, name := range []string{frontChecks[opts.Front].stackTest, "exactly these statements", "cdk-nag's AwsSolutions and Serverless packs find nothing unacknowledged"} {
					if !regexp.MustCompile(`(?m)^ok \d+ - .*` + regexp.QuoteMeta(name)).MatchString(report) {
						t.Errorf("npm test did not pass the stack test %q:\n%s", name, report)
					}
				}
			}
			if opts.Template == "echo" { // the others need S3 or a model; their own tests run it
				runReadmeSnippet(t, dir, nil)
			}

			var tmpl cfnTemplate
			switch opts.IaC {
			case "sam":
				run(t, dir, 2*time.Minute, "cfn-lint", "template.yaml")
				out := run(t, dir, 2*time.Minute, "python3", absPath(t, "testdata/sam_transform.py"), "template.yaml")
				if err := json.Unmarshal([]byte(out), &tmpl); err != nil {
					t.Fatalf("parse transformed template: %v", err)
				}
			case "cdk":
				run(t, dir, 2*time.Minute, "npm", "run", "typecheck")
				run(t, dir, 5*time.Minute, "npx", "cdk", "synth", "--strict", "--no-notices", "--quiet")
				tmpl = readSynthesized(t, dir)
				if pkgHasDeps(pkg.Content) {
					checkBundledSDK(t, dir)
				}
			}
			frontChecks[opts.Front].check(t, tmpl, opts)
			checkLeastPrivilege(t, tmpl)
			// streamgen check finds nothing, in the synthesized app too.
			if rep, err := check.Run(dir.path, check.Options{}); err != nil || len(rep.Findings) > 0 {
				t.Errorf("streamgen check: %v %+v", err, rep)
			}
		})
	}
}

func pkgHasDeps(packageJSON []byte) bool {
	return strings.Contains(string(packageJSON), `"dependencies":`)
}

// checkBundledSDK checks that the synthesized function asset bundles the
// pinned AWS SDK instead of importing the runtime's copy.
func checkBundledSDK(t *testing.T, dir project) {
	t.Helper()
	bundles, _ := filepath.Glob(filepath.Join(dir.path, "cdk.out", "asset.*", "index.mjs"))
	if len(bundles) != 1 {
		t.Fatalf("want one bundled index.mjs in cdk.out, found %v", bundles)
	}
	b, err := os.ReadFile(bundles[0])
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`from\s*"@aws-sdk/`).Match(b) {
		t.Errorf("the CDK bundle imports @aws-sdk from the runtime instead of bundling the pinned SDK")
	}
	if len(b) < 100<<10 {
		t.Errorf("the CDK bundle is %d bytes: too small to hold the SDK", len(b))
	}
}

// npmTest runs the project's tests with the TAP reporter (Node 23 and later
// default to another one), checks that some ran and none failed, and
// returns the report.
func npmTest(t *testing.T, dir project) string {
	t.Helper()
	out := run(t, dir, 2*time.Minute, "npm", "test", "--", "--test-reporter=tap")
	if !regexp.MustCompile(`(?m)^# fail 0$`).MatchString(out) || !regexp.MustCompile(`(?m)^# pass [1-9]`).MatchString(out) {
		t.Fatalf("npm test did not report passing tests:\n%s", out)
	}
	return out
}

// checkLeastPrivilege checks that no IAM statement allows an action on "*",
// and that every log group has a retention period.
func checkLeastPrivilege(t *testing.T, tmpl cfnTemplate) {
	t.Helper()
	for name, r := range tmpl.Resources {
		switch r.Type {
		case "AWS::IAM::Role", "AWS::IAM::Policy":
			if _, ok := r.Properties["ManagedPolicyArns"]; ok && !isAPIGatewayLogsRole(r.Properties) {
				t.Errorf("%s: managed policies attached; the generated roles grant only what the function needs", name)
			}
			b, _ := json.Marshal(r.Properties)
			var walk func(any)
			walk = func(v any) {
				switch v := v.(type) {
				case map[string]any:
					if v["Effect"] == "Allow" && (v["Resource"] == "*" || fmt.Sprint(v["Resource"]) == "[*]") {
						t.Errorf("%s: a statement allows %v on every resource", name, v["Action"])
					}
					for _, x := range v {
						walk(x)
					}
				case []any:
					for _, x := range v {
						walk(x)
					}
				}
			}
			var props any
			json.Unmarshal(b, &props)
			walk(props)
		case "AWS::Logs::LogGroup":
			if r.Properties["RetentionInDays"] != float64(30) {
				t.Errorf("%s: RetentionInDays %v, want 30", name, r.Properties["RetentionInDays"])
			}
		}
	}
}

// cfnTemplate is the part of a CloudFormation template the checks read.
type cfnTemplate struct {
	Resources map[string]struct {
		Type       string         `json:"Type"`
		Properties map[string]any `json:"Properties"`
	} `json:"Resources"`
}

// isAPIGatewayLogsRole reports whether role properties are those of the
// account's API Gateway logging role a REST API stack sets: assumed by API
// Gateway, with only the AWS managed policy made for it.
func isAPIGatewayLogsRole(props map[string]any) bool {
	trust, _ := json.Marshal(props["AssumeRolePolicyDocument"])
	managed, _ := json.Marshal(props["ManagedPolicyArns"])
	return strings.Contains(string(trust), `"apigateway.amazonaws.com"`) &&
		regexp.MustCompile(`^\[\{"Fn::(Sub|Join)":.*:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"\]*\}\]$`).Match(managed)
}

// frontChecks are the checks of each front end: the name of a stack test
// a CDK project of that front end must pass, and the deployed shape.
var frontChecks = map[string]struct {
	stackTest string
	check     func(*testing.T, cfnTemplate, generator.Options)
}{
	generator.FrontURL:     {"the Function URL streams its response", checkFunctionURL},
	generator.FrontRestAPI: {"the REST API's methods stream from the function", checkRESTAPI},
}

// checkFunctionURL checks the deployed shape: one streaming Function URL with
// the expected auth; a public one also needs both permissions (without
// lambda:InvokeFunction via the URL, every request gets 403) and reserved
// concurrency on the function.
func checkFunctionURL(t *testing.T, tmpl cfnTemplate, opts generator.Options) {
	t.Helper()
	public := opts.Auth == generator.AuthNone
	wantAuth := "AWS_IAM"
	if public {
		wantAuth = "NONE"
	}
	var urls, invokeURL, invokeViaURL int
	for name, r := range tmpl.Resources {
		p := r.Properties
		switch r.Type {
		case "AWS::Lambda::Url":
			urls++
			if p["InvokeMode"] != "RESPONSE_STREAM" || p["AuthType"] != wantAuth {
				t.Errorf("%s: InvokeMode %v AuthType %v, want RESPONSE_STREAM %s", name, p["InvokeMode"], p["AuthType"], wantAuth)
			}
		case "AWS::Lambda::Permission":
			if p["Action"] == "lambda:InvokeFunctionUrl" && p["FunctionUrlAuthType"] == "NONE" && p["Principal"] == "*" {
				invokeURL++
			}
			if p["Action"] == "lambda:InvokeFunction" && p["InvokedViaFunctionUrl"] == true && p["Principal"] == "*" {
				invokeViaURL++
			}
		case "AWS::Lambda::Function":
			_, reserved := p["ReservedConcurrentExecutions"]
			if reserved != public {
				t.Errorf("%s: ReservedConcurrentExecutions set = %v, want %v", name, reserved, public)
			}
		}
	}
	if urls != 1 {
		t.Errorf("found %d AWS::Lambda::Url resources, want 1", urls)
	}
	if public && (invokeURL != 1 || invokeViaURL != 1) {
		t.Errorf("public URL permissions: %d lambda:InvokeFunctionUrl (NONE) and %d lambda:InvokeFunction (InvokedViaFunctionUrl), want 1 each", invokeURL, invokeViaURL)
	}
	if !public && (invokeURL != 0 || invokeViaURL != 0) {
		t.Errorf("an IAM-auth URL must not grant public permissions, found %d and %d", invokeURL, invokeViaURL)
	}
}

// checkRESTAPI checks the deployed shape of a REST API front end: no
// Function URL; the root and {proxy+} ANY methods are streaming Lambda
// proxy integrations (ResponseTransferMode STREAM on the
// response-streaming-invocations URI) with the auth chosen; API Gateway
// may invoke the function for the stage only; the stage throttles and
// logs; an API key has no value in the template, and its usage plan
// limits; reserved concurrency exactly when the API is public.
func checkRESTAPI(t *testing.T, tmpl cfnTemplate, opts generator.Options) {
	t.Helper()
	wantAuth := map[string]string{generator.AuthIAM: "AWS_IAM", generator.AuthCognito: "COGNITO_USER_POOLS"}[opts.Auth]
	if wantAuth == "" {
		wantAuth = "NONE"
	}
	streamURI := regexp.MustCompile(`:lambda:path/2021-11-15/functions/.*/response-streaming-invocations"`)
	count := map[string]int{}
	for name, r := range tmpl.Resources {
		count[r.Type]++
		p := r.Properties
		js, _ := json.Marshal(p)
		switch r.Type {
		case "AWS::ApiGateway::Method":
			integration, _ := p["Integration"].(map[string]any)
			if p["HttpMethod"] == "OPTIONS" {
				count["options"]++
				if integration["Type"] != "MOCK" || p["AuthorizationType"] != "NONE" {
					t.Errorf("%s: preflight method must be a MOCK without authorization, got %v %v", name, integration["Type"], p["AuthorizationType"])
				}
				continue
			}
			uri, _ := json.Marshal(integration["Uri"])
			if p["HttpMethod"] != "ANY" || integration["Type"] != "AWS_PROXY" || integration["ResponseTransferMode"] != "STREAM" || !streamURI.Match(uri) {
				t.Errorf("%s: want an ANY AWS_PROXY integration with ResponseTransferMode STREAM on the response-streaming-invocations URI, got %s", name, js)
			}
			if want := float64(min(opts.Timeout, 900) * 1000); integration["TimeoutInMillis"] != want {
				t.Errorf("%s: integration TimeoutInMillis %v, want %v", name, integration["TimeoutInMillis"], want)
			}
			if p["AuthorizationType"] != wantAuth {
				t.Errorf("%s: AuthorizationType %v, want %s", name, p["AuthorizationType"], wantAuth)
			}
			if keyRequired, _ := p["ApiKeyRequired"].(bool); keyRequired != (opts.Auth == generator.AuthAPIKey) {
				t.Errorf("%s: ApiKeyRequired %v with auth %s", name, keyRequired, opts.Auth)
			}
			if _, ok := p["AuthorizerId"]; ok != (opts.Auth == generator.AuthCognito) {
				t.Errorf("%s: AuthorizerId set = %v with auth %s", name, ok, opts.Auth)
			}
		case "AWS::Lambda::Permission":
			if p["Principal"] != "apigateway.amazonaws.com" || !strings.Contains(string(js), "execute-api") || !strings.Contains(string(js), opts.Stage) && !strings.Contains(string(js), "DeploymentStage") {
				t.Errorf("%s: want a permission for API Gateway scoped to the stage, got %s", name, js)
			}
		case "AWS::ApiGateway::Stage":
			settings, _ := json.Marshal(p["MethodSettings"])
			if p["StageName"] != opts.Stage || p["AccessLogSetting"] == nil || !strings.Contains(string(settings), `"ThrottlingRateLimit"`) {
				t.Errorf("%s: want stage %s with access logs and throttling, got %s", name, opts.Stage, js)
			}
		case "AWS::ApiGateway::ApiKey":
			if _, ok := p["Value"]; ok {
				t.Errorf("%s: the API key's value is in the template", name)
			}
		case "AWS::ApiGateway::UsagePlan":
			if p["Throttle"] == nil || p["Quota"] == nil {
				t.Errorf("%s: the usage plan has no throttle or quota: %s", name, js)
			}
		case "AWS::Lambda::Function":
			_, reserved := p["ReservedConcurrentExecutions"]
			if reserved != (opts.Auth == generator.AuthNone) {
				t.Errorf("%s: ReservedConcurrentExecutions set = %v with auth %s", name, reserved, opts.Auth)
			}
		}
	}
	if count["AWS::Lambda::Url"] != 0 {
		t.Errorf("a REST API project has %d Function URLs", count["AWS::Lambda::Url"])
	}
	if methods := count["AWS::ApiGateway::Method"] - count["options"]; methods != 2 {
		t.Errorf("found %d streaming methods, want 2 (the root and {proxy+})", methods)
	}
	if count["AWS::Lambda::Permission"] == 0 || count["AWS::ApiGateway::Stage"] != 1 {
		t.Errorf("want API Gateway permissions and one stage, found %d and %d", count["AWS::Lambda::Permission"], count["AWS::ApiGateway::Stage"])
	}
	if want := map[bool]int{true: 1, false: 0}[opts.Auth == generator.AuthAPIKey]; count["AWS::ApiGateway::ApiKey"] != want || count["AWS::ApiGateway::UsagePlan"] != want {
		t.Errorf("auth %s: %d API keys and %d usage plans, want %d each", opts.Auth, count["AWS::ApiGateway::ApiKey"], count["AWS::ApiGateway::UsagePlan"], want)
	}
}

func readSynthesized(t *testing.T, dir project) cfnTemplate {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir.path, "cdk.out", "*.template.json"))
	if len(matches) != 1 {
		t.Fatalf("want one synthesized template in cdk.out, found %v", matches)
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	var tmpl cfnTemplate
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatalf("parse %s: %v", matches[0], err)
	}
	return tmpl
}

// runReadmeSnippet runs the "try the sample event" command the generated
// README shows, so the documentation cannot drift from the code.
func runReadmeSnippet(t *testing.T, dir project, env []string) {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(dir.path, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```sh\n(node --input-type=module -e '\n.*?\n')\n```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no `node --input-type=module -e` snippet to run")
	}
	out := runEnv(t, dir, time.Minute, env, "sh", "-c", string(m[1]))
	// The handler may log first (s3-proxy says what it serves at init).
	if !regexp.MustCompile(`(?m)^200 `).MatchString(out) {
		t.Errorf("README snippet printed %q, want a line starting with the 200 status", out)
	}
}

func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not on PATH: these tests run generated projects with the real tools; install it (see .ci/run)", tool)
		}
	}
}

// run runs a command in the project, with its Node.js first on PATH, and
// returns its combined output, failing the test with that output if the
// command fails or outlives timeout.
func run(t *testing.T, dir project, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	return runEnv(t, dir, timeout, nil, name, args...)
}

// runEnv is run with extra environment variables.
func runEnv(t *testing.T, dir project, timeout time.Duration, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir.path
	cmd.Env = append(dir.node.Env(os.Environ()),
		"CDK_DISABLE_CLI_TELEMETRY=true", // no network beyond the npm registry here
		"NO_COLOR=1",
	)
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s %s in %s failed: %v\n%s", name, strings.Join(args, " "), dir, err, out.String())
		}
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s %s timed out after %v\n%s", name, strings.Join(args, " "), timeout, out.String())
	}
	return out.String()
}

// project is a copy of a golden folder, and the Node.js release of its
// Lambda runtime, which every command run in it gets first on PATH.
type project struct {
	path string
	node testtools.Node
}

// copyTree copies a golden folder to a fresh temporary directory.
func copyTree(t *testing.T, src string) project {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v (run go test ./golden -run TestGolden -update to create it)", src, err)
	}
	b, err := os.ReadFile(filepath.Join(dst, ".streamgen.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m generator.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s/.streamgen.json: %v", src, err)
	}
	return project{path: dst, node: testtools.NodeFor(t, m.Answers.Runtime)}
}

func absPath(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
