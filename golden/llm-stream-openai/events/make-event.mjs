// Builds the events this project's front end, a Lambda Function URL, sends
// the function (payload format 2.0), for the handler's tests. A REST API
// project has a file of the same name and shape that builds REST API
// events, so the tests read the same either way.

/**
 * Returns a Function URL event for a request:
 *
 *   method   'GET', ...
 *   path     '/a/b', percent-encoded as a client sends it
 *   query    'a=1&b=2', percent-encoded, without '?'
 *   headers  { 'content-type': '...' }
 *   cookies  ['theme=dark', ...]
 *   body     a string, or a Buffer (sent base64-encoded)
 *   base64   true to send a string body base64-encoded, as Function URLs
 *            do for content types they do not take for text
 */
export function makeEvent({ method = 'GET', path = '/', query = '', headers = {}, cookies = [], body, base64 = false } = {}) {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query,
    headers: lower,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghijklmnopqrstuvwxyz234567',
      domainName: 'abcdefghijklmnopqrstuvwxyz234567.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abcdefghijklmnopqrstuvwxyz234567',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: lower['user-agent'] ?? 'node' },
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2024:12:00:00 +0000',
      timeEpoch: 1704110400000,
    },
    isBase64Encoded: false,
  };
  if (cookies.length > 0) event.cookies = [...cookies];
  if (query !== '') event.queryStringParameters = joinedParameters(query);
  if (body !== undefined) {
    const encode = base64 || Buffer.isBuffer(body);
    event.body = encode ? Buffer.from(body).toString('base64') : body;
    event.isBase64Encoded = encode;
  }
  return event;
}

// A Function URL joins a repeated parameter's values with ','.
function joinedParameters(query) {
  const out = {};
  for (const [name, value] of new URLSearchParams(query)) {
    out[name] = out[name] === undefined ? value : `${out[name]},${value}`;
  }
  return out;
}
