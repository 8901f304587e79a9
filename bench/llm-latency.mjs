// Measures, inside a generated llm-stream project, the delay each token
// takes from the fake upstream's write to the moment the handler's response
// stream receives it. Run by `go run ./bench/llmlatency`; the fake stamps
// every token with its send time (Unix ns), and this script compares it with
// its own clock when the token event arrives. Prints one JSON line.

import { Writable } from 'node:stream';

// Wall-clock time in ns with sub-millisecond resolution, comparable with the
// fake's clock on the same machine.
const nowNs = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1000n;

// A response stream like the runtime's: it honours setContentType and the
// prelude hook, and stamps every chunk as it arrives.
class StampingResponseStream extends Writable {
  delaysMs = [];
  #started = false;
  setContentType() {}
  write(chunk, encoding, cb) {
    if (!this.#started && typeof this._onBeforeFirstWrite === 'function') this._onBeforeFirstWrite(() => {});
    this.#started = true;
    return super.write(chunk, encoding, cb);
  }
  _write(chunk, _encoding, done) {
    const at = nowNs();
    for (const m of chunk.toString().matchAll(/event: token\ndata: (\{.*\})\n/g)) {
      const sent = BigInt(JSON.parse(m[1]).text.trim());
      this.delaysMs.push(Number(at - sent) / 1e6);
    }
    done();
  }
}

const { handler } = await import(new URL('./src/index.mjs', `file://${process.cwd()}/`).href);
const sink = new StampingResponseStream();
const event = {
  version: '2.0', routeKey: '$default', rawPath: '/', rawQueryString: '',
  headers: { 'content-type': 'application/json' },
  requestContext: { http: { method: 'POST', path: '/' }, requestId: 'bench' },
  body: JSON.stringify({ prompt: 'count' }), isBase64Encoded: false,
};
const deadline = Date.now() + 120_000;
await handler(event, sink, { awsRequestId: 'bench', getRemainingTimeInMillis: () => deadline - Date.now() });
if (!sink.writableFinished) await new Promise((resolve) => sink.on('finish', resolve));
console.log(JSON.stringify({ delaysMs: sink.delaysMs }));
