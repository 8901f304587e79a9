package generator

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Fixed choices every generated project shares.
const (
	// reservedConcurrencyPublic caps what a public (auth none) URL can cost:
	// at most this many invocations run at once.
	reservedConcurrencyPublic = 10
	// defaultLogRetentionDays keeps function logs for a month instead of
	// forever, unless house policy says otherwise.
	defaultLogRetentionDays = 30
)

// Data is what templates see. Every field is derived from validated
// [Options] and the template's manifest; string fields still go through an
// encoder in the templates, and a [Value] through sam or cdk.
type Data struct {
	Name        string // npm package name and folder name
	StackName   string // CloudFormation stack name
	StackClass  string // TypeScript class name of the CDK stack, e.g. DemoStack
	Description string // the Lambda function's description
	Template    string
	IaC         string
	Runtime     string // e.g. nodejs24.x
	CDKRuntime  string // e.g. NODEJS_24_X, the aws-cdk-lib Runtime member
	Arch        string // arm64 or x86_64
	CDKArch     string // ARM_64 or X86_64, the aws-cdk-lib Architecture member
	Memory      int
	Timeout     int
	Front       string // url or rest-api
	Auth        string // iam, none, api-key or cognito
	AuthType    string // AWS_IAM or NONE, as Function URLs spell it (REST APIs: MethodAuthorization)
	AuthNone    bool
	// Stage is the REST API's stage, UserPoolARN its Cognito user pool
	// (auth cognito).
	Stage       string
	UserPoolARN string
	// Sample is the request of events/sample.json.
	Sample Sample
	// Custom says the template comes from a template directory (custom,
	// or a built-in one it patches), which an upgrade needs again.
	Custom bool

	ReservedConcurrency int    // applied when AuthNone
	LogRetentionDays    int    // CloudWatch Logs retention, from house policy or 30
	CDKLogRetention     string // the aws-cdk-lib RetentionDays member for LogRetentionDays

	Version string // streamgen version

	// Set holds the --set parameters as given, for .streamgen.json.
	Set map[string]string
	// Params holds every template parameter's value, defaults included:
	// {{yaml (index .Params "greeting")}}.
	Params map[string]string
	// Values holds the values the manifest derives (values:), each as
	// text: references to resources written ${Res.Attr}.
	Values map[string]string

	Dependencies    []NPMPackage // the handler's runtime dependencies
	DevDependencies []NPMPackage // build, test and IaC tooling
	// Bundle says the handler is bundled with esbuild for deployment.
	Bundle bool

	// Variant is the value of the template's variants parameter
	// ("openai"), or "" for templates without variants.
	Variant string

	// What the manifest declares, for the parameters given: only what
	// applies (its when: holds).
	Environment []EnvVar
	Policies    []IAMPolicy
	Resources   []Resource
	Outputs     []Output
	// CORS is the Function URL's CORS configuration, nil for none.
	CORS *CORS
	// CDKImports are the modules the CDK fragment's resources need.
	CDKImports []CDKImport

	// House is the organisation's policy the project follows.
	House House
}

// REST API limits the generated stack starts with; the README says where
// to change them.
const (
	// Stage throttling: requests per second, and the burst above it.
	stageRateLimit  = 50
	stageBurstLimit = 100
	// The usage plan of auth api-key: per key, and a daily quota.
	usagePlanRateLimit  = 10
	usagePlanBurstLimit = 20
	usagePlanDailyQuota = 10000
	// maxStreamSeconds is how long API Gateway lets a response stream.
	maxStreamSeconds = 15 * 60
)

// IsRestAPI reports whether the function streams through a REST API.
func (d Data) IsRestAPI() bool { return d.Front == FrontRestAPI }

// IsURL reports whether the function streams through a Function URL.
func (d Data) IsURL() bool { return d.Front == FrontURL }

// MethodAuthorization is the REST API methods' AuthorizationType.
func (d Data) MethodAuthorization() string {
	switch d.Auth {
	case AuthIAM:
		return "AWS_IAM"
	case AuthCognito:
		return "COGNITO_USER_POOLS"
	}
	return "NONE"
}

// IntegrationTimeoutMillis is the REST API integration's timeout: the
// function's, capped at the 15 minutes a stream may last.
func (d Data) IntegrationTimeoutMillis() int { return min(d.Timeout, maxStreamSeconds) * 1000 }

