package generator

import (
	"cmp"
	"maps"
	"slices"
	"strings"
)

// Fixed choices every generated project shares.
const (
	// reservedConcurrencyPublic caps what a public (auth none) URL can cost:
	// at most this many invocations run at once.
	reservedConcurrencyPublic = 10
	// logRetentionDays keeps function logs for a month instead of forever.
	logRetentionDays = 30
)

// Data is what templates see. Every field is derived from validated
// [Options]; string fields still go through an encoder in the templates.
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
	Auth        string // iam or none
	AuthType    string // AWS_IAM or NONE, as Function URLs spell it
	AuthNone    bool

	ReservedConcurrency int    // applied when AuthNone
	LogRetentionDays    int    // CloudWatch Logs retention
	CDKLogRetention     string // the aws-cdk-lib RetentionDays member for LogRetentionDays

	Version string // streamgen version

	// Set holds the --set parameters as given, for .streamgen.json.
	Set map[string]string
	// Params holds every template parameter's value, defaults included.
	// Custom templates read their parameters here, through an encoder:
	// {{yaml (index .Params "greeting")}}.
	Params map[string]string

	Dependencies    []NPMPackage // the handler's runtime dependencies
	DevDependencies []NPMPackage // build, test and IaC tooling
	// Bundle says the handler is bundled with esbuild for deployment.
	Bundle bool

	// Variant is the value of the template's VariantParam ("bedrock"), or
	// "" for templates without variants.
	Variant string

	// llm-stream parameters.
	Provider        string   // bedrock or openai
	ModelID         string   // the model (or inference profile) id
	BaseURL         string   // openai: the API's base URL
	APIKeyParameter string   // openai: SSM SecureString parameter name
	CORSOrigins     []string // origins CORS allows; none when empty

	// builtin names the built-in template the project comes from, or is
	// empty for a custom template (even one that replaces a built-in name),
	// so the template-specific parts of shared files apply only to ours.
	builtin string

	// s3-proxy parameters.
	Bucket       string // the bucket to serve; empty when the stack creates one
	CreateBucket bool   // the stack creates a private, encrypted bucket
	Prefix       string // the key prefix served, "" for the whole bucket
}

// NPMPackage is one pinned npm dependency.
type NPMPackage struct {
	Name    string
	Version string
}

// cdkDevDependencies are what a CDK app needs, pinned to versions whose
// `cdk synth --strict` and `tsc` are checked by the golden tests.
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

// s3BucketRef is the bucket as a CloudFormation Fn::Sub fragment: a
// reference to the created bucket, or the validated name (which cannot
// contain "${").
func (d Data) s3BucketRef() string {
	if d.CreateBucket {
		return "${ProxyBucket}"
	}
	return d.Bucket
}

// S3BucketARN is the bucket's ARN as an Fn::Sub string.
func (d Data) S3BucketARN() string {
	return "arn:${AWS::Partition}:s3:::" + d.s3BucketRef()
}

// S3ObjectsARN is the ARN of the objects under the served prefix, as an
// Fn::Sub string.
func (d Data) S3ObjectsARN() string {
	return d.S3BucketARN() + "/" + d.Prefix + "*"
}

// RegenerateArgs is the streamgen command line that renders this project
// again, in place, from the answers recorded in .streamgen.json;
// templates shell-quote each word.
func (d Data) RegenerateArgs() []string {
	return []string{"streamgen", "new", "--values", ManifestPath, "--dir", ".", "--force"}
}

// S3PrefixPattern matches every key under the served prefix, for IAM
// conditions.
func (d Data) S3PrefixPattern() string { return d.Prefix + "*" }

// S3KeyPattern shows how a request path maps to an object, for the README.
func (d Data) S3KeyPattern() string { return "s3://BUCKET/" + d.Prefix + "KEY" }

// SampleObjectKey is the S3 key the sample event asks for.
func (d Data) SampleObjectKey() string { return d.Prefix + "reports/2024/summary.pdf" }

// IsLLM reports whether the project is the llm-stream template.
func (d Data) IsLLM() bool { return d.builtin == "llm-stream" }

// IsBedrock reports whether an llm-stream project calls Amazon Bedrock.
func (d Data) IsBedrock() bool { return d.IsLLM() && d.Provider == "bedrock" }

// IsOpenAI reports whether an llm-stream project calls an OpenAI-compatible API.
func (d Data) IsOpenAI() bool { return d.IsLLM() && d.Provider == "openai" }

