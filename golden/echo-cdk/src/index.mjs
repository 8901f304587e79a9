// Echo: streams back the request it received, one JSON object per line
// (NDJSON, content type application/x-ndjson). Each line is written as its own
// chunk, so `curl -N` shows them arriving one after another:
//
//   {"request":{"id":"…","method":"POST","path":"/echo","query":{"lang":"en"}}}
//   {"headers":{"content-type":"application/json","authorization":"[redacted]"},"cookies":["theme=[redacted]"]}
//   {"body":"{\"message\":\"hello\"}","encoding":"utf8","bytes":19}
//
// The body line holds the request body as text ("encoding":"utf8") or, when it
// is not valid UTF-8 (an image, say), as base64 ("encoding":"base64"). A
// Function URL base64-encodes many bodies (isBase64Encoded); a REST API with
// no binary media types, as generated, passes bodies as text. readRequest
// decodes either, and gives a Function URL's and a REST API's events one
// shape.

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { corsHeaders, readRequest } from './request.mjs';
import { HttpResponseStream, streamifyResponse } from './streamify.mjs';

// Credentials must not travel back in a response body, where logs, caches and
// browser scripts could pick them up. Their names still show that they arrived.
const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-amz-security-token',
  'x-api-key',
]);
const REDACTED = '[redacted]';

export const handler = streamifyResponse(async (event, responseStream, context) => {
  const request = readRequest(event);
  const stream = HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: {
      'content-type': 'application/x-ndjson',
      // The response reflects the request: never cache it, never sniff it as HTML.
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...corsHeaders(request),
    },
  });
  // pipeline() writes each line as it comes, waits when the caller is slow
  // (backpressure), and ends the stream when the lines run out.
  await pipeline(Readable.from(echoLines(request, context)), stream);
});

function* echoLines(request, context) {
  yield ndjson({
    request: {
      id: context.awsRequestId,
      method: request.method,
      path: request.path,
      query: request.query,
    },
  });
  yield ndjson({
    headers: redactHeaders(request.headers),
    // readRequest takes the cookies out of the headers into their own list.
    cookies: request.cookies.map((cookie) => `${cookie.split('=')[0]}=${REDACTED}`),
  });
  yield ndjson(describeBody(request.body));
}

function redactHeaders(headers) {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) =>
    [name, CREDENTIAL_HEADERS.has(name.toLowerCase()) ? REDACTED : value]));
}

function describeBody(bytes) {
  const text = decodeUtf8(bytes);
  return text === undefined
    ? { body: bytes.toString('base64'), encoding: 'base64', bytes: bytes.length }
    : { body: text, encoding: 'utf8', bytes: bytes.length };
}

// Returns undefined when the bytes are not valid UTF-8 text.
function decodeUtf8(bytes) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function ndjson(value) {
  return `${JSON.stringify(value)}\n`;
}
