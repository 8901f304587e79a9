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
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
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

// HTTP header and trailer values are bytes. Request heads are written as
// Latin-1 text, so text is first turned into its UTF-8 bytes (what
// libcurl would send), and characters HTTP forbids are dropped rather than
// sending bytes that would break the request head.
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
// HTTP/1.1 over plain sockets. node:http costs about half a millisecond
// between http.request() and the first byte on the wire, and more to deliver
// a small response through http.IncomingMessage; that is on the time to first
// byte of every invocation. The Runtime API is a local peer speaking a small
// part of HTTP/1.1, so each connection is a persistent net.Socket (Nagle off)
// that carries one request at a time, written as exact bytes, with a small
// incremental parser for the answers.

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
// Small frames are copied into one buffer (one write); bigger ones go out
// corked, without a copy.
const COALESCE_LIMIT = 16 * 1024;
// A response head larger than this is not the Runtime API.
const MAX_RESPONSE_HEAD = 64 * 1024;

// "Name: value\r\n" lines in the given order, names spelled as given, after
// the request line: the bytes of one request head (header values are Latin-1
// text, see headerValue()).
function requestHead(method, requestPath, fields) {
  let head = `${method} ${requestPath} HTTP/1.1\r\n`;
  for (const [name, value] of fields) head += `${name}: ${value}\r\n`;
  return Buffer.from(`${head}\r\n`, 'latin1');
}

// Parses one HTTP/1.1 response from the bytes pushed into it: status line,
// headers (lower-case names, repeated ones joined with ", " as node:http
// does), and a Content-Length, chunked or close-delimited body. 1xx interim
// responses are skipped.
class ResponseParser {
  statusCode = 0;
  headers = {};
  keepAlive = true;
  complete = false;
  started = false; // a byte of the response has arrived
  #state = 'head';
  #buffer = Buffer.alloc(0);
  #parts = [];
  #remaining = 0;

  get body() {
    return this.#parts.length === 1 ? this.#parts[0] : Buffer.concat(this.#parts);
  }

