package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// compileSchema compiles what Source.Schema returns with a real JSON
// Schema validator, after a round trip through JSON as `streamgen schema`
// prints it.
func compileSchema(t *testing.T, src *Source, name string) *jsonschema.Schema {
	t.Helper()
	doc, err := src.Schema(name)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(`"$ref"`)) {
		t.Errorf("schema %q uses $ref; it must be self-contained", name)
	}
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	if err := c.AddResource("values.schema.json", parsed); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("values.schema.json")
	if err != nil {
		t.Fatalf("schema %q does not compile: %v", name, err)
	}
	return s
}

// cliAccepts reports whether `streamgen new --values` would take the file:
// ReadValues, then Validate with the house policy it holds.
func cliAccepts(raw []byte, src *Source) error {
	o, err := ReadValues(raw, "values.yaml")
	if err != nil {
		return err
	}
	o.Source = src
	if o.Name == "" {
		return fmt.Errorf("no name")
	}
	return o.Validate()
}

// schemaAccepts validates a YAML values file against s.
func schemaAccepts(t *testing.T, s *jsonschema.Schema, raw []byte) error {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

// TestSchemaAgreesWithTheCLI: every golden project's .streamgen.json and
// every values file the CLI takes validate against `streamgen schema`
// (for the template, and for any template); every file the CLI refuses
// fails both. The files are the goldens, hand-written refusals, and
// random combinations of good and bad answers.
func TestSchemaAgreesWithTheCLI(t *testing.T) {
	src, err := LoadSource(mapFS(map[string]string{"greeter/streamgen.yaml": greeterManifest}), "house")
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*jsonschema.Schema{"": compileSchema(t, src, "")}
	for _, name := range src.Names() {
		schemas[name] = compileSchema(t, src, name)
	}
	check := func(t *testing.T, raw []byte, template string) {
		t.Helper()
		cliErr := cliAccepts(raw, src)
		for _, name := range []string{template, ""} {
			schemaErr := schemaAccepts(t, schemas[name], raw)
			switch {
			case cliErr == nil && schemaErr != nil:
				t.Errorf("the CLI accepts, schema %q refuses:\n%s\n%v", name, raw, schemaErr)
			case cliErr != nil && schemaErr == nil:
				t.Errorf("the CLI refuses (%v), schema %q accepts:\n%s", cliErr, name, raw)
			}
		}
	}

	goldens, _ := filepath.Glob(filepath.Join("..", "golden", "*", ManifestPath))
	if len(goldens) < 10 {
		t.Fatalf("found %d golden projects", len(goldens))
	}
	for _, g := range goldens {
		raw, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		var m Manifest
		json.Unmarshal(raw, &m)
		if err := cliAccepts(raw, src); err != nil {
			t.Errorf("%s: %v", g, err)
		}
		check(t, raw, m.Template)
	}

	refused := []struct{ template, body string }{
		{"echo", "extra: 1\nanswers: {name: a}"},
		{"echo", "answers: {name: a, colour: red}"},
		{"echo", "answers: {name: Bad-Name}"},
		{"echo", "answers: {name: http}"},
		{"echo", "answers: {name: " + strings.Repeat("a", 129) + "}"},
		{"echo", "answers: {name: a, iac: terraform}"},
		{"echo", "answers: {name: a, runtime: nodejs20.x}"},
		{"echo", "answers: {name: a, memory: 64}"},
		{"echo", "answers: {name: a, memory: lots}"},
		{"echo", "answers: {name: a, timeout: 901}"},
		{"echo", "answers: {name: a, auth: open}"},
		{"echo", "answers: {name: a, front: lambda}"},
		{"echo", "answers: {name: a, auth: api-key}"},
		{"echo", "answers: {name: a, front: url, auth: cognito}"},
		{"echo", "answers: {name: a, stage: prod}"},
		{"echo", "answers: {name: a, front: rest-api, stage: 'bad stage'}"},
		{"echo", "answers: {name: a, front: rest-api, auth: cognito}"},
		{"echo", "answers: {name: a, front: rest-api, auth: cognito, userPoolArn: 'arn:aws:cognito-idp:us-east-1:1:userpool/x'}"},
		{"echo", "answers: {name: a, front: rest-api, auth: iam, userPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc'}"},
		{"echo", "answers: {name: a, set: {bucket: x}}"},
		{"s3-proxy", "answers: {name: a, set: {bucket: Bad_Bucket}}"},
		{"s3-proxy", "answers: {name: a, set: {bucket: xn--abc}}"},
		{"s3-proxy", "answers: {name: a, set: {bucket: a..b}}"},
		{"s3-proxy", "answers: {name: a, set: {bucket: 192.168.1.1}}"},
		{"s3-proxy", "answers: {name: a, set: {bucket: assets-s3alias}}"},
		{"s3-proxy", "answers: {name: a, set: {prefix: 'a*/'}}"},
		{"s3-proxy", "answers: {name: a, set: {prefix: reports}}"},
		{"s3-proxy", "answers: {name: a, set: {prefix: /x/}}"},
		{"s3-proxy", "answers: {name: a, set: {prefix: a/../b/}}"},
		{"llm-stream", "answers: {name: a, set: {provider: azure}}"},
		{"llm-stream", "answers: {name: a, set: {baseUrl: 'https://x.example/v1'}}"},
		{"llm-stream", "answers: {name: a, set: {provider: openai, baseUrl: 'http://api.example.com/v1'}}"},
		{"llm-stream", "answers: {name: a, set: {provider: openai, baseUrl: 'https://api.example.com/v1/chat/completions'}}"},
		{"llm-stream", "answers: {name: a, set: {provider: openai, baseUrl: 'https://api.openai.com'}}"},
		{"llm-stream", "answers: {name: a, set: {corsOrigins: '*'}}"},
		{"llm-stream", "answers: {name: a, set: {corsOrigins: 'http://evil.example'}}"},
		{"llm-stream", "answers: {name: a, set: {model: gpt-4o}}"},
		{"llm-stream", "answers: {name: a, set: {provider: bedrock, model: 'bad model'}}"},
		{"llm-stream", "answers: {name: a, set: {apiKeyParameter: /a/b}}"},
		{"llm-stream", "answers: {name: a, set: {provider: openai, apiKeyParameter: /aws/key}}"},
		{"echo", "answers: {name: a}\nhouse: {tags: {'aws:team': x}}"},
		{"echo", "answers: {name: a}\nhouse: {tags: {" + strings.Repeat("k", 129) + ": v}}"},
		{"echo", "answers: {name: a}\nhouse: {logRetentionDays: 31}"},
		{"echo", "answers: {name: a}\nhouse: {permissionsBoundary: 'arn:aws:iam::1:policy/x'}"},
		{"echo", "answers: {name: a}\nhouse: {owner: me}"},
		// A custom template: pattern, choices, required and when.
		{"greeter", "answers: {name: a}"},
		{"greeter", "answers: {name: a, set: {audience: x, greeting: Hi}}"},
		{"greeter", "answers: {name: a, set: {audience: x, tone: loud}}"},
		{"greeter", "answers: {name: a, set: {audience: x, tone: dry, signature: bye}}"},
	}
	for _, r := range refused {
		raw := []byte("template: " + r.template + "\n" + r.body + "\n")
		if cliAccepts(raw, src) == nil {
			t.Errorf("the CLI accepts a file meant to be refused:\n%s", raw)
		}
		check(t, raw, r.template)
	}

	// Random combinations: the two must agree on every one. Each answer
	// is good most of the time ({good...}, {bad...}).
	pools := map[string][2][]string{
		"name":        {{"a", "demo-2"}, {"Bad", "http", "x_y"}},
		"iac":         {{"sam", "cdk"}, {"pulumi"}},
		"runtime":     {{"nodejs24.x", "nodejs22.x"}, {"nodejs20.x"}},
		"memory":      {{"128", "10240", "1024"}, {"127"}},
		"timeout":     {{"1", "900", "30"}, {"0"}},
		"auth":        {{"iam", "none", "api-key", "cognito"}, {"public"}},
		"front":       {{"url", "rest-api", "rest-api"}, {"lambda"}},
		"stage":       {{"prod", "v1"}, {"bad stage"}},
		"userPoolArn": {{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"}, {"arn:aws:cognito-idp:us-east-1:1:userpool/x"}},
	}
	params := map[string]map[string][2][]string{
		"echo":     {"nope": {nil, {"x"}}},
		"greeter":  {"audience": {{"world"}, {""}}, "greeting": {{"hello", "hi"}, {"Hi!"}}, "tone": {{"warm", "dry"}, {"loud"}}, "signature": {{"bye"}, {""}}},
		"s3-proxy": {"bucket": {{"my-assets", "a.b.c"}, {"My_Assets", "sthree-x"}}, "prefix": {{"public/", "a/b/"}, {"public", "a//"}}},
		"llm-stream": {
			"provider":        {{"bedrock", "openai"}, {"azure"}},
			"model":           {{"amazon.nova-lite-v1:0", "us.anthropic.claude-3-5-haiku-20241022-v1:0", "gpt-4o-mini"}, {"bad model"}},
			"baseUrl":         {{"https://api.openai.com/v1", "https://generativelanguage.googleapis.com/v1beta/openai", "http://localhost:11434/v1"}, {"https://api.openai.com", "ftp://x"}},
			"apiKeyParameter": {{"/app/key", "app-key"}, {"/ssm/key"}},
			"corsOrigins":     {{"https://app.example.com", "https://a.example,http://localhost:5173"}, {"*"}},
		},
	}
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(p [2][]string) string {
		if len(p[0]) > 0 && rng.IntN(10) > 0 {
			return p[0][rng.IntN(len(p[0]))]
		}
		return p[1][rng.IntN(len(p[1]))]
	}
	agreed, accepted := 0, 0
	for i := range 2000 {
		template := src.Names()[i%len(src.Names())]
		var b strings.Builder
		fmt.Fprintf(&b, "template: %s\nanswers:\n", template)
		for _, k := range []string{"name", "iac", "runtime", "memory", "timeout", "front", "auth", "stage", "userPoolArn"} {
			switch {
			case rng.IntN(3) == 0 && k != "name":
			case (k == "stage" || k == "userPoolArn") && rng.IntN(2) == 0:
			case k == "memory" || k == "timeout":
				fmt.Fprintf(&b, "  %s: %s\n", k, pick(pools[k])) // a number
			default:
				fmt.Fprintf(&b, "  %s: %q\n", k, pick(pools[k]))
			}
		}
		b.WriteString("  set:\n")
		for k, vs := range params[template] {
			if rng.IntN(2) == 0 {
				fmt.Fprintf(&b, "    %s: %q\n", k, pick(vs))
			}
		}
		raw := []byte(b.String())
		before := t.Failed()
		check(t, raw, template)
		if !before && t.Failed() {
			t.Fatalf("disagreement on random file %d", i)
		}
		agreed++
		if cliAccepts(raw, src) == nil {
			accepted++
		}
	}
	if accepted < 50 || accepted > agreed-50 {
		t.Errorf("the random files are too one-sided: %d of %d accepted", accepted, agreed)
	}
	t.Logf("%d random values files: %d accepted by both, %d refused by both", agreed, accepted, agreed-accepted)
}
