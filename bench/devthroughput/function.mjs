// The Lambda function of bench/dev-throughput.sh: streams BENCH_BYTES
// (256 MiB by default) behind an HTTP prelude, as a streaming Function URL
// handler does. It uses the runtime's global `awslambda`, which
// `streamgen dev` provides.

import { pump } from './pump.mjs';

const { streamifyResponse, HttpResponseStream } = globalThis.awslambda;

export const handler = streamifyResponse(async (event, responseStream) => {
  const stream = HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { 'content-type': 'application/octet-stream' },
  });
  await pump(stream);
});