  // Adds bytes; returns true once the response is complete. Throws on
  // malformed input.
  push(data) {
    this.started = true;
    this.#buffer = this.#buffer.length === 0 ? data : Buffer.concat([this.#buffer, data]);
    while (!this.complete) {
      const buffer = this.#buffer;
      switch (this.#state) {
        case 'head': {
          const end = buffer.indexOf('\r\n\r\n');
          if (end < 0) {
            if (buffer.length > MAX_RESPONSE_HEAD) throw new Error('the Runtime API sent an oversized response head');
            return false;
          }
          this.#buffer = buffer.subarray(end + 4);
          this.#parseHead(buffer.toString('latin1', 0, end));
          break;
        }
        case 'body':
        case 'chunkData': {
          const take = Math.min(this.#remaining, buffer.length);
          if (take > 0) this.#parts.push(buffer.subarray(0, take));
          this.#buffer = buffer.subarray(take);
          this.#remaining -= take;
          if (this.#remaining > 0) return false;
          if (this.#state === 'body') this.complete = true;
          else this.#state = 'chunkEnd';
          break;
        }
        case 'chunkEnd': // the CRLF after a chunk's data
          if (buffer.length < 2) return false;
          if (buffer[0] !== 0x0d || buffer[1] !== 0x0a) throw new Error('the Runtime API sent a malformed chunk');
          this.#buffer = buffer.subarray(2);
          this.#state = 'chunkSize';
          break;
        case 'chunkSize': {
          const end = buffer.indexOf('\r\n');
          if (end < 0) return false;
          const size = Number.parseInt(buffer.toString('latin1', 0, end).split(';')[0].trim(), 16);
          if (Number.isNaN(size)) throw new Error('the Runtime API sent a malformed chunk size');
          this.#buffer = buffer.subarray(end + 2);
          this.#remaining = size;
          this.#state = size === 0 ? 'trailers' : 'chunkData';
          break;
        }
        case 'trailers': { // ignored; the body ends at the empty line
          if (buffer.length < 2) return false;
          const end = buffer[0] === 0x0d && buffer[1] === 0x0a ? 0 : buffer.indexOf('\r\n\r\n');
          if (end < 0) return false;
          this.#buffer = buffer.subarray(end === 0 ? 2 : end + 4);
          this.complete = true;
          break;
        }
        case 'untilClose': // no length given: the body runs to the end of the connection
          this.#parts.push(buffer);
          this.#buffer = Buffer.alloc(0);
          return false;
        default:
          throw new Error(`unknown parser state ${this.#state}`);
      }
    }
    return true;
  }

  // The connection ended: that completes a close-delimited body only.
  end() {
    if (this.#state === 'untilClose') this.complete = true;
    return this.complete;
  }

  #parseHead(text) {
    const lines = text.split('\r\n');
    const status = /^HTTP\/1\.(\d) (\d{3})(?: |$)/.exec(lines[0]);
    if (!status) throw new Error(`the Runtime API sent a malformed status line ${JSON.stringify(lines[0])}`);
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    const statusCode = Number(status[2]);
    if (statusCode >= 100 && statusCode < 200) return; // interim (100 Continue): the real head follows
    this.statusCode = statusCode;
    this.headers = headers;
    const connection = (headers.connection ?? '').toLowerCase();
    this.keepAlive = status[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    if (statusCode === 204 || statusCode === 304) {
      this.complete = true;
    } else if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
      this.#state = 'chunkSize';
    } else if (headers['content-length'] !== undefined) {
      this.#remaining = Number.parseInt(headers['content-length'], 10);
      if (!(this.#remaining >= 0)) throw new Error('the Runtime API sent a malformed Content-Length');
      this.#state = 'body';
      if (this.#remaining === 0) this.complete = true;
    } else {
      this.#state = 'untilClose';
      this.keepAlive = false;
    }
  }
}

// One keep-alive connection to the Runtime API. Requests take turns: each
// one gets the socket when the previous response is complete, and the socket
// is reopened when the server closed it. While a request is under way the
// socket keeps the process alive; an idle socket does not (as with a
// keep-alive http.Agent), so an empty event loop still ends in 'beforeExit'.
class HttpConnection {
  #host;
  #port;
  #socket = null;
  #exchange = null; // {start, resolve, reject, socket, parser, reused}
  #waiting = [];

  constructor(host, port) {
    this.#host = host;
    this.#port = port;
    this.highWaterMark = undefined; // of new sockets; set for a streaming handler
  }

  // Runs start(socket) once the connection is free (at once if it is idle):
  // start writes the request, now or later. Resolves to {statusCode,
  // headers, body} when the response is complete. A rejection has
  // `reusedSocket` set when a kept-alive socket closed before any byte of the
  // response, the case in which an idempotent request may be retried.
  request(start) {
    return new Promise((resolve, reject) => {
      const exchange = { start, resolve, reject };
      if (this.#exchange) this.#waiting.push(exchange);
      else this.#begin(exchange);
    });
  }

  // Ends the current request by closing its socket: for a request that
  // cannot be completed (its body was abandoned halfway).
  abort(socket, error) {
    if (this.#exchange?.socket === socket) socket.destroy(error);
  }

  #begin(exchange) {
    this.#exchange = exchange;
    exchange.reused = this.#socket !== null;
    exchange.socket = this.#openSocket();
    exchange.parser = new ResponseParser();
    exchange.socket.ref();
    try {
      exchange.start(exchange.socket);
    } catch (error) {
      exchange.socket.destroy(error);
    }
  }

  #end(error, response) {
    const exchange = this.#exchange;
    this.#exchange = null;
    if (this.#socket === exchange.socket) this.#socket.unref();
    if (error) exchange.reject(error);
    else exchange.resolve(response);
    const next = this.#waiting.shift();
    if (next) this.#begin(next);
  }

  // The open socket, or a new one.
  #openSocket() {
    const current = this.#socket;
    if (current && !current.destroyed && current.writable && !current.readableEnded) return current;
    current?.destroy();
    const socket = net.createConnection({ host: this.#host, port: this.#port, highWaterMark: this.highWaterMark });
    socket.setNoDelay(true);
    let failure = null;
    socket.on('error', (error) => {
      failure = error;
    });
    socket.on('data', (data) => this.#onData(socket, data));
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = null;
      const exchange = this.#exchange;
      if (exchange?.socket !== socket) return;
      if (exchange.parser.end()) {
        this.#end(null, exchange.parser);
        return;
      }
      const error = failure ?? new Error('the Runtime API closed the connection');
      if (exchange.reused && !exchange.parser.started) error.reusedSocket = true;
      this.#end(error);
    });
    this.#socket = socket;
    return socket;
  }

  #onData(socket, data) {
    const exchange = this.#exchange;
    if (exchange?.socket !== socket) {
      socket.destroy(); // bytes nobody asked for: the connection is out of step
      return;
    }
    let complete;
    try {
      complete = exchange.parser.push(data);
    } catch (error) {
      socket.destroy(error);
      return;
    }
    if (!complete) return;
    const { statusCode, headers, body, keepAlive } = exchange.parser;
    if (!keepAlive) {
      this.#socket = null;
      socket.destroy();
    }
    this.#end(null, { statusCode, headers, body });
  }
}

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
    this.nextConnection = new HttpConnection(this.hostname, this.port);
    this.responseConnection = this.newConnection();
    // Always the same bytes.
    this.nextRequest = this.#nativeStyleHead('GET', `${API_PREFIX}/invocation/next`, []);
    this.streamHighWaterMark = undefined;
  }

  // A connection of its own, e.g. for a crashing process to report on while a
  // response stream still holds the usual one.
  newConnection() {
    return new HttpConnection(this.hostname, this.port);
  }

  // The response stream's buffer and its socket's follow the handler's
  // highWaterMark, as in aws-lambda-ric.
  setResponseHighWaterMark(highWaterMark) {
    if (!highWaterMark) return;
    this.streamHighWaterMark = highWaterMark;
    this.responseConnection.highWaterMark = highWaterMark;
  }

  // Resolves to {headers (lower-case names), body (Buffer)} of the next event.
  // A kept-alive socket the server closed while idle is retried once on a
  // fresh one: the GET has no effect until it is answered.
  async nextInvocation() {
    const send = () => this.nextConnection.request((socket) => socket.write(this.nextRequest));
    let response;
    try {
      response = await send();
    } catch (error) {
      if (!error.reusedSocket) throw error;
      response = await send();
    }
    if (response.statusCode !== 200) {
      throw new PlatformError(`GET ${API_PREFIX}/invocation/next answered ${response.statusCode}`);
    }
    return { headers: response.headers, body: response.body };
  }

  // A buffered handler's result, as JSON.
  postResult(requestId, json) {
    return this.#nativeStyleRequest(this.responseConnection, 'POST', invocationPath(requestId, 'response'), [
      ['content-type', 'application/json'],
    ], Buffer.from(json, 'utf8'));
  }

  // A failed invocation.
  postError(requestId, error, connection = this.responseConnection) {
    const body = Buffer.from(JSON.stringify(toRapidError(error)), 'utf8');
    return this.#nativeStyleRequest(connection, 'POST', invocationPath(requestId, 'error'), [
      ['content-type', 'application/json'],
      ['lambda-runtime-function-xray-error-cause', headerValue(toXRayCause(error))],
    ], body);
  }

