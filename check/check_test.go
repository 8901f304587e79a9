package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A clean streaming project: a SAM function with a RESPONSE_STREAM URL, a
// timeout, log retention, and a handler that streams properly.
const cleanTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs24.x
      CodeUri: src/
      Timeout: 30
      LoggingConfig:
        LogGroup: !Ref Logs
      FunctionUrlConfig:
        AuthType: AWS_IAM
        InvokeMode: RESPONSE_STREAM
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 30
`

const cleanHandler = `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
  stream.write('hello');
  stream.end();
});
`

func files(extra map[string]string) map[string]string {
	out := map[string]string{"template.yaml": cleanTemplate, "src/index.mjs": cleanHandler}
	for k, v := range extra {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func handlerBody(body string) map[string]string {
	return files(map[string]string{"src/index.mjs": "export const handler = awslambda.streamifyResponse(async (event, responseStream) => {\n" + body + "});\n"})
}

func template(edit func(string) string) map[string]string {
	return files(map[string]string{"template.yaml": edit(cleanTemplate)})
}

func replace(old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic("fixture has no " + old)
		}
		return strings.Replace(s, old, new, 1)
	}
}

// A plain CloudFormation function with a URL, for the rules about what a
// template without SAM must declare.
const plainCFN = `Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs24.x
      Code: src/
      Timeout: 30
      Role: arn:aws:iam::123456789012:role/fn
      LoggingConfig:
        LogGroup: !Ref Logs
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 30
`

func restFixture(integration string) map[string]string {
	return files(map[string]string{"template.yaml": plainCFN + `  Method:
    Type: AWS::ApiGateway::Method
    Properties:
      HttpMethod: ANY
      ResourceId: r
      RestApiId: a
      AuthorizationType: AWS_IAM
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
` + integration, "src/index.js": cleanHandler, "src/index.mjs": ""})
}

func publicURL(permissions string) map[string]string {
	return files(map[string]string{"template.yaml": plainCFN + `  Url:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt Fn.Arn
      AuthType: NONE
      InvokeMode: RESPONSE_STREAM
  UrlPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunctionUrl
      FunctionName: !Ref Fn
      Principal: "*"
      FunctionUrlAuthType: NONE
` + permissions, "src/index.js": cleanHandler, "src/index.mjs": ""})
}

const streamURI = `        ResponseTransferMode: STREAM
        Uri: !Sub "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2021-11-15/functions/${Fn.Arn}/response-streaming-invocations"
`

// ruleFixtures has, for every rule, a project it must report (exactly one
// finding, of that rule) and one it must not.
var ruleFixtures = map[string]struct{ fail, pass map[string]string }{
	"SG000": {files(map[string]string{"template.yaml": "Resources:\n  Fn: [unclosed\n"}), files(nil)},
	"SG001": {template(replace("InvokeMode: RESPONSE_STREAM", "InvokeMode: BUFFERED")), files(nil)},
	"SG002": {files(map[string]string{"src/index.mjs": "export const handler = async (event) => ({ statusCode: 200, body: 'hi' });\n"}), files(nil)},
	"SG003": {
		template(replace("      FunctionUrlConfig:\n        AuthType: AWS_IAM\n        InvokeMode: RESPONSE_STREAM\n", "      Events:\n        Get:\n          Type: Api\n          Properties:\n            Path: /\n            Method: get\n            InvokeMode: RESPONSE_STREAM\n")),
		template(replace("      FunctionUrlConfig:\n        AuthType: AWS_IAM\n        InvokeMode: RESPONSE_STREAM\n", "      Events:\n        Get:\n          Type: Api\n          Properties:\n            Path: /\n            Method: get\n            ResponseTransferMode: RESPONSE_STREAM\n")),
	},
	"SG004": {restFixture("        Uri: !Sub \"arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations\"\n"), restFixture(streamURI)},
	"SG005": {restFixture("        ResponseTransferMode: STREAM\n        Uri: !Sub \"arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations\"\n"), restFixture(streamURI)},
	"SG006": {
		template(replace("      FunctionUrlConfig:\n        AuthType: AWS_IAM\n        InvokeMode: RESPONSE_STREAM\n", "      Events:\n        Get:\n          Type: HttpApi\n")),
		files(nil),
	},
	"SG007": {publicURL(""), publicURL(`  InvokePermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !GetAtt Fn.Arn
      Principal: "*"
      InvokedViaFunctionUrl: true
