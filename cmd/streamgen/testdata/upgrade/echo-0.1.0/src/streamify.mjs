// streamify.mjs: Lambda response streaming that also runs on your machine.
//
// In Lambda, the Node.js runtime puts a global `awslambda` in place before it
// imports your handler. `streamifyResponse` and `HttpResponseStream` below hand
// off to it, so production behaviour is exactly the runtime's.
//
// Outside Lambda (unit tests, local runs) there is no such global, so this file
// provides the same API plus `invoke()`, which runs a streaming handler and
// reports what a Function URL caller would receive. The local response stream
// sends the same bytes the runtime client sends (npm aws-lambda-ric 3.x and 4.x,
// as captured on the wire), and it fails loudly where Lambda would hang, drop
// the status line, or fail only after deployment.
//
// No dependencies: only Node.js built-ins. Works on Node.js 20 and later.

import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

// The runtime reads these tags from the handler when it loads it. The first
// selects streaming mode; the second sets the response stream's highWaterMark.
const STREAMING_TAG = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK_TAG = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');

// Without setContentType() the runtime posts the body as this type.
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
// HttpResponseStream.from() switches to this type. It tells the Function URL
// front end that the body starts with a JSON prelude (status, headers,
// cookies) ended by 8 NUL bytes. JSON text never contains a raw NUL byte, so
// the first 8 NULs always mark the end of the prelude.
const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const PRELUDE_DELIMITER_LENGTH = 8;

// Lambda's own default function timeout.
const DEFAULT_TIMEOUT_MS = 3000;

/**
 * Marks `handler(event, responseStream, context)` as a response streaming
 * handler. Returns the same function, tagged the way the runtime expects.
 * options.highWaterMark sets the response stream's buffer size in bytes.
 */
export function streamifyResponse(handler, options) {
  // Looked up on every call rather than at import time, so a test can install
  // a stand-in for the runtime's global after importing this module. The
  // function itself is checked, not just the global: the AWS SDK creates an
  // empty `globalThis.awslambda` of its own outside Lambda.
  if (typeof globalThis.awslambda?.streamifyResponse === 'function') {
    return globalThis.awslambda.streamifyResponse(handler, options);
  }

  if (typeof handler !== 'function') {
    throw new TypeError('streamifyResponse() expects a handler function');
  }
  // Tagging like the runtime does means a real runtime client also recognises
  // this handler, e.g. with AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA set.
  handler[STREAMING_TAG] = 'response';
  if (typeof options?.highWaterMark === 'number') {
    handler[HIGH_WATER_MARK_TAG] = Math.trunc(options.highWaterMark);
  }
  return handler;
}

/**
 * Sets the HTTP status, headers and cookies of a Function URL response.
 * Call from() before the first write; it returns the stream to write to.
 */
export class HttpResponseStream {
  static from(responseStream, prelude) {
    if (typeof globalThis.awslambda?.HttpResponseStream?.from === 'function') {
      return globalThis.awslambda.HttpResponseStream.from(responseStream, prelude);
    }

    // Same contract as the runtime: nothing is sent now. The prelude goes out
    // on the first write(), as its own chunk, then the 8 NULs as another.
    // `_onBeforeFirstWrite` is the hook the runtime's own stream honours, so
    // this also works on a real runtime stream.
    responseStream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    const json = JSON.stringify(prelude);
    responseStream._onBeforeFirstWrite = (send) => {
      send(json);
      send(new Uint8Array(PRELUDE_DELIMITER_LENGTH));
    };
    return responseStream;
  }
}

/**
 * Runs a streaming handler locally, the way Lambda would, and returns:
 *   statusCode, headers, cookies  what a Function URL caller gets (header
 *                                 names lower-cased, as Node's HTTP client shows them)
 *   body        Buffer: the response body, after any prelude
 *   bodyText    the body decoded as UTF-8
 *   chunks      Buffer[]: every chunk as it left on the wire, prelude included
 *   wireContentType  the Content-Type the runtime would post the stream with
 *   error       null, or { errorType, errorMessage, trace } as Lambda reports
 *               a function error (the runtime sends it as a stream trailer)
 *
 * It rejects, with an Error whose `code` starts with STREAMIFY_, for mistakes
 * that need a code change: a handler not wrapped by streamifyResponse(), a
 * non-async handler, a stream still not ended at the timeout (Lambda hangs
 * until its timeout then),
 * end() with no write after from() (Lambda drops status and headers), and a
 * handler still running at the timeout. The messages say what to change.
 *
 * options.context overrides fields of the local context object.
 * options.timeoutMs is the function timeout (default 3000, Lambda's default).
 */
