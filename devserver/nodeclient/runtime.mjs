// streamgen-runtime.mjs: a small AWS Lambda runtime interface client for
// Node.js, used by `streamgen dev` to run a project's handler locally.
//
// It speaks the Lambda Runtime API (http://$AWS_LAMBDA_RUNTIME_API/2018-06-01)
// the way the real client, npm aws-lambda-ric 4.x, does on the wire: the same
// request lines, header names, header order and values, the same chunk
// boundaries for streamed responses and the same error trailers. The bytes
// were checked against recordings of aws-lambda-ric 4.0.2 (see the Go tests
// next to this file).
//
// - GET .../invocation/next, POST .../invocation/{id}/response for buffered
//   results and .../invocation/{id}/error for their failures look like the
//   native (libcurl) client of aws-lambda-ric: Host, Accept, User-Agent
//   AWS_Lambda_Cpp/0.2.6, lower-case content-type and content-length, no
//   Connection header.
// - Streamed responses and init errors look like the node:http requests of
//   aws-lambda-ric.
//
// No dependencies: Node.js built-ins only, Node.js 20 or later. Configured by
// the environment Lambda sets: _HANDLER, LAMBDA_TASK_ROOT,
// AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME, ... Logs go to stdout in
// Lambda's text format (or JSON with AWS_LAMBDA_LOG_FORMAT=JSON), one record
// per line; a record's own newlines are written as "\r", as in Lambda.

import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import util from 'node:util';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const API_PREFIX = '/2018-06-01/runtime';
// What aws-lambda-ric 4.0.2's native client calls itself.
const NATIVE_USER_AGENT = 'AWS_Lambda_Cpp/0.2.6';

const HEADER_RESPONSE_MODE = 'Lambda-Runtime-Function-Response-Mode';
const HEADER_ERROR_TYPE = 'Lambda-Runtime-Function-Error-Type';
const TRAILER_ERROR_TYPE = 'Lambda-Runtime-Function-Error-Type';
const TRAILER_ERROR_BODY = 'Lambda-Runtime-Function-Error-Body';
const DEFAULT_STREAM_CONTENT_TYPE = 'application/octet-stream';
const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const PRELUDE_DELIMITER_LENGTH = 8;

// The tags awslambda.streamifyResponse() puts on a handler.
const STREAMING_TAG = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK_TAG = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';

// Exit codes the runtime uses when user code crashes the process.
const EXIT_UNCAUGHT_EXCEPTION = 129;
const EXIT_UNHANDLED_REJECTION = 128;

// ---------------------------------------------------------------------------
// Errors. Their names are the errorType values Lambda reports.

function runtimeError(type) {
  const ErrorClass = class extends Error {};
  Object.defineProperty(ErrorClass, 'name', { value: type });
  ErrorClass.prototype.name = `Runtime.${type}`;
  return ErrorClass;
}

const ImportModuleError = runtimeError('ImportModuleError');
const HandlerNotFound = runtimeError('HandlerNotFound');
const MalformedHandlerName = runtimeError('MalformedHandlerName');
const MalformedStreamingHandler = runtimeError('MalformedStreamingHandler');
const InvalidStreamingOperation = runtimeError('InvalidStreamingOperation');
const CallbackHandlerDeprecated = runtimeError('CallbackHandlerDeprecated');
const JSONStringifyError = runtimeError('JSONStringifyError');
const PlatformError = runtimeError('PlatformError');
const NodeJsExit = runtimeError('NodeJsExit');

// A module that failed to parse: keeps the parser's stack, which points at the
// offending file.
class UserCodeSyntaxError extends Error {
  constructor(cause) {
    super(String(cause));
    this.stack = cause.stack;
  }
}
UserCodeSyntaxError.prototype.name = 'Runtime.UserCodeSyntaxError';

// Reported for a rejected promise nobody handled. The message is the reason
// as text ("Error: ..." for an Error), and the reason itself is kept so the
// log record shows it in full.
class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(safeString(reason));
    this.reason = reason;
    this.promise = promise;
  }
}
UnhandledPromiseRejection.prototype.name = 'Runtime.UnhandledPromiseRejection';

