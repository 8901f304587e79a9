// Reads the reference captures in testdata/ (copied from shared/wire; set
// $STREAMGEN_WIRE_DIR to read another folder): the bytes the real
// aws-lambda-ric sent to a recording Runtime API server.
// It rebuilds each HTTP request from the logged raw reads, so tests can compare
// the shim's chunks with the chunks the real client put on the wire.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WIRE_DIR = process.env.STREAMGEN_WIRE_DIR ?? fileURLToPath(new URL('./testdata/', import.meta.url));

const RAW_READ = /^\s*[\d.]+ms RAW conn#(\d+) read \d+ bytes: (".*")$/;
const NEXT_EVENT = /NEXT -> (\S+) event=(\{.*\})$/;
const RESPONSE_PATH = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/response$/;

/**
 * Returns a Map from scenario mode (the event's "mode": plain, http, ...) to
 * the streamed response the client posted for it:
 * { headers: {lower-case name: value}, chunks: Buffer[], trailers: {...} }.
 */
export function streamedResponsesByMode(logName) {
  const lines = readFileSync(path.join(WIRE_DIR, logName), 'utf8').split('\n');

  const modeOfRequest = new Map();
  const bytesByConnection = new Map();
  for (const line of lines) {
    const next = NEXT_EVENT.exec(line);
    if (next) modeOfRequest.set(next[1], JSON.parse(next[2]).mode);
    const raw = RAW_READ.exec(line);
    if (raw) {
      const previous = bytesByConnection.get(raw[1]) ?? Buffer.alloc(0);
      bytesByConnection.set(raw[1], Buffer.concat([previous, decodeGoQuoted(raw[2])]));
    }
  }

  const responses = new Map();
  for (const bytes of bytesByConnection.values()) {
    for (const request of parseHttpRequests(bytes)) {
      const id = RESPONSE_PATH.exec(request.target)?.[1];
      if (id && request.method === 'POST') responses.set(modeOfRequest.get(id), request);
    }
  }
  return responses;
}

// The log quotes bytes the way Go's %q does: \r \n \t \" \\ \xNN \uNNNN, and
// any other character stands for its UTF-8 bytes.
function decodeGoQuoted(quoted) {
  const body = quoted.slice(1, -1);
  const bytes = [];
  const simple = { r: 0x0d, n: 0x0a, t: 0x09, '"': 0x22, '\\': 0x5c };
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '\\') {
      const codePoint = body.codePointAt(i);
      const char = String.fromCodePoint(codePoint);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length - 1;
      continue;
    }
    const kind = body[++i];
    if (kind in simple) {
      bytes.push(simple[kind]);
    } else if (kind === 'x') {
      bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (kind === 'u') {
      bytes.push(...Buffer.from(String.fromCodePoint(parseInt(body.slice(i + 1, i + 5), 16)), 'utf8'));
      i += 4;
    } else {
      throw new Error(`unexpected escape \\${kind} in capture`);
    }
  }
  return Buffer.from(bytes);
}

// Splits one connection's bytes into HTTP/1.1 requests. Stops at a request
// whose bytes were not all captured (the client may still have been sending).
function parseHttpRequests(bytes) {
  const requests = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at);
    if (headEnd === -1) break;
    const [requestLine, ...headerLines] = bytes.subarray(at, headEnd).toString('latin1').split('\r\n');
    const [method, target] = requestLine.split(' ');
    const headers = parseFields(headerLines);
    at = headEnd + 4;

    const request = { method, target, headers, chunks: [], trailers: {} };
    if (headers['transfer-encoding'] === 'chunked') {
      const end = readChunkedBody(bytes, at, request);
      if (end === -1) break;
      at = end;
    } else {
      at += Number(headers['content-length'] ?? 0);
    }
    requests.push(request);
  }
  return requests;
}

// Fills request.chunks and request.trailers; returns the offset after the
// body, or -1 if the body is incomplete.
function readChunkedBody(bytes, at, request) {
  for (;;) {
    const sizeEnd = bytes.indexOf('\r\n', at);
    if (sizeEnd === -1) return -1;
    const size = parseInt(bytes.subarray(at, sizeEnd).toString('latin1'), 16);
    at = sizeEnd + 2;
    if (size === 0) break;
    if (at + size + 2 > bytes.length) return -1;
    request.chunks.push(Buffer.from(bytes.subarray(at, at + size)));
    at += size + 2;
  }
  const trailersEnd = bytes.indexOf('\r\n\r\n', at - 2);
  if (trailersEnd === -1) return -1;
  const trailerBlock = bytes.subarray(at, trailersEnd).toString('latin1');
  request.trailers = parseFields(trailerBlock ? trailerBlock.split('\r\n') : []);
  return trailersEnd + 4;
}

// Header or trailer lines into { lower-case name: value }; a repeated name
// (like Trailer) keeps all its values, joined with ", " as HTTP allows.
function parseFields(lines) {
  const fields = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    fields[name] = name in fields ? `${fields[name]}, ${value}` : value;
  }
  return fields;
}
