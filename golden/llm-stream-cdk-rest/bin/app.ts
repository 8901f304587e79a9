import * as cdk from "aws-cdk-lib";
import { LlmStreamCdkRestStack } from "../lib/stack.js";

const app = new cdk.App();

// No `env`: the stack is environment-agnostic, so `cdk synth` needs no AWS
// credentials and does no lookups. `cdk deploy` uses the account and region
// of your current AWS profile.
new LlmStreamCdkRestStack(app, "llm-stream-cdk-rest");