function safeString(value) {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function isError(value) {
  return value instanceof Error || util.types.isNativeError(value);
}

function asError(value) {
  return isError(value) ? value : new Error(safeString(value));
}

// The JSON Lambda sends for a failed invocation or init: {errorType,
// errorMessage, trace}. Anything thrown that is not an Error is reported by
// its type. DEL (0x7F) cannot travel in an HTTP header, hence %7F.
function toRapidError(error) {
  const noDel = (text) => (typeof text === 'string' ? text.replaceAll('\x7F', '%7F') : text);
  try {
    if (isError(error)) {
      return {
        errorType: noDel(error.name),
        errorMessage: noDel(error.message),
        trace: typeof error.stack === 'string' ? noDel(error.stack).split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: safeString(error), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage: 'the error could not be read (its name, message or stack threw)',
      trace: [],
    };
  }
}

// The value of the lambda-runtime-function-xray-error-cause header: the error
// with its stack split into {path, line, label} frames, the way X-Ray wants it.
function toXRayCause(error) {
  try {
    const noDel = (text) => (typeof text === 'string' ? text.replaceAll('\x7F', '%7F') : text);
    const frames = [];
    if (typeof error.stack === 'string') {
      for (const line of noDel(error.stack).split('\n').slice(1)) {
        // "    at label (path:line:column)" or "    at path:line:column"
        const text = line.trim().replace(/[()]/g, '').replace(/^\S*\s/, '');
        const space = text.lastIndexOf(' ');
        const location = (space >= 0 ? text.slice(space + 1) : text).split(':');
        frames.push({
          path: location[0],
          line: Number.parseInt(location[1], 10),
          label: space >= 0 ? text.slice(0, space) : 'anonymous',
        });
      }
    }
    return JSON.stringify({
      working_directory: process.cwd(),
      exceptions: [{ type: noDel(error.name), message: noDel(error.message), stack: frames }],
      paths: [...new Set(frames.map((frame) => frame.path))],
    });
  } catch {
    return '';
  }
}

// HTTP header and trailer values are bytes. Node.js sends a string's
// characters as Latin-1, so text is first turned into its UTF-8 bytes (what
// libcurl would send), and characters HTTP forbids are dropped rather than
// letting node:http throw.
function headerValue(text) {
  return Buffer.from(String(text ?? ''), 'utf8').toString('latin1').replace(/[^\t\x20-\x7e\x80-\xff]/g, '');
}

// ---------------------------------------------------------------------------
// Logging: console.* is replaced so each call becomes one record on stdout,
// "<ISO time>\t<request id>\t<LEVEL>\t<message>", as Lambda writes them to
// CloudWatch. AWS_LAMBDA_LOG_LEVEL filters, AWS_LAMBDA_LOG_FORMAT=JSON switches
// to JSON records.

const LOG_LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };

const logContext = { requestId: undefined, tenantId: undefined };
let jsonLogs = false;

function patchConsole() {
  jsonLogs = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const minimum = LOG_LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LOG_LEVELS.TRACE;
  const logger = (level) => {
    if (LOG_LEVELS[level] < minimum) return () => {};
    return (message, ...params) => writeLogRecord(level, message, params);
  };
  console.trace = logger('TRACE');
  console.debug = logger('DEBUG');
  console.info = logger('INFO');
  console.warn = logger('WARN');
  console.error = logger('ERROR');
  console.fatal = logger('FATAL');
  console.log = console.info;
}

function writeLogRecord(level, message, params) {
  const timestamp = new Date().toISOString();
  // Before the first invocation there is no request id; Lambda shows "-".
  const requestId = logContext.requestId ?? '-';
  const record = jsonLogs
    ? jsonLogRecord(timestamp, requestId, level, message, params)
    : `${timestamp}\t${requestId}\t${level}\t${util.format(message, ...params)}`;
  process.stdout.write(record.replace(/\n/g, '\r') + '\n');
}

function jsonLogRecord(timestamp, requestId, level, message, params) {
  const record = { timestamp, level, requestId };
  if (logContext.tenantId) record.tenantId = logContext.tenantId;
  if (params.length === 0) {
    // A single argument is kept as a value, Errors spelled out.
    record.message = message;
    try {
      return JSON.stringify(record, (_key, value) => (isError(value) ? { ...errorAsJsonLog(value), ...value } : value));
    } catch {
      record.message = util.format(message);
      return JSON.stringify(record);
    }
  }
  record.message = util.format(message, ...params);
  const error = params.find(isError);
  if (error) Object.assign(record, errorAsJsonLog(error));
  return JSON.stringify(record);
}

function errorAsJsonLog(error) {
  return {
    errorType: error?.constructor?.name ?? 'UnknownError',
    errorMessage: error.message,
    stackTrace: typeof error.stack === 'string' ? error.stack.split('\n') : error.stack,
  };
}

// Logs an error the way the runtime does: a label, then a tab and the error as
// JSON (errorType, errorMessage, code, its own fields, stack as lines).
function logError(label, error) {
  const value = asError(error);
  if (jsonLogs) {
    console.error(value);
    return;
  }
  let formatted;
  try {
    formatted = JSON.stringify(value, (_key, item) => {
      if (!isError(item)) return item;
      const spelled = { errorType: item.name, errorMessage: item.message, code: item.code, ...item };
      if (typeof item.stack === 'string') spelled.stack = item.stack.split('\n');
      return spelled;
    });
  } catch {
    formatted = JSON.stringify(toRapidError(value));
  }
  console.error(label, `\t${formatted}`);
}

// ---------------------------------------------------------------------------
// The Runtime API client. Two keep-alive connections: one carries the
// long-polling GET .../next, the other every response and error.

class RuntimeApi {
  constructor(address) {
    const match = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
    if (!match) {
      throw new PlatformError(`AWS_LAMBDA_RUNTIME_API must be host:port, not ${JSON.stringify(address)}`);
    }
    this.hostname = match[1];
    this.port = Number(match[2]);
    this.hostHeader = address;
    this.nextAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.responseAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  // The response connection's socket buffer follows the handler's
  // highWaterMark, as in aws-lambda-ric.
  setResponseHighWaterMark(highWaterMark) {
    if (!highWaterMark) return;
    this.responseAgent.createConnection = (options, onConnect) =>
      net.createConnection({ ...options, highWaterMark }, onConnect);
  }

  // Resolves to {headers (lower-case names), body (Buffer)} of the next event.
  async nextInvocation() {
    const response = await this.#nativeStyleRequest(this.nextAgent, 'GET', `${API_PREFIX}/invocation/next`, []);
    if (response.statusCode !== 200) {
      throw new PlatformError(`GET ${API_PREFIX}/invocation/next answered ${response.statusCode}`);
    }
    return { headers: response.headers, body: response.body };
  }

  // A buffered handler's result, as JSON.
  postResult(requestId, json) {
    const body = Buffer.from(json, 'utf8');
    return this.#nativeStyleRequest(this.responseAgent, 'POST', invocationPath(requestId, 'response'), [
      ['content-type', 'application/json'],
    ], body);
  }

  // A failed invocation. `agent` lets a crashing process post on a fresh
  // connection while a response stream still holds the usual one.
  postError(requestId, error, agent = this.responseAgent) {
    const body = Buffer.from(JSON.stringify(toRapidError(error)), 'utf8');
    return this.#nativeStyleRequest(agent, 'POST', invocationPath(requestId, 'error'), [
      ['content-type', 'application/json'],
      ['lambda-runtime-function-xray-error-cause', headerValue(toXRayCause(error))],
    ], body);
  }

  // An init failure (module not found, handler missing, ...).
  postInitError(error, agent = this.responseAgent) {
    const rapidError = toRapidError(error);
    const body = Buffer.from(JSON.stringify(rapidError), 'utf8');
    return new Promise((resolve, reject) => {
      const request = http.request({
        hostname: this.hostname,
        port: this.port,
        method: 'POST',
        path: `${API_PREFIX}/init/error`,
        agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': body.length,
          [HEADER_ERROR_TYPE]: headerValue(rapidError.errorType),
        },
      }, (response) => {
        response.resume();
        response.on('end', resolve);
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  // Opens POST .../response for a streaming handler. The request is created
  // (and its connection opened) now; its headers leave with the first write,
  // or with end(). Returns the stream handed to the handler, a promise that
  // settles when the Runtime API has answered the POST, and fail(error),
  // which ends the body with the error trailers.
  openResponseStream(requestId) {
    const request = http.request({
      hostname: this.hostname,
      port: this.port,
      method: 'POST',
      path: invocationPath(requestId, 'response'),
      agent: this.responseAgent,
      headers: {
        [HEADER_RESPONSE_MODE]: 'streaming',
        Trailer: [TRAILER_ERROR_TYPE, TRAILER_ERROR_BODY],
        'Content-Type': DEFAULT_STREAM_CONTENT_TYPE,
        'Transfer-Encoding': 'chunked',
      },
    });

    let answered;
    const rapidResponse = new Promise((resolve, reject) => {
      answered = { resolve, reject };
    });
    rapidResponse.catch(() => {}); // awaited only on success; never unhandled
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => answered.resolve());
      response.on('close', () => {
        if (!response.complete) answered.reject(new Error('the Runtime API closed the response early'));
      });
    });
    request.on('error', (error) => {
      answered.reject(error);
      request.destroy(error);
    });

    // setContentType() works until the first write(). Only write() sends the
    // prelude of HttpResponseStream.from(): end(data) alone does not, as in
    // Lambda.
    let written = false;
    request.setContentType = (contentType) => {
      if (written) throw new InvalidStreamingOperation('Cannot set content-type, too late.');
      request.setHeader('Content-Type', contentType);
    };
    const send = request.write.bind(request);
    request.write = (chunk, encoding, callback) => {
      // Anything but text or bytes goes out as JSON.
      if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) chunk = JSON.stringify(chunk);
      if (!written && typeof request._onBeforeFirstWrite === 'function') {
        request._onBeforeFirstWrite((data) => send(data));
      }
      const more = send(chunk, encoding, callback);
      written = true;
      return more;
    };

    const fail = (error) => new Promise((resolve) => {
      if (request.destroyed) {
        resolve();
        return;
      }
      const rapidError = toRapidError(error);
      try {
        request.addTrailers({
          [TRAILER_ERROR_TYPE]: headerValue(rapidError.errorType),
          [TRAILER_ERROR_BODY]: Buffer.from(JSON.stringify(rapidError)).toString('base64'),
        });
      } catch {
        // Trailers cannot be added once the body has ended; nothing to send.
      }
      request.once('close', resolve);
      request.end(() => resolve());
    });

    return { responseStream: writableView(request), rapidResponse, fail };
  }

  // A request shaped like the native client's: Host first, then the given
  // headers, User-Agent, content-length for a body, and no Connection header.
  #nativeStyleRequest(agent, method, requestPath, fields, body) {
    const headers = { Host: this.hostHeader, Accept: '*/*' };
    for (const [name, value] of fields) headers[name] = value;
    headers['User-Agent'] = NATIVE_USER_AGENT;
    if (body) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const request = http.request({
        hostname: this.hostname, port: this.port, method, path: requestPath, agent, headers, setHost: false,
      });
      // node:http would add "Connection: keep-alive"; libcurl does not send it.
      // The connection still stays open: HTTP/1.1 keeps it by default.
      request.removeHeader('Connection');
      request.on('error', reject);
      request.on('response', (response) => {
        const parts = [];
        response.on('data', (part) => parts.push(part));
        response.on('end', () => resolve({
          statusCode: response.statusCode, headers: response.headers, body: Buffer.concat(parts),
        }));
        response.on('error', reject);
      });
      request.end(body);
    });
  }
}