// Throttle holds the REST API's rate limits, for the templates.
type Throttle struct {
	StageRate, StageBurst, PlanRate, PlanBurst, PlanDailyQuota int
}

// Throttle returns the REST API's starting rate limits.
func (d Data) Throttle() Throttle {
	return Throttle{stageRateLimit, stageBurstLimit, usagePlanRateLimit, usagePlanBurstLimit, usagePlanDailyQuota}
}

// EnvVar is one environment variable of the function.
type EnvVar struct {
	Name    string
	Comment string // what it is for; may have several lines
	Value   Value
}

// IAMPolicy is one inline policy of the function's role.
type IAMPolicy struct {
	Name       string // the SAM PolicyName
	Comment    string
	Statements []Statement
}

// Statement is one Allow statement.
type Statement struct {
	Comment   string
	Actions   []string
	Resources []Value
	// Condition holds the statement's condition, operator by operator.
	Condition []ConditionOperator
	// WildcardReason says what the wildcards in Resources stand for.
	WildcardReason string
}

// ConditionOperator is one operator of an IAM condition, such as
// StringLike, with its keys in order.
type ConditionOperator struct {
	Operator string
	Keys     []ConditionKey
}

// ConditionKey is one key of a condition operator, e.g. s3:prefix.
type ConditionKey struct {
	Key   string
	Value Value
}

// WildcardResources are the statement's resources that contain a
// wildcard, which cdk-nag's AwsSolutions-IAM5 asks a reason for.
func (s Statement) WildcardResources() []Value {
	var out []Value
	for _, r := range s.Resources {
		if r.wildcard {
			out = append(out, r)
		}
	}
	return out
}

// Resource is a resource the template's fragments create.
type Resource struct {
	Name  string // CloudFormation logical id in SAM
	Type  string // e.g. AWS::S3::Bucket
	CDK   string // the TypeScript variable of its construct; "" when the CDK fragment makes it implicitly
	CDKID string // the construct's id in CDK
}

// ResourceServices are the AWS services of the resources the template
// creates, e.g. "S3", for the permissions a deploy role needs.
func (d Data) ResourceServices() []string {
	var out []string
	for _, r := range d.Resources {
		parts := strings.Split(r.Type, "::")
		if len(parts) == 3 && !slices.Contains(out, parts[1]) {
			out = append(out, parts[1])
		}
	}
	return out
}

// Output is one stack output.
type Output struct {
	Name        string
	Description string
	Value       Value
}

// CORS is what browsers may do across origins.
type CORS struct {
	Origins []string
	Methods []string
	Headers []string
}

// CDKImport is one `import * as Alias from "Module"` of the CDK stack.
type CDKImport struct {
	Alias, Module string
}

// NPMPackage is one pinned npm dependency.
type NPMPackage struct {
	Name    string
	Version string
}

// cdkDevDependencies are what a CDK app needs, pinned to versions whose
// `cdk synth --strict`, `tsc` and stack tests are checked by the golden
// tests.
var cdkDevDependencies = map[string]string{
	"@types/node": "24.19.2",
	"aws-cdk":     "2.1148.1",
	"aws-cdk-lib": "2.276.0",
	"cdk-nag":     "3.0.2",
	"constructs":  "10.8.1",
	"tsx":         "4.23.15",
	"typescript":  "7.0.2",
}

// EnginesNode is package.json's engines.node: the Node.js of the oldest
// runtime a project can choose, so `npm install` warns on an older one.
func (d Data) EnginesNode() string {
	oldest := RuntimeChoices[len(RuntimeChoices)-1]
	return ">=" + strings.TrimSuffix(strings.TrimPrefix(oldest, "nodejs"), ".x")
}

// DeployRoleARN is the example ARN of the role the README's GitHub Actions
// deploy job assumes.
func (d Data) DeployRoleARN() string {
	return "arn:aws:iam::123456789012:role/" + d.Name + "-deploy"
}

// LatestRuntime is the newest Lambda runtime a project can choose.
func (d Data) LatestRuntime() string { return RuntimeChoices[0] }

// NodeVersion is the Node.js major version of the Lambda runtime, e.g. "24"
// for nodejs24.x: what CI installs to run the project's tests.
func (d Data) NodeVersion() string {
	return strings.TrimSuffix(strings.TrimPrefix(d.Runtime, "nodejs"), ".x")
}

// ESBuildTarget is the esbuild target matching the Lambda runtime.
func (d Data) ESBuildTarget() string { return "node" + d.NodeVersion() }