  // An init failure (module not found, handler missing, ...). Shaped like
  // aws-lambda-ric's node:http request: its headers, then Host and
  // Connection.
  postInitError(error, connection = this.responseConnection) {
    const rapidError = toRapidError(error);
    const body = Buffer.from(JSON.stringify(rapidError), 'utf8');
    const head = requestHead('POST', `${API_PREFIX}/init/error`, [
      ['Content-Type', 'application/json'],
      ['Content-Length', body.length],
      [HEADER_ERROR_TYPE, headerValue(rapidError.errorType)],
      ['Host', this.hostHeader],
      ['Connection', 'keep-alive'],
    ]);
    return connection.request((socket) => socket.write(Buffer.concat([head, body])));
  }

  // Opens POST .../response for a streaming handler on the response
  // connection (connecting now if need be); its head leaves with the first
  // write, or with end(). Returns the stream handed to the handler, a promise
  // that settles when the Runtime API has answered the POST, and fail(error),
  // which ends the body with the error trailers.
  openResponseStream(requestId) {
    const controls = {};
    const responseStream = new ResponseStream({
      connection: this.responseConnection,
      requestPath: invocationPath(requestId, 'response'),
      hostHeader: this.hostHeader,
      highWaterMark: this.streamHighWaterMark,
      controls,
    });
    return { responseStream, rapidResponse: controls.rapidResponse, fail: controls.fail };
  }

