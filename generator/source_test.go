package generator

import (
	"errors"
	"github.com/streamgen/streamgen/templates"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for p, content := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(content), Mode: 0o644}
	}
	return fsys
}

const greeterManifest = `description: Streams a greeting
summary: Greets the caller
memory: 384
dependencies:
  left-pad: 1.3.0
params:
  - name: greeting
    help: the first word
    default: hello
    pattern: '[a-z]+'
  - name: tone
    help: how it sounds
    choices: [warm, dry]
    default: warm
  - name: audience
    help: who is greeted
    required: true
  - name: signature
    help: closing line, only for warm greetings
    when: {tone: warm}
`

func TestLoadSourceAddsATemplate(t *testing.T) {
	src, err := LoadSource(mapFS(map[string]string{
		"greeter/streamgen.yaml":      greeterManifest,
		"greeter/src/index.mjs.tmpl":  "export const greeting = {{js (index .Params \"greeting\")}} + ' ' + {{js (index .Params \"audience\")}};\n",
		"greeter/test/greet.test.mjs": "// verbatim\n",
	}), "house")
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Names(); strings.Join(got, ",") != "echo,llm-stream,s3-proxy,greeter" {
		t.Errorf("names %v", got)
	}
	g, _ := src.Template("greeter")
	if g.Memory != 384 || g.Summary != "Greets the caller" || len(g.Params) != 4 || !g.Params[2].Required || !g.Params[0].Ask {
		t.Errorf("template %+v", g)
	}
	// Built-in rendering is unchanged by loading a new template.
	if _, ok := Builtin().Template("greeter"); ok {
		t.Error("LoadSource changed the built-in source")
	}

	opts := Options{Name: "hi", Template: "greeter", Source: src, Set: map[string]string{"audience": "world"}}
	files, err := Render(opts)
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := files.Get("src/index.mjs")
	if string(idx.Content) != "export const greeting = \"hello\" + ' ' + \"world\";\n" {
		t.Errorf("index.mjs = %q", idx.Content)
	}
	for _, p := range []string{"src/streamify.mjs", "template.yaml", "package.json", "test/greet.test.mjs", "events/sample.json"} {
		if _, ok := files.Get(p); !ok {
			t.Errorf("missing %s (the base and IaC layers apply to custom templates)", p)
		}
	}
	if pkg, _ := files.Get("package.json"); !strings.Contains(string(pkg.Content), `"left-pad": "1.3.0"`) {
		t.Errorf("package.json lacks the declared dependency:\n%s", pkg.Content)
	}

	for _, tc := range []struct {
		set  map[string]string
		want string
	}{
		{nil, `invalid --set audience "": template greeter requires it`},
		{map[string]string{"audience": "x", "greeting": "Hi!"}, `does not match the pattern "[a-z]+"`},
		{map[string]string{"audience": "x", "tone": "loud"}, "choose one of warm, dry"},
		{map[string]string{"audience": "x", "tone": "dry", "signature": "bye"}, "it applies only when tone=warm"},
	} {
		_, err := Render(Options{Name: "hi", Template: "greeter", Source: src, Set: tc.set})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("set %v: error %v, want %q", tc.set, err, tc.want)
		}
	}
}

func TestLoadSourcePatchesAndReplacesBuiltins(t *testing.T) {
	src, err := LoadSource(mapFS(map[string]string{
		// A patch: one file of the built-in echo template is replaced, one
		// added, one base file replaced; the rest stay.
		"echo/src/index.mjs":           "// house handler\n",
		"echo/src/extra.mjs":           "// extra\n",
		"base/README.md.tmpl":          "# {{md .Name}} (house README)\n",
		"README.md":                    "top-level files are ignored\n",
		"llm-stream/variants/openai/x": "variant folders can be patched too\n",
		"s3-proxy/streamgen.yaml":      "description: the house S3 proxy\n",
		"s3-proxy/src/index.mjs":       "// replaced entirely\n",
	}), "house")
	if err != nil {
		t.Fatal(err)
	}
	files, err := Render(Options{Name: "demo", Source: src})
	if err != nil {
		t.Fatal(err)
	}
	check := func(files Files, path, want string) {
		t.Helper()
		f, ok := files.Get(path)
		if !ok || !strings.Contains(string(f.Content), want) {
			t.Errorf("%s = %q, want it to contain %q", path, f.Content, want)
		}
	}
	check(files, "src/index.mjs", "house handler")
	check(files, "src/extra.mjs", "extra")
	check(files, "src/streamify.mjs", "streamifyResponse")
	check(files, "README.md", "# demo (house README)")
	check(files, "test/handler.test.mjs", "") // the built-in test stays
	if _, ok := files.Get("README.md.tmpl"); ok {
		t.Error("a .tmpl file was copied verbatim")
	}

	s3, _ := src.Template("s3-proxy")
	if s3.Description != "the house S3 proxy" || len(s3.Params) != 0 {
		t.Errorf("replaced s3-proxy = %+v", s3)
	}
	files, err = Render(Options{Name: "demo", Template: "s3-proxy", Source: src})
	if err != nil {
		t.Fatal(err)
	}
	check(files, "src/index.mjs", "replaced entirely")
	if _, ok := files.Get("src/keys.mjs"); ok {
		t.Error("a replaced template kept a built-in file")
	}
}