// BedrockModelARNs are the resources bedrock:InvokeModelWithResponseStream
// is allowed on, as Fn::Sub strings: the foundation model in the stack's
// region or, for a cross-region inference profile ("us.model"), the profile
// and the model in the regions the profile routes to.
func (d Data) BedrockModelARNs() []string {
	if p := inferenceProfilePrefix(d.ModelID); p != "" {
		return []string{
			"arn:${AWS::Partition}:bedrock:${AWS::Region}:${AWS::AccountId}:inference-profile/" + d.ModelID,
			"arn:${AWS::Partition}:bedrock:*::foundation-model/" + strings.TrimPrefix(d.ModelID, p),
		}
	}
	return []string{"arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/" + d.ModelID}
}

// BedrockNagFindings are the cdk-nag AwsSolutions-IAM5 findings the
// Bedrock statement raises: with an inference profile, the one about the
// model's ARN, whose region is a wildcard (the regions the profile routes
// to).
func (d Data) BedrockNagFindings() []string {
	if arns := d.BedrockModelARNs(); len(arns) == 2 {
		return []string{"AwsSolutions-IAM5[Resource::" + nagName(arns[1]) + "]"}
	}
	return nil
}

// APIKeyParameterARN is the SSM parameter's ARN as an Fn::Sub string.
func (d Data) APIKeyParameterARN() string {
	return "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter" + d.APIKeyParameter
}

// IsS3Proxy reports whether the project is the s3-proxy template.
func (d Data) IsS3Proxy() bool { return d.builtin == "s3-proxy" }

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

// IsSAM reports whether the project uses a SAM template.
func (d Data) IsSAM() bool { return d.IaC == IaCSAM }

// IsCDK reports whether the project is a CDK app.
func (d Data) IsCDK() bool { return d.IaC == IaCCDK }

// newData derives template data from options that have passed Validate.
func newData(o Options) Data {
	t, _ := o.source().Template(o.Template)
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
		Auth:                o.Auth,
		AuthType:            "AWS_IAM",
		AuthNone:            o.Auth == AuthNone,
		ReservedConcurrency: reservedConcurrencyPublic,
		LogRetentionDays:    logRetentionDays,
		CDKLogRetention:     "ONE_MONTH",
		Version:             o.Version,
	}
	if d.AuthNone {
		d.AuthType = "NONE"
	}
	if len(o.Set) > 0 {
		d.Set = maps.Clone(o.Set)
	}
	d.builtin = t.builtin
	params := t.resolveParams(o.Set)
	d.Params = params
	if t.VariantParam != "" {
		d.Variant = params[t.VariantParam]
	}
	d.Dependencies = npmPackages(t.Dependencies, t.VariantDependencies[d.Variant])
	devDeps := []map[string]string{t.DevDependencies}
	if d.IsCDK() {
		devDeps = append(devDeps, cdkDevDependencies)
	}
	d.DevDependencies = npmPackages(devDeps...)
	d.Bundle = t.Bundle
	d.Bucket, d.Prefix = params["bucket"], params["prefix"]
	d.CreateBucket = d.IsS3Proxy() && d.Bucket == ""
	if d.IsLLM() {
		d.Provider, d.ModelID = params["provider"], params["model"]
		if d.Provider == "openai" {
			d.ModelID = cmp.Or(d.ModelID, defaultOpenAIModel)
			d.BaseURL = strings.TrimSuffix(cmp.Or(params["baseUrl"], defaultOpenAIBaseURL), "/")
			d.APIKeyParameter = cmp.Or(params["apiKeyParameter"], "/"+d.Name+"/openai-api-key")
		} else {
			d.ModelID = cmp.Or(d.ModelID, defaultBedrockModel)
		}
		if origins := params["corsOrigins"]; origins != "" {
			d.CORSOrigins = strings.Split(origins, ",")
		}
	}
	return d
}

// cdkArch maps a Lambda architecture to its aws-cdk-lib Architecture member.
var cdkArch = map[string]string{"arm64": "ARM_64", "x86_64": "X86_64"}

// cdkRuntime maps "nodejs24.x" to "NODEJS_24_X".
func cdkRuntime(runtime string) string {
	v := strings.TrimSuffix(strings.TrimPrefix(runtime, "nodejs"), ".x")
	return "NODEJS_" + v + "_X"
}

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