// RegenerateArgs is the streamgen command line that renders this project
// again, in place, from the answers recorded in .streamgen.json;
// templates shell-quote each word.
func (d Data) RegenerateArgs() []string {
	return []string{"streamgen", "upgrade"}
}

// HasResource reports whether the project creates the resource name.
func (d Data) HasResource(name string) bool {
	return slices.ContainsFunc(d.Resources, func(r Resource) bool { return r.Name == name })
}

// IsSAM reports whether the project uses a SAM template.
func (d Data) IsSAM() bool { return d.IaC == IaCSAM }

// IsCDK reports whether the project is a CDK app.
func (d Data) IsCDK() bool { return d.IaC == IaCCDK }

// npmPackages turns name -> version maps into a list sorted by name, as npm
// itself sorts package.json.
func npmPackages(sets ...map[string]string) []NPMPackage {
	all := map[string]string{}
	for _, s := range sets {
		maps.Copy(all, s)
	}
	var out []NPMPackage
	for _, name := range slices.Sorted(maps.Keys(all)) {
		out = append(out, NPMPackage{Name: name, Version: all[name]})
	}
	return out
}

// newData derives template data from options that have passed Validate.
func newData(o Options) (Data, error) {
	t, _ := o.source().Template(o.Template)
	house := o.house()
	d := Data{
		Name:                o.Name,
		StackName:           o.Name,
		StackClass:          pascalCase(o.Name) + "Stack",
		Description:         t.Summary + " (generated by streamgen)",
		Template:            o.Template,
		IaC:                 o.IaC,
		Runtime:             o.Runtime,
		CDKRuntime:          cdkRuntime(o.Runtime),
		Arch:                o.Arch,
		CDKArch:             cdkArch[o.Arch],
		Memory:              o.Memory,
		Timeout:             o.Timeout,
		Front:               o.Front,
		Auth:                o.Auth,
		AuthType:            "AWS_IAM",
		AuthNone:            o.Auth == AuthNone,
		Stage:               o.Stage,
		UserPoolARN:         o.UserPoolARN,
		ReservedConcurrency: reservedConcurrencyPublic,
		LogRetentionDays:    defaultLogRetentionDays,
		Version:             o.Version,
		House:               house,
	}
	if house.LogRetentionDays != 0 {
		d.LogRetentionDays = house.LogRetentionDays
	}
	d.CDKLogRetention = cdkRetention()[d.LogRetentionDays]
	if d.AuthNone {
		d.AuthType = "NONE"
	}
	if len(o.Set) > 0 {
		d.Set = maps.Clone(o.Set)
	}
	d.Params = t.ResolveParams(o.Set)
	d.Bundle = t.Bundle
	d.Custom = o.source().Origin(o.Template) != "builtin"
	if err := t.pack.complete(); err != nil {
		return Data{}, err
	}
	d.Sample = defaultSample
	if t.pack.sample != nil {
		d.Sample = *t.pack.sample
	}
	if err := resolveDeclared(t, &d); err != nil {
		return Data{}, err
	}
	devDeps := []map[string]string{t.DevDependencies}
	if v := t.pack.variant(d.Variant); v != nil {
		devDeps = append(devDeps, v.declared.devDeps)
	}
	if d.IsCDK() {
		devDeps = append(devDeps, cdkDevDependencies)
	}
	d.DevDependencies = npmPackages(devDeps...)
	return d, nil
}

// cdkArch maps a Lambda architecture to its aws-cdk-lib Architecture member.
var cdkArch = map[string]string{"arm64": "ARM_64", "x86_64": "X86_64"}

// cdkRuntime maps "nodejs24.x" to "NODEJS_24_X".
func cdkRuntime(runtime string) string {
	v := strings.TrimSuffix(strings.TrimPrefix(runtime, "nodejs"), ".x")
	return "NODEJS_" + v + "_X"
}

// cdkRetention maps each retention CloudWatch Logs accepts, in days, to its
// aws-cdk-lib RetentionDays member. It is built on first use.
var cdkRetention = sync.OnceValue(func() map[int]string {
	return map[int]string{
		1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS",
		30: "ONE_MONTH", 60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS",
		150: "FIVE_MONTHS", 180: "SIX_MONTHS", 365: "ONE_YEAR", 400: "THIRTEEN_MONTHS",
		545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1096: "THREE_YEARS", 1827: "FIVE_YEARS",
		2192: "SIX_YEARS", 2557: "SEVEN_YEARS", 2922: "EIGHT_YEARS", 3288: "NINE_YEARS",
		3653: "TEN_YEARS",
	}
})

