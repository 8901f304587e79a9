package generator

import (
	"maps"
	"slices"
	"strings"
)

// Template describes one template: a folder with a streamgen.yaml
// manifest and the files it adds to a project. The built-in templates and
// custom ones (see [LoadSource]) are read by the same loader.
type Template struct {
	// Name is what --template takes, e.g. "echo": the folder's name.
	Name string
	// Description is the one line `streamgen list` prints.
	Description string
	// Summary is a short phrase for generated descriptions (the Lambda
	// function's Description field, the README's first line).
	Summary string
	// Params are the template's own parameters, set with --set KEY=VALUE.
	Params []Param
	// Dependencies are the handler's npm runtime dependencies, pinned;
	// a variant may add its own.
	Dependencies map[string]string
	// DevDependencies are npm packages the project needs to build or test.
	DevDependencies map[string]string
	// Memory and Timeout override DefaultMemory and DefaultTimeout for
	// this template when not zero.
	Memory  int
	Timeout int
	// Bundle says the handler is bundled with esbuild for deployment (SAM
	// BuildMethod esbuild, CDK NodejsFunction). Templates without runtime
	// dependencies deploy src/ as it is.
	Bundle bool

	// pack holds what the manifest declares beyond these fields, and the
	// folder's files.
	pack *pack
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
	// Validator names the [Validator] that checks a value, if any.
	Validator string
	// Pattern, when set, is a regular expression (RE2 syntax) a whole value
	// must match.
	Pattern string
	// Validate checks a value, from Validator and Pattern; nil accepts any
	// text without control characters. field names the value in errors,
	// e.g. "--set bucket".
	Validate func(field, value string) error
	// Required means there is no default: a run without a terminal fails
	// unless the value is given.
	Required bool
	// Ask says the wizard asks for the parameter when it was not given;
	// parameters without Ask take their default silently.
	Ask bool
	// When limits the parameter to projects whose other parameters match,
	// e.g. provider=openai: the wizard asks it only then, and setting it
	// otherwise is an error.
	When Condition
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

// Applies reports whether the parameter is in use when the template's
// parameters have the given values (see [Param.When]).
func (p Param) Applies(params map[string]string) bool { return p.When.Holds(params) }

// Templates returns the built-in templates; see [Builtin].
func Templates() []Template { return Builtin().Templates() }

// TemplateNames returns the names of the built-in templates.
func TemplateNames() []string { return Builtin().Names() }

// TemplateByName returns the built-in template called name.
func TemplateByName(name string) (Template, bool) { return Builtin().Template(name) }

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

// ResolveParams returns every parameter of t with its value: the one in
// set, or the default.
func (t Template) ResolveParams(set map[string]string) map[string]string {
	out := map[string]string{}
	for _, p := range t.Params {
		out[p.Name] = p.Default
	}
	maps.Copy(out, set)
	return out
}
