// The chat endpoint: a POST with a conversation, answered as Server-Sent
// Events while the model writes.
//
//   POST /   content-type: application/json
//   {"messages":[{"role":"user","content":"Hi"}], "system":"Be brief.", "maxTokens":200, "temperature":0.5}
//   {"prompt":"Hi"}   (shorthand for one user message)
//
// The answer (status 200, content-type text/event-stream):
//
//   : stream start
//
//   event: token
//   data: {"text":"Hel"}
//
//   event: token
//   data: {"text":"lo!"}
//
//   event: done
//   data: {"stopReason":"end_turn","usage":{"inputTokens":9,"outputTokens":3}}
//
// An answer that ends with `done` is complete. One that fails after it began
// ends with `event: error` instead, data {"message","code","requestId"}; a
// cut connection ends with neither. Requests that fail validation get a 4xx
// JSON error, {"error","requestId"}, and the model is never called.
//
// Every path is served the same way (the function may sit behind a proxy
// that adds a prefix). createChatHandler() takes the model provider as a
// parameter, so tests hand it a fake; index.mjs hands it the real one.

import { once } from 'node:events';

import { DEFAULT_LIMITS } from './config.mjs';
import { corsHeaders, readRequest } from './request.mjs';
import { formatComment, formatEvent } from './sse.mjs';
import { HttpResponseStream } from './streamify.mjs';

const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff' };
const ERROR_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store', ...SECURITY_HEADERS };
const STREAM_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...SECURITY_HEADERS };

// While the model is silent (thinking, or queued), a comment goes out this
// often so that proxies and clients do not take the connection for dead.
const HEARTBEAT_MS = 15_000;

const ROLES = new Set(['user', 'assistant']);
const REQUEST_FIELDS = ['messages', 'prompt', 'system', 'maxTokens', 'temperature'];
const MESSAGE_FIELDS = ['role', 'content'];
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The reason the model call is aborted when the time budget runs out. */
export class TimeBudgetError extends Error {
  constructor(budgetMs) {
    super(`the time budget of ${budgetMs} ms ran out`);
    this.name = 'TimeBudgetError';
  }
}

/** The reason the model call is aborted when the response stream fails. */
export class ResponseStreamError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'ResponseStreamError';
  }
}

/**
 * Returns a streaming handler, (event, responseStream, context) => Promise.
 *   provider  { name, maxTemperature?, stream({ messages, system, maxTokens,
 *             temperature, signal }) } where stream() is an async iterable of
 *             { type: 'token', text } and finally { type: 'done', stopReason,
 *             usage: { inputTokens, outputTokens } }; see src/provider.mjs
 *   limits    { maxBodyBytes, maxTokensCeiling, defaultMaxTokens, timeMarginMs }
 *             as readLimits() returns them
 *   log       (level, message, fields) => void; one JSON line by default
 *   heartbeatMs  how long the answer may stay silent before a comment goes out
 */
export function createChatHandler({ provider, limits = DEFAULT_LIMITS, log = logJson, heartbeatMs = HEARTBEAT_MS }) {
  const maxTemperature = provider.maxTemperature ?? 1;
  return async (event, responseStream, context) => {
    const requestId = context.awsRequestId;
    const http = readRequest(event);
    // Browsers on an allowed origin may read every answer, errors included.
    const cors = corsHeaders(http);
    const request = readChat(http, limits, maxTemperature);
    if (request.problem) {
      return sendJson(responseStream, request.status, { error: request.problem, requestId }, { ...cors, ...request.headers });
    }

    // The model call must stop while there is still time to end the answer
    // cleanly: when Lambda stops the function at its timeout, the caller
    // gets a cut stream and no reason.
    const remainingMs = typeof context.getRemainingTimeInMillis === 'function'
      ? context.getRemainingTimeInMillis() : Infinity;
    const budgetMs = remainingMs - limits.timeMarginMs;
    if (!(budgetMs > 0)) {
      log('error', 'no time left to call the model: raise the function timeout or lower TIME_MARGIN_MS',
        { requestId, remainingMs, timeMarginMs: limits.timeMarginMs });
      return sendJson(responseStream, 503, { error: 'not enough time left to call the model', requestId }, cors);
    }
    await streamAnswer({ provider, chat: request.chat, responseStream, headers: cors, budgetMs, heartbeatMs, requestId, log });
  };
}

