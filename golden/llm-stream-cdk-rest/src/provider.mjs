// The model provider: Amazon Bedrock's ConverseStream API, which speaks the
// same request and event shapes for every text model Bedrock hosts.
//
// Configuration from the environment, which the SAM template or CDK stack sets:
//   MODEL_ID  a model id (anthropic.claude-3-5-haiku-20241022-v1:0), an
//             inference profile id (us.anthropic...) or an ARN (required)
// The region is the function's own (AWS_REGION). AWS_ENDPOINT_URL_BEDROCK_RUNTIME,
// if set, points the client elsewhere, such as a local fake in tests.
//
// Every module that provides a model exports the same four functions, so
// index.mjs and chat.mjs work with either.

import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';

// Bedrock's own pattern is longer; this catches what a typo or a missing
// variable would give (spaces, an empty value, stray characters).
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,2047}$/;

// The error events a ConverseStream may end with. The SDK throws them from
// the event loop; they are checked here too, in case one arrives as an event.
const STREAM_EXCEPTIONS = [
  'internalServerException', 'modelStreamErrorException', 'validationException',
  'throttlingException', 'serviceUnavailableException',
];

/** Reads { modelId } from `env`; throws an Error naming the problem. */
export function readProviderConfig(env) {
  const modelId = (env.MODEL_ID ?? '').trim();
  if (modelId === '') throw new Error('MODEL_ID is not set');
  if (!MODEL_ID.test(modelId)) {
    throw new Error(`MODEL_ID ${JSON.stringify(env.MODEL_ID)} is not a Bedrock model id, inference profile id or ARN`);
  }
  return { modelId };
}

/** The provider for a config from readProviderConfig(). */
export async function startProvider({ modelId }) {
  return createProvider({ modelId });
}

/**
 * Returns { name, model, maxTemperature, stream(request) } for `modelId`.
 * `client` is anything with send(command, options), such as a
 * BedrockRuntimeClient (the default, created once here and reused).
 *
 * stream({ messages, system, maxTokens, temperature, signal }) yields
 * { type: 'token', text } for each piece of text, then { type: 'done',
 * stopReason, usage: { inputTokens, outputTokens } }. It throws if the
 * call or the stream fails, and if `signal` aborted it.
 */
export function createProvider({ modelId, client = new BedrockRuntimeClient({}) }) {
  return {
    name: 'bedrock',
    model: modelId,
    // Converse accepts temperatures from 0 to 1 for every model.
    maxTemperature: 1,
    async* stream({ messages, system, maxTokens, temperature, signal }) {
      const input = {
        modelId,
        messages: messages.map(({ role, content }) => ({ role, content: [{ text: content }] })),
        inferenceConfig: { maxTokens, ...(temperature !== undefined && { temperature }) },
        ...(system !== undefined && { system: [{ text: system }] }),
      };
      const output = await client.send(new ConverseStreamCommand(input), { abortSignal: signal });

      let stopReason;
      let usage;
      for await (const event of output.stream ?? []) {
        if (event.contentBlockDelta) {
          // Text only: reasoning and tool-use deltas are not part of the answer.
          const text = event.contentBlockDelta.delta?.text;
          if (typeof text === 'string' && text !== '') yield { type: 'token', text };
        } else if (event.messageStop) {
          stopReason = event.messageStop.stopReason;
        } else if (event.metadata) {
          usage = event.metadata.usage;
        } else {
          const name = STREAM_EXCEPTIONS.find((key) => event[key]);
          if (name) throw streamException(name, event[name]);
        }
      }
      // Aborted over HTTP/2, the event loop above just ends; say why.
      signal?.throwIfAborted();
      if (stopReason === undefined) throw new Error('the Bedrock stream ended before messageStop');
      yield {
        type: 'done',
        stopReason,
        usage: { inputTokens: usage?.inputTokens ?? null, outputTokens: usage?.outputTokens ?? null },
      };
    },
  };
}

function streamException(key, body) {
  const error = new Error(body?.message ?? key);
  error.name = key[0].toUpperCase() + key.slice(1);
  return error;
}