// infra is a manifest with the given infrastructure: block.
func infra(body string) string { return "description: x\ninfrastructure:\n" + body }

// table declares a queue, which partials must create.
const table = `description: x
infrastructure:
  resources:
    - name: Jobs
      type: AWS::SQS::Queue
      cdk: jobs
      cdkImports: {sqs: aws-cdk-lib/aws-sqs}
`

func samTable(props string) string {
	return "{{define \"sam.resources\"}}\n  Jobs:\n    Type: AWS::SQS::Queue\n" + props + "{{end}}\n"
}

const cdkTable = "{{define \"cdk.resources\"}}\n    const jobs = new sqs.Queue(this, \"Jobs\");\n{{end}}\n"

func TestLoadSourceErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"yaml syntax", map[string]string{"t/streamgen.yaml": "description: x\nparams: [\n"},
			[]string{"house/t/streamgen.yaml:2: did not find expected node content"}},
		{"unknown keys", map[string]string{"t/streamgen.yaml": "description: x\ndependancies: {}\nparams:\n  - name: a\n    help: b\n    hlep: c\n"},
			[]string{`house/t/streamgen.yaml:2: unknown key "dependancies"`, `house/t/streamgen.yaml:6: unknown key "hlep"`}},
		{"wrong type", map[string]string{"t/streamgen.yaml": "description: x\nmemory: lots\n"},
			[]string{"house/t/streamgen.yaml:2: cannot unmarshal"}},
		{"bad values", map[string]string{"t/streamgen.yaml": "description: x\nmemory: 64\ndevDependencies:\n  esbuild: ^0.28.0\nparams:\n  - name: my-param\n    help: h\n  - name: p\n    help: h\n    pattern: '('\n  - name: q\n    help: h\n    required: true\n    default: d\n  - name: r\n    help: h\n    choices: [a]\n    default: b\n  - name: s\n    help: h\n    when: {nope: x}\n"},
			[]string{
				"house/t/streamgen.yaml:2: memory 64 is outside",
				"house/t/streamgen.yaml:4: esbuild: version \"^0.28.0\" is not an exact version",
				"house/t/streamgen.yaml:6: parameter name \"my-param\"",
				"house/t/streamgen.yaml:10: pattern of p does not compile: error parsing regexp: missing closing ): `(`",
				"house/t/streamgen.yaml:13: parameter q is required but has a default",
				"house/t/streamgen.yaml:18: default \"b\" of r is not one of its choices",
				"house/t/streamgen.yaml:21: parameter s: when names \"nope\"",
			}},
		{"missing description", map[string]string{"t/streamgen.yaml": "summary: x\n"},
			[]string{"house/t/streamgen.yaml:1: description is missing"}},
		{"template parse error", map[string]string{"t/streamgen.yaml": "description: x\n", "t/src/a.mjs.tmpl": "ok\n{{if .Name}}\n"},
			[]string{"house/t/src/a.mjs.tmpl:3: unexpected EOF"}},
		{"template execution error", map[string]string{"t/streamgen.yaml": "description: x\n", "t/src/a.mjs.tmpl": "line 1\nline 2\n{{.Nmae}}\n"},
			[]string{"house/t/src/a.mjs.tmpl:3: executing", "can't evaluate field Nmae"}},
		{"patch with a broken template", map[string]string{"base/README.md.tmpl": "# {{.Name}\n"},
			[]string{"house/base/README.md.tmpl:1: "}},
		{"folder that is neither", map[string]string{"nope/src/a.mjs": "x\n"},
			[]string{"house/nope: has no streamgen.yaml, and is not a built-in layer or template"}},
		{"manifest on a shared folder", map[string]string{"sam/streamgen.yaml": "description: x\n"},
			[]string{"house/sam/streamgen.yaml: sam is a built-in layer, not a template"}},
		{"manifest in a variant folder", map[string]string{"llm-stream/variants/openai/streamgen.yaml": "description: x\n"},
			[]string{"house/llm-stream/variants/openai/streamgen.yaml: a variant's manifest is variant.yaml"}},
		{"duplicate keys", map[string]string{"t/streamgen.yaml": "description: x\nmemory: 256\nmemory: 512\n"},
			[]string{`house/t/streamgen.yaml:3: mapping key "memory" already defined at line 2`}},
		{"several type errors", map[string]string{"t/streamgen.yaml": "description: x\nmemory: lots\ntimeout: long\n"},
			[]string{"house/t/streamgen.yaml:2: cannot unmarshal", "house/t/streamgen.yaml:3: cannot unmarshal"}},
		{"rendered JSON that does not parse", map[string]string{"t/streamgen.yaml": "description: x\n", "t/config.json.tmpl": "{\"name\": {{.Name}}}\n"},
			[]string{"house/t/config.json.tmpl: render config.json: the result is not valid JSON"}},
		{"a file that is also a folder", map[string]string{"echo/README.md/x": "x\n"},
			[]string{`house/echo/README.md/x: "README.md" is both a file and a folder`}},
		{"generated manifest path", map[string]string{"t/streamgen.yaml": "description: x\n", "t/.streamgen.json": "{}\n"},
			[]string{"house/t/.streamgen.json: streamgen writes .streamgen.json itself"}},
		// Infrastructure declarations.
		{"a * resource", map[string]string{"t/streamgen.yaml": infra("  policies:\n    - name: p\n      statements:\n        - actions: [s3:GetObject]\n          resources: [\"*\"]\n")},
			[]string{`house/t/streamgen.yaml:7: resource "*" allows the actions on every resource`}},
		{"a wildcard action", map[string]string{"t/streamgen.yaml": infra("  policies:\n    - name: p\n      statements:\n        - actions: [\"s3:*\"]\n          resources: [\"arn:aws:s3:::b\"]\n")},
			[]string{`house/t/streamgen.yaml:6: action "s3:*" has a wildcard`}},
		{"a wildcard resource without a reason", map[string]string{"t/streamgen.yaml": infra("  policies:\n    - name: p\n      statements:\n        - actions: [s3:GetObject]\n          resources: [\"arn:aws:s3:::b/*\"]\n")},
			[]string{`house/t/streamgen.yaml:6: a resource has a wildcard: give wildcardReason`}},
		{"an unknown infrastructure key", map[string]string{"t/streamgen.yaml": infra("  enviroment: []\n")},
			[]string{`house/t/streamgen.yaml:3: unknown key "enviroment"`}},
		{"a reference to a resource that does not exist", map[string]string{"t/streamgen.yaml": infra("  environment:\n    - name: TABLE\n      value: \"${Table}\"\n")},
			[]string{`house/t/streamgen.yaml:5: "${Table}" refers to ${Table}, which is not a resource this template declares`}},
		{"a reference to an unknown parameter", map[string]string{"t/streamgen.yaml": infra("  outputs:\n    - name: Out\n      description: d\n      value: \"${param:nope}\"\n")},
			[]string{`house/t/streamgen.yaml:6: "${param:nope}" refers to ${param:nope}, which is not a parameter`}},
		{"a SAM fragment that does not parse", map[string]string{"t/streamgen.yaml": table, "t/partials/infra.tmpl": samTable("    Properties: [\n") + cdkTable},
			[]string{"house/t/partials/infra.tmpl:4: the sam.resources block does not render valid YAML"}},
		{"a SAM fragment without the declared resource", map[string]string{"t/streamgen.yaml": table, "t/partials/infra.tmpl": "{{define \"sam.resources\"}}\n  Other:\n    Type: AWS::SQS::Queue\n{{end}}\n" + cdkTable},
			[]string{"house/t/partials/infra.tmpl:2: sam.resources creates Other, which the manifest does not declare", "declares resource Jobs, which sam.resources does not create"}},
		{"a CDK fragment that does not parse", map[string]string{"t/streamgen.yaml": table, "t/partials/infra.tmpl": samTable("") + "{{define \"cdk.resources\"}}\n    const jobs = new sqs.Queue(this, \"Jobs\", {\n      fifo: true,\n{{end}}\n"},
			[]string{"house/t/partials/infra.tmpl:6: the cdk.resources block does not render TypeScript that parses: the { opened here is never closed"}},
		{"a CDK fragment without the construct", map[string]string{"t/streamgen.yaml": table, "t/partials/infra.tmpl": samTable("") + "{{define \"cdk.resources\"}}\n    const queue = new sqs.Queue(this, \"Q\");\n{{end}}\n"},
			[]string{"the CDK construct of Jobs is jobs, which cdk.resources does not define"}},
		// Names the layers use, and fragments at the wrong depth.
		{"a resource named like the layers' own", map[string]string{
			"t/streamgen.yaml":      "description: x\ninfrastructure:\n  resources:\n    - name: StreamFunctionRole\n      type: AWS::SQS::Queue\n      cdk: jobs\n      cdkImports: {sqs: aws-cdk-lib/aws-sqs}\n",
			"t/partials/infra.tmpl": "{{define \"sam.resources\"}}\n  StreamFunctionRole:\n    Type: AWS::SQS::Queue\n{{end}}\n" + cdkTable},
			[]string{"house/t/streamgen.yaml: rendering a sample project (sam, url)", `the key "StreamFunctionRole" is given twice`}},
		{"an output named like the layers' own", map[string]string{"t/streamgen.yaml": infra("  outputs:\n    - name: FunctionName\n      description: d\n      value: x\n")},
			[]string{`the key "FunctionName" is given twice`, `gives two constructs the id "FunctionName" twice`}},
		{"an import alias the stack has", map[string]string{"t/streamgen.yaml": strings.Replace(table, "{sqs: aws-cdk-lib/aws-sqs}", "{sqs: aws-cdk-lib/aws-sqs, iam: aws-cdk-lib/aws-iam}", 1), "t/partials/infra.tmpl": samTable("") + cdkTable},
			[]string{`imports the name "iam" twice`}},
		{"a construct const the stack has", map[string]string{"t/streamgen.yaml": strings.Replace(table, "cdk: jobs", "cdk: role", 1), "t/partials/infra.tmpl": samTable("") + strings.Replace(cdkTable, "const jobs", "const role", 1)},
			[]string{`declares the const "role" twice`}},
		{"a SAM fragment indented four spaces", map[string]string{"t/streamgen.yaml": table, "t/partials/infra.tmpl": "{{define \"sam.resources\"}}\n    Jobs:\n      Type: AWS::SQS::Queue\n{{end}}\n" + cdkTable},
			[]string{"house/t/partials/infra.tmpl:2: resource Jobs is indented 4 spaces"}},
		{"a policy named like the layers' own", map[string]string{"t/streamgen.yaml": infra("  policies:\n    - name: write-own-logs\n      statements:\n        - actions: [s3:GetObject]\n          resources: [\"arn:aws:s3:::b/k\"]\n")},
			[]string{`the policy name "write-own-logs" is taken`}},
		{"a wildcard reached through a value", map[string]string{"t/streamgen.yaml": "description: x\nvalues:\n  - name: objects\n    value: \"arn:aws:s3:::b/*\"\n" + strings.TrimPrefix(infra("  policies:\n    - name: p\n      statements:\n        - actions: [s3:GetObject]\n          resources: [\"${value:objects}\"]\n"), "description: x\n")},
			[]string{"has a wildcard for these answers", "no wildcardReason"}},
		{"a line separator in a comment", map[string]string{"t/streamgen.yaml": infra("  environment:\n    - name: A\n      value: a\n      comment: \"hello\\u2028INJECTED: 1\"\n")},
			[]string{"control character U+2028"}},
		{"a variant manifest in a patch", map[string]string{"llm-stream/variants/openai/variant.yaml": "values: []\n"},
			[]string{"house/llm-stream/variants/openai/variant.yaml: a patch replaces a built-in template's files, not what its manifests declare"}},
		{"a house tag key over 128 characters", map[string]string{"house.yaml": "tags:\n  " + strings.Repeat("k", 129) + ": v\n"},
			[]string{"house/house.yaml:2: tag key \"kkk", "is 129 characters; AWS allows at most 128"}},
		{"a bad house policy", map[string]string{"house.yaml": "tags:\n  aws:team: x\n  team: 42\npermissionsBoundary: arn:aws:iam::1:policy/x\nlogRetentionDays: 31\nlogRetention: 30\n"},
			[]string{"house/house.yaml:2: tag key \"aws:team\": AWS reserves", "house/house.yaml:4: permissionsBoundary", "house/house.yaml:5: logRetentionDays \"31\" is not one CloudWatch Logs accepts", `house/house.yaml:6: unknown key "logRetention"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadSource(mapFS(tc.files), "house")
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error\n%v\ndoes not contain %q", err, want)
				}
			}
			for _, e := range flatten(err) {
				var fe *FileError
				if !errors.As(e, &fe) {
					t.Errorf("error %v is not a *FileError", e)
				}
			}
		})
	}
}

func TestLoadSourceRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "echo", "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "echo", "src", "index.mjs")); err != nil {
		t.Fatal(err)
	}
	_, err := LoadSource(os.DirFS(dir), dir)
	if err == nil || !strings.Contains(err.Error(), "echo/src/index.mjs: not a regular file") {
		t.Errorf("error %v", err)
	}
}

// TestReplacedBuiltinGetsNoBuiltinInfrastructure: a manifest named like a
// built-in template replaces it completely, so the shared files must not
// add the built-in's bucket, IAM statements or README sections.
func TestReplacedBuiltinGetsNoBuiltinInfrastructure(t *testing.T) {
	src, err := LoadSource(mapFS(map[string]string{
		"s3-proxy/streamgen.yaml":   "description: the house proxy\n",
		"s3-proxy/src/index.mjs":    "// house\n",
		"llm-stream/streamgen.yaml": "description: the house LLM\n",
	}), "house")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"s3-proxy", "llm-stream"} {
		for _, iac := range IaCChoices {
			files, err := Render(Options{Name: "demo", Template: name, IaC: iac, Source: src})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				for _, leak := range []string{"ProxyBucket", "s3:GetObject", "bedrock:", "MODEL_ID", "ssm:GetParameter", "s3.Bucket"} {
					if strings.Contains(string(f.Content), leak) {
						t.Errorf("%s %s: %s contains %q from the built-in template", name, iac, f.Path, leak)
					}
				}
			}
		}
		if got := src.Origin(name); got != "house" {
			t.Errorf("Origin(%s) = %q", name, got)
		}
	}
	if got := src.Origin("echo"); got != "builtin" {
		t.Errorf("Origin(echo) = %q", got)
	}
}

// TestSourceTemplatesAreCopies: changing a returned template must not
// change what later renders see.
func TestSourceTemplatesAreCopies(t *testing.T) {
	ts := Builtin().Templates()
	byName := func(name string) *Template {
		i := slices.IndexFunc(ts, func(t Template) bool { return t.Name == name })
		return &ts[i]
	}
	byName("s3-proxy").Params[0].Help = "changed"
	byName("s3-proxy").Dependencies["evil"] = "1.0.0"
	byName("llm-stream").Params[0].Choices[0] = "changed"
	tpl, _ := Builtin().Template("s3-proxy")
	tpl.Params[1].Validate = nil
	again, _ := Builtin().Template("s3-proxy")
	if again.Params[0].Help == "changed" || again.Dependencies["evil"] != "" {
		t.Error("a caller changed the built-in s3-proxy template")
	}
	if llm, _ := Builtin().Template("llm-stream"); llm.Params[0].Choices[0] != "bedrock" {
		t.Error("a caller changed llm-stream's choices")
	}
}

func TestLoadSourceLimits(t *testing.T) {
	big := strings.Repeat("x", maxTemplateFileSize+1)
	_, err := LoadSource(mapFS(map[string]string{"echo/src/big.mjs": big}), "house")
	if err == nil || !strings.Contains(err.Error(), "house/echo/src/big.mjs: larger than 1024 KiB") {
		t.Errorf("error %v", err)
	}
	dir := t.TempDir()
	if err := os.Symlink(t.TempDir(), filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}
	_, err = LoadSource(os.DirFS(dir), dir)
	if err == nil || !strings.Contains(err.Error(), "linked: a symbolic link") {
		t.Errorf("error %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "t"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "t", ManifestFile)); err != nil {
		t.Fatal(err)
	}
	_, err = LoadSource(os.DirFS(dir), dir)
	if err == nil || !strings.Contains(err.Error(), "t/streamgen.yaml: not a regular file") || strings.Contains(err.Error(), "root:") {
		t.Errorf("error %v", err)
	}
}

// A patch's partial file defines its blocks over the template's own, an
// empty definition included.
func TestPatchPartialsWin(t *testing.T) {
	src, err := LoadSource(mapFS(map[string]string{
		"echo/partials/zz-house.md.tmpl": `{{define "readme.call.opts"}}-H 'x-team: payments'{{end}}{{define "readme.try"}}{{end}}`,
	}), "house")
	if err != nil {
		t.Fatal(err)
	}
	files, err := Render(Options{Name: "demo", Source: src})
	if err != nil {
		t.Fatal(err)
	}
	readme, _ := files.Get("README.md")
	if !strings.Contains(string(readme.Content), `curl -N -H 'x-team: payments' "http://127.0.0.1:3000/hello?greeting=hi"`) {
		t.Errorf("the patch's readme.call.opts did not replace echo's:\n%s", readme.Content)
	}
	if strings.Contains(string(readme.Content), "To try the sample event yourself") {
		t.Error("the patch's empty readme.try did not replace the default")
	}
}

// A template directory's house.yaml is a floor under the policy given.
func TestHouseDirectoryIsAFloor(t *testing.T) {
	src, err := LoadSource(mapFS(map[string]string{
		"house.yaml": "tags:\n  team: payments\npermissionsBoundary: arn:aws:iam::123456789012:policy/house\n",
	}), "house")
	if err != nil {
		t.Fatal(err)
	}
	given := House{Tags: map[string]string{"team": "other", "app": "a"}, PermissionsBoundary: "arn:aws:iam::123456789012:policy/weaker", LogRetentionDays: 90}
	h := Options{Name: "demo", Source: src, House: &given}.house()
	if h.Tags["team"] != "payments" || h.Tags["app"] != "a" || h.PermissionsBoundary != "arn:aws:iam::123456789012:policy/house" || h.LogRetentionDays != 90 {
		t.Errorf("house %+v: want the directory's tags and boundary over the given ones, the rest added", h)
	}
	if empty := (Options{Name: "demo", Source: src, House: &House{}}).house(); empty.Tags["team"] != "payments" || empty.PermissionsBoundary == "" {
		t.Errorf("an empty given policy switched the directory's off: %+v", empty)
	}
}

// Every built-in template renders for every IaC flavour, front end and
// variant, as custom templates must when they load.
func TestBuiltinTemplatesRenderEveryCombination(t *testing.T) {
	src := Builtin()
	for _, name := range src.Names() {
		for _, err := range src.trialRender(name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The embedded templates read their declarations only when they render;
// every one must read them without a problem, and must not have read them
// just by being listed.
func TestBuiltinDeclarationsLoadWhenFirstRendered(t *testing.T) {
	s, err := loadEmbedded(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	declaring := 0
	for _, tmpl := range s.Templates() {
		if tmpl.pack.rest == nil {
			t.Fatalf("%s: the embedded template read its declarations at load", tmpl.Name)
		}
		if tmpl.pack.declared.policies != nil || tmpl.pack.sample != nil {
			t.Errorf("%s: declarations filled before the template rendered", tmpl.Name)
		}
		if err := tmpl.pack.complete(); err != nil {
			t.Errorf("%s: %v", tmpl.Name, err)
		}
		if len(tmpl.pack.declared.policies) > 0 {
			declaring++
		}
	}
	if declaring == 0 {
		t.Error("no built-in template declared an IAM statement once its declarations were read")
	}
}

// A custom template's problems come in the order of its files: the
// manifest's (declarations and sample included), then each variant's, in
// name order, each variant's manifest with its folder.
func TestLoadSourceErrorOrder(t *testing.T) {
	files := map[string]string{
		"t/streamgen.yaml":          "description: x\nparams:\n  - name: kind\n    help: h\n    choices: [a, b]\n    default: a\nvariants:\n  param: kind\nsample:\n  method: BREW\n",
		"t/variants/a/variant.yaml": "values:\n  - name: bad-name\n    value: x\n",
		"t/variants/a/x.txt":        "x\n",
		"t/variants/zz/x.txt":       "x\n",
	}
	_, err := LoadSource(mapFS(files), "house")
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	var at []int
	for _, want := range []string{"house/t/streamgen.yaml:10:", "house/t/variants/a/variant.yaml:2:", "house/t/variants/zz: variants/zz is not a choice"} {
		i := strings.Index(msg, want)
		if i < 0 {
			t.Fatalf("error\n%v\ndoes not contain %q", err, want)
		}
		at = append(at, i)
	}
	if !slices.IsSorted(at) {
		t.Errorf("problems out of order:\n%v", err)
	}
}