/**
 * Returns a handler that answers every request with 500, for a function whose
 * configuration is broken. The reason stays in the logs; callers learn only
 * that the server is misconfigured.
 */
export function createMisconfiguredHandler({ reason, log = logJson }) {
  return async (event, responseStream, context) => {
    const requestId = context.awsRequestId;
    log('error', 'llm-stream is not configured', { requestId, reason });
    sendJson(responseStream, 500, { error: 'server misconfigured', requestId }, corsHeaders(readRequest(event)));
  };
}

/**
 * Returns a handler for a function whose model provider failed to start
 * (say, the API key could not be read): it answers 503 with Retry-After, and
 * tries `start()` again on a request at least `retryAfterMs` after the last
 * failure. Once start() resolves to a handler, every request goes to it.
 */
export function createStartupRetryHandler({ start, failure, retryAfterMs = 10_000, log = logJson }) {
  let handler = null;
  let lastFailure = failure;
  let failedAt = Date.now();
  return async (event, responseStream, context) => {
    const requestId = context.awsRequestId;
    if (!handler && Date.now() - failedAt >= retryAfterMs) {
      try {
        handler = await start();
        log('info', 'model provider started on retry', { requestId });
      } catch (error) {
        lastFailure = error;
        failedAt = Date.now();
      }
    }
    if (handler) return handler(event, responseStream, context);
    log('error', 'model provider not started', { requestId, reason: lastFailure?.message });
    const waitSeconds = Math.max(1, Math.ceil((retryAfterMs - (Date.now() - failedAt)) / 1000));
    sendJson(responseStream, 503, { error: 'model provider unavailable; try again later', requestId },
      { ...corsHeaders(readRequest(event)), 'retry-after': String(waitSeconds) });
  };
}

// --- the request ---------------------------------------------------------------

// Checks the request (as readRequest gives it) and returns { chat } or
// { status, problem, headers? }.
function readChat(request, limits, maxTemperature) {
  if (request.method !== 'POST') return refuse(405, 'method not allowed; use POST', { allow: 'POST' });

  const { headers } = request;
  const [mediaType, ...params] = (headers['content-type'] ?? '').split(';');
  if (mediaType.trim().toLowerCase() !== 'application/json') {
    return refuse(415, 'content-type must be application/json');
  }
  const charset = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('charset='));
  if (charset && !['charset=utf-8', 'charset="utf-8"', 'charset=utf8'].includes(charset)) {
    return refuse(415, 'the request body must be UTF-8');
  }
  const encoding = (headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '') return refuse(415, `content-encoding ${encoding} is not supported`);

  // The limit applies to the bytes the caller sent (a base64 body decoded).
  const size = request.body.length;
  if (size > limits.maxBodyBytes) return refuse(413, `request body is larger than ${limits.maxBodyBytes} bytes`);
  if (size === 0) return refuse(400, 'request body is empty');

  let text;
  try {
    text = utf8.decode(request.body);
  } catch {
    return refuse(400, 'request body is not valid UTF-8');
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return refuse(400, 'request body is not valid JSON');
  }
  const problem = chatProblem(body, limits, maxTemperature);
  if (problem) return refuse(400, problem);

  return {
    chat: {
      messages: body.prompt !== undefined
        ? [{ role: 'user', content: body.prompt }]
        : body.messages.map(({ role, content }) => ({ role, content })),
      system: body.system ?? undefined,
      maxTokens: body.maxTokens ?? Math.min(limits.defaultMaxTokens, limits.maxTokensCeiling),
      temperature: body.temperature ?? undefined,
    },
  };
}

