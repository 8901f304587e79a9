// The baseline of bench/dev-throughput.sh: a plain Node.js HTTP server on
// 127.0.0.1 that answers every request with the same bytes as function.mjs,
// written the same way. Prints "listening http://127.0.0.1:PORT/".

import { createServer } from 'node:http';

import { pump } from './pump.mjs';

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  pump(res).catch((err) => res.destroy(err));
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}/`);
});
