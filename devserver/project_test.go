package devserver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The golden projects load with the settings Lambda would give them.
func TestLoadGoldenProjects(t *testing.T) {
	golden := filepath.Join("..", "golden")
	for _, tc := range []struct {
		dir, taskRoot, handler string
		memory, timeout        int
		env                    map[string]string
	}{
		// SAM: CodeUri src/, Handler index.handler.
		{"echo-sam", "src", "index.handler", 256, 30, nil},
		// SAM with esbuild: run the entry point from source.
		{"s3-proxy-sam", "", "src/index.handler", 512, 180, map[string]string{"BUCKET": "example-assets", "PREFIX": "public/"}},
		// CDK: src/index.handler, settings from .streamgen.json.
		{"echo-cdk", "", "src/index.handler", 256, 30, nil},
		{"llm-stream-cdk", "", "src/index.handler", 256, 300, nil},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join(golden, tc.dir)
			p, err := LoadProject(dir, Overrides{})
			if err != nil {
				t.Fatal(err)
			}
			abs, _ := filepath.Abs(dir)
			if want := filepath.Join(abs, tc.taskRoot); p.TaskRoot != want || p.Handler != tc.handler {
				t.Errorf("task root %s handler %s, want %s %s", p.TaskRoot, p.Handler, want, tc.handler)
			}
			if p.Memory != tc.memory || p.Timeout != tc.timeout || p.Runtime != "nodejs24.x" || p.Name != tc.dir {
				t.Errorf("got %d MB %d s %s %s", p.Memory, p.Timeout, p.Runtime, p.Name)
			}
			for k, v := range tc.env {
				if p.Env[k] != v {
					t.Errorf("env %s=%q, want %q", k, p.Env[k], v)
				}
			}
		})
	}
}