export async function invoke(handler, event = {}, { context, timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  if (typeof handler !== 'function' || handler[STREAMING_TAG] !== 'response') {
    throw usageError('STREAMIFY_NOT_WRAPPED',
      'invoke() runs streaming handlers only: wrap the handler with streamifyResponse(). ' +
      'Without that tag Lambda would run it as a buffered handler.');
  }
  // The runtime parses each event from JSON, so the handler gets a fresh copy.
  const eventCopy = JSON.parse(JSON.stringify(event));

  const wire = { contentType: DEFAULT_CONTENT_TYPE, chunks: [], writeCalled: false };
  const highWaterMark = Number(handler[HIGH_WATER_MARK_TAG]);
  const stream = new LocalResponseStream(wire, highWaterMark > 0 ? highWaterMark : undefined);
  // The runtime's stream always has an error listener. Without one, a write
  // after end() would crash the whole process instead of failing this call.
  let streamError = null;
  stream.on('error', (error) => { streamError ??= error; });

  const deadline = Date.now() + timeoutMs;
  const state = { returned: false };
  const outcome = await settleWithin(
    runHandler(handler, eventCopy, stream, localContext(context, deadline), state), timeoutMs);

  if (outcome.problem) {
    // Timed out after the handler returned: the stream was never ended.
    const kind = outcome.problem === 'timedOut' && state.returned && !stream.writableEnded ? 'notEnded' : outcome.problem;
    const problem = PROBLEMS[kind](timeoutMs, stream);
    stream.destroy();
    throw problem;
  }
  let error = null;
  if (outcome.failed) {
    error = toErrorPayload(outcome.error);
    // Like the runtime: flush what was written, then close the response.
    if (!stream.writableEnded && !stream.destroyed) stream.end();
    await closed(stream);
  } else if (typeof stream._onBeforeFirstWrite === 'function' && !wire.writeCalled) {
    throw PROBLEMS.preludeDropped();
  } else if (streamError) {
    error = toErrorPayload(streamError); // e.g. a write after end()
  }

  const response = asFunctionUrlResponse(wire, error);
  return {
    ...response,
    bodyText: response.body.toString('utf8'),
    chunks: wire.chunks,
    wireContentType: wire.contentType,
    error,
  };
}

// The response stream handed to handlers outside Lambda. Like the runtime's,
// it is a Writable whose write() may run a one-time hook first (the prelude),
// and whose content type is fixed once something has been written.
class LocalResponseStream extends Writable {
  #wire;

  constructor(wire, highWaterMark) {
    super({ highWaterMark });
    this.#wire = wire;
  }

  setContentType(contentType) {
    // The real stream sends its content type as a request header when the
    // first write opens the request; after that it can no longer change.
    if (this.#wire.writeCalled) {
      throw Object.assign(new Error('Cannot set content-type, too late.'),
        { name: 'Runtime.InvalidStreamingOperation' });
    }
    this.#wire.contentType = contentType;
  }

  write(chunk, encoding, callback) {
    // The runtime sends anything other than text or bytes as JSON.
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) chunk = JSON.stringify(chunk);
    // Only write() runs the hook, as in the runtime: end(data) with no write()
    // before it skips the prelude (invoke() reports that).
    if (!this.#wire.writeCalled && typeof this._onBeforeFirstWrite === 'function') {
      this._onBeforeFirstWrite((data) => super.write(data));
    }
    this.#wire.writeCalled = true;
    return super.write(chunk, encoding, callback);
  }

  _write(chunk, _encoding, done) {
    // Chunked HTTP cannot carry an empty chunk (it would mean "end"), so the
    // runtime sends nothing for write(''). Copy the rest: the caller may reuse
    // its buffer once the write is acknowledged.
    if (chunk.length > 0) this.#wire.chunks.push(Buffer.from(chunk));
    // Acknowledge on the next turn of the event loop, like a socket would, so
    // writes pile up against highWaterMark and backpressure is real.
    setImmediate(done);
  }
}

