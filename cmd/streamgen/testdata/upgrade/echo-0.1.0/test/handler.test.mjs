// Tests of the echo handler, run locally through the streamify shim's invoke():
// it calls the handler the way Lambda does and returns what a Function URL
// caller would receive. Run with `npm test`.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import { handler } from '../src/index.mjs';
import { invoke } from '../src/streamify.mjs';

// A small Function URL event (payload format 2.0); tests add what they need.
function urlEvent(overrides = {}) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/hello',
    rawQueryString: '',
    headers: { host: 'example.lambda-url.us-east-1.on.aws' },
    requestContext: { http: { method: 'GET', path: '/hello' } },
    isBase64Encoded: false,
    ...overrides,
  };
}

// The response body is NDJSON: one JSON object per line.
function lines(result) {
  return result.bodyText.trimEnd().split('\n').map((line) => JSON.parse(line));
}

test('answers 200 with NDJSON, no caching and no sniffing', async () => {
  const result = await invoke(handler, urlEvent());
  assert.equal(result.error, null);
  assert.equal(result.statusCode, 200);
  assert.equal(result.headers['content-type'], 'application/x-ndjson');
  assert.equal(result.headers['cache-control'], 'no-store');
  assert.equal(result.headers['x-content-type-options'], 'nosniff');
});

test('streams one chunk per line, after the status prelude', async () => {
  const result = await invoke(handler, urlEvent());
  // On the wire: the JSON prelude, the 8 NUL delimiter, then the body chunks.
  const [prelude, delimiter, ...bodyChunks] = result.chunks;
  assert.equal(JSON.parse(prelude).statusCode, 200);
  assert.deepEqual(delimiter, Buffer.alloc(8));
  assert.equal(bodyChunks.length, 3);
  for (const chunk of bodyChunks) assert.match(chunk.toString(), /^\{.*\}\n$/);
  assert.equal(Buffer.concat(bodyChunks).toString(), result.bodyText);
});

test('echoes method, path, query and the request id', async () => {
  const result = await invoke(handler, urlEvent({
    rawPath: '/items/42',
    rawQueryString: 'sort=asc',
    queryStringParameters: { sort: 'asc' },
    requestContext: { http: { method: 'DELETE', path: '/items/42' } },
  }), { context: { awsRequestId: 'test-request-1' } });
  assert.deepEqual(lines(result)[0], {
    request: { id: 'test-request-1', method: 'DELETE', path: '/items/42', query: { sort: 'asc' } },
  });
});

test('echoes headers but redacts credentials and cookie values', async () => {
  const result = await invoke(handler, urlEvent({
    headers: {
      accept: 'text/plain',
      authorization: 'Bearer secret-token',
      'proxy-authorization': 'Basic c2VjcmV0',
      'x-amz-security-token': 'secret-session-token',
      'x-api-key': 'secret-key',
    },
    cookies: ['session=secret-session', 'theme=dark'],
  }));
  const echoed = lines(result)[1];
  assert.deepEqual(echoed, {
    headers: {
      accept: 'text/plain',
      authorization: '[redacted]',
      'proxy-authorization': '[redacted]',
      'x-amz-security-token': '[redacted]',
      'x-api-key': '[redacted]',
    },
    cookies: ['session=[redacted]', 'theme=[redacted]'],
  });
  assert.doesNotMatch(result.bodyText, /secret/);
});

test('echoes a text body', async () => {
  const result = await invoke(handler, urlEvent({ body: 'hello, world\nsecond line' }));
  assert.deepEqual(lines(result)[2], { body: 'hello, world\nsecond line', encoding: 'utf8', bytes: 24 });
});

test('decodes a base64 body that holds text', async () => {
  const body = Buffer.from('name=Zoë&city=Köln').toString('base64');
  const result = await invoke(handler, urlEvent({ body, isBase64Encoded: true }));
  assert.deepEqual(lines(result)[2], { body: 'name=Zoë&city=Köln', encoding: 'utf8', bytes: 20 });
});

test('returns a binary body as base64', async () => {
  const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe]);
  const result = await invoke(handler, urlEvent({ body: bytes.toString('base64'), isBase64Encoded: true }));
  const echoed = lines(result)[2];
  assert.equal(echoed.encoding, 'base64');
  assert.equal(echoed.bytes, 7);
  assert.deepEqual(Buffer.from(echoed.body, 'base64'), bytes);
});

test('a request without a body echoes an empty one', async () => {
  const result = await invoke(handler, urlEvent());
  assert.deepEqual(lines(result)[2], { body: '', encoding: 'utf8', bytes: 0 });
});

test('runs the sample event in events/function-url.json', async () => {
  const event = JSON.parse(await readFile(new URL('../events/function-url.json', import.meta.url), 'utf8'));
  const result = await invoke(handler, event);
  assert.equal(result.error, null);
  assert.equal(result.statusCode, 200);

  const [request, headers, body] = lines(result);
  assert.deepEqual(request.request.query, { lang: 'en', tags: 'a,b' });
  assert.equal(request.request.method, 'POST');
  assert.equal(request.request.path, '/echo');
  assert.equal(headers.headers['content-type'], 'application/json');
  assert.equal(headers.headers.authorization, '[redacted]');
  assert.equal(headers.headers['x-amz-security-token'], '[redacted]');
  assert.deepEqual(headers.cookies, ['theme=[redacted]', 'session=[redacted]']);
  assert.deepEqual(JSON.parse(body.body), { message: 'hello, stream' });
  assert.equal(body.bytes, Number(event.headers['content-length']));
});
