// One measured read of an S3 object, run inside a generated s3-proxy project
// by bench/s3-proxy.sh. Prints one JSON line: bytes, seconds, MiB/s, and the
// process's peak RSS.
//
//   node s3proxy-read.mjs direct  KEY   GetObject, body read and discarded
//   node s3proxy-read.mjs handler KEY   the generated handler, response discarded
//
// Both run in a fresh process, so each peak RSS is that mode's alone.

import { Writable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

// A response stream like the runtime's that counts body bytes and keeps
// none: it honours setContentType and the prelude hook HttpResponseStream
// installs, and acknowledges each write at once, like a fast client.
class CountingResponseStream extends Writable {
  bodyBytes = 0;
  #started = false;
  setContentType() {}
  write(chunk, encoding, cb) {
    // The prelude (status and headers) is not body: let the hook run, and
    // drop what it sends.
    if (!this.#started && typeof this._onBeforeFirstWrite === 'function') this._onBeforeFirstWrite(() => {});
    this.#started = true;
    return super.write(chunk, encoding, cb);
  }
  _write(chunk, _encoding, done) {
    this.bodyBytes += chunk.length;
    done();
  }
}

function functionUrlEvent(k) {
  return {
    version: '2.0', routeKey: '$default', rawPath: `/${k}`, rawQueryString: '', headers: {},
    requestContext: { http: { method: 'GET', path: `/${k}` }, requestId: 'bench' }, isBase64Encoded: false,
  };
}

const [mode, key] = process.argv.slice(2);
const started = performance.now();
let bytes = 0;

if (mode === 'direct') {
  const s3 = new S3Client({ forcePathStyle: true });
  const res = await s3.send(new GetObjectCommand({ Bucket: process.env.BUCKET, Key: process.env.PREFIX + key }));
  for await (const chunk of res.Body) bytes += chunk.length;
} else if (mode === 'handler') {
  const { handler } = await import(new URL('./src/index.mjs', `file://${process.cwd()}/`).href);
  const sink = new CountingResponseStream();
  await handler(functionUrlEvent(key), sink, { awsRequestId: 'bench', getRemainingTimeInMillis: () => 900_000 });
  await new Promise((resolve, reject) => sink.writableFinished ? resolve() : sink.on('finish', resolve).on('error', reject));
  bytes = sink.bodyBytes;
} else {
  throw new Error(`unknown mode ${mode}`);
}

const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({
  mode, key, bytes, seconds: +seconds.toFixed(3),
  mibPerSecond: +(bytes / 2 ** 20 / seconds).toFixed(1),
  peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
}));