function invocationPath(requestId, what) {
  return `${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/${what}`;
}

// What a handler sees of its response stream: the writable side of the
// request and setContentType(), nothing of its HTTP internals (as in Lambda,
// where e.g. setHeader() does not exist on the stream).
const STREAM_METHODS = [
  'write', 'end', 'cork', 'uncork', 'destroy', 'setContentType',
  'on', 'once', 'off', 'addListener', 'removeListener', 'removeAllListeners', 'prependListener',
  'prependOnceListener', 'emit', 'listeners', 'rawListeners', 'listenerCount', 'eventNames',
  'setMaxListeners', 'getMaxListeners',
];
const STREAM_SETTABLE = ['destroyed', '_onBeforeFirstWrite'];
const STREAM_READ_ONLY = [
  'writable', 'writableEnded', 'writableFinished', 'writableNeedDrain', 'writableHighWaterMark',
  'writableLength', 'writableCorked', 'writableObjectMode',
];

function writableView(request) {
  const view = {};
  for (const name of STREAM_METHODS) view[name] = request[name].bind(request);
  for (const name of STREAM_SETTABLE) {
    Object.defineProperty(view, name, {
      get: () => request[name],
      set: (value) => { request[name] = value; },
    });
  }
  for (const name of STREAM_READ_ONLY) Object.defineProperty(view, name, { get: () => request[name] });
  return view;
}

