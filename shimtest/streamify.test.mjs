// Tests of the streamify shim (templates/layers/base/src/streamify.mjs), the file
// copied into every generated project. Run from the repository root:
//   node --test shimtest/streamify.test.mjs
// The wire tests compare the shim with captures of the real runtime client
// (aws-lambda-ric 4.0.2 and 3.3.0), copied into shimtest/testdata.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Readable, getDefaultHighWaterMark } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { HttpResponseStream, invoke, streamifyResponse } from '../templates/layers/base/src/streamify.mjs';
import { streamedResponsesByMode } from './wire-log.mjs';

const HTTP_INTEGRATION = 'application/vnd.awslambda.http-integration-response';
const STREAMING_TAG = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK_TAG = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const text = (chunks) => chunks.map((chunk) => chunk.toString('latin1'));

// The handler that produced the captures, rewritten against the shim's API
// (shorter sleeps: only the separate writes matter, not their timing).
const scenario = streamifyResponse(async (event, responseStream) => {
  switch (event.mode) {
    case 'plain':
      responseStream.write('a');
      responseStream.end();
      return;
    case 'timed':
      responseStream.write('chunk1');
      await sleep(30);
      responseStream.write('chunk2');
      await sleep(30);
      responseStream.end('end');
      return;
    case 'http': {
      const stream = HttpResponseStream.from(responseStream, { statusCode: 201, headers: { 'x-a': 'b' } });
      stream.write('hello ');
      await sleep(20);
      stream.end('world');
      return;
    }
    case 'contenttype':
      responseStream.setContentType('text/plain');
      responseStream.write('typed');
      responseStream.end();
      return;
    case 'error':
      responseStream.write('partial');
      await sleep(20);
      throw new Error('boom mid-stream');
    case 'errorfirst':
      throw new TypeError('boom before any write');
    case 'returnonly':
      return 'ignored-return-value';
  }
  throw new Error(`unknown mode ${event.mode}`);
});

for (const log of ['ric4-wire.log', 'ric3-wire.log']) {
  describe(`same bytes as the real runtime client (${log})`, () => {
    const captured = streamedResponsesByMode(log);

    test('the capture holds every scenario', () => {
      assert.deepEqual([...captured.keys()].sort(),
        ['contenttype', 'error', 'errorfirst', 'http', 'plain', 'timed']);
    });

    for (const mode of ['plain', 'timed', 'http', 'contenttype', 'error', 'errorfirst']) {
      test(`${mode}: chunks and content type`, async () => {
        const expected = captured.get(mode);
        const result = await invoke(scenario, { mode });
        assert.deepEqual(text(result.chunks), text(expected.chunks));
        assert.deepEqual(result.chunks, expected.chunks);
        assert.equal(result.wireContentType, expected.headers['content-type']);
      });
    }

    for (const mode of ['error', 'errorfirst']) {
      test(`${mode}: error payload has the trailer's shape`, async () => {
        const { trailers } = captured.get(mode);
        const trailer = JSON.parse(Buffer.from(trailers['lambda-runtime-function-error-body'], 'base64'));
        const { error } = await invoke(scenario, { mode });

        assert.deepEqual(Object.keys(error), Object.keys(trailer));
        assert.equal(error.errorType, trailers['lambda-runtime-function-error-type']);
        assert.equal(error.errorType, trailer.errorType);
        assert.equal(error.errorMessage, trailer.errorMessage);
        assert.equal(error.trace[0], trailer.trace[0]);
        assert.ok(error.trace.length > 1, 'trace holds the stack lines');
      });
    }

    for (const mode of ['plain', 'timed', 'http', 'contenttype']) {
      test(`${mode}: a clean end has no error trailer, and invoke() reports none`, async () => {
        assert.deepEqual(captured.get(mode).trailers, {});
        assert.equal((await invoke(scenario, { mode })).error, null);
      });
    }
  });
}

