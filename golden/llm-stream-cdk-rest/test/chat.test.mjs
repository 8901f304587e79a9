// Tests of the chat handler (src/chat.mjs), run locally through the streamify
// shim's invoke(): it calls the handler the way Lambda does and returns what a
// caller of the front end would receive. The model is a fake provider that
// records each call and streams what the test scripts, so no network is
// needed. Run with `npm test`.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  createChatHandler, createMisconfiguredHandler, createStartupRetryHandler, ResponseStreamError, TimeBudgetError,
} from '../src/chat.mjs';
import { readRequest } from '../src/request.mjs';
import { SSEParser } from '../src/sse.mjs';
import { invoke, streamifyResponse } from '../src/streamify.mjs';
import { makeEvent } from '../events/make-event.mjs';

const REQUEST_ID = 'test-request-1';
const LIMITS = { maxBodyBytes: 1024, maxTokensCeiling: 1000, defaultMaxTokens: 256, timeMarginMs: 100 };
const HELLO = { messages: [{ role: 'user', content: 'Hello' }] };

// An event of this project's front end posting `body`, which is JSON
// encoded unless it is a string or a Buffer already.
function chatEvent(body = HELLO, { method = 'POST', headers, base64 = false } = {}) {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return makeEvent({ method, headers: headers ?? { 'content-type': 'application/json' }, body: payload, base64 });
}

// A stand-in for a model provider. `script(request, call)` is an async
// generator that yields what the model "sends"; every call is recorded.
function fakeProvider(script = answer(['Hel', 'lo!'], 'end_turn', { inputTokens: 5, outputTokens: 2 }), fields = {}) {
  const calls = [];
  return {
    name: 'fake',
    model: 'fake-model',
    calls,
    ...fields,
    async* stream(request) {
      const call = { request, yielded: 0 };
      calls.push(call);
      for await (const item of script(request, call)) {
        call.yielded += 1;
        yield item;
      }
    },
  };
}

// A script that sends `tokens`, then done.
function answer(tokens, stopReason = 'end_turn', usage = { inputTokens: 1, outputTokens: tokens.length }) {
  return async function* () {
    for (const text of tokens) yield { type: 'token', text };
    yield { type: 'done', stopReason, usage };
  };
}

// Runs one request through a chat handler. `tap(responseStream)` runs first,
// with the stream the handler writes to. Logs go to `logs`.
async function run(event, provider, { limits = LIMITS, logs = [], timeoutMs = 3000, heartbeatMs, tap, highWaterMark } = {}) {
  const log = (level, message, fields) => logs.push({ level, message, ...fields });
  const chat = createChatHandler({ provider, limits, log, heartbeatMs });
  const handler = streamifyResponse(async (ev, responseStream, context) => {
    tap?.(responseStream);
    return chat(ev, responseStream, context);
  }, { highWaterMark });
  return invoke(handler, event, { context: { awsRequestId: REQUEST_ID }, timeoutMs });
}

// The events of an SSE body, with their data parsed.
function events(result) {
  const parser = new SSEParser();
  const parsed = parser.push(result.body);
  parser.end();
  return parsed.map(({ event, data }) => [event, JSON.parse(data)]);
}

function assertJsonError(result, statusCode, error) {
  assert.equal(result.error, null);
  assert.equal(result.statusCode, statusCode);
  assert.equal(result.headers['content-type'], 'application/json');
  assert.equal(result.headers['cache-control'], 'no-store');
  const body = JSON.parse(result.bodyText);
  assert.deepEqual(Object.keys(body).sort(), ['error', 'requestId']);
  assert.equal(body.requestId, REQUEST_ID);
  if (error instanceof RegExp) assert.match(body.error, error);
  else assert.equal(body.error, error);
}

// --- validation ----------------------------------------------------------------

const user = (content) => ({ role: 'user', content });
const assistant = (content) => ({ role: 'assistant', content });

