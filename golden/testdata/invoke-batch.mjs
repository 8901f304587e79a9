// Runs Function URL events through a generated project's handler with the
// streamify shim's local invoker, the way `npm test` does, and prints one
// JSON result per event. The Go tests use it to drive a handler against real
// services.
//
// Usage: node invoke-batch.mjs HANDLER_MODULE EVENTS_JSON
//   HANDLER_MODULE  src/index.mjs, or a bundle built from it
//   EVENTS_JSON     a file with [{ "event": {...}, "timeoutMs": 30000 }, ...]

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// stdout carries only the results: the handler's own logs go to stderr.
console.log = console.info = console.debug = console.error;

const [handlerModule, eventsFile] = process.argv.slice(2);
const { invoke } = await import(pathToFileURL(resolve('src/streamify.mjs')).href);
const { handler } = await import(pathToFileURL(resolve(handlerModule)).href);

const results = [];
for (const { event, timeoutMs = 30000 } of JSON.parse(readFileSync(eventsFile, 'utf8'))) {
  const started = performance.now();
  try {
    const r = await invoke(handler, event, { timeoutMs });
    results.push({
      statusCode: r.statusCode,
      headers: r.headers,
      bodyLength: r.body.length,
      bodySha256: createHash('sha256').update(r.body).digest('hex'),
      bodyText: r.body.length <= 4096 ? r.bodyText : undefined,
      chunks: r.chunks.length,
      error: r.error,
      ms: Math.round(performance.now() - started),
    });
  } catch (err) {
    // invoke() rejects for handler defects (a stream never ended, a timeout).
    results.push({ rejected: `${err.code ?? err.name}: ${err.message}`, ms: Math.round(performance.now() - started) });
  }
}
process.stdout.write(JSON.stringify(results));