describe('what a Function URL caller sees', () => {
  test('HttpResponseStream.from: status and headers from the prelude, body after it', async () => {
    const result = await invoke(scenario, { mode: 'http' });
    assert.equal(result.statusCode, 201);
    assert.deepEqual(result.headers, { 'x-a': 'b' });
    assert.deepEqual(result.cookies, []);
    assert.equal(result.bodyText, 'hello world');
    assert.deepEqual(result.body, Buffer.from('hello world'));
  });

  test('a plain stream is a 200 with application/octet-stream', async () => {
    const result = await invoke(scenario, { mode: 'plain' });
    assert.equal(result.statusCode, 200);
    assert.deepEqual(result.headers, { 'content-type': 'application/octet-stream' });
    assert.equal(result.bodyText, 'a');
  });

  test('setContentType() before the first write sets the content type', async () => {
    const result = await invoke(scenario, { mode: 'contenttype' });
    assert.equal(result.statusCode, 200);
    assert.deepEqual(result.headers, { 'content-type': 'text/plain' });
    assert.equal(result.bodyText, 'typed');
  });

  test('cookies, lower-cased header names and string header values', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      const stream = HttpResponseStream.from(responseStream, {
        statusCode: 302,
        headers: { Location: '/next', 'X-Count': 3 },
        cookies: ['a=1; Secure; HttpOnly', 'b=2'],
      });
      stream.write('');
      stream.end();
    });
    const result = await invoke(handler);
    assert.equal(result.statusCode, 302);
    assert.deepEqual(result.headers, { location: '/next', 'x-count': '3' });
    assert.deepEqual(result.cookies, ['a=1; Secure; HttpOnly', 'b=2']);
    assert.equal(result.body.length, 0);
    assert.equal(text(result.chunks)[0],
      '{"statusCode":302,"headers":{"Location":"/next","X-Count":3},"cookies":["a=1; Secure; HttpOnly","b=2"]}');
  });

  test('a prelude without statusCode means 200', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      HttpResponseStream.from(responseStream, { headers: { 'content-type': 'text/csv' } }).write('x');
      responseStream.end();
    });
    const result = await invoke(handler);
    assert.equal(result.statusCode, 200);
    assert.deepEqual(result.headers, { 'content-type': 'text/csv' });
  });

  test('an error mid-stream keeps the bytes sent and the status already sent', async () => {
    const result = await invoke(scenario, { mode: 'error' });
    assert.equal(result.statusCode, 200);
    assert.equal(result.bodyText, 'partial');
    assert.equal(result.error.errorType, 'Error');
    assert.equal(result.error.errorMessage, 'boom mid-stream');
  });

  test('an error after the prelude keeps the prelude status', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      const stream = HttpResponseStream.from(responseStream, { statusCode: 207 });
      stream.write('first part');
      await sleep(5);
      throw new RangeError('upstream went away');
    });
    const result = await invoke(handler);
    assert.equal(result.statusCode, 207);
    assert.equal(result.bodyText, 'first part');
    assert.equal(result.error.errorType, 'RangeError');
  });

  test('an error before the first write is a 502 with no body', async () => {
    const result = await invoke(scenario, { mode: 'errorfirst' });
    assert.equal(result.statusCode, 502);
    assert.deepEqual(result.headers, {});
    assert.equal(result.body.length, 0);
    assert.deepEqual(result.chunks, []);
    assert.equal(result.error.errorType, 'TypeError');
    assert.equal(result.error.errorMessage, 'boom before any write');
  });

  test('from() alone sends nothing: an error before the first write is a 502', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      HttpResponseStream.from(responseStream, { statusCode: 201 });
      throw new Error('no data today');
    });
    const result = await invoke(handler);
    assert.equal(result.statusCode, 502);
    assert.deepEqual(result.chunks, []);
    assert.equal(result.wireContentType, HTTP_INTEGRATION);
    assert.equal(result.error.errorMessage, 'no data today');
  });

  test('a thrown non-Error is reported like the runtime does', async () => {
    const handler = streamifyResponse(async () => {
      throw 'plain string';
    });
    const { error } = await invoke(handler);
    assert.deepEqual(error, { errorType: 'string', errorMessage: 'plain string', trace: [] });
  });

  test('a synchronous throw from a plain function is a function error', async () => {
    const handler = streamifyResponse(() => {
      throw new SyntaxError('bad input');
    });
    const result = await invoke(handler);
    assert.equal(result.error.errorType, 'SyntaxError');
    assert.equal(result.statusCode, 502);
  });

  test('a write after end() is reported instead of crashing the process', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      responseStream.end('done');
      responseStream.write('too late');
    });
    const result = await invoke(handler);
    assert.equal(result.bodyText, 'done');
    assert.match(result.error.errorMessage, /write after end/);
  });
});