// A CDK app's environment is in TypeScript: the note says to pass --env,
// only when the stack sets one.
func TestLoadCDKNotes(t *testing.T) {
	const iamNote = "the local one checks no signature"
	for dir, want := range map[string]string{"llm-stream-cdk": "lib/stack.ts sets the function's environment", "echo-cdk": iamNote, "echo-cdk-public": ""} {
		p, err := LoadProject(filepath.Join("..", "golden", dir), Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		notes := strings.Join(p.Notes, "\n")
		if want == "" && notes != "" || !strings.Contains(notes, want) {
			t.Errorf("%s: notes %q, want %q", dir, notes, want)
		}
		if want != "" && dir != "echo-cdk" && !strings.Contains(notes, iamNote) {
			t.Errorf("%s (auth iam): notes %q lack the signature note", dir, notes)
		}
	}
}

// Flags win over the project's files; --handler makes the project
// directory the task root.
func TestLoadProjectOverrides(t *testing.T) {
	p, err := LoadProject(filepath.Join("..", "golden", "echo-sam"), Overrides{Handler: "src/index.handler", Timeout: 5, Memory: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if p.Handler != "src/index.handler" || filepath.Base(p.TaskRoot) != "echo-sam" || p.Timeout != 5 || p.Memory != 1024 {
		t.Errorf("got %+v", p)
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// CloudFormation tags parse; values that are not literals are skipped with
// a note that says to pass --env. Globals.Function gives defaults.
func TestLoadSAMTagsAndGlobals(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"app/main.mjs": "export const run = async () => {};",
		"template.yaml": `Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String}
Globals:
  Function:
    Runtime: nodejs22.x
    Timeout: 12
    MemorySize: 1024
    Environment:
      Variables:
        FROM_GLOBALS: "yes"
        OVERRIDDEN: globals
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Other:
    Type: AWS::Serverless::Function
    Properties:
      Handler: other.handler
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ./app
      Handler: main.run
      Timeout: !Ref Stage
      Role: !GetAtt Role.Arn
      Environment:
        Variables:
          TABLE: !Ref Table
          ARN: {"Fn::GetAtt": [Table, Arn]}
          URL: !Sub "https://${Stage}.example.com"
          COUNT: 3
          OVERRIDDEN: function
      FunctionUrlConfig:
        AuthType: AWS_IAM
        InvokeMode: RESPONSE_STREAM
`,
	})
	p, err := LoadProject(dir, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Handler != "main.run" || p.TaskRoot != filepath.Join(dir, "app") || p.Runtime != "nodejs22.x" || p.Timeout != 12 || p.Memory != 1024 {
		t.Errorf("got %+v", p)
	}
	if p.Env["FROM_GLOBALS"] != "yes" || p.Env["OVERRIDDEN"] != "function" || p.Env["COUNT"] != "3" {
		t.Errorf("env %v", p.Env)
	}
	for _, k := range []string{"TABLE", "ARN", "URL"} {
		if _, ok := p.Env[k]; ok {
			t.Errorf("non-literal %s was kept", k)
		}
	}
	notes := strings.Join(p.Notes, "\n")
	for _, want := range []string{"pass --env TABLE=VALUE", "pass --env URL=VALUE", "running Fn", "Timeout of Fn is not a literal"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

// Errors name the value and say what to pass.
func TestLoadProjectErrors(t *testing.T) {
	empty := t.TempDir()
	onlyManifest := writeFiles(t, map[string]string{".streamgen.json": `{"answers":{"name":"x","memory":256,"timeout":30}}`})
	for _, tc := range []struct {
		name string
		dir  string
		o    Overrides
		want []string
	}{
		{"no such dir", filepath.Join(empty, "nope"), Overrides{}, []string{"no such directory", "--dir"}},
		{"not a project", empty, Overrides{}, []string{"is not a streamgen project", "--handler"}},
		{"missing handler file", onlyManifest, Overrides{}, []string{`the handler "src/index.handler"`, "no file src/index.mjs", "pass --handler"}},
		{"bad handler flag", onlyManifest, Overrides{Handler: "index"}, []string{`--handler "index" is not FILE.EXPORT`}},
		{"dot dot", onlyManifest, Overrides{Handler: "../x.handler"}, []string{`contains ".."`}},
		{"absolute handler", onlyManifest, Overrides{Handler: "/etc/hostname.x"}, []string{`--handler "/etc/hostname.x" is an absolute path`}},
		{"code outside the project", writeFiles(t, map[string]string{"template.yaml": "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: ../../\n      Handler: index.handler\n"}), Overrides{}, []string{`CodeUri "../.." of F is outside the project`}},
		{"broken json", writeFiles(t, map[string]string{".streamgen.json": "{"}), Overrides{}, []string{"not valid JSON"}},
		{"broken yaml", writeFiles(t, map[string]string{"template.yaml": "a: [b"}), Overrides{}, []string{"not valid YAML"}},
		{"no function", writeFiles(t, map[string]string{"template.yaml": "Resources:\n  B:\n    Type: AWS::S3::Bucket\n"}), Overrides{}, []string{"no AWS::Serverless::Function"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadProject(tc.dir, tc.o)
			var pe *ProjectError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a ProjectError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
	// --cmd runs anything: no handler file is needed, nor project files.
	if _, err := LoadProject(empty, Overrides{SkipHandlerCheck: true}); err != nil {
		t.Errorf("with SkipHandlerCheck: %v", err)
	}
}

// The handler module is found as the Node.js runtime client finds it.
func TestCheckHandlerExtensions(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.js": "", "lib/b.cjs": "", "c": "", "nested/d.mjs": ""})
	for _, h := range []string{"a.handler", "lib/b.handler", "c.handler", "nested/d.api.v1.handler"} {
		if err := checkHandler(dir, dir, h, "--handler", false); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	if err := checkHandler(dir, dir, "lib.handler", "--handler", false); err == nil {
		t.Error("a directory was taken for a module")
	}
}

func TestSourceHandler(t *testing.T) {
	for entry, want := range map[string]string{"src/index.mjs": "src/index.handler", "./src/app.ts": "src/app.handler", "main.js": "main.handler"} {
		if got := sourceHandler(entry, "index.handler"); got != want {
			t.Errorf("%s: %s, want %s", entry, got, want)
		}
	}
	if got := sourceHandler("src/index.mjs", "index.api.v1"); got != "src/index.api.v1" {
		t.Errorf("nested export: %s", got)
	}
}

// TestNoteMissingNodeModules: a project with runtime dependencies that
// were never installed would fail on its first request; say what to run.
func TestNoteMissingNodeModules(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		".streamgen.json": `{"answers":{"name":"x","memory":256,"timeout":30}}`,
		"package.json":    `{"dependencies":{"@aws-sdk/client-s3":"3.1175.0"}}`,
		"src/index.mjs":   "export const handler = async () => {};\n",
	})
	p, err := LoadProject(dir, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "needs @aws-sdk/client-s3 but there is no node_modules: run `npm install`") {
		t.Errorf("notes %q", p.Notes)
	}
}

// A SAM REST API's stage and its OPTIONS methods' allowed methods and
// headers are read from the template.
func TestLoadSAMRESTPreflight(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"src/index.mjs": "export const handler = async () => {};",
		"template.yaml": `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: index.handler
  ApiRootOptions:
    Type: AWS::ApiGateway::Method
    Properties:
      HttpMethod: OPTIONS
      Integration:
        Type: MOCK
        IntegrationResponses:
          - StatusCode: "204"
            ResponseParameters:
              method.response.header.Access-Control-Allow-Methods: "'OPTIONS,POST'"
              method.response.header.Access-Control-Allow-Headers: "'content-type,authorization'"
  ApiStage:
    Type: AWS::ApiGateway::Stage
    Properties:
      StageName: v2
`,
	})
	p, err := LoadProject(dir, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Front != FrontRestAPI || p.Stage != "v2" || p.CORSMethods != "OPTIONS,POST" || p.CORSHeaders != "content-type,authorization" {
		t.Errorf("front %s stage %s methods %q headers %q", p.Front, p.Stage, p.CORSMethods, p.CORSHeaders)
	}
}