const INVALID = [
  ['GET', chatEvent(HELLO, { method: 'GET' }), 405, /use POST/],
  ['PUT', chatEvent(HELLO, { method: 'PUT' }), 405, /use POST/],
  ['no content-type', chatEvent(HELLO, { headers: {} }), 415, /application\/json/],
  ['text/plain', chatEvent(HELLO, { headers: { 'content-type': 'text/plain' } }), 415, /application\/json/],
  ['application/jsonx', chatEvent(HELLO, { headers: { 'content-type': 'application/jsonx' } }), 415, /application\/json/],
  ['latin-1 charset', chatEvent(HELLO, { headers: { 'content-type': 'application/json; charset=iso-8859-1' } }), 415, /UTF-8/],
  ['gzip body', chatEvent(HELLO, { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }), 415, /gzip/],
  ['body over the limit', chatEvent({ prompt: 'a'.repeat(1100) }), 413, 'request body is larger than 1024 bytes'],
  ['body over the limit in bytes, not characters', chatEvent({ prompt: 'é'.repeat(600) }), 413, /1024 bytes/],
  ['base64 body over the limit once decoded', chatEvent({ prompt: 'a'.repeat(1100) }, { base64: true }), 413, /1024 bytes/],
  ['empty body', chatEvent(''), 400, 'request body is empty'],
  ['malformed JSON', chatEvent('{"prompt":'), 400, 'request body is not valid JSON'],
  ['base64 of invalid UTF-8', chatEvent(Buffer.from([0x7b, 0xff, 0x7d])), 400, /UTF-8/],
  ['a JSON array', chatEvent([HELLO]), 400, /JSON object/],
  ['JSON null', chatEvent('null'), 400, /JSON object/],
  ['a JSON string', chatEvent('"Hello"'), 400, /JSON object/],
  ['no messages', chatEvent({}), 400, /"messages".*"prompt"/],
  ['only a system prompt', chatEvent({ system: 'Be brief.' }), 400, /"messages".*"prompt"/],
  ['unknown field', chatEvent({ ...HELLO, max_tokens: 10 }), 400, /unknown field "max_tokens"/],
  ['messages and prompt', chatEvent({ ...HELLO, prompt: 'Hi' }), 400, /either/],
  ['empty prompt', chatEvent({ prompt: '' }), 400, /"prompt" must be a non-empty string/],
  ['blank prompt', chatEvent({ prompt: ' \n\t' }), 400, /"prompt" must be a non-empty string/],
  ['numeric prompt', chatEvent({ prompt: 42 }), 400, /"prompt" must be a non-empty string/],
  ['empty messages', chatEvent({ messages: [] }), 400, /non-empty array/],
  ['messages not a list', chatEvent({ messages: 'Hello' }), 400, /non-empty array/],
  ['a message that is not an object', chatEvent({ messages: [null] }), 400, /messages\[0\] must be an object/],
  ['system role', chatEvent({ messages: [{ role: 'system', content: 'x' }] }), 400, /messages\[0\]\.role must be "user" or "assistant"/],
  ['tool role', chatEvent({ messages: [user('a'), { role: 'tool', content: 'b' }, user('c')] }), 400, /messages\[1\]\.role/],
  ['no role', chatEvent({ messages: [{ content: 'x' }] }), 400, /messages\[0\]\.role/],
  ['empty content', chatEvent({ messages: [user('')] }), 400, /messages\[0\]\.content must be a non-empty string/],
  ['blank content', chatEvent({ messages: [user('  ')] }), 400, /messages\[0\]\.content/],
  ['content blocks', chatEvent({ messages: [{ role: 'user', content: [{ text: 'x' }] }] }), 400, /messages\[0\]\.content/],
  ['unknown message field', chatEvent({ messages: [{ ...user('x'), name: 'bob' }] }), 400, /messages\[0\] has an unknown field "name"/],
  ['assistant first', chatEvent({ messages: [assistant('Hi'), user('Hello')] }), 400, /messages\[0\]\.role must be "user"/],
  ['user twice', chatEvent({ messages: [user('a'), user('b')] }), 400, /messages\[1\]\.role must not repeat/],
  ['assistant twice', chatEvent({ messages: [user('a'), assistant('b'), assistant('c'), user('d')] }), 400, /messages\[2\]/],
  ['assistant last', chatEvent({ messages: [user('a'), assistant('b')] }), 400, /last message must be from the user/],
  ['empty system', chatEvent({ ...HELLO, system: '' }), 400, /"system"/],
  ['system not a string', chatEvent({ ...HELLO, system: ['x'] }), 400, /"system"/],
  ['maxTokens 0', chatEvent({ ...HELLO, maxTokens: 0 }), 400, /"maxTokens" must be a whole number from 1 to 1000/],
  ['maxTokens negative', chatEvent({ ...HELLO, maxTokens: -5 }), 400, /from 1 to 1000/],
  ['maxTokens fractional', chatEvent({ ...HELLO, maxTokens: 10.5 }), 400, /from 1 to 1000/],
  ['maxTokens as a string', chatEvent({ ...HELLO, maxTokens: '100' }), 400, /from 1 to 1000/],
  ['maxTokens over the ceiling', chatEvent({ ...HELLO, maxTokens: 1001 }), 400, /from 1 to 1000 \(the ceiling\)/],
  ['maxTokens huge', chatEvent({ ...HELLO, maxTokens: 1e21 }), 400, /from 1 to 1000/],
  ['temperature below 0', chatEvent({ ...HELLO, temperature: -0.1 }), 400, /"temperature" must be a number from 0 to 1/],
  ['temperature above the maximum', chatEvent({ ...HELLO, temperature: 1.01 }), 400, /from 0 to 1/],
  ['temperature as a string', chatEvent({ ...HELLO, temperature: '0.5' }), 400, /"temperature"/],
];