describe('setContentType()', () => {
  test('throws after the first write, with the runtime message', async () => {
    let thrown;
    const handler = streamifyResponse(async (_event, responseStream) => {
      responseStream.write('x');
      try {
        responseStream.setContentType('text/html');
      } catch (error) {
        thrown = error;
      }
      responseStream.end();
    });
    const result = await invoke(handler);
    assert.equal(thrown.message, 'Cannot set content-type, too late.');
    assert.equal(thrown.name, 'Runtime.InvalidStreamingOperation');
    assert.equal(result.wireContentType, 'application/octet-stream');
  });

  test('even after write(""), which sends no bytes', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      responseStream.write('');
      responseStream.setContentType('text/html');
    });
    const result = await invoke(handler);
    assert.equal(result.error.errorType, 'Runtime.InvalidStreamingOperation');
    assert.deepEqual(result.chunks, []);
  });

  test('HttpResponseStream.from() after the first write throws the same way', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      responseStream.write('x');
      HttpResponseStream.from(responseStream, { statusCode: 404 });
    });
    const result = await invoke(handler);
    assert.equal(result.error.errorMessage, 'Cannot set content-type, too late.');
    assert.equal(result.statusCode, 200);
    assert.equal(result.bodyText, 'x');
  });
});

describe('binary and non-text bodies', () => {
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

  test('every byte value survives a plain stream', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      responseStream.setContentType('application/octet-stream');
      responseStream.write(allBytes);
      responseStream.end(new Uint8Array([0, 0, 0]));
    });
    const result = await invoke(handler);
    assert.deepEqual(result.body, Buffer.concat([allBytes, Buffer.alloc(3)]));
  });

  test('a body that starts with NUL bytes is not confused with the delimiter', async () => {
    const body = Buffer.concat([Buffer.alloc(16), allBytes]);
    const handler = streamifyResponse(async (_event, responseStream) => {
      const stream = HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'content-type': 'image/png' } });
      stream.write(body);
      stream.end();
    });
    const result = await invoke(handler);
    assert.deepEqual(result.body, body);
    assert.deepEqual(result.headers, { 'content-type': 'image/png' });
  });

  test('a chunk buffer reused after write() does not change what was sent', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      const buffer = Buffer.from('first');
      responseStream.write(buffer);
      await sleep(5);
      buffer.write('xxxxx');
      responseStream.end();
    });
    assert.equal((await invoke(handler)).bodyText, 'first');
  });

  test('objects are written as JSON, as the runtime does', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      responseStream.write({ a: 1 });
      responseStream.end();
    });
    assert.equal((await invoke(handler)).bodyText, '{"a":1}');
  });
});

