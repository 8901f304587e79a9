// Tests of the S3 proxy, run locally through the streamify shim's invoke(): it
// calls the handler the way Lambda does and returns what a caller of the
// front end would receive. S3 is a fake that records each command and answers
// with canned results, so no network is needed. Run with `npm test`.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { test } from 'node:test';

import { GetObjectCommand, HeadObjectCommand, NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';

import { createMisconfiguredProxy, createProxy } from '../src/proxy.mjs';
import { invoke, streamifyResponse } from '../src/streamify.mjs';
import { makeEvent } from '../events/make-event.mjs';

const BUCKET = 'example-bucket';
const PREFIX = 'assets/';
const REQUEST_ID = 'test-request-1';
const LAST_MODIFIED = new Date('2024-01-02T03:04:05Z');

// An event of this project's front end for `method path`.
function urlEvent(path = '/reports/2024/summary.pdf', { method = 'GET', headers = {} } = {}) {
  return makeEvent({ method, path, headers });
}

// A stand-in for S3Client: records every command, answers with answer(command).
function fakeS3(answer = () => objectOutput('hello world')) {
  const commands = [];
  return {
    commands,
    async send(command) {
      commands.push(command);
      return answer(command);
    },
  };
}

// What GetObject/HeadObject resolve with, for an object holding `content`.
function objectOutput(content, fields = {}) {
  const bytes = Buffer.from(content);
  return {
    $metadata: { httpStatusCode: fields.ContentRange ? 206 : 200 },
    // A byte stream like the SDK's: an empty object sends no chunk at all.
    Body: Readable.from(bytes.length > 0 ? [bytes] : [], { objectMode: false }),
    ContentType: 'text/plain',
    ContentLength: bytes.length,
    ETag: '"5eb63bbbe01eeed093cb22bb8f5acdc3"',
    LastModified: LAST_MODIFIED,
    AcceptRanges: 'bytes',
    Metadata: {},
    ...fields,
  };
}

// An error shaped like the ones the SDK throws: the S3 error code as its name,
// the HTTP status in $metadata, the raw response in a hidden $response.
function s3Error(name, httpStatusCode, { headers = {}, ...fields } = {}) {
  const error = new S3ServiceException({
    name,
    $fault: httpStatusCode < 500 ? 'client' : 'server',
    $metadata: { httpStatusCode, requestId: 'S3REQUESTID' },
    message: `${name}: internal detail for the logs only`,
  });
  Object.defineProperty(error, '$response', { value: { statusCode: httpStatusCode, headers } });
  return Object.assign(error, fields);
}

// Runs one request through a proxy for BUCKET/PREFIX. Logs go to `logs`.
async function run(event, s3, { logs = [], prefix = PREFIX, timeoutMs } = {}) {
  const log = (level, message, fields) => logs.push({ level, message, ...fields });
  const handler = streamifyResponse(createProxy({ s3, bucket: BUCKET, prefix, log }));
  return invoke(handler, event, { context: { awsRequestId: REQUEST_ID }, timeoutMs });
}

function assertJsonError(result, statusCode, error) {
  assert.equal(result.error, null);
  assert.equal(result.statusCode, statusCode);
  assert.equal(result.headers['content-type'], 'application/json');
  assert.equal(result.headers['cache-control'], 'no-store');
  assert.equal(result.headers['x-content-type-options'], 'nosniff');
  const body = JSON.parse(result.bodyText);
  assert.deepEqual(Object.keys(body).sort(), ['error', 'requestId']);
  assert.equal(body.requestId, REQUEST_ID);
  if (error instanceof RegExp) assert.match(body.error, error);
  else assert.equal(body.error, error);
}

// --- GET ---------------------------------------------------------------------

test('GET streams the object under PREFIX with its headers', async () => {
  const s3 = fakeS3(() => objectOutput('hello world', {
    CacheControl: 'max-age=300',
    ContentDisposition: 'attachment; filename="summary.pdf"',
    Metadata: { owner: 'finance' },
  }));
  const result = await run(urlEvent('/reports/2024/summary.pdf'), s3);

  assert.equal(result.error, null);
  assert.equal(result.statusCode, 200);
  assert.equal(result.bodyText, 'hello world');
  assert.deepEqual(result.headers, {
    'content-type': 'text/plain',
    'content-length': '11',
    etag: '"5eb63bbbe01eeed093cb22bb8f5acdc3"',
    'last-modified': 'Tue, 02 Jan 2024 03:04:05 GMT',
    'cache-control': 'max-age=300',
    'content-disposition': 'attachment; filename="summary.pdf"',
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
  });

  assert.equal(s3.commands.length, 1);
  assert.ok(s3.commands[0] instanceof GetObjectCommand);
  assert.deepEqual(s3.commands[0].input, { Bucket: BUCKET, Key: 'assets/reports/2024/summary.pdf' });
});

test('GET passes Content-Encoding and Content-Language through, and defaults the type', async () => {
  const s3 = fakeS3(() => objectOutput('{}', {
    ContentType: undefined, ContentEncoding: 'gzip', ContentLanguage: 'de',
  }));
  const result = await run(urlEvent('/data.json.gz'), s3);
  assert.equal(result.headers['content-type'], 'application/octet-stream');
  assert.equal(result.headers['content-encoding'], 'gzip');
  assert.equal(result.headers['content-language'], 'de');
});

test('GET sends binary objects byte for byte', async () => {
  const bytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0xfe, 0x0a, 0x0d, 0x80]);
  const result = await run(urlEvent('/blob.bin'), fakeS3(() => objectOutput(bytes)));
  assert.equal(result.error, null);
  assert.deepEqual(result.body, bytes);
});

