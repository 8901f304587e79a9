// An ES module: a .js file under a package.json with "type": "module".
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function describe(context) {
  return {
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    memoryLimitInMB: context.memoryLimitInMB,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    invokedFunctionArn: context.invokedFunctionArn,
    awsRequestId: context.awsRequestId,
    remainingPositive: context.getRemainingTimeInMillis() > 0,
    callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
    identity: context.identity,
    clientContext: context.clientContext,
  };
}

// Loaded as src/app.api.v1.handler: a module root, then a nested export.
export const api = {
  v1: {
    handler: awslambda.streamifyResponse(async (event, responseStream, context) => {
      responseStream.setContentType('application/json');
      responseStream.write(JSON.stringify({
        format: 'esm',
        event,
        context: describe(context),
        traceId: process.env._X_AMZN_TRACE_ID ?? null,
      }));
      responseStream.end();
    }),
  },
};

// Stream API details: JSON for non-byte writes, setContentType too late.
export const details = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write({ a: 1 });
  try {
    responseStream.setContentType('text/plain');
  } catch (error) {
    responseStream.write(`${error.name}: ${error.message}`);
  }
  responseStream.write(typeof responseStream.setHeader);
  responseStream.end();
});

// HttpResponseStream.from() then end() with no write: no prelude is sent.
export const endOnly = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 404 });
  stream.end(event.data);
});

// HttpResponseStream.from() with cookies, then write('') to send the prelude.
export const emptyWrite = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 302, headers: { location: '/x' }, cookies: ['a=1'],
  });
  stream.write('');
  stream.end();
});

// pipeline() from an async generator.
export const piped = awslambda.streamifyResponse(async (event, responseStream) => {
  await pipeline(async function* () {
    yield 'one ';
    await sleep(20);
    yield 'two ';
    yield 'three';
  }, responseStream);
});

// event.bytes bytes through pipeline(), in fresh 64 KiB buffers (so buffering
// them would cost memory). Logs how often the stream asked to wait ('drain')
// and the highest resident set size seen: backpressure keeps memory flat.
export const big = awslambda.streamifyResponse(async (event, responseStream) => {
  const blockSize = 64 * 1024;
  let sent = 0;
  let drains = 0;
  let maxRss = process.memoryUsage.rss();
  responseStream.on('drain', () => drains++);
  function* blocks() {
    while (sent < event.bytes) {
      const size = Math.min(blockSize, event.bytes - sent);
      sent += size;
      if (sent % (8 << 20) === 0) maxRss = Math.max(maxRss, process.memoryUsage.rss());
      yield Buffer.alloc(size, 'x');
    }
  }
  await pipeline(Readable.from(blocks()), responseStream);
  console.log(`sent=${sent} drains=${drains} maxRss=${maxRss}`);
});

// Not async: the runtime fails the invocation after the call.
export const notAsync = awslambda.streamifyResponse((event, responseStream) => {
  responseStream.write('sync');
});

// An exception thrown from a timer while the response is open.
export const uncaught = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('before');
  setTimeout(() => {
    throw new RangeError('thrown from a timer');
  }, 20);
  await new Promise(() => {});
});

// A rejected promise that nobody handles, in a buffered handler.
export const rejection = async () => {
  Promise.reject(new Error('nobody catches this'));
  await sleep(2000);
  return 'too late';
};

// A buffered handler whose promise never settles and leaves nothing to run.
export const neverSettles = async () => new Promise(() => {});