describe('mistakes fail loudly instead of hanging', () => {
  test('a non-async handler', async () => {
    const handler = streamifyResponse((_event, responseStream) => {
      responseStream.end('sync');
    });
    await assert.rejects(invoke(handler), {
      code: 'STREAMIFY_NON_ASYNC',
      message: /^Streaming does not support non-async handlers\./,
    });
  });

  test('a plain function that returns a Promise is accepted, as in the runtime', async () => {
    const handler = streamifyResponse((_event, responseStream) => pipeline(Readable.from(['ok']), responseStream));
    assert.equal((await invoke(handler)).bodyText, 'ok');
  });

  test('returning without ending the stream fails at the timeout, where Lambda would hang', async (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    const started = Date.now();
    await assert.rejects(invoke(scenario, { mode: 'returnonly' }, { timeoutMs: 300 }), {
      code: 'STREAMIFY_NOT_ENDED',
      message: /without ending its response stream.*300 ms.*responseStream\.end\(\).*pipeline/s,
    });
    const waited = Date.now() - started;
    assert.ok(waited >= 250 && waited < 2000, `waited ${waited} ms, want about the 300 ms timeout`);
    assert.deepEqual(warn.mock.calls.map((call) => call.arguments), [['Streaming handlers ignore return values.']]);
  });

  test('ending the stream after returning works, as in the runtime', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      Readable.from(['piped ', 'later']).pipe(responseStream); // not awaited
    });
    const result = await invoke(handler);
    assert.equal(result.error, null);
    assert.equal(result.bodyText, 'piped later');
  });

  test('end() with no write after from() drops the prelude', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      HttpResponseStream.from(responseStream, { statusCode: 404 }).end();
    });
    await assert.rejects(invoke(handler), {
      code: 'STREAMIFY_PRELUDE_DROPPED',
      message: /write\(''\)/,
    });
  });

  test('end(data) with no write after from() drops it too', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      HttpResponseStream.from(responseStream, { statusCode: 404 }).end('Not Found');
    });
    await assert.rejects(invoke(handler), { code: 'STREAMIFY_PRELUDE_DROPPED' });
  });

  test('pipeline() from an empty source after from() drops it too', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      await pipeline(Readable.from([]), HttpResponseStream.from(responseStream, { statusCode: 204 }));
    });
    await assert.rejects(invoke(handler), { code: 'STREAMIFY_PRELUDE_DROPPED' });
  });

  test("write('') before end() sends the prelude with an empty body", async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      const stream = HttpResponseStream.from(responseStream, { statusCode: 204 });
      stream.write('');
      stream.end();
    });
    const result = await invoke(handler);
    assert.equal(result.statusCode, 204);
    assert.equal(result.body.length, 0);
    assert.deepEqual(text(result.chunks), ['{"statusCode":204}', '\0'.repeat(8)]);
  });

  test('a handler that never settles times out', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      responseStream.write('started');
      await new Promise(() => {});
    });
    const started = Date.now();
    await assert.rejects(invoke(handler, {}, { timeoutMs: 50 }), {
      code: 'STREAMIFY_TIMEOUT',
      message: /^Task timed out after 0\.05 seconds\..*never ended/s,
    });
    assert.ok(Date.now() - started < 1000);
  });

  test('a handler still busy after ending its stream times out too', async () => {
    const handler = streamifyResponse(async (_event, responseStream) => {
      responseStream.end('done');
      await sleep(200);
    });
    await assert.rejects(invoke(handler, {}, { timeoutMs: 50 }), (error) => {
      assert.equal(error.code, 'STREAMIFY_TIMEOUT');
      assert.doesNotMatch(error.message, /never ended/);
      return true;
    });
  });

  test('a handler not wrapped with streamifyResponse()', async () => {
    await assert.rejects(invoke(async () => {}), { code: 'STREAMIFY_NOT_WRAPPED' });
  });

  test('streamifyResponse() refuses a non-function', () => {
    assert.throws(() => streamifyResponse('index.handler'), TypeError);
  });
});

