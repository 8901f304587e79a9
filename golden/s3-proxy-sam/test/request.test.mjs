// Tests of src/request.mjs: a Function URL event (payload format 2.0) and a
// REST API proxy event (payload format 1.0) for the same request read the
// same, and CORS headers go out only for an allowed origin.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { corsHeaders, readRequest } from '../src/request.mjs';

// POST /files/a%20b.txt?tag=x&tag=y&lang=en with a cookie, as each front
// end delivers it.
const urlEvent = {
  version: '2.0',
  rawPath: '/files/a%20b.txt',
  rawQueryString: 'tag=x&tag=y&lang=en',
  cookies: ['theme=dark', 'session=abc'],
  headers: { 'content-type': 'text/plain', 'x-forwarded-for': '203.0.113.10', 'user-agent': 'curl/8.5.0' },
  queryStringParameters: { tag: 'x,y', lang: 'en' },
  requestContext: {
    requestId: 'req-1',
    http: { method: 'POST', path: '/files/a%20b.txt', sourceIp: '203.0.113.10', userAgent: 'curl/8.5.0' },
  },
  body: 'aGVsbG8=',
  isBase64Encoded: true,
};

const restEvent = {
  resource: '/{proxy+}',
  path: '/files/a%20b.txt',
  httpMethod: 'POST',
  headers: { 'Content-Type': 'text/plain', Cookie: 'theme=dark; session=abc', 'User-Agent': 'curl/8.5.0' },
  multiValueHeaders: {
    'Content-Type': ['text/plain'],
    Cookie: ['theme=dark; session=abc'],
    'User-Agent': ['curl/8.5.0'],
  },
  queryStringParameters: { tag: 'y', lang: 'en' },
  multiValueQueryStringParameters: { tag: ['x', 'y'], lang: ['en'] },
  pathParameters: { proxy: 'files/a b.txt' },
  stageVariables: null,
  requestContext: {
    requestId: 'req-1',
    stage: 'prod',
    path: '/prod/files/a%20b.txt',
    httpMethod: 'POST',
    identity: { sourceIp: '203.0.113.10', userAgent: 'curl/8.5.0' },
  },
  body: 'aGVsbG8=',
  isBase64Encoded: true,
};

test('both front ends read as the same request', () => {
  const fromUrl = readRequest(urlEvent);
  const fromRest = readRequest(restEvent);
  assert.equal(fromUrl.front, 'url');
  assert.equal(fromRest.front, 'rest-api');
  for (const request of [fromUrl, fromRest]) {
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/files/a%20b.txt');
    assert.equal(request.rawQuery, 'tag=x&tag=y&lang=en');
    assert.deepEqual(request.query, { tag: 'x,y', lang: 'en' });
    assert.equal(request.headers['content-type'], 'text/plain');
    assert.equal(request.headers.cookie, undefined);
    assert.deepEqual(request.cookies, ['theme=dark', 'session=abc']);
    assert.equal(request.body.toString(), 'hello');
    assert.equal(request.requestId, 'req-1');
    assert.equal(request.sourceIp, '203.0.113.10');
    assert.equal(request.userAgent, 'curl/8.5.0');
  }
  assert.equal(fromRest.stage, 'prod');
  assert.equal(fromUrl.stage, undefined);
});

test('repeated REST API headers keep every value, joined with commas', () => {
  const request = readRequest({ ...restEvent, multiValueHeaders: { Accept: ['text/html', 'application/json'], accept: ['*/*'] } });
  assert.equal(request.headers.accept, 'text/html,application/json,*/*');
});

test('several REST API Cookie headers give each of their cookies', () => {
  const request = readRequest({ ...restEvent, multiValueHeaders: { Cookie: ['theme=dark', 'session=abc; lang=en'] } });
  assert.deepEqual(request.cookies, ['theme=dark', 'session=abc', 'lang=en']);
  assert.equal(request.headers.cookie, undefined);
});

test('a REST API event with only the single-value maps still reads', () => {
  const { multiValueHeaders, multiValueQueryStringParameters, ...rest } = restEvent;
  const request = readRequest(rest);
  assert.equal(request.headers['content-type'], 'text/plain');
  assert.deepEqual(request.query, { tag: 'y', lang: 'en' });
});

test('a REST API path that arrives decoded is encoded once', () => {
  assert.equal(readRequest({ ...restEvent, path: '/files/a b/ü.txt' }).path, '/files/a%20b/%C3%BC.txt');
  assert.equal(readRequest({ ...restEvent, path: '/files/a%2Fb' }).path, '/files/a%2Fb');
});

test('an event without a body has an empty one', () => {
  for (const event of [{ ...urlEvent, body: undefined, isBase64Encoded: false }, { ...restEvent, body: null, isBase64Encoded: false }]) {
    assert.equal(readRequest(event).body.length, 0);
  }
});

test('CORS headers name an allowed origin only', () => {
  const env = { CORS_ALLOW_ORIGINS: 'https://app.example.com,http://localhost:5173' };
  const withOrigin = (origin) => readRequest({ ...urlEvent, headers: { ...urlEvent.headers, origin } });
  assert.deepEqual(corsHeaders(withOrigin('https://app.example.com'), env),
    { 'access-control-allow-origin': 'https://app.example.com', vary: 'origin' });
  assert.deepEqual(corsHeaders(withOrigin('https://evil.example'), env), {});
  assert.deepEqual(corsHeaders(readRequest(urlEvent), env), {});
  // Without CORS_ALLOW_ORIGINS (a Function URL adds the headers itself) none.
  assert.deepEqual(corsHeaders(withOrigin('https://app.example.com'), {}), {});
});