// What is wrong with a parsed request body, or undefined. The rules suit
// both Bedrock's Converse API (which insists on them) and OpenAI's: the
// conversation starts and ends with the user, the roles take turns, and no
// text is blank.
function chatProblem(body, { maxTokensCeiling }, maxTemperature) {
  if (!isObject(body)) return 'request body must be a JSON object';
  const unknown = Object.keys(body).find((key) => !REQUEST_FIELDS.includes(key));
  if (unknown !== undefined) {
    return `unknown field ${JSON.stringify(unknown)}; the fields are ${REQUEST_FIELDS.join(', ')}`;
  }

  if (body.prompt !== undefined) {
    if (body.messages !== undefined) return 'send either "messages" or "prompt", not both';
    if (!isText(body.prompt)) return '"prompt" must be a non-empty string';
  } else if (body.messages !== undefined) {
    const { messages } = body;
    if (!Array.isArray(messages) || messages.length === 0) return '"messages" must be a non-empty array';
    for (const [i, message] of messages.entries()) {
      const at = `messages[${i}]`;
      if (!isObject(message)) return `${at} must be an object with "role" and "content"`;
      const extra = Object.keys(message).find((key) => !MESSAGE_FIELDS.includes(key));
      if (extra !== undefined) return `${at} has an unknown field ${JSON.stringify(extra)}`;
      if (!ROLES.has(message.role)) return `${at}.role must be "user" or "assistant"`;
      if (!isText(message.content)) return `${at}.content must be a non-empty string`;
      if (i === 0 && message.role !== 'user') return 'messages[0].role must be "user": the conversation starts with the user';
      if (i > 0 && message.role === messages[i - 1].role) {
        return `${at}.role must not repeat messages[${i - 1}].role: user and assistant take turns`;
      }
    }
    if (messages.at(-1).role !== 'user') return 'the last message must be from the user';
  } else {
    return 'send "messages" (a list of {"role","content"}) or "prompt"';
  }

  if (body.system != null && !isText(body.system)) return '"system" must be a non-empty string';
  const { maxTokens, temperature } = body;
  if (maxTokens != null && !(Number.isInteger(maxTokens) && maxTokens >= 1 && maxTokens <= maxTokensCeiling)) {
    return `"maxTokens" must be a whole number from 1 to ${maxTokensCeiling} (the ceiling)`;
  }
  if (temperature != null && !(typeof temperature === 'number' && temperature >= 0 && temperature <= maxTemperature)) {
    return `"temperature" must be a number from 0 to ${maxTemperature}`;
  }
  return undefined;
}

// --- the answer ------------------------------------------------------------------

