// The S3 proxy: GET /<key> streams s3://BUCKET/PREFIX<key> to the caller,
// HEAD /<key> answers with its headers only.
//
// createProxy() takes the S3 client as a parameter, so tests hand it a fake
// and run without a network; index.mjs hands it the real one.

import { pipeline } from 'node:stream/promises';

import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';

import {
  notModifiedHeaders, objectHeaders, objectRequestParams, SECURITY_HEADERS,
} from './headers.mjs';
import { keyFromPath } from './keys.mjs';
import { corsHeaders, readRequest } from './request.mjs';
import { HttpResponseStream } from './streamify.mjs';

const ALLOWED_METHODS = 'GET, HEAD';

// Error answers are never cached: the object may appear, or access may be
// fixed, a moment later.
const ERROR_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store', ...SECURITY_HEADERS };

/**
 * Returns a streaming handler, (event, responseStream, context) => Promise,
 * that serves objects of `bucket` under `prefix` through `s3`, anything with
 * a send(command) method such as an S3Client. `log(level, message, fields)`
 * records errors; it defaults to one JSON line on the console.
 */
export function createProxy({ s3, bucket, prefix = '', log = logJson }) {
  return async (event, responseStream, context) => {
    const requestId = context.awsRequestId;
    const request = readRequest(event);
    const { method } = request;
    const isHead = method === 'HEAD';
    // Browsers on an allowed origin may read every answer, errors included.
    const cors = corsHeaders(request);
    // Error bodies are short JSON; the request id lets an operator find the log lines.
    const fail = (statusCode, error, headers = {}) => send(responseStream, statusCode,
      { ...ERROR_HEADERS, ...cors, ...headers }, isHead ? '' : JSON.stringify({ error, requestId }));

    if (method !== 'GET' && !isHead) {
      return fail(405, 'method not allowed', { allow: ALLOWED_METHODS });
    }
    // Checked before anything is sent to S3: a refused key never reaches the bucket.
    const { key, problem } = keyFromPath(request.path, prefix);
    if (problem) return fail(400, `invalid key: ${problem}`);

    const input = { Bucket: bucket, Key: key, ...objectRequestParams(request.headers) };
    let output;
    try {
      output = await s3.send(isHead ? new HeadObjectCommand(input) : new GetObjectCommand(input));
    } catch (error) {
      return answerS3Error(error, { responseStream, fail, cors, log, requestId, key });
    }

    const stream = HttpResponseStream.from(responseStream, {
      statusCode: output.ContentRange ? 206 : 200,
      headers: { ...objectHeaders(output), ...cors },
    });
    // S3 has answered, so status and headers are settled: send them now. This
    // also covers an empty object, whose body would never call write().
    stream.write('');
    if (isHead) {
      stream.end();
      return;
    }

    // pipeline() moves the object chunk by chunk: it reads from S3 only as
    // fast as the caller takes the bytes (backpressure), so memory stays flat
    // whatever the object's size. If the caller goes away, it destroys the S3
    // body, which frees the connection.
    try {
      // end: false leaves the response open if S3 fails midway, so that what
      // was already written is not thrown away with it.
      await pipeline(output.Body, stream, { end: false });
    } catch (error) {
      log('error', 'response cut short: the object stream failed after the headers were sent', {
        requestId, key, error: error.name, code: error.code, detail: error.message,
      });
      // Lambda then ends the response, which reaches the caller shorter than
      // its content-length, and records the invocation as failed.
      throw error;
    }
    stream.end();
  };
}

/**
 * Returns a handler that answers every request with 500, for a function whose
 * configuration is broken. The reason stays in the logs; callers learn only
 * that the server is misconfigured.
 */
export function createMisconfiguredProxy({ reason, log = logJson }) {
  return async (event, responseStream, context) => {
    const requestId = context.awsRequestId;
    log('error', 's3-proxy is not configured', { requestId, reason });
    const request = readRequest(event);
    const isHead = request.method === 'HEAD';
    send(responseStream, 500, { ...ERROR_HEADERS, ...corsHeaders(request) },
      isHead ? '' : JSON.stringify({ error: 'server misconfigured', requestId }));
  };
}

// Maps a failed GetObject/HeadObject to the caller's answer. The SDK throws
// for every status but 200 and 206. Most errors carry S3's error code as their
// name. Answers without a body carry none: a HEAD's errors and any 304 are
// named "NotFound" for a 404 and "Unknown" otherwise, so there the HTTP
// status decides.
function answerS3Error(error, { responseStream, fail, cors, log, requestId, key }) {
  const status = error.$metadata?.httpStatusCode;
  if (status === 304) {
    return send(responseStream, 304, { ...notModifiedHeaders(error.$response?.headers), ...cors }, '');
  }
  if (error.name === 'NoSuchKey' || (status === 404 && error.name === 'NotFound')) {
    return fail(404, 'not found');
  }
  if (error.name === 'AccessDenied' || (status === 403 && error.name === 'Unknown')) {
    // The function's role may lack s3:GetObject (or kms:Decrypt, for an
    // SSE-KMS object). Without s3:ListBucket, S3 also answers 403 for a
    // missing key, so this can be a plain "not found" as well.
    log('warn', 'S3 denied access', { requestId, key, s3RequestId: error.$metadata?.requestId });
    return fail(403, 'access denied');
  }
  if (error.name === 'PreconditionFailed' || status === 412) return fail(412, 'precondition failed');
  if (error.name === 'InvalidRange' || status === 416) {
    // S3 reports the object's size with InvalidRange (not with a HEAD's 416).
    const size = String(error.ActualObjectSize ?? '');
    return fail(416, 'range not satisfiable', /^\d+$/.test(size) ? { 'content-range': `bytes */${size}` } : {});
  }
  // Anything else is the proxy's problem, not the caller's: a missing bucket,
  // bad credentials, throttling, a network failure. Only the error's name
  // goes out; the details go to the log.
  log('error', 'S3 request failed', {
    requestId, key, error: error.name, status, detail: error.message, s3RequestId: error.$metadata?.requestId,
  });
  return fail(502, `S3 error: ${errorCode(error)}`);
}

// An S3 error code such as "SlowDown", or "Error" for anything that does not
// look like one.
function errorCode(error) {
  return /^[A-Za-z][A-Za-z0-9.]{0,63}$/.test(error.name ?? '') ? error.name : 'Error';
}

// Sends a whole response. The runtime only sends the status line on the first
// write(), so even an empty body is written (as '') before end().
function send(responseStream, statusCode, headers, body) {
  const stream = HttpResponseStream.from(responseStream, { statusCode, headers });
  stream.write(body);
  stream.end();
}

function logJson(level, message, fields) {
  console[level](JSON.stringify({ level, message, ...fields }));
}