for (const [name, event, status, error] of INVALID) {
  test(`refuses ${name} with ${status}, without calling the model`, async () => {
    const provider = fakeProvider();
    const result = await run(event, provider);
    assertJsonError(result, status, error);
    assert.equal(provider.calls.length, 0);
  });
}

test('a 405 names the allowed method', async () => {
  const result = await run(chatEvent(HELLO, { method: 'DELETE' }), fakeProvider());
  assert.equal(result.statusCode, 405);
  assert.equal(result.headers.allow, 'POST');
});

test('accepts a body of exactly the limit, and counts a base64 body at its decoded size', async () => {
  const exact = JSON.stringify({ prompt: 'a'.repeat(1024 - '{"prompt":""}'.length) });
  assert.equal(Buffer.byteLength(exact), 1024);
  let provider = fakeProvider();
  assert.equal((await run(chatEvent(exact), provider)).statusCode, 200);
  assert.equal(provider.calls.length, 1);

  // 1024 bytes are 1368 characters of base64: over the limit as text, not as bytes.
  provider = fakeProvider();
  const result = await run(chatEvent(exact, { base64: true }), provider);
  assert.equal(result.statusCode, 200);
  assert.equal(provider.calls[0].request.messages[0].content.length, 1011);
});

test('accepts application/json with a UTF-8 charset, in any case', async () => {
  for (const contentType of ['application/json; charset=utf-8', 'Application/JSON;charset=UTF-8', 'application/json ; charset="utf-8"']) {
    const provider = fakeProvider();
    const result = await run(chatEvent(HELLO, { headers: { 'Content-Type': contentType } }), provider);
    assert.equal(result.statusCode, 200, contentType);
    assert.equal(provider.calls.length, 1, contentType);
  }
});

test('passes the conversation, system prompt, token cap and temperature to the model', async () => {
  const provider = fakeProvider(answer(['ok']), { maxTemperature: 2 });
  const messages = [user('What is 2+2?'), assistant('4.'), user('And 3+3?')];
  await run(chatEvent({ messages, system: 'Be terse.', maxTokens: 1000, temperature: 1.5 }), provider);
  const { request } = provider.calls[0];
  assert.deepEqual(request.messages, messages);
  assert.equal(request.system, 'Be terse.');
  assert.equal(request.maxTokens, 1000); // exactly the ceiling is allowed
  assert.equal(request.temperature, 1.5); // allowed by this provider's maximum
  assert.ok(request.signal instanceof AbortSignal);
  assert.equal(request.signal.aborted, false);
});