describe('backpressure', () => {
  test('highWaterMark from streamifyResponse() options applies to the stream', async () => {
    let accepted;
    let highWaterMark;
    const handler = streamifyResponse(async (_event, responseStream) => {
      highWaterMark = responseStream.writableHighWaterMark;
      accepted = responseStream.write('abcdef');
      if (!accepted) await once(responseStream, 'drain');
      responseStream.end('!');
    }, { highWaterMark: 4 });
    const result = await invoke(handler);
    assert.equal(highWaterMark, 4);
    assert.equal(accepted, false);
    assert.equal(result.bodyText, 'abcdef!');
  });

  // Node's default: 16 KiB before Node.js 22, 64 KiB since.
  test("the default is Node's, and small writes are accepted", async () => {
    const states = [];
    const handler = streamifyResponse(async (_event, responseStream) => {
      states.push(responseStream.writableHighWaterMark, responseStream.write('abc'));
      responseStream.end();
    });
    await invoke(handler);
    assert.deepEqual(states, [getDefaultHighWaterMark(false), true]);
  });

  test('writes queue up until the transport takes them, then drain fires', async () => {
    const events = [];
    const handler = streamifyResponse(async (_event, responseStream) => {
      for (let i = 0; i < 4; i++) events.push(responseStream.write('xxxx'));
      events.push(responseStream.writableLength);
      await once(responseStream, 'drain');
      events.push('drain', responseStream.writableLength);
      responseStream.end();
    }, { highWaterMark: 10 });
    const result = await invoke(handler);
    assert.deepEqual(events, [true, true, false, false, 16, 'drain', 0]);
    assert.equal(result.chunks.length, 4);
  });

  test('pipeline() streams a large source in order, one chunk per write', async () => {
    const parts = Array.from({ length: 200 }, (_, i) => `part ${i}\n`);
    const handler = streamifyResponse(async (_event, responseStream) => {
      await pipeline(Readable.from(parts), responseStream);
    }, { highWaterMark: 64 });
    const result = await invoke(handler);
    assert.equal(result.bodyText, parts.join(''));
    assert.deepEqual(text(result.chunks), parts);
  });
});

describe('handler tagging', () => {
  test('tags the handler like the runtime and returns the same function', () => {
    const fn = async () => {};
    assert.equal(streamifyResponse(fn), fn);
    assert.equal(fn[STREAMING_TAG], 'response');
    assert.equal(Object.hasOwn(fn, HIGH_WATER_MARK_TAG), false);
  });

  test('records a numeric highWaterMark, truncated, and ignores other values', () => {
    const withNumber = streamifyResponse(async () => {}, { highWaterMark: 1024.9 });
    const withString = streamifyResponse(async () => {}, { highWaterMark: '1024' });
    assert.equal(withNumber[HIGH_WATER_MARK_TAG], 1024);
    assert.equal(Object.hasOwn(withString, HIGH_WATER_MARK_TAG), false);
  });

  test('the symbols are the global ones the runtime looks up', () => {
    const fn = streamifyResponse(async () => {}, { highWaterMark: 8 });
    const tags = Object.getOwnPropertySymbols(fn).map((symbol) => Symbol.keyFor(symbol)).sort();
    assert.deepEqual(tags, [
      'aws.lambda.runtime.handler.streaming',
      'aws.lambda.runtime.handler.streaming.highWaterMark',
    ]);
  });
});