`)},
	"SG008": {template(replace("      Timeout: 30\n", "")), files(nil)},
	"SG009": {template(replace("nodejs24.x", "nodejs20.x")), files(nil)},
	"SG010": {
		files(map[string]string{"template.yaml": strings.Replace(cleanTemplate, "InvokeMode: RESPONSE_STREAM", "InvokeMode: BUFFERED", 1),
			"src/index.mjs": "export const handler = (event, context, callback) => {\n  callback(null, { statusCode: 200 });\n};\n"}),
		files(map[string]string{"template.yaml": strings.Replace(cleanTemplate, "InvokeMode: RESPONSE_STREAM", "InvokeMode: BUFFERED", 1),
			"src/index.mjs": "export const handler = async (event, context) => ({ statusCode: 200 });\n"}),
	},
	"SG011": {template(replace("      LoggingConfig:\n        LogGroup: !Ref Logs\n", "")), files(nil)},
	"SG012": {
		files(map[string]string{"src/index.mjs": strings.Replace(cleanHandler, "(async (event, responseStream) =>", "((event, responseStream) =>", 1)}),
		files(nil),
	},
	"SG013": {
		handlerBody("  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 204 });\n  stream.end();\n"),
		handlerBody("  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 204 });\n  stream.write('');\n  stream.end();\n"),
	},
	"SG014": {
		handlerBody("  responseStream.write('early');\n  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });\n  stream.write('late');\n  stream.end();\n"),
		files(nil),
	},
	"SG015": {
		files(map[string]string{"src/index.mjs": "const traced = (fn) => fn;\nexport const handler = traced(awslambda.streamifyResponse(async (event, responseStream) => {\n  responseStream.write('x');\n  responseStream.end();\n}));\n"}),
		files(map[string]string{"src/index.mjs": "const traced = (fn) => fn;\nexport const handler = awslambda.streamifyResponse(traced(async (event, responseStream) => {\n  responseStream.write('x');\n  responseStream.end();\n}));\n"}),
	},
	"SG016": {
		handlerBody("  for (const line of ['a', 'b']) {\n    responseStream.write(line);\n  }\n  responseStream.end();\n"),
		handlerBody("  for (const line of ['a', 'b']) {\n    if (!responseStream.write(line)) await new Promise((r) => responseStream.once('drain', r));\n  }\n  responseStream.end();\n"),
	},
	"SG017": {
		handlerBody("  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'Set-Cookie': ['a=1', 'b=2'] } });\n  stream.write('x');\n  stream.end();\n"),
		handlerBody("  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, cookies: ['a=1', 'b=2'] });\n  stream.write('x');\n  stream.end();\n"),
	},
	"SG018": {
		handlerBody("  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'content-length': '5' } });\n  stream.write('hello');\n  stream.end();\n"),
		files(nil),
	},
	"SG019": {
		files(map[string]string{
			"template.yaml": strings.Replace(cleanTemplate, "        InvokeMode: RESPONSE_STREAM\n", "        InvokeMode: RESPONSE_STREAM\n        Cors:\n          AllowOrigins: [https://app.example.com]\n", 1),
			"src/index.mjs": strings.Replace(cleanHandler, "'content-type': 'text/plain'", "'content-type': 'text/plain', 'access-control-allow-origin': 'https://app.example.com'", 1),
		}),
		files(map[string]string{"template.yaml": strings.Replace(cleanTemplate, "        InvokeMode: RESPONSE_STREAM\n", "        InvokeMode: RESPONSE_STREAM\n        Cors:\n          AllowOrigins: [https://app.example.com]\n", 1)}),
	},
	"SG020": {
		handlerBody("  for (const line of ['a', 'b']) {\n    // streamgen-check-ignore SG016\n    responseStream.write(line);\n  }\n  responseStream.end();\n"),
		handlerBody("  for (const line of ['a', 'b']) {\n    // streamgen-check-ignore SG016 two short lines, far under the buffer\n    responseStream.write(line);\n  }\n  responseStream.end();\n"),
	},
}

func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func describe(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s:%d: %s %s: %s", f.File, f.Line, f.Rule, f.Severity, f.Message)
	}
	return b.String()
}

// TestRules: each rule's failing fixture gives exactly its finding, and
// its passing fixture none at all.
func TestRules(t *testing.T) {
	for _, r := range Rules {
		fx, ok := ruleFixtures[r.ID]
		if !ok {
			t.Errorf("rule %s has no fixtures", r.ID)
			continue
		}
		t.Run(r.ID, func(t *testing.T) {
			rep, err := Run(writeProject(t, fx.fail), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 1 || rep.Findings[0].Rule != r.ID {
				t.Errorf("failing fixture: want exactly one %s finding, got%s", r.ID, describe(rep.Findings))
			}
			rep, err = Run(writeProject(t, fx.pass), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 0 {
				t.Errorf("passing fixture: want no findings, got%s", describe(rep.Findings))
			}
		})
	}
	if len(Rules) < 15 {
		t.Errorf("%d rules", len(Rules))
	}
}

// The same rules read TypeScript, a CDK app's cdk.out and serverless.yml.
func TestOtherInputs(t *testing.T) {
	ts := `import type { Context } from 'aws-lambda';