  // A request head shaped like the native client's: Host first, then the
  // given headers, User-Agent, content-length for a body, and no Connection
  // header (HTTP/1.1 keeps the connection open by default).
  #nativeStyleHead(method, requestPath, fields, body) {
    const headers = [['Host', this.hostHeader], ['Accept', '*/*'], ...fields, ['User-Agent', NATIVE_USER_AGENT]];
    if (body) headers.push(['content-length', String(body.length)]);
    return requestHead(method, requestPath, headers);
  }

  #nativeStyleRequest(connection, method, requestPath, fields, body) {
    const head = this.#nativeStyleHead(method, requestPath, fields, body);
    const bytes = body ? Buffer.concat([head, body]) : head;
    return connection.request((socket) => socket.write(bytes));
  }
}

function invocationPath(requestId, what) {
  return `${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/${what}`;
}

// The response stream a streaming handler writes to: a Writable whose every
// write leaves at once as its own chunk of a chunked POST .../response, as in
// aws-lambda-ric. Backpressure is the socket's: a write completes when the
// socket took it without exceeding its buffer, or after its 'drain'. Beyond
// the Writable API it has setContentType() and nothing of HTTP (as in Lambda,
// where e.g. setHeader() does not exist on the stream).
class ResponseStream extends Writable {
  #connection;
  #requestPath;
  #hostHeader;
  #contentType = DEFAULT_STREAM_CONTENT_TYPE;
  #socket = null; // once the connection is ours
  #whenSocket = null; // a write or the end waiting for the socket
  #headSent = false;
  #written = false; // write() was called: too late for setContentType()
  #ended = false; // the whole request is handed to the socket
  #trailers = null; // the error trailer lines, set by fail()
  #answered;

  constructor({ connection, requestPath, hostHeader, highWaterMark, controls }) {
    super(highWaterMark ? { highWaterMark } : {});
    this.#connection = connection;
    this.#requestPath = requestPath;
    this.#hostHeader = hostHeader;
    // Set by HttpResponseStream.from(): writes the prelude before the first
    // write's data.
    this._onBeforeFirstWrite = undefined;

    let answered;
    const rapidResponse = new Promise((resolve, reject) => {
      answered = { resolve, reject };
    });
    rapidResponse.catch(() => {}); // awaited only on success; never unhandled
    this.#answered = answered;
    // The stream's own errors (a write after end, a lost connection) fail the
    // invocation rather than crash the process.
    this.on('error', (error) => answered.reject(error));
    controls.rapidResponse = rapidResponse;
    controls.fail = (error) => this.#fail(error);

    // Claims the connection now (connecting if it is closed), so the request
    // can leave the moment the handler writes.
    connection.request((socket) => {
      this.#socket = socket;
      if (this.destroyed && !this.#ended) {
        connection.abort(socket, new Error('the response stream was destroyed'));
        return;
      }
      const pending = this.#whenSocket;
      this.#whenSocket = null;
      pending?.();
    }).then((response) => answered.resolve(response), (error) => answered.reject(error));
  }

