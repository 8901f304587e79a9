// Tests of the Bedrock provider (src/provider.mjs). Most use a fake client
// that records each command and streams canned ConverseStream events. Some
// use a real BedrockRuntimeClient whose HTTP handler is replaced by one that
// answers with the AWS event-stream binary encoding, as Bedrock does, so the
// SDK's own parsing is exercised too. No network. Run with `npm test`.

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';

import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';

import { createProvider, readProviderConfig, startProvider } from '../src/provider.mjs';
import { invoke } from '../src/streamify.mjs';
import { makeEvent } from '../events/make-event.mjs';

const MODEL_ID = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const REQUEST = { messages: [{ role: 'user', content: 'Hi' }], maxTokens: 100 };

// A stand-in for BedrockRuntimeClient: records each command and its
// options, and answers with { stream } of `events` (objects as the SDK
// yields them; an Error is thrown from the stream instead).
function fakeClient(events = textAnswer(['Hel', 'lo']), { after } = {}) {
  const calls = [];
  return {
    calls,
    async send(command, options) {
      calls.push({ command, options });
      return {
        stream: (async function* () {
          for (const event of events) {
            if (event instanceof Error) throw event;
            yield event;
          }
          await after?.(options);
        })(),
      };
    },
  };
}

// The events of a text answer, as the SDK yields them: no contentBlockStart
// for text, usage in the metadata after messageStop.
function textAnswer(texts, stopReason = 'end_turn', usage = { inputTokens: 9, outputTokens: texts.length, totalTokens: 9 + texts.length }) {
  return [
    { messageStart: { role: 'assistant' } },
    ...texts.map((text) => ({ contentBlockDelta: { contentBlockIndex: 0, delta: { text } } })),
    { contentBlockStop: { contentBlockIndex: 0 } },
    { messageStop: { stopReason } },
    { metadata: { usage, metrics: { latencyMs: 42 } } },
  ];
}

async function collect(iterable) {
  const items = [];
  for await (const item of iterable) items.push(item);
  return items;
}

test('reads MODEL_ID: model ids, inference profiles and ARNs', () => {
  for (const id of [
    MODEL_ID,
    'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
    'amazon.nova-lite-v1:0',
    'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-3-70b-instruct-v1:0',
  ]) {
    assert.deepEqual(readProviderConfig({ MODEL_ID: id }), { modelId: id });
  }
  assert.deepEqual(readProviderConfig({ MODEL_ID: ` ${MODEL_ID}\n` }), { modelId: MODEL_ID });
});

test('names a missing or malformed MODEL_ID', () => {
  assert.throws(() => readProviderConfig({}), { message: 'MODEL_ID is not set' });
  assert.throws(() => readProviderConfig({ MODEL_ID: '  ' }), { message: 'MODEL_ID is not set' });
  assert.throws(() => readProviderConfig({ MODEL_ID: 'claude 3' }),
    { message: 'MODEL_ID "claude 3" is not a Bedrock model id, inference profile id or ARN' });
  assert.throws(() => readProviderConfig({ MODEL_ID: '${ModelId}' }), /is not a Bedrock model id/);
});

test('sends a ConverseStream request with the conversation, system prompt and inference settings', async () => {
  const client = fakeClient();
  const provider = createProvider({ modelId: MODEL_ID, client });
  const { signal } = new AbortController();
  await collect(provider.stream({
    messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'Bye' }],
    system: 'Be brief.',
    maxTokens: 300,
    temperature: 0.2,
    signal,
  }));
  assert.equal(client.calls.length, 1);
  const [{ command, options }] = client.calls;
  assert.ok(command instanceof ConverseStreamCommand);
  assert.deepEqual(command.input, {
    modelId: MODEL_ID,
    messages: [
      { role: 'user', content: [{ text: 'Hi' }] },
      { role: 'assistant', content: [{ text: 'Hello!' }] },
      { role: 'user', content: [{ text: 'Bye' }] },
    ],
    system: [{ text: 'Be brief.' }],
    inferenceConfig: { maxTokens: 300, temperature: 0.2 },
  });
  assert.equal(options.abortSignal, signal);
});

test('leaves out the system prompt and temperature when not given', async () => {
  const client = fakeClient();
  await collect(createProvider({ modelId: MODEL_ID, client }).stream(REQUEST));
  assert.deepEqual(client.calls[0].command.input, {
    modelId: MODEL_ID,
    messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
    inferenceConfig: { maxTokens: 100 },
  });
});