export const handler = awslambda.streamifyResponse(async (event: unknown, responseStream: NodeJS.WritableStream, context: Context): Promise<void> => {
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });
  stream.end();
});
`
	cdkTemplate := `{"Resources": {
  "Fn1234": {"Type": "AWS::Lambda::Function", "Metadata": {"aws:asset:path": "asset.abc", "aws:asset:is-bundled": false},
    "Properties": {"Handler": "index.handler", "Runtime": "nodejs24.x", "Timeout": 30}},
  "FnUrl": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": {"Fn::GetAtt": ["Fn1234", "Arn"]}, "AuthType": "AWS_IAM"}}
}}`
	serverless := `service: demo
provider:
  name: aws
  runtime: nodejs24.x
  logRetentionInDays: 30
functions:
  stream:
    handler: src/index.handler
    timeout: 30
    url: true
`
	serverlessPermission := `resources:
  Resources:
    StreamInvoke:
      Type: AWS::Lambda::Permission
      Properties:
        Action: lambda:InvokeFunction
        FunctionName: !Ref StreamLambdaFunction
        Principal: "*"
        InvokedViaFunctionUrl: true
`
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // rule@file:line
	}{
		{"TypeScript", files(map[string]string{"src/index.mjs": "", "src/index.ts": ts}), []string{"SG013@src/index.ts:4"}},
		{"cdk.out", map[string]string{"cdk.json": "{}", "cdk.out/App.template.json": cdkTemplate, "cdk.out/asset.abc/index.mjs": cleanHandler},
			[]string{"SG011@cdk.out/App.template.json:2", "SG001@cdk.out/App.template.json:4"}},
		{"cdk.json without cdk.out", map[string]string{"cdk.json": "{}"}, []string{"SG000@cdk.json:1"}},
		{"serverless.yml", map[string]string{"serverless.yml": serverless, "src/index.mjs": cleanHandler}, []string{"SG001@serverless.yml:10", "SG007@serverless.yml:10"}},
		// The Framework's key is url.invoke; invokeMode is not read.
		{"serverless.yml with invoke and the second permission", map[string]string{"serverless.yml": strings.Replace(serverless, "    url: true\n", "    url:\n      invoke: response_stream\n", 1) + serverlessPermission, "src/index.mjs": cleanHandler}, nil},
		{"serverless.yml's permission naming the deployed function", map[string]string{"serverless.yml": strings.Replace(strings.Replace(serverless, "    url: true\n", "    url:\n      invoke: response_stream\n", 1), "  runtime: nodejs24.x\n", "  runtime: nodejs24.x\n  stage: prod\n", 1) + strings.Replace(serverlessPermission, "!Ref StreamLambdaFunction", "demo-prod-stream", 1), "src/index.mjs": cleanHandler}, nil},
		{"serverless.yml's permission naming only the key", map[string]string{"serverless.yml": strings.Replace(serverless, "    url: true\n", "    url:\n      invoke: response_stream\n", 1) + strings.Replace(serverlessPermission, "!Ref StreamLambdaFunction", "stream", 1), "src/index.mjs": cleanHandler}, []string{"SG007@serverless.yml:10"}},
		{"serverless.yml's permission naming the function with variables", map[string]string{"serverless.yml": strings.Replace(serverless, "    url: true\n", "    url:\n      invoke: response_stream\n", 1) + strings.Replace(serverlessPermission, "!Ref StreamLambdaFunction", "${self:service}-${sls:stage}-stream", 1), "src/index.mjs": cleanHandler}, nil},
		{"serverless.yml with invokeMode", map[string]string{"serverless.yml": strings.Replace(serverless, "    url: true\n", "    url:\n      invokeMode: RESPONSE_STREAM\n", 1) + serverlessPermission, "src/index.mjs": cleanHandler}, []string{"SG001@serverless.yml:10"}},
		{"a resource's Metadata suppresses", template(replace("      Timeout: 30\n", "")), []string{"SG008@template.yaml:3"}},
	} {
		t.Run(tc.name, func(t *testing.T) { expectFindings(t, tc.files, tc.want) })
	}

	// Metadata suppression, with and without a reason.
	suppressed := template(replace("      Timeout: 30\n", ""))
	suppressed["template.yaml"] = strings.Replace(suppressed["template.yaml"], "    Type: AWS::Serverless::Function\n", "    Type: AWS::Serverless::Function\n    Metadata:\n      streamgen-check-ignore:\n        SG008: the client gives up after 2 s\n", 1)
	rep, _ := Run(writeProject(t, suppressed), Options{})
	if len(rep.Findings) != 0 {
		t.Errorf("Metadata suppression: %s", describe(rep.Findings))
	}
	suppressed["template.yaml"] = strings.Replace(suppressed["template.yaml"], "SG008: the client gives up after 2 s", "SG008: \"\"", 1)
	rep, _ = Run(writeProject(t, suppressed), Options{})
	if len(rep.Findings) != 1 || rep.Findings[0].Rule != "SG020" {
		t.Errorf("Metadata suppression without a reason: %s", describe(rep.Findings))
	}
}

// --rule and --skip choose the rules; an unknown one is an error.
func TestRuleSelection(t *testing.T) {
	dir := writeProject(t, template(replace("nodejs24.x", "nodejs20.x")))
	if rep, _ := Run(dir, Options{Skip: []string{"deprecated-runtime"}}); len(rep.Findings) != 0 {
		t.Errorf("skip by name: %s", describe(rep.Findings))
	}
	if rep, _ := Run(dir, Options{Rules: []string{"SG001"}}); len(rep.Findings) != 0 {
		t.Errorf("only SG001: %s", describe(rep.Findings))
	}
	if _, err := Run(dir, Options{Rules: []string{"SG999"}}); err == nil || !strings.Contains(err.Error(), `"SG999"`) {
		t.Errorf("unknown rule: %v", err)
	}
}

// Templates written in ways the rules must see through: parameters' Refs,
// SAM Globals, YAML merge keys, physical names, CDK's log retention, and
// nested CDK assemblies.
func TestTemplateForms(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // rule@file:line
	}{
		{"InvokeMode and Timeout from parameters with defaults", template(func(s string) string {
			s = strings.Replace(s, "Resources:\n", "Parameters:\n  Mode: {Type: String, Default: RESPONSE_STREAM}\n  T: {Type: Number, Default: 30}\nResources:\n", 1)
			s = strings.Replace(s, "InvokeMode: RESPONSE_STREAM", "InvokeMode: !Ref Mode", 1)
			return strings.Replace(s, "Timeout: 30", "Timeout: !Ref T", 1)
		}), nil},
		{"a parameter's BUFFERED default", template(func(s string) string {
			s = strings.Replace(s, "Resources:\n", "Parameters:\n  Mode: {Type: String, Default: BUFFERED}\nResources:\n", 1)
			return strings.Replace(s, "InvokeMode: RESPONSE_STREAM", "InvokeMode: {Ref: Mode}", 1)
		}), []string{"SG001@template.yaml:14"}},
		{"an intrinsic check cannot resolve", template(func(s string) string {
			s = strings.Replace(s, "InvokeMode: RESPONSE_STREAM", "InvokeMode: !If [Prod, RESPONSE_STREAM, BUFFERED]", 1)
			return strings.Replace(s, "Timeout: 30", "Timeout: !FindInMap [M, K, V]", 1)
		}), nil},
		{"FunctionUrlConfig in Globals", template(func(s string) string {
			s = strings.Replace(s, "      FunctionUrlConfig:\n        AuthType: AWS_IAM\n        InvokeMode: RESPONSE_STREAM\n", "", 1)
			return strings.Replace(s, "Resources:\n", "Globals:\n  Function:\n    FunctionUrlConfig:\n      AuthType: AWS_IAM\n      InvokeMode: BUFFERED\nResources:\n", 1)
		}), []string{"SG001@template.yaml:4"}},
		{"properties merged with <<", template(func(s string) string {
			s = strings.Replace(s, "Resources:\n", "Mappings:\n  X:\n    Url: &url\n      FunctionUrlConfig:\n        AuthType: AWS_IAM\n        InvokeMode: BUFFERED\nResources:\n", 1)
			return strings.Replace(s, "      FunctionUrlConfig:\n        AuthType: AWS_IAM\n        InvokeMode: RESPONSE_STREAM\n", "      <<: *url\n", 1)
		}), []string{"SG001@template.yaml:9"}},
		{"permissions naming the function by its FunctionName", func() map[string]string {
			fx := publicURL("  InvokePermission:\n    Type: AWS::Lambda::Permission\n    Properties:\n      Action: lambda:InvokeFunction\n      FunctionName: arn:aws:lambda:us-east-1:123456789012:function:my-stream-fn\n      Principal: \"*\"\n      InvokedViaFunctionUrl: True\n")
			fx["template.yaml"] = strings.NewReplacer("      Handler: index.handler\n", "      FunctionName: my-stream-fn\n      Handler: index.handler\n", "FunctionName: !Ref Fn", "FunctionName: my-stream-fn").Replace(fx["template.yaml"])
			return fx
		}(), nil},
		{"CDK's logRetention and a nested assembly", map[string]string{"cdk.json": "{}", "cdk.out/assembly-Prod/ProdApp.template.json": `{"Resources": {
  "Fn1234": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "index.handler", "Runtime": "nodejs24.x", "Timeout": 30}},
  "FnUrl": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": {"Fn::GetAtt": ["Fn1234", "Arn"]}, "AuthType": "AWS_IAM", "InvokeMode": "RESPONSE_STREAM"}},
  "FnLogRetention": {"Type": "Custom::LogRetention", "Properties": {"LogGroupName": {"Fn::Join": ["", ["/aws/lambda/", {"Ref": "Fn1234"}]]}, "RetentionInDays": 30}}
}}`}, nil},
		{"a literal log group name", files(map[string]string{"template.yaml": strings.Replace(strings.Replace(cleanTemplate, "      LoggingConfig:\n        LogGroup: !Ref Logs\n", "      FunctionName: stream-fn\n", 1), "      RetentionInDays: 30\n", "      RetentionInDays: 30\n      LogGroupName: /aws/lambda/stream-fn\n", 1)}), nil},
	} {
		t.Run(tc.name, func(t *testing.T) { expectFindings(t, tc.files, tc.want) })
	}
}

// Handlers written in ways the source rules must see through, or must not
// misread.
func TestSourceForms(t *testing.T) {
	callbackTemplate := strings.Replace(cleanTemplate, "InvokeMode: RESPONSE_STREAM", "InvokeMode: BUFFERED", 1)
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // rule@file:line
	}{
		{"a framework's adapter is not a plain handler", files(map[string]string{"src/index.mjs": "import { Hono } from 'hono';\nimport { streamHandle } from 'hono/aws-lambda';\nconst app = new Hono();\nexport const handler = streamHandle(app);\n"}), nil},
		{"middy with streamifyResponse", files(map[string]string{"src/index.mjs": "import middy from '@middy/core';\nexport const handler = middy({ streamifyResponse: true }).handler(async (event, responseStream) => {\n  responseStream.write('x');\n  responseStream.end();\n});\n"}), nil},
		{"from assigned back to the stream, then end()", handlerBody("  responseStream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 204 });\n  responseStream.end();\n"), []string{"SG013@src/index.mjs:3"}},
		{"end(chunk) right after from", handlerBody("  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });\n  stream.end('hello');\n"), []string{"SG013@src/index.mjs:3"}},
		{"end() in a callback registered before the writes", handlerBody("  const out = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });\n  upstream.on('end', () => out.end());\n  upstream.on('data', (d) => out.write(d));\n"), nil},
		{"a write on an early-return branch before from", handlerBody("  if (event.rawPath === '/health') {\n    responseStream.write('ok');\n    responseStream.end();\n    return;\n  }\n  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });\n  stream.write('x');\n  stream.end();\n"), nil},
		{"an async handler with three parameters is not a callback one", files(map[string]string{"template.yaml": callbackTemplate, "src/index.mjs": "export const handler = async (event, context, unused) => ({ statusCode: 200 });\n"}), nil},
		{"a callback handler is reported where it is", files(map[string]string{"template.yaml": callbackTemplate, "src/index.mjs": "// A handler.\n\nexport const handler = (event, context, callback) => {\n  callback(null, { statusCode: 200 });\n};\n"}), []string{"SG010@src/index.mjs:3"}},
		{"a re-exported plain handler behind a streaming URL", files(map[string]string{"src/index.mjs": "export { handler } from './impl.mjs';\n", "src/impl.mjs": "export const handler = async () => ({ statusCode: 200 });\n"}), []string{"SG002@template.yaml:12"}},
		{"module.exports = require(...) of a streamified handler", files(map[string]string{"src/index.mjs": "", "src/index.js": "module.exports = require('./impl.cjs');\n", "src/impl.cjs": strings.Replace(cleanHandler, "export const handler =", "exports.handler =", 1)}), nil},
		{"a handler module that is not there", template(replace("Handler: index.handler", "Handler: dist/main.handler")), []string{"SG000@template.yaml:3"}},
		{"a compiled handler read from its TypeScript source", files(map[string]string{"template.yaml": strings.Replace(strings.Replace(cleanTemplate, "Handler: index.handler", "Handler: dist/index.handler", 1), "CodeUri: src/", "CodeUri: .", 1), "src/index.mjs": "", "src/index.ts": strings.Replace(cleanHandler, "stream.write('hello');\n", "", 1)}), []string{"SG013@src/index.ts:3"}},
		{"a module without the export", files(map[string]string{"src/index.mjs": "export const other = 1;\n"}), []string{"SG000@template.yaml:3"}},
		{"a TypeScript type assertion", files(map[string]string{"src/index.mjs": "", "src/index.ts": "const h = async () => ({ statusCode: 200 });\nexport const handler = <Handler>h;\n"}), []string{"SG002@template.yaml:12"}},
		{"a write in a block that falls through, before from", handlerBody("  if (event.debug) {\n    responseStream.write('d');\n  }\n  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });\n  stream.write('x');\n  stream.end();\n"), []string{"SG014@src/index.mjs:5"}},
		{"a write in a loop before setContentType", handlerBody("  for (const x of [1]) {\n    responseStream.write('d');\n  }\n  responseStream.setContentType('text/plain');\n  responseStream.end();\n"), []string{"SG016@src/index.mjs:3", "SG014@src/index.mjs:5"}},
		{"the handler is found through several export * and an import", files(map[string]string{"src/index.mjs": "export * from './other.mjs';\nexport * from './impl.mjs';\n", "src/other.mjs": "import { handler } from './deep.mjs';\nexport { handler };\n", "src/deep.mjs": "export const handler = async () => ({ statusCode: 200 });\n", "src/impl.mjs": "export const helper = 1;\n"}), []string{"SG002@template.yaml:12"}},
		{"a package's module is not the project's file of that name", files(map[string]string{"src/index.mjs": "export { handler } from 'stream';\n", "src/stream.mjs": "export const handler = async () => ({ statusCode: 200 });\n"}), []string{"SG000@template.yaml:3"}},
		{"a write and from on different branches", handlerBody("  if (event.raw) {\n    responseStream.write('a');\n    responseStream.end();\n  } else {\n    const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });\n    stream.write('x');\n    stream.end();\n  }\n"), nil},
		{"an early return with a comment after it", handlerBody("  if (event.raw) {\n    responseStream.write('a');\n    responseStream.end();\n    return; // done\n  }\n  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });\n  stream.write('x');\n  stream.end();\n"), nil},
		{"a switch case that returns", handlerBody("  switch (event.mode) {\n    case 'raw':\n      responseStream.write('a');\n      responseStream.end();\n      return;\n  }\n  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });\n  stream.write('x');\n  stream.end();\n"), nil},
		{"a loop left with break still wrote", handlerBody("  for (const x of [1]) {\n    responseStream.write('a');\n    break;\n  }\n  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });\n  stream.write('x');\n  stream.end();\n"), []string{"SG016@src/index.mjs:3", "SG014@src/index.mjs:6"}},
		{"a Python function is not looked for", template(replace("Runtime: nodejs24.x", "Runtime: python3.13")), nil},
		{"code in S3 is not looked for", template(replace("CodeUri: src/", "CodeUri: s3://my-bucket/code.zip")), nil},
		{"one comment suppresses several rules", handlerBody("  for (const line of ['a', 'b']) {\n    // streamgen-check-ignore SG016, SG014 two short lines\n    responseStream.write(line);\n  }\n  responseStream.end();\n"), nil},
		{"a suppression comment that cannot be read", handlerBody("  for (const line of ['a', 'b']) {\n    // streamgen-check-ignore: SG016 two short lines\n    responseStream.write(line);\n  }\n  responseStream.end();\n"), []string{"SG020@src/index.mjs:3", "SG016@src/index.mjs:4"}},
	} {
		t.Run(tc.name, func(t *testing.T) { expectFindings(t, tc.files, tc.want) })
	}
}

// expectFindings checks the project in files and wants exactly the
// findings want, each as rule@file:line, in order.
func expectFindings(t *testing.T, files map[string]string, want []string) {
	t.Helper()
	rep, err := Run(writeProject(t, files), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, fmt.Sprintf("%s@%s:%d", f.Rule, f.File, f.Line))
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v%s", got, want, describe(rep.Findings))
	}
}

// Modules that re-export each other with export * are searched once each,
// not once per path: 40 such modules take no time.
func TestExportStarFanOut(t *testing.T) {
	fx := files(nil)
	var all strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&all, "export * from './m%d.mjs';\n", i)
	}
	fx["src/index.mjs"] = all.String()
	for i := 0; i < 40; i++ {
		fx[fmt.Sprintf("src/m%d.mjs", i)] = all.String()
	}
	expectFindings(t, fx, []string{"SG000@template.yaml:3"})
	c := &checker{dir: writeProject(t, fx), enabled: map[string]bool{}, suppress: map[string]map[int]map[string]string{}, sources: map[string]*sourceFile{}, ctx: context.Background()}
	c.analyzeHandler("src/index.mjs", "handler")
	if c.exportVisits > 41 {
		t.Errorf("%d module visits for 41 modules", c.exportVisits)
	}
}
