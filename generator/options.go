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
	DefaultFront    = FrontURL
	// DefaultStage is the REST API stage a rest-api project deploys.
	DefaultStage = "prod"
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

// The front ends a project can stream through.
const (
	FrontURL     = "url"      // a Lambda Function URL, InvokeMode RESPONSE_STREAM
	FrontRestAPI = "rest-api" // an API Gateway REST API, integration ResponseTransferMode STREAM
)

// The auth modes. A Function URL takes iam or none; a REST API all four.
const (
	AuthIAM     = "iam"     // AWS_IAM: callers sign requests with SigV4
	AuthNone    = "none"    // NONE: public, anyone can invoke
	AuthAPIKey  = "api-key" // REST API: an API key with a usage plan
	AuthCognito = "cognito" // REST API: a Cognito user pool authorizer
)

// Choices for the enumerated options, in the order help text lists them.
var (
	IaCChoices     = []string{IaCSAM, IaCCDK}
	RuntimeChoices = []string{"nodejs24.x", "nodejs22.x"}
	ArchChoices    = []string{"arm64", "x86_64"}
	FrontChoices   = []string{FrontURL, FrontRestAPI}
	// AuthChoices are every auth mode; AuthChoicesFor says which a front
	// end takes.
	AuthChoices = []string{AuthIAM, AuthNone, AuthAPIKey, AuthCognito}
)

// AuthChoicesFor returns the auth modes front takes.
func AuthChoicesFor(front string) []string {
	if front == FrontRestAPI {
		return []string{AuthIAM, AuthAPIKey, AuthCognito, AuthNone}
	}
	return []string{AuthIAM, AuthNone}
}

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
	// Front is the front end the function streams through: "url" (a
	// Function URL) or "rest-api" (an API Gateway REST API).
	Front string
	// Auth is the auth mode: "iam" or "none", and for a REST API also
	// "api-key" or "cognito".
	Auth string
	// Stage is the REST API's stage name; empty takes "prod".
	Stage string
	// UserPoolARN is the Cognito user pool a REST API with auth cognito
	// checks tokens against.
	UserPoolARN string
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
	// permissions boundary, log retention). The Source's house.yaml, if
	// it has one, is a floor under it: its tags are added (its values win),
	// and its boundary and retention, when it sets them, replace House's.
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
	var h House
	if o.House != nil {
		h = o.House.clone()
	}
	if o.Source == nil || o.Source.house == nil {
		return h
	}
	// A template directory's house.yaml is the organisation's floor: a
	// policy given with --house or a values file may add to it, never
	// drop or weaken what it sets.
	dir := o.Source.house
	if len(dir.Tags) > 0 {
		if h.Tags == nil {
			h.Tags = map[string]string{}
		}
		maps.Copy(h.Tags, dir.Tags)
	}
	if dir.PermissionsBoundary != "" {
		h.PermissionsBoundary = dir.PermissionsBoundary
	}
	if dir.LogRetentionDays != 0 {
		h.LogRetentionDays = dir.LogRetentionDays
	}
	return h
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
	if o.Front == "" {
		o.Front = DefaultFront
	}
	if o.Auth == "" {
		o.Auth = DefaultAuth
	}
	if o.Stage == "" && o.Front == FrontRestAPI {
		o.Stage = DefaultStage
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
	add(checkChoice("--front", o.Front, FrontChoices))
	if err := checkText("--auth", o.Auth); err != nil {
		add(err)
	} else if choices := AuthChoicesFor(o.Front); !slices.Contains(choices, o.Auth) {
		reason := "not a supported value"
		if slices.Contains(AuthChoices, o.Auth) {
			reason = "a " + frontName(o.Front) + " takes " + strings.Join(choices, " or ")
		}
		add(invalid("--auth", o.Auth, reason, "choose one of "+strings.Join(choices, ", ")+frontHint(o)))
	}
	add(validateStage(o))
	add(validateUserPool(o))
	add(ValidateMemory(o.Memory))
	add(ValidateTimeout(o.Timeout))
	add(checkText("version", o.Version))
	if o.House != nil {
		errs = append(errs, flatten(o.House.Validate())...)
	}
	return errors.Join(errs...)
}

func frontName(front string) string {
	if front == FrontRestAPI {
		return "REST API"
	}
	return "Function URL"
}

func frontHint(o Options) string {
	if o.Front == FrontURL && (o.Auth == AuthAPIKey || o.Auth == AuthCognito) {
		return ", or pass --front rest-api"
	}
	return ""
}

// stageRE is API Gateway's rule for stage names.
var stageRE = boundedRE(`^[A-Za-z0-9_]+$`, 1, 128)

func validateStage(o Options) error {
	if o.Stage != "" && o.Front != FrontRestAPI {
		return invalid("--stage", o.Stage, "only a REST API has stages", "leave it out, or pass --front rest-api")
	}
	if o.Stage != "" {
		return ValidateStage(o.Stage)
	}
	return nil
}

// ValidateStage checks a REST API stage name.
func ValidateStage(stage string) error {
	if !stageRE.MatchString(stage) {
		return invalid("--stage", stage, "API Gateway stage names are 1-128 letters, digits and underscores", "e.g. --stage prod")
	}
	return nil
}

// userPoolARNRE is a Cognito user pool's ARN.
var userPoolARNRE = lazyRE(`^arn:aws(?:-cn|-us-gov)?:cognito-idp:[a-z]{2}(?:-gov)?-[a-z]+-\d:\d{12}:userpool/[a-z]{2}(?:-gov)?-[a-z]+-\d_[0-9A-Za-z]+$`)

func validateUserPool(o Options) error {
	switch {
	case o.Auth == AuthCognito && o.Front == FrontRestAPI && o.UserPoolARN == "":
		return invalid("--user-pool-arn", "", "auth cognito checks tokens against a Cognito user pool", "pass --user-pool-arn arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID")
	case o.UserPoolARN != "" && o.Auth != AuthCognito:
		return invalid("--user-pool-arn", o.UserPoolARN, "only auth cognito uses a user pool", "leave it out, or pass --auth cognito")
	case o.UserPoolARN != "" && !userPoolARNRE.MatchString(o.UserPoolARN):
		return invalid("--user-pool-arn", o.UserPoolARN, "not a Cognito user pool ARN", "e.g. arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123")
	}
	return nil
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
