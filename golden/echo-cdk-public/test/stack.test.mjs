// Infrastructure tests: the CloudFormation template lib/stack.ts synthesizes
// is what this project promises (a streaming Function URL, its auth, log
// retention, the function's exact IAM grants), and cdk-nag's AwsSolutions
// and Serverless rule packs find nothing that lib/stack.ts does not
// acknowledge with a reason. `npm test` runs them with the handler's tests.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import * as cdk from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { register } from "tsx/esm/api";

// lib/stack.ts is TypeScript: tsx (which runs the CDK app too) loads it.
register();
const { EchoCdkPublicStack } = await import("../lib/stack.ts");

// The app gets the feature flags of cdk.json, as under `cdk synth`.
// Bundling is skipped, as these tests read the template, not the code; path
// metadata names each resource by its construct.
const { context } = JSON.parse(await readFile(new URL("../cdk.json", import.meta.url), "utf8"));
const app = new cdk.App({
  context: { ...context, "aws:cdk:bundling-stacks": [], "aws:cdk:enable-path-metadata": true },
});
const stack = new EchoCdkPublicStack(app, "Test");
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources;

test("the Function URL streams its response, with NONE auth", () => {
  template.resourceCountIs("AWS::Lambda::Url", 1);
  template.hasResourceProperties("AWS::Lambda::Url", {
    InvokeMode: "RESPONSE_STREAM",
    AuthType: "NONE",
  });
});

test("the public URL has both permissions and a cap on concurrency", () => {
  // Since October 2025 a public URL needs both, or every request gets 403.
  template.hasResourceProperties("AWS::Lambda::Permission", {
    Action: "lambda:InvokeFunctionUrl",
    Principal: "*",
    FunctionUrlAuthType: "NONE",
  });
  template.hasResourceProperties("AWS::Lambda::Permission", {
    Action: "lambda:InvokeFunction",
    Principal: "*",
    InvokedViaFunctionUrl: true,
  });
  template.hasResourceProperties("AWS::Lambda::Function", {
    ReservedConcurrentExecutions: 10,
  });
});

test("the function has its memory, timeout and runtime", () => {
  template.hasResourceProperties("AWS::Lambda::Function", {
    Runtime: "nodejs22.x",
    Architectures: ["x86_64"],
    MemorySize: 512,
    Timeout: 120,
  });
});

test("logs are kept for 30 days", () => {
  const groups = Object.values(resources).filter((r) => r.Type === "AWS::Logs::LogGroup");
  assert.ok(groups.length > 0, "the stack has no log group");
  for (const group of groups) assert.equal(group.Properties?.RetentionInDays, 30);
});

test("the function's role is granted exactly these statements, none on '*'", () => {
  const role = resources[stack.getLogicalId(stack.node.findChild("Role").node.defaultChild)];
  assert.equal(role.Properties?.ManagedPolicyArns, undefined, "the function's role has managed policies");
  const statements = Object.values(resources)
    .filter((r) => r.Type === "AWS::IAM::Policy" && r.Properties?.Roles.some((ref) => construct(ref.Ref) === "Role"))
    .flatMap((r) => r.Properties?.PolicyDocument.Statement);
  for (const s of statements.filter((s) => s.Effect === "Allow")) {
    const actions = [s.Action].flat();
    assert.ok(!actions.some((a) => a.includes("*")), `Allow with a wildcard action: ${actions}`);
    assert.ok(![s.Resource].flat().includes("*"), `Allow ${actions} on every resource`);
  }
  // Compared grant by grant (one action on one resource under one
  // condition), as CDK may merge statements that share actions or
  // resources.
  assert.deepEqual(grants(statements), grants([
    {
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: "${Logs.Arn}",
    },
  ]));
});

test("cdk-nag's AwsSolutions and Serverless packs find nothing unacknowledged", () => {
  const findings = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack.validateScope(app).violations.map((v) => {
      const where = v.violatingResources.map((r) => r.constructPath).join(", ");
      return `${v.ruleName} (${v.severity}) at ${where}: ${v.description}`;
    }),
  );
  assert.deepEqual(findings, []);
});

// grants lists what statements allow, one "Effect action resource
// condition" line per action and resource, sorted; resources as show
// writes them.
function grants(statements) {
  const out = [];
  for (const s of statements) {
    for (const action of [s.Action].flat()) {
      for (const resource of [s.Resource].flat()) {
        out.push(`${s.Effect} ${action} ${show(resource)} ${JSON.stringify(shown(s.Condition ?? {}))}`);
      }
    }
  }
  return out.sort();
}

// shown is a condition with every CloudFormation value written by show.
function shown(value) {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(shown);
  if (Object.keys(value).some((k) => k === "Ref" || k.startsWith("Fn::"))) return show(value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shown(v)]));
}

// show writes a CloudFormation value as an Fn::Sub string, naming each
// resource of this stack by its construct path instead of its hashed
// logical id: {"Fn::GetAtt": ["Logs6819BB44", "Arn"]} is "${Logs.Arn}".
function show(value) {
  if (typeof value === "string") return value;
  const v = value;
  if (v.Ref !== undefined) return "${" + construct(v.Ref) + "}";
  if (v["Fn::GetAtt"] !== undefined) return "${" + construct(v["Fn::GetAtt"][0]) + "." + v["Fn::GetAtt"][1] + "}";
  if (v["Fn::Join"] !== undefined) return v["Fn::Join"][1].map(show).join(v["Fn::Join"][0]);
  if (v["Fn::Sub"] !== undefined && typeof v["Fn::Sub"] === "string") return v["Fn::Sub"];
  return JSON.stringify(value);
}

function construct(logicalId) {
  const path = resources[logicalId]?.Metadata?.["aws:cdk:path"];
  if (typeof path !== "string") return logicalId; // a pseudo parameter such as AWS::Partition
  return path.replace(/^Test\//, "").replace(/\/Resource$/, "");
}