// Calls the handler the way the runtime does and says how it went. As in
// the runtime, the invocation is over when the response stream has finished,
// not when the handler returns: a handler may return and end the stream
// later (say, after `source.pipe(responseStream)`). One that never ends it
// hangs in Lambda until the timeout; here invoke()'s timeout reports that.
async function runHandler(handler, event, stream, context, state) {
  let pending;
  try {
    pending = handler(event, stream, context);
  } catch (error) {
    return { failed: true, error };
  }
  // The runtime checks the returned value, not the function: a plain function
  // that returns a Promise is fine.
  if (typeof pending?.then !== 'function') return { problem: 'nonAsync' };
  try {
    const returned = await pending;
    if (returned !== undefined) console.warn('Streaming handlers ignore return values.');
  } catch (error) {
    return { failed: true, error };
  }
  state.returned = true;
  await closed(stream);
  return {};
}

// What invoke() rejects with, by the problem runHandler() or the timeout found.
const PROBLEMS = {
  nonAsync: () => usageError('STREAMIFY_NON_ASYNC',
    'Streaming does not support non-async handlers. (Lambda fails the invocation with this message.) ' +
    'Declare the handler async, or return a Promise that settles once the response is written.'),
  notEnded: (timeoutMs) => usageError('STREAMIFY_NOT_ENDED',
    `The handler returned without ending its response stream, which was still open ${timeoutMs} ms ` +
    'after the invocation started. In Lambda the invocation hangs like this until the function times out. ' +
    'Call responseStream.end() when the response is complete, or stream with ' +
    '`await pipeline(source, responseStream)`, which ends it for you.'),
  timedOut: (timeoutMs, stream) => usageError('STREAMIFY_TIMEOUT',
    `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds. The handler had not finished ` +
    `within timeoutMs (${timeoutMs} ms)` +
    (stream.writableEnded ? '.' : ' and its response stream was never ended.') +
    ' If it is slow on purpose, pass a larger { timeoutMs } to invoke().'),
  preludeDropped: () => usageError('STREAMIFY_PRELUDE_DROPPED',
    'The response stream was ended with no write() after HttpResponseStream.from(), so the status ' +
    'code and headers were never sent: in Lambda the caller gets a 502 or a bare 200 ' +
    '(aws-lambda-nodejs-runtime-interface-client issue #97). end(data) alone does not count. ' +
    "Call responseStream.write('') or write data before end()."),
};

function usageError(code, message) {
  return Object.assign(new Error(message), { code });
}

function settleWithin(promise, timeoutMs) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, timeoutMs, { problem: 'timedOut' });
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Resolves once the stream has flushed everything, or failed. Its errors are
// already recorded by invoke()'s listener, so they are not rethrown here.
function closed(stream) {
  return finished(stream).catch(() => {});
}

// The payload the runtime sends as the Lambda-Runtime-Function-Error-Body trailer.
function toErrorPayload(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: error.stack?.split('\n') ?? [] };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

// Reads the streamed bytes the way the Function URL front end does.
// - A plain stream is a 200 with the stream's content type.
// - An http-integration stream starts with the JSON prelude; statusCode
//   defaults to 200 as in a buffered Function URL response.
// - Once status and headers have gone out they cannot change, so an error
//   after that only cuts the body short.
// - If the function failed before any byte went out, or the prelude is
//   missing or malformed, the caller gets a 502: the status Function URLs give
//   for a function error or an invalid response. (The front end adds its own
//   short error body; `body` here stays empty, as it holds only what the
//   function sent.)
function asFunctionUrlResponse(wire, error) {
  const bytes = Buffer.concat(wire.chunks);
  const badGateway = { statusCode: 502, headers: {}, cookies: [], body: Buffer.alloc(0) };

  if (wire.contentType !== HTTP_INTEGRATION_CONTENT_TYPE) {
    if (error && bytes.length === 0) return badGateway;
    return { statusCode: 200, headers: { 'content-type': wire.contentType }, cookies: [], body: bytes };
  }

  const end = bytes.indexOf(Buffer.alloc(PRELUDE_DELIMITER_LENGTH));
  const prelude = end === -1 ? null : parseJsonObject(bytes.subarray(0, end));
  if (!prelude) return badGateway;
  return {
    statusCode: prelude.statusCode ?? 200,
    headers: Object.fromEntries(
      Object.entries(prelude.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)])),
    cookies: prelude.cookies ?? [],
    body: bytes.subarray(end + PRELUDE_DELIMITER_LENGTH),
  };
}

function parseJsonObject(bytes) {
  try {
    const value = JSON.parse(bytes.toString('utf8'));
    return value !== null && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

// A context object shaped like the one the runtime builds for each invocation.
function localContext(overrides, deadline) {
  const functionName = overrides?.functionName ?? 'local-function';
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '128', // a string, as the runtime reads it from the environment
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    ...overrides,
  };
}