test('without maxTokens the default cap applies; null optional fields count as absent', async () => {
  const provider = fakeProvider(answer(['ok']));
  await run(chatEvent({ ...HELLO, system: null, maxTokens: null, temperature: null }), provider);
  const { request } = provider.calls[0];
  assert.equal(request.maxTokens, 256);
  assert.equal(request.system, undefined);
  assert.equal(request.temperature, undefined);
});

test('the prompt shorthand is one user message', async () => {
  const provider = fakeProvider(answer(['ok']));
  const result = await run(chatEvent({ prompt: 'Tell me a joke', system: 'Be funny.', maxTokens: 50 }), provider);
  assert.equal(result.statusCode, 200);
  const { request } = provider.calls[0];
  assert.deepEqual(request.messages, [{ role: 'user', content: 'Tell me a joke' }]);
  assert.equal(request.system, 'Be funny.');
  assert.equal(request.maxTokens, 50);
});

test('a base64-encoded body is decoded', async () => {
  const provider = fakeProvider(answer(['ok']));
  const result = await run(chatEvent({ prompt: 'ünïcödé ✓' }, { base64: true }), provider);
  assert.equal(result.statusCode, 200);
  assert.deepEqual(provider.calls[0].request.messages, [{ role: 'user', content: 'ünïcödé ✓' }]);
});

test('the sample event in events/ is a valid request', async () => {
  const event = JSON.parse(await readFile(new URL('../events/sample.json', import.meta.url), 'utf8'));
  const provider = fakeProvider(answer(['Rayleigh scattering.']));
  const result = await run(event, provider);
  assert.equal(result.statusCode, 200);
  assert.equal(provider.calls.length, 1);
  const request = readRequest(event);
  assert.equal(Number(request.headers['content-length']), request.body.length);
});

// --- the answer ------------------------------------------------------------------

test('streams each token as an SSE event, then done with usage', async () => {
  const result = await run(chatEvent(), fakeProvider());
  assert.equal(result.error, null);
  assert.equal(result.statusCode, 200);
  assert.deepEqual(result.headers, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  assert.equal(result.bodyText, [
    ': stream start\n\n',
    'event: token\ndata: {"text":"Hel"}\n\n',
    'event: token\ndata: {"text":"lo!"}\n\n',
    'event: done\ndata: {"stopReason":"end_turn","usage":{"inputTokens":5,"outputTokens":2}}\n\n',
  ].join(''));
});

test('tokens with line breaks, quotes and unicode arrive intact', async () => {
  const tokens = ['line\nbreak', '\r\n', 'data: "quoted"', ' — ünïcödé ✓ 😀', ': colon'];
  const result = await run(chatEvent(), fakeProvider(answer(tokens)));
  assert.deepEqual(events(result), [
    ...tokens.map((text) => ['token', { text }]),
    ['done', { stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 5 } }],
  ]);
});

test('each token is written the moment it arrives, as its own chunk', async () => {
  const trace = [];
  const provider = fakeProvider(async function* () {
    for (const text of ['a', 'b', 'c']) {
      trace.push(`model sends ${text}`);
      yield { type: 'token', text };
      // By the time the model is asked for more, the token has been written.
      await sleep(5);
    }
    trace.push('model done');
    yield { type: 'done', stopReason: 'end_turn' };
  });
  const tap = (stream) => {
    const write = stream.write.bind(stream);
    stream.write = (chunk, ...rest) => {
      trace.push(`write ${String(chunk).split('\n')[0]}`);
      return write(chunk, ...rest);
    };
  };
  const result = await run(chatEvent(), provider, { tap });
  assert.deepEqual(trace, [
    'write : stream start',
    'model sends a', 'write event: token',
    'model sends b', 'write event: token',
    'model sends c', 'write event: token',
    'model done', 'write event: done',
  ]);
  // One chunk per event after the prelude (JSON, then 8 NULs).
  assert.deepEqual(result.chunks.slice(2).map(String).map((c) => c.split('\n')[0]),
    [': stream start', 'event: token', 'event: token', 'event: token', 'event: done']);
});