test('GET of an empty object answers 200 with an empty body', async () => {
  const result = await run(urlEvent('/empty.txt'), fakeS3(() => objectOutput('')));
  assert.equal(result.error, null);
  assert.equal(result.statusCode, 200);
  assert.equal(result.headers['content-length'], '0');
  assert.equal(result.body.length, 0);
});

test('without a prefix the key is the path', async () => {
  const s3 = fakeS3();
  const result = await run(urlEvent('/top.txt'), s3, { prefix: '' });
  assert.equal(result.statusCode, 200);
  assert.equal(s3.commands[0].input.Key, 'top.txt');
});

test('the path is percent-decoded exactly once', async () => {
  for (const [path, key] of [
    ['/reports/Q1%20summary%20%C3%BC.pdf', 'assets/reports/Q1 summary ü.pdf'],
    ['/a%2Fb.txt', 'assets/a/b.txt'],
    ['/50%25.txt', 'assets/50%.txt'],
    ['/caf%C3%A9/men%C3%BC.txt', 'assets/café/menü.txt'],
    ['/dir/', 'assets/dir/'],
    ['/a..b/.hidden/x.', 'assets/a..b/.hidden/x.'],
  ]) {
    const s3 = fakeS3();
    const result = await run(urlEvent(path), s3);
    assert.equal(result.statusCode, 200, path);
    assert.equal(s3.commands[0].input.Key, key, path);
  }
});

test('a key of exactly 1024 bytes, prefix included, is accepted', async () => {
  const s3 = fakeS3();
  const name = `${'é'.repeat(508)}x`; // 1017 bytes of UTF-8, 1024 with 'assets/'
  const result = await run(urlEvent(`/${encodeURIComponent(name)}`), s3);
  assert.equal(result.statusCode, 200);
  assert.equal(Buffer.byteLength(s3.commands[0].input.Key), 1024);
});

