package generator

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Defaults for the options a user leaves empty. The CLI's --help quotes them.
const (
	DefaultTemplate = "echo"
	DefaultIaC      = IaCSAM
	DefaultRuntime  = "nodejs24.x"
	DefaultArch     = "arm64"
	DefaultAuth     = AuthIAM
	// DefaultMemory gives a streaming function a useful share of CPU
	// (Lambda scales CPU with memory) without much cost.
	DefaultMemory = 256
	// DefaultTimeout leaves room for long streams while bounding the cost of
	// a stuck invocation: Lambda does not stop a function when its caller
	// disconnects.
	DefaultTimeout = 30
)

// Bounds Lambda enforces on memory (MB) and timeout (seconds).
const (
	MinMemory  = 128
	MaxMemory  = 10240
	MinTimeout = 1
	MaxTimeout = 900
)

// The infrastructure-as-code flavours a project can be generated with.
const (
	IaCSAM = "sam"
	IaCCDK = "cdk"
)

// The Function URL auth modes.
const (
	AuthIAM  = "iam"  // AWS_IAM: callers sign requests with SigV4
	AuthNone = "none" // NONE: public URL, anyone can invoke
)

// Choices for the enumerated options, in the order help text lists them.
var (
	IaCChoices     = []string{IaCSAM, IaCCDK}
	RuntimeChoices = []string{"nodejs24.x", "nodejs22.x"}
	ArchChoices    = []string{"arm64", "x86_64"}
	AuthChoices    = []string{AuthIAM, AuthNone}
)

// Options are the answers a project is generated from. Zero values take the
// package defaults (see [Options.WithDefaults]), so Options{Name: "demo"} is a
// complete request.
type Options struct {
	// Name is the project name: the npm package name, the folder name by
	// default, and the CloudFormation stack name.
	Name string
	// Template names one of [Templates], e.g. "echo".
	Template string
	// IaC is "sam" (template.yaml) or "cdk" (a TypeScript CDK app).
	IaC string
	// Runtime is the Lambda runtime identifier, e.g. "nodejs24.x".
	Runtime string
	// Arch is the Lambda architecture, "arm64" or "x86_64".
	Arch string
	// Memory is the function's memory in MB; 0 takes the template's
	// default.
	Memory int
	// Timeout is the function's timeout in seconds; 0 takes the template's
	// default.
	Timeout int
	// Auth is the Function URL auth mode, "iam" or "none".
	Auth string
	// Set holds the template's own parameters, as --set KEY=VALUE gives
	// them; see [Template.Params].
	Set map[string]string
	// Version is the streamgen version recorded in .streamgen.json. Empty
	// records "dev".
	Version string
	// Source holds the templates to render from; nil means [Builtin]. Use
	// [LoadSource] for custom templates.
	Source *Source
	// House is the organisation's policy the project follows (tags,
	// permissions boundary, log retention); nil takes the Source's
	// house.yaml, if it has one.
	House *House
}

func (o Options) source() *Source {
	if o.Source != nil {
		return o.Source
	}
	return Builtin()
}

// house is the policy the project follows: Options.House, else the
// Source's.
func (o Options) house() House {
	switch {
	case o.House != nil:
		return o.House.clone()
	case o.Source != nil && o.Source.house != nil:
		return o.Source.house.clone()
	}
	return House{}
}