// ---------------------------------------------------------------------------
// The global `awslambda` that handlers use to opt in to streaming.

function streamifyResponse(handler, options) {
  handler[STREAMING_TAG] = STREAM_RESPONSE;
  if (typeof options?.highWaterMark === 'number') {
    handler[HIGH_WATER_MARK_TAG] = Number.parseInt(String(options.highWaterMark), 10);
  }
  return handler;
}

class HttpResponseStream {
  // Status, headers and cookies for a Function URL: they go out on the first
  // write(), as compact JSON then 8 NUL bytes, each its own chunk. Nothing is
  // sent now.
  static from(responseStream, prelude) {
    responseStream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    const json = JSON.stringify(prelude);
    responseStream._onBeforeFirstWrite = (send) => {
      send(json);
      send(new Uint8Array(PRELUDE_DELIMITER_LENGTH));
    };
    return responseStream;
  }
}

function installAwsLambdaGlobal() {
  const optOut = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (optOut === '1' || optOut === 'true') return;
  globalThis.awslambda = { ...globalThis.awslambda, streamifyResponse, HttpResponseStream };
}

// ---------------------------------------------------------------------------
// Loading the handler named by _HANDLER: "[dir/]module.export[.nested]",
// relative to LAMBDA_TASK_ROOT.