test('status and headers go out before the model answers', async () => {
  let writes = 0;
  let writesBeforeModel;
  const provider = fakeProvider(async function* () {
    await sleep(20);
    writesBeforeModel = writes;
    yield { type: 'done', stopReason: 'end_turn' };
  });
  const tap = (stream) => {
    const write = stream.write.bind(stream);
    stream.write = (...args) => { writes += 1; return write(...args); };
  };
  const result = await run(chatEvent(), provider, { tap });
  assert.equal(writesBeforeModel, 1);
  assert.deepEqual(events(result), [['done', { stopReason: 'end_turn', usage: { inputTokens: null, outputTokens: null } }]]);
});

test('a silent model gets keep-alive comments, which clients ignore', async () => {
  const provider = fakeProvider(async function* () {
    yield { type: 'token', text: 'thinking…' };
    await sleep(120);
    yield { type: 'token', text: 'done' };
    yield { type: 'done', stopReason: 'end_turn' };
  });
  const result = await run(chatEvent(), provider, { heartbeatMs: 20 });
  assert.match(result.bodyText, /\n\n: keep-alive\n\n/);
  assert.deepEqual(events(result).map(([name]) => name), ['token', 'token', 'done']);
});

test('waits for a slow reader instead of buffering without bound', async () => {
  const tokens = Array.from({ length: 50 }, (_, i) => `t${i} `);
  let drains = 0;
  const tap = (stream) => stream.on('drain', () => { drains += 1; });
  // A 1-byte buffer: every write fills it, so the handler must wait for 'drain'.
  const result = await run(chatEvent(), fakeProvider(answer(tokens)), { tap, highWaterMark: 1 });
  assert.equal(result.error, null);
  assert.deepEqual(events(result).filter(([name]) => name === 'token').map(([, data]) => data.text), tokens);
  assert.ok(drains >= tokens.length, `${drains} drains`);
});

test('an upstream failure after some tokens ends with event: error and a clean end', async () => {
  const logs = [];
  const provider = fakeProvider(async function* () {
    yield { type: 'token', text: 'Partial' };
    yield { type: 'token', text: ' answer' };
    throw Object.assign(new Error('the model stopped unexpectedly (internal detail)'), { name: 'ModelStreamErrorException' });
  });
  const result = await run(chatEvent(), provider, { logs });
  assert.equal(result.error, null); // the invocation itself succeeded
  assert.equal(result.statusCode, 200);
  assert.deepEqual(events(result), [
    ['token', { text: 'Partial' }],
    ['token', { text: ' answer' }],
    ['error', {
      message: 'the model call failed (ModelStreamErrorException); the answer is incomplete',
      code: 'upstream_error',
      requestId: REQUEST_ID,
    }],
  ]);
  assert.doesNotMatch(result.bodyText, /internal detail/);
  const line = logs.find((l) => l.level === 'error');
  assert.equal(line.error, 'ModelStreamErrorException');
  assert.match(line.detail, /internal detail/);
  assert.equal(line.tokens, 2);
});

test('an upstream failure before any token ends with event: error, naming only the status', async () => {
  const provider = fakeProvider(async function* () {
    throw Object.assign(new Error('HTTP 429 with sk-... in the body'), { name: 'UpstreamHttpError', status: 429 });
  });
  const result = await run(chatEvent(), provider);
  assert.deepEqual(events(result), [['error', {
    message: 'the model call failed (UpstreamHttpError HTTP 429); the answer is incomplete',
    code: 'upstream_error',
    requestId: REQUEST_ID,
  }]]);
});

test('a model stream that stops without done is reported as incomplete', async () => {
  const result = await run(chatEvent(), fakeProvider(async function* () {
    yield { type: 'token', text: 'Cut' };
  }));
  assert.deepEqual(events(result).map(([name, data]) => [name, data.code]), [['token', undefined], ['error', 'upstream_error']]);
});

