// Streaming scenarios for the devserver tests, run by the built-in runtime
// client and by npm aws-lambda-ric alike: the event's rawPath picks one.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  switch (event.rawPath) {
    case '/plain':
      responseStream.write('a');
      responseStream.end();
      return;
    case '/timed':
      responseStream.write('chunk1');
      await sleep(200);
      responseStream.write('chunk2');
      await sleep(200);
      responseStream.end('end');
      return;
    case '/http': {
      const stream = awslambda.HttpResponseStream.from(responseStream, {
        statusCode: 201,
        headers: { 'x-a': 'b', 'content-type': 'text/event-stream' },
        cookies: ['c=1; Path=/', 'd=2'],
      });
      stream.write('hello ');
      await sleep(50);
      stream.end('world');
      return;
    }
    case '/contenttype':
      responseStream.setContentType('text/plain');
      responseStream.end('typed');
      return;
    case '/error':
      responseStream.write('partial');
      await sleep(50);
      throw new Error('boom mid-stream');
    case '/errorfirst':
      throw new TypeError('boom before any write');
    case '/event':
      responseStream.setContentType('application/json');
      responseStream.end(JSON.stringify({ event, requestId: context.awsRequestId, env: {
        name: process.env.AWS_LAMBDA_FUNCTION_NAME,
        memory: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
        handler: process.env._HANDLER,
        tz: process.env.TZ,
        custom: process.env.CUSTOM,
        secret: process.env.STREAMGEN_TEST_SECRET,
      } }));
      return;
    case '/big': {
      // 32 MiB in 64 KiB writes, honouring backpressure.
      const chunk = Buffer.alloc(64 * 1024, 'x');
      for (let i = 0; i < 512; i++) {
        if (!responseStream.write(chunk)) {
          await new Promise((resolve) => responseStream.once('drain', resolve));
        }
      }
      responseStream.end();
      return;
    }
    default:
      responseStream.end('unknown scenario ' + event.rawPath);
  }
});
