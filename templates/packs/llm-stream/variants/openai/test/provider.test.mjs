// Tests of the OpenAI-compatible provider (src/provider.mjs), with a fake
// fetch() that records each request and answers with a stream of SSE bytes
// cut at awkward places, as a network does. No network. Run with `npm test`.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createProvider, readProviderConfig } from '../src/provider.mjs';
import { invoke } from '../src/streamify.mjs';
import { makeEvent } from '../events/make-event.mjs';

const API_KEY = 'sk-test-0123456789abcdef';
const BASE_URL = 'https://api.example.com/v1';
const REQUEST = { messages: [{ role: 'user', content: 'Hi' }], maxTokens: 100 };

// One streamed chunk of a chat completion, as OpenAI sends it.
function chunk(delta, finishReason = null, extra = {}) {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-test',
    choices: delta === null ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...extra,
  })}\n\n`;
}

// A whole answer: the role chunk, one chunk per text, the finish chunk, the
// usage chunk (stream_options.include_usage), then [DONE].
function sseAnswer(texts, { finishReason = 'stop', usage = { prompt_tokens: 8, completion_tokens: texts.length, total_tokens: 8 + texts.length } } = {}) {
  return [
    chunk({ role: 'assistant', content: '', refusal: null }),
    ...texts.map((content) => chunk({ content })),
    chunk({}, finishReason),
    chunk(null, null, { usage }),
    'data: [DONE]\n\n',
  ].join('');
}

// A fake fetch(): records each call, answers with `respond(url, init)` or a
// 200 text/event-stream response streaming `body` in pieces of `pieceSize`
// bytes (so pieces end inside lines, CRLFs and multi-byte characters).
function fakeFetch(body = sseAnswer(['Hel', 'lo']), { pieceSize = 7, status = 200, contentType = 'text/event-stream; charset=utf-8', respond } = {}) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init, body: JSON.parse(init.body) });
    if (respond) return respond(url, init);
    return new Response(byteStream(Buffer.from(body), pieceSize, fetch), { status, headers: { 'content-type': contentType } });
  };
  fetch.calls = calls;
  fetch.cancelled = false;
  return fetch;
}

function byteStream(bytes, pieceSize, record = {}) {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(new Uint8Array(bytes.subarray(offset, offset + pieceSize)));
      offset += pieceSize;
    },
    cancel() {
      record.cancelled = true;
    },
  });
}

function provider(fetch, fields = {}) {
  return createProvider({ baseUrl: BASE_URL, model: 'gpt-test', apiKey: API_KEY, fetch, ...fields });
}

async function collect(iterable) {
  const items = [];
  for await (const item of iterable) items.push(item);
  return items;
}

// --- configuration -------------------------------------------------------------------

const ENV = { MODEL_ID: 'gpt-4o-mini', BASE_URL: 'https://api.openai.com/v1', API_KEY_PARAMETER: '/my-app/openai-api-key' };

test('reads MODEL_ID, BASE_URL and API_KEY_PARAMETER', () => {
  assert.deepEqual(readProviderConfig(ENV), { model: 'gpt-4o-mini', baseUrl: 'https://api.openai.com/v1', apiKeyParameter: '/my-app/openai-api-key' });
  for (const [base, expected] of [
    ['https://api.openai.com/v1/', 'https://api.openai.com/v1'],
    ['https://generativelanguage.googleapis.com/v1beta/openai/', 'https://generativelanguage.googleapis.com/v1beta/openai'],
    ['https://gateway.example.com', 'https://gateway.example.com'],
    ['https://gateway.example.com/openai/', 'https://gateway.example.com/openai'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost:11434', 'http://localhost:11434'],
    ['HTTPS://API.Example.COM', 'https://api.example.com'],
  ]) {
    assert.equal(readProviderConfig({ ...ENV, BASE_URL: base }).baseUrl, expected, base);
  }
  for (const parameter of ['openai-key', '/a/b.c/d_e-f', 'arn:aws:ssm:us-east-1:123456789012:parameter/my-app/key']) {
    assert.equal(readProviderConfig({ ...ENV, API_KEY_PARAMETER: parameter }).apiKeyParameter, parameter);
  }
  assert.equal(readProviderConfig({ ...ENV, MODEL_ID: 'meta-llama/Llama-3.1-8B-Instruct' }).model, 'meta-llama/Llama-3.1-8B-Instruct');
});

test('names every problem with the configuration', () => {
  assert.throws(() => readProviderConfig({}), {
    message: 'MODEL_ID is not set; BASE_URL is not set (such as https://api.openai.com/v1); ' +
      'API_KEY_PARAMETER is not set (the name of the SSM SecureString parameter holding the API key)',
  });
  for (const [env, message] of [
    [{ MODEL_ID: 'gpt 4' }, 'MODEL_ID "gpt 4" is not a model name'],
    [{ BASE_URL: 'api.openai.com' }, 'BASE_URL "api.openai.com" is not a URL'],
    [{ BASE_URL: 'http://api.openai.com' }, 'BASE_URL "http://api.openai.com" must start with https:// (http:// only for localhost)'],
    [{ BASE_URL: 'ftp://127.0.0.1' }, /must start with https:\/\//],
    [{ BASE_URL: 'https://user:pw@api.example.com' }, 'BASE_URL must not hold credentials'],
    [{ BASE_URL: 'https://api.example.com/?key=1' }, /must not have a query or fragment/],
    [{ BASE_URL: 'https://api.openai.com' }, /OpenAI's API is served under \/v1; use https:\/\/api.openai.com\/v1/],
    [{ BASE_URL: 'https://api.openai.com/v1/chat/completions' }, /without \/chat\/completions: that is appended to it/],
    [{ BASE_URL: 'https://api.openai.com/v1/chat/completions/' }, /without \/chat\/completions/],
    [{ API_KEY_PARAMETER: 'my-app/key' }, 'API_KEY_PARAMETER "my-app/key" is not an SSM parameter name or ARN'],
    [{ API_KEY_PARAMETER: '/my app/key' }, /is not an SSM parameter name or ARN/],
    [{ API_KEY_PARAMETER: 'sk-live-thisisakeynotaname!' }, /is not an SSM parameter name or ARN/],
  ]) {
    assert.throws(() => readProviderConfig({ ...ENV, ...env }), { message }, JSON.stringify(env));
  }
});

// --- the request -----------------------------------------------------------------------

test('posts a streaming chat completion request with the key, token cap and temperature', async () => {
  const fetch = fakeFetch();
  const { signal } = new AbortController();
  await collect(provider(fetch).stream({
    messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'Bye' }],
    system: 'Be brief.',
    maxTokens: 300,
    temperature: 1.5,
    signal,
  }));
  assert.equal(fetch.calls.length, 1);
  const [{ url, init, body }] = fetch.calls;
  assert.equal(url, 'https://api.example.com/v1/chat/completions');
  assert.equal(init.method, 'POST');
  assert.equal(init.headers.authorization, `Bearer ${API_KEY}`);
  assert.equal(init.headers['content-type'], 'application/json');
  assert.equal(init.signal, signal);
  assert.deepEqual(body, {
    model: 'gpt-test',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Bye' },
    ],
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 300,
    temperature: 1.5,
  });
});

test('leaves out the system message and temperature when not given; keeps a base path', async () => {
  const fetch = fakeFetch();
  await collect(provider(fetch, { baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai/' }).stream(REQUEST));
  assert.equal(fetch.calls[0].url, 'https://generativelanguage.googleapis.com/v1beta/openai/chat/completions');
  assert.deepEqual(fetch.calls[0].body, {
    model: 'gpt-test', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true }, max_tokens: 100,
  });
});

test('the provider object does not expose the key', () => {
  const p = provider(fakeFetch());
  assert.equal(p.name, 'openai');
  assert.equal(p.maxTemperature, 2);
  assert.doesNotMatch(JSON.stringify(p), /sk-test/);
});

// --- the answer ------------------------------------------------------------------------

test('yields each text delta, then done with the finish reason and usage', async () => {
  const items = await collect(provider(fakeFetch(sseAnswer(['Stream', 'ing', ', line\nby line', ' — ünïcödé ✓'], { finishReason: 'length' }))).stream(REQUEST));
  assert.deepEqual(items, [
    { type: 'token', text: 'Stream' },
    { type: 'token', text: 'ing' },
    { type: 'token', text: ', line\nby line' },
    { type: 'token', text: ' — ünïcödé ✓' },
    { type: 'done', stopReason: 'length', usage: { inputTokens: 8, outputTokens: 4 } },
  ]);
});

test('gives the same answer however the bytes are cut', async () => {
  // Comments, CRLF line ends, an event split across data lines' worth of
  // pieces: the server's framing must not matter.
  const body = `: keep-alive\r\n\r\n${sseAnswer(['ü', '✓😀', 'x']).replaceAll('\n', '\r\n')}`;
  const expected = await collect(provider(fakeFetch(body, { pieceSize: body.length })).stream(REQUEST));
  assert.deepEqual(expected.map((i) => i.text ?? i.type), ['ü', '✓😀', 'x', 'done']);
  for (const pieceSize of [1, 2, 3, 5, 13]) {
    assert.deepEqual(await collect(provider(fakeFetch(body, { pieceSize })).stream(REQUEST)), expected, `pieces of ${pieceSize}`);
  }
});

test('without a usage chunk, the usage is unknown', async () => {
  const body = [chunk({ content: 'A' }), chunk({}, 'stop'), 'data: [DONE]\n\n'].join('');
  const items = await collect(provider(fakeFetch(body)).stream(REQUEST));
  assert.deepEqual(items.at(-1), { type: 'done', stopReason: 'stop', usage: { inputTokens: null, outputTokens: null } });
});

test('stops reading at [DONE] and releases the connection', async () => {
  const fetch = fakeFetch(`${sseAnswer(['A'])}${chunk({ content: 'after done' })}`.padEnd(5000, ' '), { pieceSize: 64 });
  const items = await collect(provider(fetch).stream(REQUEST));
  assert.deepEqual(items.map((i) => i.text ?? i.type), ['A', 'done']);
  assert.equal(fetch.cancelled, true);
});

test('ignores events of other types', async () => {
  const body = `event: ping\ndata: {}\n\n${sseAnswer(['A'])}`;
  const items = await collect(provider(fakeFetch(body)).stream(REQUEST));
  assert.deepEqual(items.map((i) => i.text ?? i.type), ['A', 'done']);
});

// --- failures --------------------------------------------------------------------------

test('an error status is thrown with the status and code, never the key', async () => {
  const body = JSON.stringify({ error: { message: `Incorrect API key provided: ${API_KEY}.`, type: 'invalid_request_error', code: 'invalid_api_key' } });
  const fetch = fakeFetch(body, { status: 401, contentType: 'application/json' });
  const error = await collect(provider(fetch).stream(REQUEST)).then(() => null, (e) => e);
  assert.equal(error.name, 'UpstreamHttpError');
  assert.equal(error.message, 'the OpenAI-compatible API answered HTTP 401 (invalid_api_key)');
  assert.equal(error.status, 401);
  assert.equal(error.code, 'invalid_api_key');
  assert.equal(error.detail, 'Incorrect API key provided: [redacted].');
  assert.doesNotMatch(JSON.stringify({ ...error, message: error.message, stack: error.stack }), /sk-test/);
});

test('an error status with a body that is not JSON still gives the status', async () => {
  const fetch = fakeFetch('<html>502 Bad Gateway</html>', { status: 502, contentType: 'text/html' });
  await assert.rejects(collect(provider(fetch).stream(REQUEST)),
    { name: 'UpstreamHttpError', status: 502, message: 'the OpenAI-compatible API answered HTTP 502' });
});

test('a 200 that is not an event stream is an error', async () => {
  const fetch = fakeFetch('{"choices":[]}', { contentType: 'application/json' });
  await assert.rejects(collect(provider(fetch).stream(REQUEST)),
    { name: 'UpstreamProtocolError', message: /answered application\/json, not text\/event-stream/ });
});

test('an error object mid-stream is thrown after the tokens before it', async () => {
  const body = [
    chunk({ role: 'assistant', content: '' }), chunk({ content: 'Partial' }),
    'data: {"error":{"message":"the model stopped unexpectedly","type":"server_error"}}\n\n',
  ].join('');
  const items = [];
  await assert.rejects(async () => {
    for await (const item of provider(fakeFetch(body)).stream(REQUEST)) items.push(item);
  }, { name: 'UpstreamStreamError', code: 'server_error', detail: 'the model stopped unexpectedly' });
  assert.deepEqual(items, [{ type: 'token', text: 'Partial' }]);
});

test('an event that is not JSON is an error', async () => {
  await assert.rejects(collect(provider(fakeFetch('data: {"choices":\n\n')).stream(REQUEST)),
    { name: 'UpstreamProtocolError', message: /not JSON/ });
});

test('a stream that ends without [DONE] or a finish reason is an error', async () => {
  const body = [chunk({ content: 'Cut' }), chunk({ content: ' off' })].join('');
  await assert.rejects(collect(provider(fakeFetch(body)).stream(REQUEST)), /ended before data: \[DONE\]/);
});

test('a stream that ends after the finish reason but without [DONE] is complete', async () => {
  const body = [chunk({ content: 'A' }), chunk({}, 'stop')].join('');
  const items = await collect(provider(fakeFetch(body)).stream(REQUEST));
  assert.deepEqual(items.at(-1), { type: 'done', stopReason: 'stop', usage: { inputTokens: null, outputTokens: null } });
});

test('an abort during the stream throws the abort reason', async () => {
  const controller = new AbortController();
  const reason = new Error('the time budget ran out');
  // Like fetch(): an abort errors the body with the signal's reason.
  const fetch = fakeFetch(null, {
    respond: (url, init) => new Response(new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(chunk({ content: 'One' })));
        init.signal.addEventListener('abort', () => c.error(init.signal.reason));
      },
    }), { headers: { 'content-type': 'text/event-stream' } }),
  });
  const items = [];
  await assert.rejects(async () => {
    for await (const item of provider(fetch).stream({ ...REQUEST, signal: controller.signal })) {
      items.push(item);
      controller.abort(reason);
    }
  }, reason);
  assert.deepEqual(items, [{ type: 'token', text: 'One' }]);
});

test('an abort that ends the body quietly still throws the abort reason', async () => {
  const controller = new AbortController();
  const reason = new Error('the response stream failed');
  const fetch = fakeFetch(null, {
    respond: (url, init) => new Response(new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(chunk({ content: 'One' })));
        init.signal.addEventListener('abort', () => c.close());
      },
    }), { headers: { 'content-type': 'text/event-stream' } }),
  });
  await assert.rejects(async () => {
    for await (const item of provider(fetch).stream({ ...REQUEST, signal: controller.signal })) {
      if (item.type === 'token') controller.abort(reason);
    }
  }, reason);
});

// --- wiring ------------------------------------------------------------------------

test('index.mjs answers 503 while the API key cannot be read', async (t) => {
  const saved = { ...process.env };
  t.after(() => { process.env = saved; });
  Object.assign(process.env, {
    ...ENV, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_MAX_ATTEMPTS: '1',
    // Nothing listens here: reading the key fails at once.
    AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:9',
  });
  const lines = [];
  t.mock.method(console, 'error', (line) => lines.push(String(line)));
  const { handler } = await import(`../src/index.mjs?openai=${Date.now()}`);
  assert.match(lines.find((line) => line.startsWith('llm-stream:')), /^llm-stream: the model provider did not start: could not read SSM parameter \/my-app\/openai-api-key/);

  const result = await invoke(handler, makeEvent({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"Hi"}' }), { context: { awsRequestId: 'r1' } });
  assert.equal(result.statusCode, 503);
  assert.ok(Number(result.headers['retry-after']) >= 1);
  assert.equal(JSON.parse(result.bodyText).requestId, 'r1');
});