// --- cost guards -----------------------------------------------------------------

// A model that sends a token every 20 ms for 10 seconds, and stops when
// aborted, the way a provider honouring its signal does.
function slowModel() {
  return async function* ({ signal }) {
    for (let i = 0; i < 500; i++) {
      await sleep(20, undefined, { signal });
      yield { type: 'token', text: `t${i} ` };
    }
    yield { type: 'done', stopReason: 'end_turn' };
  };
}

test('the time budget aborts a slow model and says so', async () => {
  const logs = [];
  const provider = fakeProvider(slowModel());
  const started = Date.now();
  // 800 ms left at the start, minus a 500 ms margin: a 300 ms budget.
  const result = await run(chatEvent(), provider, { timeoutMs: 800, limits: { ...LIMITS, timeMarginMs: 500 }, logs });
  const elapsed = Date.now() - started;

  assert.equal(result.error, null);
  const received = events(result);
  const tokens = received.filter(([name]) => name === 'token').length;
  assert.ok(tokens >= 1 && tokens < 100, `${tokens} tokens`); // some, not all 500
  assert.deepEqual(received.at(-1), ['error', {
    message: 'the time budget ran out; the answer is incomplete', code: 'time_budget', requestId: REQUEST_ID,
  }]);
  assert.ok(elapsed >= 290, `took ${elapsed} ms`); // ended by the budget, not earlier

  const { signal } = provider.calls[0].request;
  assert.equal(signal.aborted, true);
  assert.ok(signal.reason instanceof TimeBudgetError);
  assert.equal(logs.at(-1).level, 'warn');
  assert.match(logs.at(-1).message, /time budget/);
});

test('the time budget also ends a model that ignores its abort signal', async () => {
  let resumed = false;
  const provider = fakeProvider(async function* () {
    yield { type: 'token', text: 'stuck' };
    await sleep(700); // no signal: it cannot be interrupted
    resumed = true;
    yield { type: 'token', text: 'too late' };
  });
  const started = Date.now();
  const result = await run(chatEvent(), provider, { timeoutMs: 2500, limits: { ...LIMITS, timeMarginMs: 2300 } });
  assert.ok(Date.now() - started < 600, 'the handler waited for the model');
  assert.equal(resumed, false);
  assert.deepEqual(events(result).map(([name, data]) => [name, data.text ?? data.code]),
    [['token', 'stuck'], ['error', 'time_budget']]);
});

test('with no time left for the margin, answers 503 without calling the model', async () => {
  const logs = [];
  const provider = fakeProvider();
  const result = await run(chatEvent(), provider, { timeoutMs: 1000, limits: { ...LIMITS, timeMarginMs: 1000 }, logs });
  assertJsonError(result, 503, 'not enough time left to call the model');
  assert.equal(provider.calls.length, 0);
  assert.match(logs[0].message, /TIME_MARGIN_MS/);
});

test('a context without a deadline means no time budget, not an instant one', async () => {
  const provider = fakeProvider(async function* () {
    await sleep(50);
    yield { type: 'token', text: 'late but fine' };
    yield { type: 'done', stopReason: 'end_turn' };
  });
  const chat = createChatHandler({ provider, limits: LIMITS, log: () => {} });
  const result = await invoke(streamifyResponse(chat), chatEvent(), { context: { getRemainingTimeInMillis: undefined } });
  assert.deepEqual(events(result).map(([name]) => name), ['token', 'done']);
});