test('yields each text delta, then done with the stop reason and usage', async () => {
  const provider = createProvider({ modelId: MODEL_ID, client: fakeClient(textAnswer(['Hel', 'lo', '!'], 'max_tokens')) });
  assert.equal(provider.name, 'bedrock');
  assert.equal(provider.model, MODEL_ID);
  assert.equal(provider.maxTemperature, 1);
  assert.deepEqual(await collect(provider.stream(REQUEST)), [
    { type: 'token', text: 'Hel' },
    { type: 'token', text: 'lo' },
    { type: 'token', text: '!' },
    { type: 'done', stopReason: 'max_tokens', usage: { inputTokens: 9, outputTokens: 3 } },
  ]);
});

test('skips deltas that are not answer text', async () => {
  const events = textAnswer(['A']);
  events.splice(1, 0,
    { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { text: 'thinking' } } } },
    { contentBlockStart: { contentBlockIndex: 1, start: { toolUse: { toolUseId: 't', name: 'f' } } } },
    { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: '{}' } } } },
    { contentBlockDelta: { contentBlockIndex: 0, delta: { text: '' } } });
  const items = await collect(createProvider({ modelId: MODEL_ID, client: fakeClient(events) }).stream(REQUEST));
  assert.deepEqual(items.map((i) => i.text ?? i.type), ['A', 'done']);
});

test('without metadata, the usage is unknown', async () => {
  const events = textAnswer(['A']).filter((e) => !e.metadata);
  const items = await collect(createProvider({ modelId: MODEL_ID, client: fakeClient(events) }).stream(REQUEST));
  assert.deepEqual(items.at(-1), { type: 'done', stopReason: 'end_turn', usage: { inputTokens: null, outputTokens: null } });
});

test('an exception thrown by the stream reaches the caller after the tokens before it', async () => {
  const failure = Object.assign(new Error('the model stopped'), { name: 'ModelStreamErrorException' });
  const events = [...textAnswer(['Part', 'ial']).slice(0, 3), failure];
  const items = [];
  await assert.rejects(async () => {
    for await (const item of createProvider({ modelId: MODEL_ID, client: fakeClient(events) }).stream(REQUEST)) items.push(item);
  }, failure);
  assert.deepEqual(items.map((i) => i.text), ['Part', 'ial']);
});

test('an exception delivered as an event is thrown too', async () => {
  const events = [{ messageStart: { role: 'assistant' } }, { throttlingException: { message: 'slow down' } }];
  await assert.rejects(collect(createProvider({ modelId: MODEL_ID, client: fakeClient(events) }).stream(REQUEST)),
    { name: 'ThrottlingException', message: 'slow down' });
});

test('a stream that ends before messageStop is an error, not a complete answer', async () => {
  const events = textAnswer(['Cut']).slice(0, 2);
  await assert.rejects(collect(createProvider({ modelId: MODEL_ID, client: fakeClient(events) }).stream(REQUEST)),
    /ended before messageStop/);
});

test('a stream that ends quietly after an abort throws the abort reason', async () => {
  // Over HTTP/2 an aborted ConverseStream just stops yielding events.
  const controller = new AbortController();
  const reason = new Error('time budget ran out');
  const events = textAnswer(['One']).slice(0, 2);
  const client = fakeClient(events, { after: () => controller.abort(reason) });
  await assert.rejects(collect(createProvider({ modelId: MODEL_ID, client }).stream({ ...REQUEST, signal: controller.signal })), reason);
});

test('a failed call (before any event) is thrown', async () => {
  const failure = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
  const client = { send: async () => { throw failure; } };
  await assert.rejects(collect(createProvider({ modelId: MODEL_ID, client }).stream(REQUEST)), failure);
});

// --- with the real SDK -------------------------------------------------------------

// One message in the AWS event-stream encoding: prelude (total and headers
// length), prelude CRC, string headers, JSON payload, message CRC.
function frame(headers, payload) {
  const encoded = Object.entries(headers).map(([name, value]) => {
    const n = Buffer.from(name);
    const v = Buffer.from(value);
    const header = Buffer.alloc(4 + n.length + v.length);
    header.writeUInt8(n.length, 0);
    n.copy(header, 1);
    header.writeUInt8(7, 1 + n.length); // 7: string
    header.writeUInt16BE(v.length, 2 + n.length);
    v.copy(header, 4 + n.length);
    return header;
  });
  const headerBytes = Buffer.concat(encoded);
  const payloadBytes = Buffer.from(JSON.stringify(payload));
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(12 + headerBytes.length + payloadBytes.length + 4, 0);
  prelude.writeUInt32BE(headerBytes.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const message = Buffer.concat([prelude, headerBytes, payloadBytes]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(message));
  return Buffer.concat([message, crc]);
}

const event = (type, payload) => frame({ ':message-type': 'event', ':event-type': type, ':content-type': 'application/json' }, payload);
const exception = (type, payload) => frame({ ':message-type': 'exception', ':exception-type': type, ':content-type': 'application/json' }, payload);

// A real client whose HTTP handler answers with `frames`, written one by
// one; `onAbort(body)` runs if the request's abort signal fires.
function realClient(frames, { onAbort } = {}) {
  const requests = [];
  const client = new BedrockRuntimeClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: {
      async handle(request, { abortSignal } = {}) {
        requests.push({ method: request.method, path: request.path, body: JSON.parse(Buffer.from(request.body).toString()) });
        const body = new Readable({ read() {} });
        for (const f of frames) body.push(f);
        if (!onAbort) body.push(null);
        abortSignal?.addEventListener('abort', () => onAbort?.(body));
        return { response: { statusCode: 200, headers: { 'content-type': 'application/vnd.amazon.eventstream' }, body } };
      },
    },
  });
  return { client, requests };
}

