// A plain (buffered) handler: its result is converted like a Function URL
// converts it.
export const handler = async (event) => {
  if (event.rawPath === '/error') {
    throw new Error('buffered boom');
  }
  return { statusCode: 200, headers: { 'content-type': 'text/plain' }, cookies: ['k=v'], body: 'buffered-body' };
};