test('streams chunk by chunk, reading S3 only as fast as the caller takes the bytes', async () => {
  const chunkSize = 64 * 1024;
  const chunkCount = 256; // 16 MiB
  let produced = 0;
  let written = 0;
  let responseStream;
  let worstLead = 0;

  // The object body: makes each chunk only when pipeline() asks for one.
  const body = new Readable({
    read() {
      // How far S3 runs ahead of what the caller has taken. A handler that
      // buffered the object, or wrote without waiting for 'drain', would run
      // the whole 16 MiB ahead.
      worstLead = Math.max(worstLead, produced - written + responseStream.writableLength);
      if (produced === chunkSize * chunkCount) return this.push(null);
      produced += chunkSize;
      this.push(Buffer.alloc(chunkSize, produced / chunkSize));
    },
  });
  const proxy = createProxy({ s3: fakeS3(() => objectOutput('', { Body: body, ContentLength: chunkSize * chunkCount })), bucket: BUCKET, prefix: PREFIX });
  const handler = streamifyResponse(async (event, stream, context) => {
    responseStream = stream;
    const write = stream.write.bind(stream);
    stream.write = (chunk, ...rest) => {
      written += chunk.length;
      return write(chunk, ...rest);
    };
    return proxy(event, stream, context);
  });

  const result = await invoke(handler, urlEvent('/big.bin'), { timeoutMs: 20_000 });
  assert.equal(result.error, null);
  assert.equal(result.body.length, chunkSize * chunkCount);
  assert.equal(result.body[result.body.length - 1], chunkCount % 256);
  assert.ok(result.chunks.length > chunkCount, 'sent as many chunks, not one buffer');
  assert.ok(worstLead <= 1024 * 1024, `S3 ran ${worstLead} bytes ahead of the caller`);
});

// --- key validation ------------------------------------------------------------

// Each of these is refused with 400 before S3 is called.
const HOSTILE_PATHS = [
  ['', 'no path at all'],
  ['/', 'empty key'],
  ['//etc/passwd', 'leading "/" after the prefix'],
  ['/%2Fetc/passwd', 'encoded leading "/"'],
  ['/%2F%2Fx', 'encoded "//"'],
  ['/..', '".." alone'],
  ['/../secret.txt', '".." segment'],
  ['/a/../../secret.txt', '".." further down'],
  ['/a/..', 'trailing ".."'],
  ['/./a', '"." segment'],
  ['/a/./b', '"." in the middle'],
  ['/a/.', 'trailing "."'],
  ['/%2e%2e/secret.txt', 'encoded ".."'],
  ['/%2E%2E%2Fsecret.txt', 'encoded "../"'],
  ['/..%2Fsecret.txt', '".." with an encoded "/"'],
  ['/a%2F..%2F..%2Fsecret.txt', 'encoded traversal'],
  ['/%2e/a', 'encoded "."'],
  ['/%252e%252e/secret.txt', 'double-encoded ".."'],
  ['/a%252F..%252Fb', 'double-encoded "/"'],
  ['/%25%32%65%25%32%65/x', 'double-encoded, every byte'],
  ['/a%00b', 'NUL'],
  ['/a%0Ab', 'line feed'],
  ['/a%0D%0AX-Injected:%201', 'CRLF'],
  ['/a%09b', 'tab'],
  ['/a%7Fb', 'DEL'],
  ['/a%C2%85b', 'C1 control (NEL)'],
  ['/a\\b', 'backslash'],
  ['/a%5Cb', 'encoded backslash'],
  ['/..%5Csecret.txt', 'backslash traversal'],
  [`/${'a'.repeat(1018)}`, '1025 bytes with the prefix'],
  [`/${'é'.repeat(509)}`, '1025 bytes of UTF-8 with the prefix'],
  [`/${'%C3%A9'.repeat(509)}`, '1025 bytes, encoded'],
  ['/%', 'lone "%"'],
  ['/%zz', 'bad hex'],
  ['/a%2', 'truncated escape'],
  ['/%C3%28', 'invalid UTF-8'],
  ['/%ED%A0%80', 'encoded surrogate'],
  ['/%FF', 'not UTF-8 at all'],
];

test('hostile keys answer 400 and never reach S3', async () => {
  for (const [path, why] of HOSTILE_PATHS) {
    const s3 = fakeS3();
    const result = await run(urlEvent(path), s3);
    assert.equal(result.statusCode, 400, `${why}: ${path}`);
    assertJsonError(result, 400, /^invalid key: /);
    assert.equal(s3.commands.length, 0, `${why}: S3 was called for ${path}`);
  }
});

