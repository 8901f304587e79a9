// Package golden pins every file streamgen generates. Each folder here is the
// committed output of one case below; TestGolden compares it with a fresh
// in-memory render, and TestGeneratedProjects runs each folder as a user
// would (npm install, npm test, cfn-lint or cdk synth).
//
// After changing a template, rewrite the folders with
//
//	go test ./golden -run TestGolden -update
//
// and review the diff with git.
package golden

import "github.com/streamgen/streamgen/generator"

// goldenVersion is the streamgen version recorded in golden .streamgen.json
// files, fixed so output does not change with each release.
const goldenVersion = "0.0.0-golden"

// goldenCase is one generated project pinned under golden/<name>.
type goldenCase struct {
	name string
	opts generator.Options
}

// cases cover both IaC flavours with the defaults, and the non-default
// choices (public URL, x86_64, nodejs22.x) for each; then s3-proxy serving an
// existing bucket's prefix, and creating its own bucket; then llm-stream with
// Bedrock (a foundation model, and an inference profile with CORS) and with
// an OpenAI-compatible API.
var cases = []goldenCase{
	{"echo-sam", generator.Options{Name: "echo-sam"}},
	{"echo-cdk", generator.Options{Name: "echo-cdk", IaC: "cdk"}},
	{"echo-sam-public", generator.Options{Name: "echo-sam-public", Auth: "none", Arch: "x86_64", Runtime: "nodejs22.x", Memory: 512, Timeout: 120}},
	{"echo-cdk-public", generator.Options{Name: "echo-cdk-public", IaC: "cdk", Auth: "none", Arch: "x86_64", Runtime: "nodejs22.x", Memory: 512, Timeout: 120}},
	{"s3-proxy-sam", generator.Options{Name: "s3-proxy-sam", Template: "s3-proxy", Set: map[string]string{"bucket": "example-assets", "prefix": "public/"}}},
	{"s3-proxy-cdk", generator.Options{Name: "s3-proxy-cdk", Template: "s3-proxy", IaC: "cdk", Set: map[string]string{"bucket": "example-assets", "prefix": "public/"}}},
	{"s3-proxy-sam-created", generator.Options{Name: "s3-proxy-sam-created", Template: "s3-proxy"}},
	{"s3-proxy-cdk-created", generator.Options{Name: "s3-proxy-cdk-created", Template: "s3-proxy", IaC: "cdk", Auth: "none"}},
	{"llm-stream-sam", generator.Options{Name: "llm-stream-sam", Template: "llm-stream"}},
	{"llm-stream-cdk", generator.Options{Name: "llm-stream-cdk", Template: "llm-stream", IaC: "cdk", Set: map[string]string{
		"model": "us.anthropic.claude-3-5-haiku-20241022-v1:0", "corsOrigins": "https://app.example.com"}}},
	{"llm-stream-openai", generator.Options{Name: "llm-stream-openai", Template: "llm-stream", Set: map[string]string{
		"provider": "openai", "corsOrigins": "https://app.example.com,http://localhost:5173"}}},
	// REST API front ends: IAM auth (SAM), an API key with CORS (CDK), a
	// public API in front of an existing bucket (SAM), and a Cognito
	// authorizer (CDK).
	{"echo-sam-rest", generator.Options{Name: "echo-sam-rest", Front: "rest-api"}},
	{"llm-stream-cdk-rest", generator.Options{Name: "llm-stream-cdk-rest", Template: "llm-stream", IaC: "cdk", Front: "rest-api", Auth: "api-key", Set: map[string]string{
		"corsOrigins": "https://app.example.com"}}},
	{"s3-proxy-sam-rest", generator.Options{Name: "s3-proxy-sam-rest", Template: "s3-proxy", Front: "rest-api", Auth: "none", Stage: "v1", Set: map[string]string{
		"bucket": "example-assets", "prefix": "public/"}}},
	{"echo-cdk-rest-cognito", generator.Options{Name: "echo-cdk-rest-cognito", IaC: "cdk", Front: "rest-api", Auth: "cognito",
		UserPoolARN: "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"}},
}

func (c goldenCase) render() (generator.Files, error) {
	o := c.opts
	o.Version = goldenVersion
	return generator.Render(o)
}