describe('inside Lambda: hands off to the global awslambda', () => {
  afterEach(() => {
    delete globalThis.awslambda;
  });

  test('streamifyResponse and HttpResponseStream.from delegate, and stop once it is gone', () => {
    const calls = [];
    const wrapped = async () => {};
    const fromResult = { fake: 'stream' };
    globalThis.awslambda = {
      streamifyResponse: (...args) => {
        calls.push(['streamifyResponse', ...args]);
        return wrapped;
      },
      HttpResponseStream: {
        from: (...args) => {
          calls.push(['from', ...args]);
          return fromResult;
        },
      },
    };
    const handler = async () => {};
    const options = { highWaterMark: 5 };
    const stream = { name: 'runtime stream' };
    const prelude = { statusCode: 418 };

    assert.equal(streamifyResponse(handler, options), wrapped);
    assert.equal(HttpResponseStream.from(stream, prelude), fromResult);
    assert.deepEqual(calls, [['streamifyResponse', handler, options], ['from', stream, prelude]]);
    assert.equal(handler[STREAMING_TAG], undefined, 'the local tagging did not run');

    delete globalThis.awslambda;
    streamifyResponse(handler);
    assert.equal(handler[STREAMING_TAG], 'response');
  });

  test('an empty awslambda global, as the AWS SDK leaves outside Lambda, keeps the local path', async () => {
    // @aws-sdk/core sets `globalThis.awslambda ??= {}` when it loads.
    globalThis.awslambda = {};
    const handler = streamifyResponse(async (_event, responseStream) => {
      const stream = HttpResponseStream.from(responseStream, { statusCode: 202 });
      stream.write('ok');
      stream.end();
    });
    assert.equal(handler[STREAMING_TAG], 'response');
    const result = await invoke(handler);
    assert.equal(result.statusCode, 202);
    assert.equal(result.bodyText, 'ok');
  });

  test("without the global (AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA), from() uses the runtime stream's own hook", () => {
    // The runtime's stream offers setContentType() and runs _onBeforeFirstWrite
    // with its raw write function before the first write.
    const sent = [];
    const runtimeStream = {
      contentType: undefined,
      setContentType(type) {
        this.contentType = type;
      },
    };
    const returned = HttpResponseStream.from(runtimeStream, { statusCode: 201, headers: { 'x-a': 'b' } });
    assert.equal(returned, runtimeStream);
    assert.equal(runtimeStream.contentType, HTTP_INTEGRATION);
    assert.deepEqual(sent, [], 'from() alone sends nothing');
    runtimeStream._onBeforeFirstWrite((chunk) => sent.push(Buffer.from(chunk)));
    assert.deepEqual(text(sent), ['{"statusCode":201,"headers":{"x-a":"b"}}', '\0'.repeat(8)]);
  });
});

describe('the local context and event', () => {
  test('context resembles the Lambda context object and counts down to the timeout', async () => {
    let context;
    let remaining;
    const handler = streamifyResponse(async (_event, responseStream, ctx) => {
      context = ctx;
      remaining = ctx.getRemainingTimeInMillis();
      responseStream.end();
    });
    await invoke(handler, {}, { timeoutMs: 10_000 });
    assert.match(context.awsRequestId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(context.functionName, 'local-function');
    assert.equal(context.functionVersion, '$LATEST');
    assert.equal(context.invokedFunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:local-function');
    assert.equal(context.memoryLimitInMB, '128');
    assert.equal(context.logGroupName, '/aws/lambda/local-function');
    assert.match(context.logStreamName, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.ok(remaining > 9000 && remaining <= 10_000, `remaining time ${remaining}`);
  });

  test('context overrides apply, and the ARN follows the function name', async () => {
    let context;
    const handler = streamifyResponse(async (_event, responseStream, ctx) => {
      context = ctx;
      responseStream.end();
    });
    await invoke(handler, {}, { context: { functionName: 'orders', awsRequestId: 'req-1' } });
    assert.equal(context.awsRequestId, 'req-1');
    assert.equal(context.invokedFunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:orders');
  });

  test('each invocation gets its own request id', async () => {
    const ids = [];
    const handler = streamifyResponse(async (_event, responseStream, ctx) => {
      ids.push(ctx.awsRequestId);
      responseStream.end();
    });
    await invoke(handler);
    await invoke(handler);
    assert.notEqual(ids[0], ids[1]);
  });

  test('the handler gets a JSON copy of the event, as the runtime parses it', async () => {
    let received;
    const event = { when: new Date(0), nested: { n: 1 }, dropped: undefined };
    const handler = streamifyResponse(async (evt, responseStream) => {
      received = evt;
      evt.nested.n = 2;
      responseStream.end();
    });
    await invoke(handler, event);
    assert.deepEqual(received, { when: '1970-01-01T00:00:00.000Z', nested: { n: 2 } });
    assert.equal(event.nested.n, 1, "the caller's event is untouched");
  });
});