test('with the real SDK: reads an event-stream answer', async () => {
  const { client, requests } = realClient([
    event('messageStart', { role: 'assistant' }),
    event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Streaming' } }),
    event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: ' ✓ ünïcödé' } }),
    event('contentBlockStop', { contentBlockIndex: 0 }),
    event('messageStop', { stopReason: 'end_turn' }),
    event('metadata', { usage: { inputTokens: 12, outputTokens: 2, totalTokens: 14 }, metrics: { latencyMs: 42 } }),
  ]);
  const items = await collect(createProvider({ modelId: 'fake.normal-v1:0', client }).stream({ ...REQUEST, temperature: 0.5 }));
  assert.deepEqual(items, [
    { type: 'token', text: 'Streaming' },
    { type: 'token', text: ' ✓ ünïcödé' },
    { type: 'done', stopReason: 'end_turn', usage: { inputTokens: 12, outputTokens: 2 } },
  ]);
  assert.equal(requests[0].method, 'POST');
  assert.equal(requests[0].path, '/model/fake.normal-v1%3A0/converse-stream');
  assert.deepEqual(requests[0].body, {
    messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
    inferenceConfig: { maxTokens: 100, temperature: 0.5 },
  });
});

test('with the real SDK: an exception frame mid-stream is thrown, typed', async () => {
  const { client } = realClient([
    event('messageStart', { role: 'assistant' }),
    event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Partial' } }),
    exception('modelStreamErrorException', { message: 'the model stopped unexpectedly', originalStatusCode: 500 }),
  ]);
  const items = [];
  await assert.rejects(async () => {
    for await (const item of createProvider({ modelId: MODEL_ID, client }).stream(REQUEST)) items.push(item);
  }, { name: 'ModelStreamErrorException', message: 'the model stopped unexpectedly' });
  assert.deepEqual(items, [{ type: 'token', text: 'Partial' }]);
});

test('with the real SDK: an abort that ends the body quietly is reported as the abort', async () => {
  const { client } = realClient([
    event('messageStart', { role: 'assistant' }),
    event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'One' } }),
  ], { onAbort: (body) => body.push(null) }); // the HTTP/2 handler's behaviour: the body just ends
  const controller = new AbortController();
  const items = [];
  await assert.rejects(async () => {
    for await (const item of createProvider({ modelId: MODEL_ID, client }).stream({ ...REQUEST, signal: controller.signal })) {
      items.push(item);
      controller.abort(new Error('the time budget ran out'));
    }
  }, { message: 'the time budget ran out' });
  assert.deepEqual(items, [{ type: 'token', text: 'One' }]);
});

// --- wiring ------------------------------------------------------------------------

test('startProvider gives a provider for MODEL_ID with a real client', async () => {
  const provider = await startProvider(readProviderConfig({ MODEL_ID }));
  assert.equal(provider.name, 'bedrock');
  assert.equal(provider.model, MODEL_ID);
});

test('index.mjs serves with the Bedrock provider, and bad requests never reach it', async (t) => {
  const saved = { ...process.env };
  t.after(() => { process.env = saved; });
  Object.assign(process.env, {
    MODEL_ID, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
    // Nothing listens here: a request that reached Bedrock would fail, not hang.
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: 'http://127.0.0.1:9',
  });
  t.mock.method(console, 'info', () => {});
  const { handler } = await import(`../src/index.mjs?bedrock=${Date.now()}`);
  const result = await invoke(handler, makeEvent({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'Hi', maxTokens: 999999 }) }), { context: { awsRequestId: 'r1' } });
  assert.equal(result.statusCode, 400);
  assert.match(JSON.parse(result.bodyText).error, /"maxTokens" must be a whole number from 1 to 2048/);
});