test('a failing write to the response stream aborts the model call at once', async () => {
  const logs = [];
  let stream;
  let sent = 0;
  let sentAtAbort;
  const provider = fakeProvider(async function* ({ signal }) {
    signal.addEventListener('abort', () => { sentAtAbort = sent; });
    for (;;) {
      if (sent === 3) {
        // The caller is gone: from now on every write fails.
        stream._write = (chunk, encoding, done) => done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      }
      yield { type: 'token', text: `t${sent}` };
      sent += 1;
      await sleep(5);
    }
  });
  const started = Date.now();
  const result = await run(chatEvent(), provider, { tap: (s) => { stream = s; }, logs });
  assert.ok(Date.now() - started < 1000);
  const { signal } = provider.calls[0].request;
  assert.ok(signal.reason instanceof ResponseStreamError);
  assert.equal(signal.reason.cause.code, 'EPIPE');
  // The model learned of it with the first failed write (of t3), and was
  // not asked for another token.
  assert.ok(sentAtAbort === 3 || sentAtAbort === 4, `aborted after ${sentAtAbort} tokens`);
  assert.equal(provider.calls[0].yielded, 4);
  assert.equal(result.error?.errorMessage, 'write EPIPE');
  assert.equal(logs.at(-1).level, 'warn');
  assert.match(logs.at(-1).message, /response stream failed/);
});

test('a response stream that closes early aborts a model stuck waiting', async () => {
  let stream;
  const provider = fakeProvider(async function* ({ signal }) {
    yield { type: 'token', text: 'first' };
    setTimeout(() => stream.destroy(), 20); // the connection goes away
    await sleep(5000, undefined, { signal });
    yield { type: 'token', text: 'never' };
  });
  const started = Date.now();
  await run(chatEvent(), provider, { tap: (s) => { stream = s; } });
  assert.ok(Date.now() - started < 1000, 'the handler kept waiting for the model');
  const { signal } = provider.calls[0].request;
  assert.ok(signal.reason instanceof ResponseStreamError);
  assert.equal(provider.calls[0].yielded, 1);
});

test('a finished answer does not abort the model call', async () => {
  const provider = fakeProvider();
  await run(chatEvent(), provider);
  assert.equal(provider.calls[0].request.signal.aborted, false);
});

// --- broken configuration and startup ------------------------------------------

test('a misconfigured function answers 500 to everything, and logs why', async () => {
  const logs = [];
  const log = (level, message, fields) => logs.push({ level, message, ...fields });
  const handler = streamifyResponse(createMisconfiguredHandler({ reason: 'MODEL_ID is not set', log }));
  const result = await invoke(handler, chatEvent(), { context: { awsRequestId: REQUEST_ID } });
  assertJsonError(result, 500, 'server misconfigured');
  assert.equal(logs[0].reason, 'MODEL_ID is not set');
  assert.doesNotMatch(result.bodyText, /MODEL_ID/);
});

test('a provider that failed to start answers 503 and is retried later', async () => {
  const logs = [];
  const log = (level, message, fields) => logs.push({ level, message, ...fields });
  let starts = 0;
  let fail = true;
  const start = async () => {
    starts += 1;
    if (fail) throw new Error('could not read SSM parameter /x: ThrottlingException');
    return createChatHandler({ provider: fakeProvider(), limits: LIMITS, log });
  };
  let retryAfterMs = 60_000;
  const run503 = () => {
    const handler = streamifyResponse(createStartupRetryHandler({ start, failure: new Error('first'), retryAfterMs, log }));
    return { handler, call: () => invoke(handler, chatEvent(), { context: { awsRequestId: REQUEST_ID } }) };
  };

  // Within the retry interval: 503 with Retry-After, no new attempt.
  let { call } = run503();
  let result = await call();
  assertJsonError(result, 503, /try again later/);
  assert.ok(Number(result.headers['retry-after']) > 50, result.headers['retry-after']);
  assert.equal(starts, 0);

  // Past the interval: tries again on the request; fails, then succeeds.
  retryAfterMs = 0;
  ({ call } = run503());
  result = await call();
  assert.equal(result.statusCode, 503);
  assert.equal(starts, 1);
  fail = false;
  result = await call();
  assert.equal(result.statusCode, 200);
  assert.equal(starts, 2);
  result = await call();
  assert.equal(result.statusCode, 200);
  assert.equal(starts, 2, 'a started provider is kept');
  assert.match(result.bodyText, /event: done/);
});