test('a hostile key in a HEAD request answers 400 without a body', async () => {
  const s3 = fakeS3();
  const result = await run(urlEvent('/../secret.txt', { method: 'HEAD' }), s3);
  assert.equal(result.statusCode, 400);
  assert.equal(result.body.length, 0);
  assert.equal(s3.commands.length, 0);
});

test('the 400 says what is wrong with the key', async () => {
  const result = await run(urlEvent('/a%5Cb'), fakeS3());
  assertJsonError(result, 400, 'invalid key: contains a backslash');
});

// --- ranges --------------------------------------------------------------------

test('a Range request answers 206 with Content-Range', async () => {
  const s3 = fakeS3(() => objectOutput('hello', { ContentRange: 'bytes 0-4/11' }));
  const result = await run(urlEvent('/a.txt', { headers: { range: 'bytes=0-4' } }), s3);
  assert.equal(result.error, null);
  assert.equal(result.statusCode, 206);
  assert.equal(result.headers['content-range'], 'bytes 0-4/11');
  assert.equal(result.headers['content-length'], '5');
  assert.equal(result.headers['accept-ranges'], 'bytes');
  assert.equal(result.bodyText, 'hello');
  assert.equal(s3.commands[0].input.Range, 'bytes=0-4');
});

test('single byte ranges are passed to S3, other ranges are ignored', async () => {
  for (const [range, sent] of [
    ['bytes=0-4', 'bytes=0-4'],
    ['bytes=5-', 'bytes=5-'],
    ['bytes=-3', 'bytes=-3'],
    ['BYTES = 2-3', 'bytes=2-3'],
    ['bytes=0-1,3-4', undefined],
    ['items=0-1', undefined],
    ['bytes=5-2', undefined],
    ['bytes=-', undefined],
    ['bytes=abc', undefined],
  ]) {
    const s3 = fakeS3();
    await run(urlEvent('/a.txt', { headers: { range } }), s3);
    assert.equal(s3.commands[0].input.Range, sent, range);
  }
});

test('with If-Range the whole object is sent', async () => {
  const s3 = fakeS3();
  const result = await run(urlEvent('/a.txt', {
    headers: { range: 'bytes=0-4', 'if-range': '"5eb63bbbe01eeed093cb22bb8f5acdc3"' },
  }), s3);
  assert.equal(result.statusCode, 200);
  assert.equal(s3.commands[0].input.Range, undefined);
});

test('an unsatisfiable range answers 416 with the object size', async () => {
  const s3 = fakeS3(() => {
    throw s3Error('InvalidRange', 416, { ActualObjectSize: '11', RangeRequested: 'bytes=100-200' });
  });
  const result = await run(urlEvent('/a.txt', { headers: { range: 'bytes=100-200' } }), s3);
  assertJsonError(result, 416, 'range not satisfiable');
  assert.equal(result.headers['content-range'], 'bytes */11');
});

test('a HEAD with an unsatisfiable range answers 416 without a body', async () => {
  // HEAD errors have no body, so the SDK names them "Unknown" and the size is unknown.
  const s3 = fakeS3(() => { throw s3Error('Unknown', 416); });
  const result = await run(urlEvent('/a.txt', { method: 'HEAD', headers: { range: 'bytes=100-' } }), s3);
  assert.equal(result.statusCode, 416);
  assert.equal(result.headers['content-range'], undefined);
  assert.equal(result.body.length, 0);
});

// --- conditional requests ------------------------------------------------------

test('If-None-Match and If-Modified-Since are passed to S3, and its 304 to the caller', async () => {
  const etag = '"5eb63bbbe01eeed093cb22bb8f5acdc3"';
  const s3 = fakeS3(() => {
    // S3 answers 304 without a body; the SDK throws an error named "Unknown".
    throw s3Error('Unknown', 304, {
      headers: { etag, 'last-modified': 'Tue, 02 Jan 2024 03:04:05 GMT', 'x-amz-request-id': 'S3REQUESTID' },
    });
  });
  const result = await run(urlEvent('/a.txt', {
    headers: { 'if-none-match': etag, 'if-modified-since': 'Tue, 02 Jan 2024 03:04:05 GMT' },
  }), s3);

  assert.equal(result.error, null);
  assert.equal(result.statusCode, 304);
  assert.equal(result.body.length, 0);
  assert.deepEqual(result.headers, {
    etag,
    'last-modified': 'Tue, 02 Jan 2024 03:04:05 GMT',
    'x-content-type-options': 'nosniff',
  });
  assert.equal(s3.commands[0].input.IfNoneMatch, etag);
  assert.deepEqual(s3.commands[0].input.IfModifiedSince, LAST_MODIFIED);
});

