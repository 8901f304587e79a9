package generator

import (
	"maps"
	"slices"
	"strings"
)

// Template describes one project template.
type Template struct {
	// Name is what --template takes, e.g. "echo".
	Name string
	// Description is the one line `streamgen list` prints.
	Description string
	// Summary is a short phrase for generated descriptions (the Lambda
	// function's Description field, the README's first line).
	Summary string
	// Params are the template's own parameters, set with --set KEY=VALUE.
	Params []Param
	// Dependencies are the handler's npm runtime dependencies, pinned.
	Dependencies map[string]string
	// DevDependencies are npm packages the project needs to build or test.
	DevDependencies map[string]string
	// Memory and Timeout override DefaultMemory and DefaultTimeout for
	// this template when not zero.
	Memory  int
	Timeout int
	// VariantParam names the parameter that picks a variant of the
	// template: its value v adds the template folder "<name>-<v>" as a
	// last layer, and VariantDependencies[v] to the npm dependencies.
	VariantParam        string
	VariantDependencies map[string]map[string]string
	// Check validates parameters against each other, after each passed
	// its own validation; params holds every parameter, defaults included.
	Check func(params map[string]string) []error
	// Bundle says the handler is bundled with esbuild for deployment (SAM
	// BuildMethod esbuild, CDK NodejsFunction). Templates without runtime
	// dependencies deploy src/ as it is.
	Bundle bool

	// builtin is the template's name when it is one of streamgen's own;
	// the shared files (README, SAM template, CDK stack) have sections
	// for each built-in template that a custom one must not get.
	builtin string
}

// clone returns a deep copy, so callers cannot change a Source's templates
// through the slices and maps of the one they were given.
func (t Template) clone() Template {
	t.Params = slices.Clone(t.Params)
	for i, p := range t.Params {
		t.Params[i].Choices = slices.Clone(p.Choices)
		t.Params[i].When = maps.Clone(p.When)
	}
	t.Dependencies = maps.Clone(t.Dependencies)
	t.DevDependencies = maps.Clone(t.DevDependencies)
	if t.VariantDependencies != nil {
		vd := make(map[string]map[string]string, len(t.VariantDependencies))
		for k, v := range t.VariantDependencies {
			vd[k] = maps.Clone(v)
		}
		t.VariantDependencies = vd
	}
	return t
}

// Param declares one template parameter.
type Param struct {
	// Name is the key of --set KEY=VALUE.
	Name string
	// Help is one line for `streamgen list` and --help.
	Help string
	// Default is the value when the parameter is not set; "" means the
	// template has a behaviour for "not set" that Help describes.
	Default string
	// Choices, when set, are the only values accepted.
	Choices []string
	// Validate checks a value; nil accepts any text without control
	// characters.
	Validate func(value string) error
	// Pattern, when set, is a regular expression (RE2 syntax) a whole value
	// must match. Custom templates declare it in their manifest, since they
	// cannot carry a Validate function.
	Pattern string
	// Required means there is no default: a run without a terminal fails
	// unless the value is given.
	Required bool
	// Ask says the wizard asks for the parameter when it was not given;
	// parameters without Ask take their default silently.
	Ask bool
	// When limits the parameter to projects whose other parameters have
	// the given values, e.g. {"provider": "openai"}: the wizard asks it
	// only then, and setting it otherwise is an error.
	When map[string]string
}