// pascalCase maps "my-app2" to "MyApp2".
func pascalCase(name string) string {
	var b strings.Builder
	upper := true
	for _, r := range name {
		switch {
		case r == '-' || r == '.' || r == '_' || r == '~':
			upper = true
		case upper && r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
			upper = false
		case (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
			upper = false
		}
	}
	return b.String()
}

// resolveDeclared fills what the template declares into d, for the parameters in
// d.Params: values, environment, policies, resources, outputs and CORS,
// each only where its when: holds, with the variant's added.
func resolveDeclared(t Template, d *Data) error {
	p := t.pack
	if p.variantParam != "" {
		d.Variant = d.Params[p.variantParam]
	}
	decls := []*declared{&p.declared}
	if v := p.variant(d.Variant); v != nil {
		decls = append(decls, &v.declared)
	}
	deps := []map[string]string{}
	r := resolver{d: d, values: map[string]Value{}, resources: map[string]*resourceRef{}, declaredResources: map[string]resourceDecl{}}
	for _, decl := range decls {
		for _, res := range decl.resources {
			r.declaredResources[res.name] = res
			if !res.when.Holds(d.Params) {
				continue
			}
			r.resources[res.name] = &resourceRef{name: res.name, cdk: res.cdk, cdkID: res.cdkID, attributes: res.attributes}
			d.Resources = append(d.Resources, Resource{Name: res.name, Type: res.typ, CDK: res.cdk, CDKID: res.cdkID})
			for alias, module := range res.imports {
				if !slices.Contains(d.CDKImports, CDKImport{alias, module}) {
					d.CDKImports = append(d.CDKImports, CDKImport{alias, module})
				}
			}
		}
	}
	slices.SortFunc(d.CDKImports, func(a, b CDKImport) int { return strings.Compare(a.Module, b.Module) })
	d.Values = map[string]string{}
	for _, decl := range decls {
		deps = append(deps, decl.dependencies)
		for _, v := range decl.values {
			if _, done := r.values[v.name]; done || !v.when.Holds(d.Params) {
				continue
			}
			val, err := r.eval(v.value)
			if err != nil {
				return err
			}
			if v.replace != nil {
				for i, part := range val.parts {
					if part.ref == nil && part.pseudo == "" {
						val.parts[i].text = v.replace.ReplaceAllString(part.text, v.with)
					}
				}
			}
			r.values[v.name] = val
			d.Values[v.name] = val.String()
		}
	}
	for _, decl := range decls {
		for _, e := range decl.environment {
			if !e.when.Holds(d.Params) {
				continue
			}
			if slices.ContainsFunc(d.Environment, func(x EnvVar) bool { return x.Name == e.name }) {
				return fmt.Errorf("template %s sets the environment variable %s twice for these answers; make the when: conditions of its entries exclusive", d.Template, e.name)
			}
			val, err := r.eval(e.value)
			if err != nil {
				return err
			}
			d.Environment = append(d.Environment, EnvVar{Name: e.name, Comment: e.comment, Value: val})
		}
		for _, pd := range decl.policies {
			if !pd.when.Holds(d.Params) {
				continue
			}
			if pd.name == "write-own-logs" || slices.ContainsFunc(d.Policies, func(p IAMPolicy) bool { return p.Name == pd.name }) {
				return fmt.Errorf("template %s: the policy name %s is taken (write-own-logs is the layers'; each policy needs a name of its own)", d.Template, Quote(pd.name))
			}
			pol := IAMPolicy{Name: pd.name, Comment: pd.comment}
			for _, sd := range pd.statements {
				s := Statement{Comment: sd.comment, Actions: sd.actions, WildcardReason: sd.wildcardReason}
				for _, rp := range sd.resources {
					val, err := r.eval(rp)
					if err != nil {
						return err
					}
					if val.String() == "*" {
						return fmt.Errorf("template %s: policy %s allows %s on every resource (\"*\") for these answers", d.Template, pd.name, strings.Join(sd.actions, ", "))
					}
					if val.wildcard && sd.wildcardReason == "" {
						return fmt.Errorf("template %s: policy %s: resource %s has a wildcard for these answers (from a value or an answer), but the statement has no wildcardReason saying what it stands for", d.Template, pd.name, Quote(rp.raw))
					}
					if err := checkPolicyText(d.Template, pd.name, rp.raw, val); err != nil {
						return err
					}
					s.Resources = append(s.Resources, val)
				}
				for _, op := range slices.Sorted(maps.Keys(sd.condition)) {
					co := ConditionOperator{Operator: op}
					for _, k := range slices.Sorted(maps.Keys(sd.condition[op])) {
						val, err := r.eval(sd.condition[op][k])
						if err != nil {
							return err
						}
						if err := checkPolicyText(d.Template, pd.name, sd.condition[op][k].raw, val); err != nil {
							return err
						}
						co.Keys = append(co.Keys, ConditionKey{Key: k, Value: val})
					}
					s.Condition = append(s.Condition, co)
				}
				pol.Statements = append(pol.Statements, s)
			}
			d.Policies = append(d.Policies, pol)
		}
		for _, od := range decl.outputs {
			if !od.when.Holds(d.Params) {
				continue
			}
			val, err := r.eval(od.value)
			if err != nil {
				return err
			}
			d.Outputs = append(d.Outputs, Output{Name: od.name, Description: od.description, Value: val})
		}
		if decl.cors != nil {
			val, err := r.eval(decl.cors.origins)
			if err != nil {
				return err
			}
			if text, ok := val.Text(); ok && text != "" {
				d.CORS = &CORS{Origins: strings.Split(text, ","), Methods: decl.cors.methods, Headers: decl.cors.headers}
			}
		}
	}
	d.Dependencies = npmPackages(append([]map[string]string{t.Dependencies}, deps...)...)
	return nil
}

// resolver turns patterns into Values for one project.
type resolver struct {
	d                 *Data
	values            map[string]Value
	resources         map[string]*resourceRef
	declaredResources map[string]resourceDecl
}

func (r *resolver) eval(p pattern) (Value, error) {
	var v Value
	add := func(part valuePart) {
		if part.ref == nil && part.pseudo == "" && part.text == "" {
			return
		}
		// Adjacent text merges, so a Value is as short as it can be.
		if n := len(v.parts); n > 0 && part.ref == nil && part.pseudo == "" && v.parts[n-1].ref == nil && v.parts[n-1].pseudo == "" {
			v.parts[n-1].text += part.text
			v.parts[n-1].fromUser = v.parts[n-1].fromUser || part.fromUser
			return
		}
		v.parts = append(v.parts, part)
	}
	for _, part := range p.parts {
		switch part.kind {
		case partText:
			v.wildcard = v.wildcard || strings.Contains(part.text, "*")
			add(valuePart{text: part.text})
		case partParam:
			// An answer's "*" widens a grant as a literal one does.
			v.wildcard = v.wildcard || strings.Contains(r.d.Params[part.text], "*")
			add(valuePart{text: r.d.Params[part.text], fromUser: true})
		case partProject:
			name := r.d.Name
			if part.text == "stack" {
				name = r.d.StackName
			}
			add(valuePart{text: name, fromUser: true})
		case partValue:
			val, ok := r.values[part.text]
			if !ok {
				return Value{}, fmt.Errorf("template %s: %s uses ${value:%s}, which no values: entry defines for these answers (or one defined later)", r.d.Template, Quote(p.raw), part.text)
			}
			v.wildcard = v.wildcard || val.wildcard
			for _, vp := range val.parts {
				add(vp)
			}
		case partRef:
			ref, ok := r.resources[part.res]
			if !ok {
				why := ""
				if decl, declared := r.declaredResources[part.res]; declared {
					why = " (its when: is " + decl.when.String() + ")"
				}
				return Value{}, fmt.Errorf("template %s: %s refers to ${%s}, which the project does not create for these answers%s", r.d.Template, Quote(p.raw), part.res, why)
			}
			add(valuePart{ref: ref, attr: part.attr})
		case partPseudo:
			add(valuePart{pseudo: part.res})
		}
	}
	return v, nil
}

// checkPolicyText refuses an answer that would put an IAM policy variable
// (${aws:username}, ...) into a policy: written as text it reaches IAM as
// a variable, which widens or changes the grant.
func checkPolicyText(template, policy, raw string, v Value) error {
	for _, part := range v.parts {
		if part.fromUser && strings.Contains(part.text, "${") {
			return fmt.Errorf("template %s: policy %s: %s takes %s from an answer, which IAM would read as a policy variable; answers in policies may not contain \"${\"", template, policy, Quote(raw), Quote(part.text))
		}
	}
	return nil
}
