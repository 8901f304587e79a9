// The model provider: any OpenAI-compatible Chat Completions API (OpenAI
// itself, or a server such as vLLM, Ollama or LiteLLM), streamed as
// Server-Sent Events and read with the parser in sse.mjs.
//
// Configuration from the environment, which the SAM template or CDK stack sets:
//   BASE_URL           the API's base URL as OpenAI's SDKs take it
//                      (OPENAI_BASE_URL), such as https://api.openai.com/v1
//                      or https://generativelanguage.googleapis.com/v1beta/openai;
//                      /chat/completions is appended (required)
//   MODEL_ID           the model name, such as gpt-4o-mini (required)
//   API_KEY_PARAMETER  the SSM SecureString parameter that holds the API key,
//                      read once at init (required)
//
// Every module that provides a model exports the same four functions, so
// index.mjs and chat.mjs work with either.

import { loadApiKey } from './api-key.mjs';
import { parseSSE } from './sse.mjs';

const MODEL = /^[^\s\x00-\x1f\x7f]{1,256}$/;
// A parameter name (/app/openai-key or app-openai-key) or a parameter ARN.
// A name with a "/" must start with one.
const PARAMETER = /^(arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter\/[A-Za-z0-9_./-]+|[A-Za-z0-9_.-]+|(\/[A-Za-z0-9_.-]+)+)$/;
const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);
// How much of an error answer is read to find its error code.
const ERROR_BODY_LIMIT = 16 * 1024;

/**
 * Reads { baseUrl, model, apiKeyParameter } from `env`; throws an Error
 * naming every problem.
 */