test('an invalid If-Modified-Since date is dropped', async () => {
  const s3 = fakeS3();
  const result = await run(urlEvent('/a.txt', { headers: { 'if-modified-since': 'yesterday-ish' } }), s3);
  assert.equal(result.statusCode, 200);
  assert.equal('IfModifiedSince' in s3.commands[0].input, false);
});

test('a failed If-Match answers 412', async () => {
  const s3 = fakeS3(() => { throw s3Error('PreconditionFailed', 412, { Condition: 'If-Match' }); });
  const result = await run(urlEvent('/a.txt', { headers: { 'if-match': '"other"' } }), s3);
  assertJsonError(result, 412, 'precondition failed');
  assert.equal(s3.commands[0].input.IfMatch, '"other"');
});

// --- HEAD and other methods ----------------------------------------------------

test('HEAD answers the headers of a GET without a body', async () => {
  const s3 = fakeS3(() => {
    const { Body, ...head } = objectOutput('hello world');
    return head;
  });
  const result = await run(urlEvent('/a.txt', { method: 'HEAD' }), s3);
  assert.equal(result.error, null);
  assert.equal(result.statusCode, 200);
  assert.equal(result.headers['content-length'], '11');
  assert.equal(result.headers['content-type'], 'text/plain');
  assert.equal(result.headers.etag, '"5eb63bbbe01eeed093cb22bb8f5acdc3"');
  assert.equal(result.body.length, 0);
  assert.ok(s3.commands[0] instanceof HeadObjectCommand);
  assert.equal(s3.commands[0].input.Key, 'assets/a.txt');
});

test('HEAD of a missing key answers 404 without a body', async () => {
  const s3 = fakeS3(() => { throw s3Error('NotFound', 404); });
  const result = await run(urlEvent('/missing.txt', { method: 'HEAD' }), s3);
  assert.equal(result.statusCode, 404);
  assert.equal(result.headers['cache-control'], 'no-store');
  assert.equal(result.body.length, 0);
});

test('other methods answer 405 with Allow, without calling S3', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const s3 = fakeS3();
    const result = await run(urlEvent('/a.txt', { method }), s3);
    assertJsonError(result, 405, 'method not allowed');
    assert.equal(result.headers.allow, 'GET, HEAD', method);
    assert.equal(s3.commands.length, 0, method);
  }
});

// --- S3 errors -------------------------------------------------------------------

test('a missing key answers 404', async () => {
  const s3 = fakeS3(() => {
    throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
  });
  assertJsonError(await run(urlEvent('/missing.txt'), s3), 404, 'not found');
});

test('access denied answers 403 and logs a hint', async () => {
  const logs = [];
  const s3 = fakeS3(() => { throw s3Error('AccessDenied', 403); });
  assertJsonError(await run(urlEvent('/private.txt'), s3, { logs }), 403, 'access denied');
  assert.equal(logs.length, 1);
  assert.equal(logs[0].requestId, REQUEST_ID);
  assert.equal(logs[0].s3RequestId, 'S3REQUESTID');
});

test('a HEAD that S3 forbids answers 403', async () => {
  const s3 = fakeS3(() => { throw s3Error('Unknown', 403); });
  const result = await run(urlEvent('/private.txt', { method: 'HEAD' }), s3);
  assert.equal(result.statusCode, 403);
  assert.equal(result.body.length, 0);
});