async function streamAnswer({ provider, chat, responseStream, headers, budgetMs, heartbeatMs, requestId, log }) {
  const startedAt = Date.now();
  const controller = new AbortController();
  const { signal } = controller;
  // Settles (rejects) once the call is aborted, for whoever waits on the
  // provider or on the stream: neither can keep the answer open after that,
  // even a provider that ignores its signal.
  const aborted = new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => {});

  const stream = HttpResponseStream.from(responseStream, { statusCode: 200, headers: { ...STREAM_HEADERS, ...headers } });

  // Lambda does not say when the caller goes away. A failing write, or the
  // stream closing before the answer ended, is the sign: stop the model at
  // once, since its tokens cost money and can no longer be delivered.
  let ending = false;
  let streamFailure = null;
  const onStreamFailure = (error) => {
    if (ending || streamFailure) return;
    streamFailure = error;
    controller.abort(new ResponseStreamError('the response stream failed', { cause: error }));
  };
  const onWritten = (error) => { if (error) onStreamFailure(error); };
  const onClose = () => onStreamFailure(new Error('the response stream closed before the answer ended'));
  stream.on('error', onStreamFailure);
  stream.on('close', onClose);

  let wroteSinceBeat = true;
  const write = (text) => {
    if (streamFailure || stream.destroyed) return true;
    wroteSinceBeat = true;
    return stream.write(text, onWritten);
  };

  // (Without a deadline, as when a test passes no context, there is no budget.)
  const budgetTimer = Number.isFinite(budgetMs)
    ? setTimeout(() => controller.abort(new TimeBudgetError(budgetMs)), budgetMs) : undefined;
  const heartbeat = setInterval(() => {
    if (!wroteSinceBeat) write(formatComment('keep-alive'));
    wroteSinceBeat = false;
  }, heartbeatMs);

  // This first write sends the status and headers now, before the model
  // answers.
  write(formatComment('stream start'));

  let tokens = 0;
  let firstTokenMs;
  let done = null;
  let failure = null;
  let iterator;
  try {
    iterator = provider.stream({ ...chat, signal })[Symbol.asyncIterator]();
    for (;;) {
      const next = iterator.next();
      next.catch(() => {}); // if the abort wins the race, a late rejection is expected
      const step = await Promise.race([next, aborted]);
      if (step.done) break;
      const item = step.value;
      if (item?.type === 'token') {
        if (typeof item.text !== 'string' || item.text === '') continue;
        tokens += 1;
        firstTokenMs ??= Date.now() - startedAt;
        // Written the moment it arrives, as one chunk. When the caller reads
        // slower than the model writes, wait for the stream to drain (which
        // slows the model's stream too) rather than buffer without bound.
        if (!write(formatEvent('token', { text: item.text }))) {
          await Promise.race([once(stream, 'drain', { signal }), aborted]);
        }
      } else if (item?.type === 'done') {
        done = item;
      }
    }
    if (!done) {
      // A provider may end quietly when aborted (Bedrock over HTTP/2 does).
      signal.throwIfAborted();
      throw new Error('the model stream ended without a stop reason');
    }
    write(formatEvent('done', {
      stopReason: done.stopReason ?? null,
      usage: { inputTokens: done.usage?.inputTokens ?? null, outputTokens: done.usage?.outputTokens ?? null },
    }));
  } catch (error) {
    failure = signal.aborted ? signal.reason : error;
    done = null;
    if (!signal.aborted) controller.abort(failure);
    // Tell a provider still suspended in its loop to clean up (it may be
    // waiting on the network still; then this takes effect when it resumes).
    iterator?.return?.().catch(() => {});
    write(formatEvent('error', { ...publicError(failure), requestId }));
  } finally {
    clearTimeout(budgetTimer);
    clearInterval(heartbeat);
  }

  ending = true;
  if (!stream.destroyed && !stream.writableEnded) stream.end();

  const fields = {
    requestId, provider: provider.name, tokens, firstTokenMs, durationMs: Date.now() - startedAt,
  };
  if (done) {
    log('info', 'answer complete', {
      ...fields, stopReason: done.stopReason, inputTokens: done.usage?.inputTokens, outputTokens: done.usage?.outputTokens,
    });
  } else if (failure instanceof TimeBudgetError) {
    log('warn', 'answer cut short: the time budget ran out, the model call was aborted', { ...fields, budgetMs });
  } else if (failure instanceof ResponseStreamError) {
    log('warn', 'answer cut short: the response stream failed, the model call was aborted', {
      ...fields, error: failure.cause?.name, detail: failure.cause?.message,
    });
  } else {
    log('error', 'answer cut short: the model call failed', {
      ...fields, error: failure?.name, detail: failure?.detail ?? failure?.message,
      cause: failure?.cause?.code ?? failure?.cause?.message,
      status: failure?.status ?? failure?.$metadata?.httpStatusCode,
    });
  }
}

// The part of a failure the caller may see: a short message and a code. The
// details, which may name internal resources, go to the log only.
function publicError(error) {
  if (error instanceof TimeBudgetError) {
    return { message: 'the time budget ran out; the answer is incomplete', code: 'time_budget' };
  }
  const name = typeof error?.name === 'string' && /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(error.name) ? error.name : '';
  const detail = [
    name && !['Error', 'TypeError', 'AbortError'].includes(name) ? name : '',
    Number.isInteger(error?.status) ? `HTTP ${error.status}` : '',
  ].filter(Boolean).join(' ');
  return { message: `the model call failed${detail ? ` (${detail})` : ''}; the answer is incomplete`, code: 'upstream_error' };
}

// --- helpers -------------------------------------------------------------------

function refuse(status, problem, headers) {
  return { status, problem, headers };
}

// Sends a whole JSON response. The runtime sends the status line only on the
// first write(), so the body is written before end().
function sendJson(responseStream, statusCode, body, headers = {}) {
  const stream = HttpResponseStream.from(responseStream, { statusCode, headers: { ...ERROR_HEADERS, ...headers } });
  stream.write(JSON.stringify(body));
  stream.end();
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// A non-empty string with something other than whitespace: Bedrock refuses
// blank text.
function isText(value) {
  return typeof value === 'string' && value.trim() !== '';
}

function logJson(level, message, fields) {
  console[level](JSON.stringify({ level, message, ...fields }));
}
