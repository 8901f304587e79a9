// An .mjs handler module.
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { 'x-format': 'mjs' },
  });
  stream.write(`mjs ${context.awsRequestId}`);
  stream.end();
});

export const buffered = async (event, context) => ({ format: 'mjs', echo: event, requestId: context.awsRequestId });

export default { fromDefault: async () => 'found through the default export' };