// Flag is the dedicated command-line flag for the parameter: its name in
// kebab case, e.g. "base-url" for baseUrl. --base-url X is the same as
// --set baseUrl=X.
func (p Param) Flag() string {
	var b strings.Builder
	for i, r := range p.Name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		if r == '_' {
			r = '-'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Type is "choice" when the parameter has Choices, "string" otherwise.
func (p Param) Type() string {
	if len(p.Choices) > 0 {
		return "choice"
	}
	return "string"
}

// applies reports whether p is in use given every parameter's value.
func (p Param) applies(params map[string]string) bool {
	for k, v := range p.When {
		if params[k] != v {
			return false
		}
	}
	return true
}

// builtinTemplates lists the templates embedded in streamgen, in the order
// `streamgen list` shows them. Each has a folder of the same name in the
// templates package.
var builtinTemplates = []Template{
	{
		Name:        "echo",
		Description: "Streams the request (method, path, query, headers, body) back in chunks; the smallest complete streaming function",
		Summary:     "Streams each request back to the caller",
	},
	{
		Name:        "s3-proxy",
		Description: "Streams S3 objects through the Function URL at constant memory: ranges, conditional requests, HEAD, least-privilege IAM",
		Summary:     "Streams S3 objects to the caller",
		Params: []Param{
			{Name: "bucket", Help: "an existing bucket to serve; without it the stack creates a private, encrypted bucket", Validate: validateBucketName, Ask: true},
			{Name: "prefix", Help: "key prefix to serve, ending in \"/\" (e.g. public/); without it the whole bucket", Validate: validateKeyPrefix, Ask: true},
		},
		// Streaming 200 MB takes about 100 s at the 2 MB/s Lambda allows past
		// the first 6 MB; more memory also brings more network bandwidth.
		Memory:          512,
		Timeout:         180,
		Dependencies:    map[string]string{"@aws-sdk/client-s3": s3ClientVersion},
		DevDependencies: map[string]string{"esbuild": esbuildVersion},
		Bundle:          true,
	},
	{
		Name:        "llm-stream",
		Description: "Streams model tokens as Server-Sent Events from Amazon Bedrock or an OpenAI-compatible API, with cost guards",
		Summary:     "Streams model tokens as Server-Sent Events",
		Params: []Param{
			{Name: "provider", Help: "bedrock (ConverseStream) or openai (any OpenAI-compatible Chat Completions API)", Default: "bedrock", Choices: []string{"bedrock", "openai"}, Ask: true},
			{Name: "model", Help: "model id; bedrock default " + defaultBedrockModel + ", openai default " + defaultOpenAIModel, Validate: validateModelID, Ask: true},
			{Name: "baseUrl", Help: "openai: the API's base URL as OpenAI's SDKs take it, /chat/completions is appended (default " + defaultOpenAIBaseURL + ")", Validate: validateBaseURL, Ask: true, When: map[string]string{"provider": "openai"}},
			{Name: "apiKeyParameter", Help: "openai: SSM SecureString parameter holding the API key (default /NAME/openai-api-key)", Validate: validateSSMParameterName, Ask: true, When: map[string]string{"provider": "openai"}},
			{Name: "corsOrigins", Help: "comma-separated origins allowed by CORS, e.g. https://app.example.com; none by default", Validate: validateCORSOrigins},
		},
		Check:        checkLLMParams,
		Timeout:      300, // long generations; the handler stops upstream calls before it
		VariantParam: "provider",
		VariantDependencies: map[string]map[string]string{
			"bedrock": {"@aws-sdk/client-bedrock-runtime": bedrockClientVersion},
			"openai":  {"@aws-sdk/client-ssm": ssmClientVersion},
		},
		DevDependencies: map[string]string{"esbuild": esbuildVersion},
		Bundle:          true,
	},
}

func init() {
	for i := range builtinTemplates {
		builtinTemplates[i].builtin = builtinTemplates[i].Name
	}
}

// Pinned npm versions the templates share.
const (
	s3ClientVersion      = "3.1175.0"
	bedrockClientVersion = "3.1164.0"
	ssmClientVersion     = "3.1169.0"
	esbuildVersion       = "0.28.2"
)

// Templates returns the built-in templates; see [Builtin].
func Templates() []Template { return builtin.Templates() }

// TemplateNames returns the names of the built-in templates.
func TemplateNames() []string { return builtin.Names() }

// TemplateByName returns the built-in template called name.
func TemplateByName(name string) (Template, bool) { return builtin.Template(name) }

// ParamNames returns the names of t's parameters, in declaration order.
func (t Template) ParamNames() []string {
	names := make([]string, len(t.Params))
	for i, p := range t.Params {
		names[i] = p.Name
	}
	return names
}

func (t Template) param(name string) (Param, bool) {
	for _, p := range t.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// resolveParams returns every parameter of t with its value: the one set, or
// the default.
func (t Template) resolveParams(set map[string]string) map[string]string {
	out := map[string]string{}
	for _, p := range t.Params {
		out[p.Name] = p.Default
	}
	maps.Copy(out, set)
	return out
}