export function readProviderConfig(env) {
  const problems = [];
  const model = (env.MODEL_ID ?? '').trim();
  if (model === '') problems.push('MODEL_ID is not set');
  else if (!MODEL.test(model)) problems.push(`MODEL_ID ${JSON.stringify(env.MODEL_ID)} is not a model name`);

  const { baseUrl, problem } = parseBaseUrl((env.BASE_URL ?? '').trim());
  if (problem) problems.push(problem);

  const apiKeyParameter = (env.API_KEY_PARAMETER ?? '').trim();
  if (apiKeyParameter === '') {
    problems.push('API_KEY_PARAMETER is not set (the name of the SSM SecureString parameter holding the API key)');
  } else if (!PARAMETER.test(apiKeyParameter) || apiKeyParameter.length > 2048) {
    problems.push(`API_KEY_PARAMETER ${JSON.stringify(env.API_KEY_PARAMETER)} is not an SSM parameter name or ARN`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return { baseUrl, model, apiKeyParameter };
}

/** The provider for a config from readProviderConfig(): reads the API key, then creates it. */
export async function startProvider({ baseUrl, model, apiKeyParameter }) {
  const apiKey = await loadApiKey({ parameterName: apiKeyParameter });
  return createProvider({ baseUrl, model, apiKey });
}

/**
 * Returns { name, model, maxTemperature, stream(request) } for `model` at
 * `baseUrl`. `fetch` defaults to the global one (tests pass a fake).
 *
 * stream({ messages, system, maxTokens, temperature, signal }) yields
 * { type: 'token', text } for each piece of text, then { type: 'done',
 * stopReason, usage: { inputTokens, outputTokens } }. It throws if the
 * call or the stream fails, and if `signal` aborted it. No error message
 * holds the API key.
 */
export function createProvider({ baseUrl, model, apiKey, fetch: fetchImpl = globalThis.fetch }) {
  const url = `${baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return {
    name: 'openai',
    model,
    // OpenAI's Chat Completions API accepts temperatures from 0 to 2.
    maxTemperature: 2,
    async* stream({ messages, system, maxTokens, temperature, signal }) {
      const body = {
        model,
        messages: [...(system !== undefined ? [{ role: 'system', content: system }] : []), ...messages],
        stream: true,
        // Without this the stream carries no token counts.
        stream_options: { include_usage: true },
        max_tokens: maxTokens,
        ...(temperature !== undefined && { temperature }),
      };
      const response = await fetchImpl(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          accept: 'text/event-stream',
        },
        body: JSON.stringify(body),
        signal,
      });
      if (!response.ok) throw await httpError(response, apiKey);
      const contentType = response.headers.get('content-type') ?? '';
      if (!/^text\/event-stream\b/i.test(contentType)) {
        await response.body?.cancel().catch(() => {});
        throw upstreamError('UpstreamProtocolError',
          `the OpenAI-compatible API answered ${contentType || 'without a content-type'}, not text/event-stream`);
      }

      let stopReason = null;
      let usage = null;
      let sawDone = false;
      // Leaving this loop early (a throw, or the caller stopping) cancels the body.
      for await (const message of parseSSE(response.body)) {
        if (message.event === 'error') throw streamError(message.data, apiKey);
        if (message.event !== 'message') continue;
        if (message.data === '[DONE]') {
          sawDone = true;
          break;
        }
        let chunk;
        try {
          chunk = JSON.parse(message.data);
        } catch {
          throw upstreamError('UpstreamProtocolError', 'the OpenAI-compatible API sent an event that is not JSON');
        }
        // A failure mid-stream comes as an event holding an error object.
        if (chunk?.error) throw streamError(message.data, apiKey);
        const choice = chunk?.choices?.[0];
        const text = choice?.delta?.content;
        if (typeof text === 'string' && text !== '') yield { type: 'token', text };
        if (choice?.finish_reason) stopReason = choice.finish_reason;
        // The usage comes in a last chunk with no choices (include_usage).
        if (chunk?.usage) usage = chunk.usage;
      }
      signal?.throwIfAborted();
      // A stream that closes without [DONE] is complete only if the model
      // said why it stopped.
      if (!sawDone && stopReason === null) {
        throw upstreamError('UpstreamProtocolError', 'the OpenAI-compatible stream ended before data: [DONE]');
      }
      yield {
        type: 'done',
        stopReason,
        usage: { inputTokens: usage?.prompt_tokens ?? null, outputTokens: usage?.completion_tokens ?? null },
      };
    },
  };
}

// { baseUrl } for a BASE_URL value, or { problem }.
function parseBaseUrl(raw) {
  if (raw === '') return { problem: 'BASE_URL is not set (such as https://api.openai.com/v1)' };
  let url;
  try {
    url = new URL(raw);
  } catch {
    return { problem: `BASE_URL ${JSON.stringify(raw)} is not a URL` };
  }
  // The API key travels with every request: plain http only to this machine.
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return { problem: `BASE_URL ${JSON.stringify(raw)} must start with https:// (http:// only for localhost)` };
  }
  if (url.username || url.password) return { problem: 'BASE_URL must not hold credentials' };
  if (url.search || url.hash) return { problem: `BASE_URL ${JSON.stringify(raw)} must not have a query or fragment` };
  // A trailing slash is fine: the path is joined without doubling it.
  const path = url.pathname.replace(/\/+$/, '');
  if (/\/chat\/completions$/.test(path)) {
    return { problem: `BASE_URL ${JSON.stringify(raw)} must be the API's base, without /chat/completions: that is appended to it` };
  }
  if (url.hostname === 'api.openai.com' && path !== '/v1') {
    return { problem: `BASE_URL ${JSON.stringify(raw)}: OpenAI's API is served under /v1; use https://api.openai.com/v1` };
  }
  return { baseUrl: url.origin + path };
}

// The error for a non-2xx answer: its status and, if the body names one, the
// error code (such as rate_limit_exceeded). The upstream's own message goes
// into `detail`, for the log, with the key blanked should it appear.
async function httpError(response, apiKey) {
  const text = await readSome(response.body, ERROR_BODY_LIMIT);
  const upstream = errorObject(text);
  const code = upstream?.code ?? upstream?.type;
  const error = upstreamError('UpstreamHttpError',
    `the OpenAI-compatible API answered HTTP ${response.status}${isCode(code) ? ` (${code})` : ''}`);
  error.status = response.status;
  if (isCode(code)) error.code = code;
  error.detail = redact(typeof upstream?.message === 'string' ? upstream.message : text.slice(0, 500), apiKey);
  return error;
}

function streamError(data, apiKey) {
  const upstream = errorObject(data);
  const code = upstream?.code ?? upstream?.type;
  const error = upstreamError('UpstreamStreamError',
    `the OpenAI-compatible API reported an error mid-stream${isCode(code) ? ` (${code})` : ''}`);
  if (isCode(code)) error.code = code;
  error.detail = redact(typeof upstream?.message === 'string' ? upstream.message : String(data).slice(0, 500), apiKey);
  return error;
}

function upstreamError(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

// The error object of an OpenAI-style error body ({"error": {...}}), if any.
function errorObject(text) {
  try {
    const value = JSON.parse(text);
    if (value?.error && typeof value.error === 'object') return value.error;
    return typeof value?.message === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function isCode(value) {
  return typeof value === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value);
}

function redact(text, apiKey) {
  return apiKey ? text.replaceAll(apiKey, '[redacted]') : text;
}

// Up to `limit` bytes of a body, as text; the rest is cancelled.
async function readSome(body, limit) {
  if (!body) return '';
  const chunks = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) break; // leaving the loop cancels the rest
    }
  } catch {
    // a body cut short still tells what it holds so far
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}