test('other S3 failures answer 502 with the error code only', async () => {
  const network = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443 internal detail'), { code: 'ECONNREFUSED' });
  for (const [error, code] of [
    [s3Error('NoSuchBucket', 404, { BucketName: 'internal-bucket-name' }), 'NoSuchBucket'],
    [s3Error('InvalidAccessKeyId', 403), 'InvalidAccessKeyId'],
    [s3Error('InvalidObjectState', 403), 'InvalidObjectState'],
    [s3Error('InternalError', 500), 'InternalError'],
    [s3Error('SlowDown', 503), 'SlowDown'],
    [s3Error('<script>', 500), 'Error'],
    [network, 'Error'],
  ]) {
    const logs = [];
    const result = await run(urlEvent('/a.txt'), fakeS3(() => { throw error; }), { logs });
    assertJsonError(result, 502, `S3 error: ${code}`);
    assert.doesNotMatch(result.bodyText, /detail|assets\/|example-bucket/);
    assert.equal(logs.length, 1);
    assert.equal(logs[0].level, 'error');
    assert.equal(logs[0].message, 'S3 request failed');
    assert.equal(logs[0].requestId, REQUEST_ID);
    assert.equal(logs[0].key, 'assets/a.txt');
    assert.match(logs[0].detail, /internal detail/);
  }
});

// --- failures while streaming ----------------------------------------------------

// An object body that sends `chunks`, then fails like a dropped connection.
function failingBody(chunks) {
  const queue = [...chunks];
  return new Readable({
    read() {
      if (queue.length > 0) this.push(Buffer.from(queue.shift()));
      else this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    },
  });
}

test('a body that fails midway ends the response early, and the error is logged', async () => {
  const logs = [];
  const s3 = fakeS3(() => objectOutput('', { Body: failingBody(['first part, ', 'second part']), ContentLength: 100 }));
  const result = await run(urlEvent('/a.txt'), s3, { logs, timeoutMs: 2000 });

  // Status and headers had gone out, so the caller sees a 200 whose body is
  // shorter than its content-length, and Lambda records a failed invocation.
  assert.equal(result.statusCode, 200);
  assert.equal(result.headers['content-length'], '100');
  assert.equal(result.bodyText, 'first part, second part');
  assert.notEqual(result.error, null);
  assert.equal(result.error.errorMessage, 'aborted');

  assert.equal(logs.length, 1);
  assert.equal(logs[0].level, 'error');
  assert.match(logs[0].message, /cut short/);
  assert.equal(logs[0].requestId, REQUEST_ID);
  assert.equal(logs[0].key, 'assets/a.txt');
  assert.equal(logs[0].code, 'ECONNRESET');
});

test('a body that fails before its first byte still ends the response', async () => {
  const s3 = fakeS3(() => objectOutput('', { Body: failingBody([]), ContentLength: 100 }));
  const result = await run(urlEvent('/a.txt'), s3, { timeoutMs: 2000 });
  assert.equal(result.statusCode, 200);
  assert.equal(result.body.length, 0);
  assert.notEqual(result.error, null);
});

// --- configuration and the sample event -------------------------------------------

test('a misconfigured proxy answers 500 and keeps the reason in the logs', async () => {
  const logs = [];
  const log = (level, message, fields) => logs.push({ level, message, ...fields });
  const handler = streamifyResponse(createMisconfiguredProxy({ reason: 'BUCKET is not set', log }));
  const result = await invoke(handler, urlEvent('/a.txt'), { context: { awsRequestId: REQUEST_ID } });
  assertJsonError(result, 500, 'server misconfigured');
  assert.deepEqual(logs, [{
    level: 'error', message: 's3-proxy is not configured', requestId: REQUEST_ID, reason: 'BUCKET is not set',
  }]);
});

test('runs the sample event in events/sample.json', async () => {
  const event = JSON.parse(await readFile(new URL('../events/sample.json', import.meta.url), 'utf8'));
  const s3 = fakeS3(() => objectOutput('%PDF-1.7', { ContentType: 'application/pdf' }));
  const result = await run(event, s3);
  assert.equal(result.error, null);
  assert.equal(result.statusCode, 200);
  assert.equal(result.headers['content-type'], 'application/pdf');
  assert.equal(result.bodyText, '%PDF-1.7');
  assert.deepEqual(s3.commands[0].input, { Bucket: BUCKET, Key: 'assets/reports/2024/summary.pdf' });
});