// WithDefaults returns a copy of o with every empty field set to its
// default. Memory and timeout defaults depend on the template.
func (o Options) WithDefaults() Options {
	if o.Template == "" {
		o.Template = DefaultTemplate
	}
	if o.IaC == "" {
		o.IaC = DefaultIaC
	}
	if o.Runtime == "" {
		o.Runtime = DefaultRuntime
	}
	if o.Arch == "" {
		o.Arch = DefaultArch
	}
	t, _ := o.source().Template(o.Template)
	if o.Memory == 0 {
		o.Memory = cmp.Or(t.Memory, DefaultMemory)
	}
	if o.Timeout == 0 {
		o.Timeout = cmp.Or(t.Timeout, DefaultTimeout)
	}
	if o.Auth == "" {
		o.Auth = DefaultAuth
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	return o
}

// InvalidError reports one option that failed validation. Field is the name
// a user knows the option by: "NAME" for the project name, otherwise the CLI
// flag ("--memory"). The message quotes the value with control characters
// escaped, so an error never replays an escape sequence on a terminal.
type InvalidError struct {
	Field  string
	Value  string
	Reason string // what is wrong
	Hint   string // what to do instead; may be empty
}

func (e *InvalidError) Error() string {
	msg := fmt.Sprintf("invalid %s %s: %s", e.Field, Quote(e.Value), e.Reason)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

func invalid(field, value, reason, hint string) *InvalidError {
	return &InvalidError{Field: field, Value: value, Reason: reason, Hint: hint}
}

// Validate checks every option (after defaults) and returns all problems at
// once, joined, each an *InvalidError. Use errors.As to inspect them.
func (o Options) Validate() error {
	o = o.WithDefaults()
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(ValidateName(o.Name))
	if err := checkText("--template", o.Template); err != nil {
		add(err)
	} else if t, ok := o.source().Template(o.Template); !ok {
		add(invalid("--template", o.Template, "no such template",
			"choose one of "+strings.Join(o.source().Names(), ", ")+" (run `streamgen list`)"))
	} else {
		errs = append(errs, validateSet(t, o.Set)...)
	}
	add(checkChoice("--iac", o.IaC, IaCChoices))
	add(checkChoice("--runtime", o.Runtime, RuntimeChoices))
	add(checkChoice("--arch", o.Arch, ArchChoices))
	add(checkChoice("--auth", o.Auth, AuthChoices))
	add(ValidateMemory(o.Memory))
	add(ValidateTimeout(o.Timeout))
	add(checkText("version", o.Version))
	if o.House != nil {
		errs = append(errs, flatten(o.House.Validate())...)
	}
	return errors.Join(errs...)
}

// ValidateMemory checks a memory size in MB against Lambda's bounds.
func ValidateMemory(mb int) error {
	if mb < MinMemory || mb > MaxMemory {
		return invalid("--memory", fmt.Sprint(mb),
			fmt.Sprintf("Lambda memory must be between %d and %d MB", MinMemory, MaxMemory),
			"pass a value in that range, e.g. --memory 256")
	}
	return nil
}

// ValidateTimeout checks a timeout in seconds against Lambda's bounds.
func ValidateTimeout(seconds int) error {
	if seconds < MinTimeout || seconds > MaxTimeout {
		return invalid("--timeout", fmt.Sprint(seconds),
			fmt.Sprintf("Lambda timeout must be between %d and %d seconds", MinTimeout, MaxTimeout),
			"pass a value in that range, e.g. --timeout 30")
	}
	return nil
}

// validateSet checks --set parameters against the template's declarations:
// unknown keys and bad values are errors naming the key.
func validateSet(t Template, set map[string]string) []error {
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(set)) {
		value := set[key]
		if err := checkText("--set key", key); err != nil {
			errs = append(errs, err)
			continue
		}
		p, ok := t.param(key)
		if !ok {
			hint := fmt.Sprintf("template %s has no parameters", t.Name)
			if len(t.Params) > 0 {
				hint = fmt.Sprintf("template %s takes %s", t.Name, strings.Join(t.ParamNames(), ", "))
			}
			errs = append(errs, invalid("--set key", key, "unknown parameter", hint+" (see `streamgen list`)"))
			continue
		}
		if err := p.check(value); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	params := t.ResolveParams(set)
	for _, p := range t.Params {
		_, given := set[p.Name]
		switch {
		case given && !p.Applies(params):
			hint := "leave it out"
			if args := setArgs(p.When.Equalities()); args != "" {
				hint += ", or pass " + args
			}
			errs = append(errs, invalid("--set "+p.Name, set[p.Name], "it applies only when "+p.When.String(), hint))
		case !given && p.Required && p.Applies(params):
			errs = append(errs, invalid("--set "+p.Name, "", "template "+t.Name+" requires it ("+p.Help+")", "pass --set "+p.Name+"=VALUE"))
		}
	}
	if len(errs) == 0 && t.pack != nil {
		for _, c := range t.pack.checks {
			if v := params[c.param]; v != "" && c.when.Holds(params) {
				if err := c.validate("--set "+c.param, v); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errs
}

// CheckParam checks one value of t's parameter name on its own: text,
// choices and the parameter's validation. The wizard calls it as a person
// answers; checks across parameters happen in [Options.Validate].
func (t Template) CheckParam(name, value string) error {
	p, ok := t.param(name)
	if !ok {
		return invalid("--set key", name, "unknown parameter", "template "+t.Name+" takes "+strings.Join(t.ParamNames(), ", "))
	}
	return p.check(value)
}

func (p Param) check(value string) error {
	switch err := checkText("--set "+p.Name, value); {
	case err != nil:
		return err
	case len(p.Choices) > 0 && !slices.Contains(p.Choices, value):
		return invalid("--set "+p.Name, value, "not a supported value", "choose one of "+strings.Join(p.Choices, ", "))
	case p.Validate != nil:
		return p.Validate("--set "+p.Name, value)
	}
	return nil
}

// setArgs renders a When condition as the --set flags that satisfy it.
func setArgs(when map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(when)) {
		parts = append(parts, "--set "+k+"="+when[k])
	}
	return strings.Join(parts, " ")
}

func checkChoice(field, value string, choices []string) error {
	if err := checkText(field, value); err != nil {
		return err
	}
	if slices.Contains(choices, value) {
		return nil
	}
	hint := "choose one of " + strings.Join(choices, ", ")
	if field == "--runtime" && value == "nodejs20.x" {
		return invalid(field, value, "nodejs20.x is deprecated (since 2026-04-30)", hint)
	}
	return invalid(field, value, "not a supported value", hint)
}