async function loadHandler(taskRoot, handlerString) {
  if (handlerString.includes('..')) {
    throw new MalformedHandlerName(`'${handlerString}' is not a valid handler name: ".." is not allowed in it.`);
  }
  const fileAndExport = path.basename(handlerString);
  const moduleRoot = handlerString.slice(0, handlerString.length - fileAndExport.length).replace(/\/$/, '');
  const parts = /^([^.]*)\.(.*)$/.exec(fileAndExport);
  if (!parts) throw new MalformedHandlerName('Bad handler');
  const [, moduleName, exportPath] = parts;

  const module = await importUserModule(taskRoot, moduleRoot, moduleName);
  let handler = findExport(module, exportPath);
  if (!handler && module !== null && typeof module === 'object' && 'default' in module) {
    handler = findExport(module.default, exportPath);
  }
  if (!handler) throw new HandlerNotFound(`${handlerString} is undefined or not exported`);
  if (typeof handler !== 'function') throw new HandlerNotFound(`${handlerString} is not a function`);
  return handler;
}

// import() loads ES modules and CommonJS alike; Node.js picks the format from
// the extension and, for .js, the nearest package.json "type".
async function importUserModule(taskRoot, moduleRoot, moduleName) {
  const stem = path.resolve(taskRoot, moduleRoot, moduleName);
  try {
    let file = ['', '.js', '.mjs', '.cjs'].map((extension) => stem + extension).find(isFile);
    if (!file) {
      // Not a file of the task: maybe a package (node_modules) of that name.
      const require = createRequire(import.meta.url);
      file = require.resolve(moduleName, { paths: [taskRoot, path.join(taskRoot, moduleRoot)] });
    }
    return await import(pathToFileURL(file).href);
  } catch (error) {
    if (error instanceof SyntaxError) throw new UserCodeSyntaxError(error);
    if (error?.code === 'MODULE_NOT_FOUND' || error?.code === 'ERR_MODULE_NOT_FOUND') {
      throw new ImportModuleError(String(error));
    }
    throw error;
  }
}

function isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

// "a.b.c": nested objects, as the runtime resolves them.
function findExport(module, exportPath) {
  let value = module;
  for (const key of exportPath.split('.')) {
    value = value !== null && typeof value === 'object' ? value[key] : undefined;
  }
  return value;
}

function handlerMetadata(handler) {
  const tag = handler[STREAMING_TAG];
  if (tag && tag !== STREAM_RESPONSE) {
    throw new MalformedStreamingHandler('Only response streaming is supported.');
  }
  const highWaterMark = Number(handler[HIGH_WATER_MARK_TAG]);
  return {
    streaming: Boolean(tag),
    highWaterMark: handler[HIGH_WATER_MARK_TAG] && !Number.isNaN(highWaterMark) ? highWaterMark : undefined,
    // A third parameter means a callback-style handler.
    callbackStyle: handler.length >= 3 && !tag,
    isAsyncFunction: handler.constructor?.name === 'AsyncFunction',
  };
}

// Callback-style handlers: the Node.js 24 runtime refuses them at init; older
// runtimes run them (and warn). AWS_EXECUTION_ENV says which runtime this is
// (e.g. AWS_Lambda_nodejs24.x); without it callbacks are allowed.
function checkCallbackSupport(metadata) {
  if (!metadata.callbackStyle) return;
  const major = Number(/nodejs(\d+)/.exec(process.env.AWS_EXECUTION_ENV ?? '')?.[1]);
  if (major >= 24) {
    throw new CallbackHandlerDeprecated(
      `Callback-based handlers (three parameters: event, context, callback) are not supported on Node.js ${major} ` +
      'in AWS Lambda: the function fails to initialise. Make the handler async and return its result.');
  }
  if (!metadata.isAsyncFunction && process.env.AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING === undefined) {
    console.warn('This handler uses a callback. AWS Lambda does not run callback-based handlers from Node.js 24 on: ' +
      'make it async to upgrade. Set AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING to hide this warning.');
  }
}

// ---------------------------------------------------------------------------
// The context object of one invocation.

function buildContext(headers) {
  const deadline = Number.parseInt(headers['lambda-runtime-deadline-ms'], 10);
  let waitForEmptyEventLoop = true;
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  const identity = jsonHeader(headers, 'lambda-runtime-cognito-identity');
  if (identity !== undefined) context.identity = identity;
  const clientContext = jsonHeader(headers, 'lambda-runtime-client-context');
  if (clientContext !== undefined) context.clientContext = clientContext;
  if (headers['lambda-runtime-trace-id']) context.xRayTraceId = headers['lambda-runtime-trace-id'];
  if (headers['lambda-runtime-aws-tenant-id']) context.tenantId = headers['lambda-runtime-aws-tenant-id'];
  return context;
}

function jsonHeader(headers, name) {
  const text = headers[name];
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PlatformError(`the ${name} header is not JSON: ${error.message}`);
  }
}

// ---------------------------------------------------------------------------
// Running invocations. The handler is called as `this.handler(...)` from
// classes named like the runtime's, so stack traces of user code read the
// same as in Lambda (e.g. "at StreamingInvokeProcessor.handler (...)").

