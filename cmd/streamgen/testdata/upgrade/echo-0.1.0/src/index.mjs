// Echo: streams back what the Function URL received, one JSON object per line
// (NDJSON, content type application/x-ndjson). Each line is written as its own
// chunk, so `curl -N` shows them arriving one after another:
//
//   {"request":{"id":"…","method":"POST","path":"/echo","query":{"lang":"en"}}}
//   {"headers":{"content-type":"application/json","authorization":"[redacted]"},"cookies":["theme=[redacted]"]}
//   {"body":"{\"message\":\"hello\"}","encoding":"utf8","bytes":19}
//
// The body line holds the request body as text ("encoding":"utf8") or, when it
// is not valid UTF-8 (an image, say), as base64 ("encoding":"base64"). Function
// URLs base64-encode many bodies (isBase64Encoded); they are decoded first.

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

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
  const stream = HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: {
      'content-type': 'application/x-ndjson',
      // The response reflects the request: never cache it, never sniff it as HTML.
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
  // pipeline() writes each line as it comes, waits when the caller is slow
  // (backpressure), and ends the stream when the lines run out.
  await pipeline(Readable.from(echoLines(event, context)), stream);
});

function* echoLines(event, context) {
  yield ndjson({
    request: {
      id: context.awsRequestId,
      method: event.requestContext?.http?.method,
      path: event.rawPath,
      query: event.queryStringParameters ?? {},
    },
  });
  yield ndjson({
    headers: redactHeaders(event.headers ?? {}),
    // Function URLs move cookies out of the headers into their own list.
    cookies: (event.cookies ?? []).map((cookie) => `${cookie.split('=')[0]}=${REDACTED}`),
  });
  yield ndjson(describeBody(event));
}

function redactHeaders(headers) {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) =>
    [name, CREDENTIAL_HEADERS.has(name.toLowerCase()) ? REDACTED : value]));
}

function describeBody(event) {
  const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
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
