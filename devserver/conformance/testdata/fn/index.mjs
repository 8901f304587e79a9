// The conformance fixture: one streaming handler that picks a scenario by the
// request path. It uses the runtime's own global `awslambda` (the real
// aws-lambda-ric and streamgen's embedded client both provide it), not a
// generated shim, so it sees exactly what a deployed function sees.
// devserver/internal/gofunction answers the same paths with the same bytes.

import { once } from 'node:events';

const { streamifyResponse, HttpResponseStream } = globalThis.awslambda;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// 20 MiB in 64 KiB writes; byte i is largeByte(i), as in the Go function.
const LARGE_SIZE = 20 << 20;
const LARGE_WRITE = 64 << 10;
const largeByte = (i) => (i * 7 + Math.floor(i / 65536)) & 0xff;

// Writes and waits for 'drain' when the stream asks for it.
async function write(stream, chunk) {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

const scenarios = {
  // A bare stream: no prelude, so the caller gets 200 and the request's
  // default Content-Type.
  async '/plain'(event, stream) {
    stream.write('hello ');
    stream.write('world\n');
    stream.end();
  },

  // Three lines 250 ms apart: each must reach the caller on its own.
  async '/timed'(event, stream) {
    stream = HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    for (let i = 1; i <= 3; i++) {
      if (i > 1) await sleep(250);
      stream.write(`tick ${i}\n`);
    }
    stream.end();
  },

  async '/http'(event, stream) {
    stream = HttpResponseStream.from(stream, {
      statusCode: 201,
      headers: { 'content-type': 'text/plain', 'x-scenario': 'http', 'cache-control': 'no-store' },
      cookies: ['a=1; Path=/', 'b=2; HttpOnly'],
    });
    stream.write('created\n');
    stream.end();
  },

  async '/content-type'(event, stream) {
    stream.setContentType('text/csv');
    stream.write('a,b\n1,2\n');
    stream.end();
  },

  // The caller has seen 200 and "partial " when the error comes: its body
  // must be cut, not ended cleanly.
  async '/error-mid'(event, stream) {
    stream = HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
    stream.write('partial ');
    await sleep(50);
    throw new Error('boom mid-stream');
  },

  async '/error-before'() {
    throw new Error('boom before the first write');
  },

  async '/empty'(event, stream) {
    stream.end();
  },

  // from() sends nothing by itself, and end() alone would drop the prelude
  // (wire/README.md): write "" first.
  async '/empty-prelude'(event, stream) {
    stream = HttpResponseStream.from(stream, { statusCode: 200, headers: { 'x-empty': 'yes' } });
    stream.write('');
    stream.end();
  },

  async '/binary'(event, stream) {
    stream = HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'application/octet-stream' } });
    stream.write(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
    stream.end();
  },

  async '/large'(event, stream) {
    stream = HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'application/octet-stream' } });
    for (let off = 0; off < LARGE_SIZE; off += LARGE_WRITE) {
      // A fresh buffer per write: the stream may still hold the last one.
      const buf = Buffer.allocUnsafe(LARGE_WRITE);
      for (let i = 0; i < LARGE_WRITE; i++) buf[i] = largeByte(off + i);
      await write(stream, buf);
    }
    stream.end();
  },

  // More than a streamed response may hold (200 MB): 210 MiB, the same
  // 1 MiB buffer written over and over.
  async '/huge'(event, stream) {
    stream = HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'application/octet-stream' } });
    const buf = Buffer.alloc(1 << 20, 'h');
    for (let i = 0; i < 210; i++) await write(stream, buf);
    stream.end();
  },

  // Writes once and never ends the stream: the invocation runs into the
  // function timeout.
  async '/never-ends'(event, stream) {
    stream = HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
    stream.write('waiting\n');
    await new Promise(() => {});
  },

  // The parts of the event a Function URL builds from the HTTP request.
  async '/echo'(event, stream) {
    stream = HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'application/json' } });
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    stream.write(JSON.stringify({
      version: event.version,
      method: event.requestContext?.http?.method,
      rawPath: event.rawPath,
      rawQueryString: event.rawQueryString,
      query: event.queryStringParameters ?? {},
      headers: event.headers ?? {},
      cookies: event.cookies ?? [],
      isBase64Encoded: event.isBase64Encoded,
      bodyBase64: body.toString('base64'),
      sourceIp: event.requestContext?.http?.sourceIp,
      userAgent: event.requestContext?.http?.userAgent,
    }));
    stream.end();
  },
};

// REST API scenarios, for the payload format 1.0 events of a REST API
// front end (path is the path below the stage).
const restScenarios = {
  // A write, a 400 ms pause, a second write: two pieces for the caller.
  async '/pause'(event, stream) {
    stream = HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
    stream.write('first\n');
    await sleep(400);
    stream.write('second\n');
    stream.end();
  },

  // The REST API event as the function received it.
  async '/rest-echo'(event, stream) {
    stream = HttpResponseStream.from(stream, {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      multiValueHeaders: { 'x-many': ['one', 'two'] },
    });
    const { body, isBase64Encoded, resource, path, httpMethod, headers, multiValueHeaders, queryStringParameters,
      multiValueQueryStringParameters, pathParameters, requestContext } = event;
    stream.write(JSON.stringify({
      resource, path, httpMethod, headers, multiValueHeaders, queryStringParameters, multiValueQueryStringParameters,
      pathParameters, body, isBase64Encoded,
      stage: requestContext?.stage, contextPath: requestContext?.path, requestId: requestContext?.requestId,
      identity: requestContext?.identity,
    }));
    stream.end();
  },
};

export const handler = streamifyResponse(async (event, responseStream, context) => {
  // A Function URL event has rawPath, a REST API event path; the shared
  // scenarios answer both.
  const path = event.rawPath ?? event.path;
  const rest = event.rawPath === undefined && restScenarios[path.startsWith('/rest-echo/') ? '/rest-echo' : path];
  const scenario = rest || scenarios[path];
  if (scenario) return scenario(event, responseStream, context);
  const stream = HttpResponseStream.from(responseStream, { statusCode: 404, headers: { 'content-type': 'text/plain' } });
  stream.write(`no scenario ${path}\n`);
  stream.end();
});
