// Builds the events this project's front end, an API Gateway REST API
// proxy integration, sends the function (payload format 1.0), for the
// handler's tests. A Function URL project has a file of the same name and
// shape that builds Function URL events, so the tests read the same either
// way.

const STAGE = "prod";

/**
 * Returns a REST API proxy event for a request:
 *
 *   method   'GET', ...
 *   path     '/a/b', percent-encoded as a client sends it
 *   query    'a=1&b=2', percent-encoded, without '?'
 *   headers  { 'content-type': '...' }
 *   cookies  ['theme=dark', ...], sent in a Cookie header
 *   body     a string, or a Buffer (sent base64-encoded)
 *   base64   true to send a string body base64-encoded
 */
export function makeEvent({ method = 'GET', path = '/', query = '', headers = {}, cookies = [], body, base64 = false } = {}) {
  const multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [String(v)]]));
  if (cookies.length > 0) multiValueHeaders.Cookie = [cookies.join('; ')];
  const multiValueQueryStringParameters = {};
  for (const [name, value] of new URLSearchParams(query)) {
    (multiValueQueryStringParameters[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(multiValueQueryStringParameters).length > 0;
  const event = {
    resource: path === '/' ? '/' : '/{proxy+}',
    path,
    httpMethod: method,
    // The single-value maps hold each name's last value.
    headers: Object.fromEntries(Object.entries(multiValueHeaders).map(([k, v]) => [k, v.at(-1)])),
    multiValueHeaders,
    queryStringParameters: hasQuery
      ? Object.fromEntries(Object.entries(multiValueQueryStringParameters).map(([k, v]) => [k, v.at(-1)]))
      : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
    pathParameters: path === '/' ? null : { proxy: decodeOnce(path.slice(1)) },
    stageVariables: null,
    requestContext: {
      resourcePath: path === '/' ? '/' : '/{proxy+}',
      httpMethod: method,
      path: `/${STAGE}${path}`,
      accountId: '123456789012',
      apiId: 'abcde12345',
      stage: STAGE,
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTime: '01/Jan/2024:12:00:00 +0000',
      requestTimeEpoch: 1704110400000,
      domainName: 'abcde12345.execute-api.us-east-1.amazonaws.com',
      identity: { sourceIp: '203.0.113.10', userAgent: headers['user-agent'] ?? 'node' },
    },
    body: null,
    isBase64Encoded: false,
  };
  if (body !== undefined) {
    const encode = base64 || Buffer.isBuffer(body);
    event.body = encode ? Buffer.from(body).toString('base64') : body;
    event.isBase64Encoded = encode;
  }
  return event;
}

// The proxy path parameter is decoded; a malformed escape stays as it is.
function decodeOnce(path) {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