  // Sets the request's Content-Type, until the first write().
  setContentType(contentType) {
    if (this.#written || this.#headSent) throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    this.#contentType = contentType;
  }

  // Anything but text or bytes goes out as JSON. Only write() sends the
  // prelude of HttpResponseStream.from(): end(data) alone does not, as in
  // Lambda.
  write(chunk, encoding, callback) {
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) chunk = JSON.stringify(chunk);
    if (!this.#written) {
      this.#written = true;
      if (typeof this._onBeforeFirstWrite === 'function') this._onBeforeFirstWrite((data) => super.write(data));
    }
    return super.write(chunk, encoding, callback);
  }

  _write(chunk, encoding, callback) {
    this._writev([{ chunk }], callback);
  }

  // Each buffered write is its own chunk; they leave in one socket write.
  _writev(entries, callback) {
    if (!this.#socket) {
      this.#whenSocket = () => this._writev(entries, callback);
      return;
    }
    const frames = this.#takeHead();
    for (const { chunk } of entries) {
      // An empty write sends the head (and a prelude) but no chunk: an empty
      // chunk would end the body.
      if (chunk.length > 0) frames.push(Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, CRLF);
    }
    this.#send(frames, callback);
  }

  // The end of the body: the last chunk, with the error trailers after fail().
  _final(callback) {
    if (!this.#socket) {
      this.#whenSocket = () => this._final(callback);
      return;
    }
    const frames = this.#takeHead();
    frames.push(this.#trailers === null ? LAST_CHUNK : Buffer.from(`0\r\n${this.#trailers}\r\n`, 'latin1'));
    this.#ended = true;
    // Finished once the socket has taken every byte.
    this.#socket.write(Buffer.concat(frames), (error) => callback(error));
  }

  // A stream destroyed before its end cannot complete the request: its
  // connection is closed, and the invocation fails.
  _destroy(error, callback) {
    if (!this.#ended) {
      const reason = error ?? new Error('the response stream was destroyed before it ended');
      this.#answered.reject(reason);
      if (this.#socket) this.#connection.abort(this.#socket, reason);
    }
    callback(error);
  }

  // The request head, the first time; then nothing.
  #takeHead() {
    if (this.#headSent) return [];
    this.#headSent = true;
    return [requestHead('POST', this.#requestPath, [
      [HEADER_RESPONSE_MODE, 'streaming'],
      ['Trailer', TRAILER_ERROR_TYPE],
      ['Trailer', TRAILER_ERROR_BODY],
      ['Content-Type', headerValue(this.#contentType)],
      ['Transfer-Encoding', 'chunked'],
      ['Host', this.#hostHeader],
      ['Connection', 'keep-alive'],
    ])];
  }

  // Writes frames to the socket; calls back when it has room for more.
  #send(frames, callback) {
    if (frames.length === 0) {
      callback();
      return;
    }
    const socket = this.#socket;
    const size = frames.reduce((total, frame) => total + frame.length, 0);
    let more;
    if (size <= COALESCE_LIMIT) {
      more = socket.write(frames.length === 1 ? frames[0] : Buffer.concat(frames, size));
    } else {
      socket.cork();
      for (const frame of frames) more = socket.write(frame);
      socket.uncork();
    }
    if (more) {
      callback();
      return;
    }
    const done = (error) => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      callback(error);
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('the Runtime API closed the connection'));
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  }

  // Ends the body with the error trailers, unless it has ended already.
  // Resolves when the stream has finished or closed.
  #fail(error) {
    return new Promise((resolve) => {
      if (this.destroyed || this.writableFinished) {
        resolve();
        return;
      }
      this.once('finish', resolve);
      this.once('close', resolve);
      if (this.writableEnded) return; // too late for trailers
      const rapidError = toRapidError(error);
      this.#trailers =
        `${TRAILER_ERROR_TYPE}: ${headerValue(rapidError.errorType)}\r\n` +
        `${TRAILER_ERROR_BODY}: ${Buffer.from(JSON.stringify(rapidError)).toString('base64')}\r\n`;
      this.end();
    });
  }
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
    const connection = api.newConnection();
    if (activeRequestId) report = api.postError(activeRequestId, error, connection);
    else if (!initialised) report = api.postInitError(error, connection);
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