// Work for the moment Node.js finds its event loop empty ('beforeExit'):
// callback handlers that wait for it, and promises that never settle.
let onEmptyEventLoop = null;
process.on('beforeExit', () => {
  const action = onEmptyEventLoop;
  onEmptyEventLoop = null;
  action?.();
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function serializeResult(result) {
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch {
    throw new JSONStringifyError('Unable to stringify response body');
  }
}

function isPromise(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') &&
    typeof value.then === 'function';
}

class StreamingInvokeProcessor {
  constructor(handler, api) {
    this.handler = handler;
    this.api = api;
  }

  async processInvoke(context, event) {
    const { responseStream, rapidResponse, fail } = this.api.openResponseStream(context.awsRequestId);
    try {
      const handlerResult = this.handler(event, responseStream, context);
      await this.waitForStreamClosure(handlerResult, rapidResponse, responseStream);
    } catch (error) {
      await nextTurn();
      logError('Invoke Error', error);
      await fail(error);
    }
  }

  // The invocation is over when the response has been posted in full, not
  // when the handler returns. A handler that returns without ending its
  // stream therefore hangs here, as it does in Lambda until the timeout.
  async waitForStreamClosure(handlerResult, rapidResponse, responseStream) {
    if (!isPromise(handlerResult)) throw new Error('Streaming does not support non-async handlers.');
    const result = await handlerResult;
    if (result !== undefined) console.warn('Streaming handlers ignore return values.');
    await rapidResponse;
    if (!responseStream.writableFinished) throw new Error('Response stream is not finished.');
  }
}

class BufferedInvokeProcessor {
  constructor(handler, api) {
    this.handler = handler;
    this.api = api;
  }

  async processInvoke(context, event) {
    const requestId = context.awsRequestId;
    // A promise that never settles, with nothing else left to run, would let
    // Node.js exit: report it instead.
    const { promise: stalled, resolve: stall } = deferred();
    onEmptyEventLoop = () => stall(new NodeJsExit(
      'The handler returned a promise that never settled, and nothing was left for Node.js to run ' +
      '(the process would exit here).'));
    try {
      const result = await Promise.race([this.handler(event, context), stalled.then((error) => { throw error; })]);
      onEmptyEventLoop = null;
      await nextTurn();
      await this.api.postResult(requestId, serializeResult(result));
    } catch (error) {
      onEmptyEventLoop = null;
      await nextTurn();
      logError('Invoke Error', error);
      await this.api.postError(requestId, error);
    }
  }
}

// Handlers of the form (event, context, callback), as Node.js 22 and earlier
// run them: callback(error, result), context.succeed/fail/done, and
// context.callbackWaitsForEmptyEventLoop (by default the result is posted
// once the event loop is empty).
class CallbackInvokeProcessor {
  constructor(handler, api, isAsyncFunction) {
    this.handler = handler;
    this.api = api;
    this.isAsyncFunction = isAsyncFunction;
  }

  processInvoke(context, event) {
    const requestId = context.awsRequestId;
    return new Promise((resolve) => {
      let reported = false;
      const report = async (error, result) => {
        if (reported) return;
        reported = true;
        onEmptyEventLoop = null;
        try {
          if (error !== undefined && error !== null) {
            logError('Invoke Error', error);
            await this.api.postError(requestId, error);
          } else {
            await this.api.postResult(requestId, serializeResult(result));
          }
        } catch (failure) {
          logError('Invoke Error', failure);
          await this.api.postError(requestId, failure).catch(() => {});
        }
        resolve();
      };

      let answered = false;
      const once = (fn) => (...args) => {
        if (answered) return;
        answered = true;
        fn(...args);
      };
      const done = (error, result) => report(error, result);
      const callback = once((error, result) => {
        if (error !== undefined && error !== null) {
          report(error);
        } else if (!context.callbackWaitsForEmptyEventLoop) {
          report(null, result);
        } else {
          onEmptyEventLoop = () => setImmediate(() => report(null, result));
        }
      });
      context.done = once(done);
      context.succeed = once((result) => done(null, result));
      context.fail = once((error) => done(error ?? 'handled', null));

      // Nothing called back and nothing left to run: an async handler has
      // failed; a plain one answers null.
      onEmptyEventLoop = () => {
        if (this.isAsyncFunction) {
          report(new NodeJsExit('The handler neither called back nor settled its promise, and nothing was ' +
            'left for Node.js to run (the process would exit here).'));
        } else {
          report(null, null);
        }
      };

      try {
        const returned = this.handler(event, context, callback);
        if (isPromise(returned)) {
          returned.then((result) => context.succeed(result), (error) => context.fail(error));
        }
      } catch (error) {
        callback(error);
      }
    });
  }
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// ---------------------------------------------------------------------------
// Start-up and the invocation loop.

let api = null;
let initialised = false;
let activeRequestId = null;
let crashing = false;

// A crash in user code (or in this runtime) ends the process, as in Lambda:
// the current invocation (or the init) is reported as failed first, on a
// fresh connection in case a response stream holds the usual one.
function crash(error, exitCode) {
  if (crashing) return;
  crashing = true;
  const exit = () => process.exit(exitCode);
  setTimeout(exit, 2000).unref();
  let report = Promise.resolve();
  if (api) {
    const agent = new http.Agent({ keepAlive: true });
    if (activeRequestId) report = api.postError(activeRequestId, error, agent);
    else if (!initialised) report = api.postInitError(error, agent);
  }
  report.catch(() => {}).finally(exit);
}

process.on('uncaughtException', (error) => {
  logError('Uncaught Exception', error);
  crash(error, EXIT_UNCAUGHT_EXCEPTION);
});

process.on('unhandledRejection', (reason, promise) => {
  const error = new UnhandledPromiseRejection(reason, promise);
  logError('Unhandled Promise Rejection', error);
  crash(error, EXIT_UNHANDLED_REJECTION);
});

async function start() {
  installAwsLambdaGlobal();
  patchConsole();

  for (const name of ['AWS_LAMBDA_RUNTIME_API', '_HANDLER', 'LAMBDA_TASK_ROOT']) {
    if (!process.env[name]) throw new PlatformError(`${name} is not set`);
  }
  api = new RuntimeApi(process.env.AWS_LAMBDA_RUNTIME_API);

  let processor;
  try {
    const handler = await loadHandler(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);
    const metadata = handlerMetadata(handler);
    checkCallbackSupport(metadata);
    if (metadata.streaming) {
      api.setResponseHighWaterMark(metadata.highWaterMark);
      processor = new StreamingInvokeProcessor(handler, api);
    } else if (metadata.callbackStyle) {
      processor = new CallbackInvokeProcessor(handler, api, metadata.isAsyncFunction);
    } else {
      processor = new BufferedInvokeProcessor(handler, api);
    }
  } catch (error) {
    logError('Init Error', error);
    initialised = true; // reported here; a crash now must not report it again
    await api.postInitError(error).catch((postError) => logError('Failed to post init error', postError));
    process.exit(1);
  }
  initialised = true;

  for (;;) {
    let invocation;
    try {
      invocation = await api.nextInvocation();
    } catch (error) {
      process.stderr.write(`Failed to get next invocation: ${error.message}\n`);
      process.exit(1);
    }
    const { headers, body } = invocation;
    const requestId = headers['lambda-runtime-aws-request-id'];
    logContext.requestId = requestId;
    logContext.tenantId = headers['lambda-runtime-aws-tenant-id'];
    if (headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = headers['lambda-runtime-trace-id'];
    else delete process.env._X_AMZN_TRACE_ID;

    activeRequestId = requestId;
    let context;
    let event;
    try {
      context = buildContext(headers);
      event = JSON.parse(body.toString('utf8'));
    } catch (error) {
      logError('Invoke Error', error);
      await api.postError(requestId, error);
      activeRequestId = null;
      continue;
    }
    await processor.processInvoke(context, event);
    activeRequestId = null;
  }
}

start().catch((error) => {
  logError('Runtime Error', error);
  process.exit(1);
});
