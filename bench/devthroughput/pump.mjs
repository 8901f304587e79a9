// Writes `size` bytes to a Node.js Writable in `chunk`-byte writes, all from
// one preallocated buffer, waiting for 'drain' whenever write() asks to
// (backpressure), then ends it. Shared by the Lambda function and the plain
// HTTP server of bench/dev-throughput.sh, so both send the same bytes the
// same way and only the path to the client differs.

import { once } from 'node:events';

export const SIZE = Number(process.env.BENCH_BYTES ?? 256 * 1024 * 1024);
export const CHUNK = Number(process.env.BENCH_CHUNK ?? 64 * 1024);

// Filled once at load; write() never changes the buffer it is given, so the
// same one can be queued many times.
const buffer = Buffer.alloc(CHUNK, 'streamgen ');

export async function pump(stream, size = SIZE) {
  for (let sent = 0; sent < size; sent += CHUNK) {
    const piece = size - sent >= CHUNK ? buffer : buffer.subarray(0, size - sent);
    if (!stream.write(piece)) await once(stream, 'drain');
  }
  stream.end();
}
