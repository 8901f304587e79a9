// The request a handler serves, read the same way whichever front end
// called the function: a Lambda Function URL (payload format 2.0) or an
// API Gateway REST API proxy integration (payload format 1.0). Handlers
// read this object, never the event, so they run behind either. The
// response does not depend on the front end: both stream the same
// status-and-headers prelude and body.

/**
 * Returns the request in `event`:
 *
 *   front        'url' or 'rest-api'
 *   method       'GET', ...
 *   path         '/reports/a.pdf': percent-encoded as the client sent it
 *                (REST APIs without the stage)
 *   rawQuery     'a=1&b=2', percent-encoded, '' for none
 *   query        { a: '1', b: '2' }: decoded; repeated keys joined with ','
 *   headers      { 'content-type': '...' }: lower-case names, repeated
 *                values joined with ','; no cookie header
 *   cookies      ['theme=dark', ...]: each cookie of the Cookie header(s)
 *   body         a Buffer, base64 bodies decoded
 *   requestId    the front end's request id
 *   sourceIp, userAgent, stage (REST APIs only)
 */
export function readRequest(event = {}) {
  if (event.httpMethod !== undefined || event.requestContext?.httpMethod !== undefined) {
    return readRestRequest(event);
  }
  return readUrlRequest(event);
}

function readUrlRequest(event) {
  const http = event.requestContext?.http ?? {};
  const rawQuery = event.rawQueryString ?? '';
  return {
    front: 'url',
    method: (http.method ?? 'GET').toUpperCase(),
    path: event.rawPath ?? http.path ?? '/',
    rawQuery,
    query: { ...(event.queryStringParameters ?? {}) },
    headers: lowerCaseKeys(event.headers ?? {}),
    cookies: [...(event.cookies ?? [])],
    body: bodyOf(event),
    requestId: event.requestContext?.requestId,
    sourceIp: http.sourceIp,
    userAgent: http.userAgent,
    stage: undefined,
  };
}

function readRestRequest(event) {
  const context = event.requestContext ?? {};
  // multiValue* hold every value; the single-value maps only the last.
  // Cookie headers are split into cookies one by one: joined with ',' like
  // other repeated headers, two of them would read as one cookie.
  const headers = {};
  const cookies = [];
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? wrap(event.headers))) {
    const key = name.toLowerCase();
    if (key === 'cookie') {
      for (const value of values ?? []) cookies.push(...value.split(/;\s*/).filter((c) => c !== ''));
      continue;
    }
    headers[key] = [headers[key], ...(values ?? [])].filter((v) => v !== undefined).join(',');
  }
  const query = {};
  const pairs = [];
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? wrap(event.queryStringParameters))) {
    for (const value of values ?? []) {
      query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
      pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
    }
  }
  return {
    front: 'rest-api',
    method: (event.httpMethod ?? context.httpMethod ?? 'GET').toUpperCase(),
    // REST APIs, like Function URLs, keep the path percent-encoded as the
    // client sent it; anything that could never stand in an encoded path
    // (a space, non-ASCII) is encoded, so handlers decode once either way.
    path: encodePath(event.path ?? '/'),
    rawQuery: pairs.join('&'),
    query,
    headers,
    cookies,
    body: bodyOf(event),
    requestId: context.requestId,
    sourceIp: context.identity?.sourceIp,
    userAgent: context.identity?.userAgent ?? headers['user-agent'],
    stage: context.stage,
  };
}

// wrap turns a single-value map into a multi-value one.
function wrap(map) {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, v === null || v === undefined ? [] : [v]]));
}

function lowerCaseKeys(map) {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k.toLowerCase(), v]));
}

function bodyOf(event) {
  if (event.body === null || event.body === undefined) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

// encodePath percent-encodes what an encoded URL path cannot hold as it
// is, keeping what it can (letters, digits, -._~!$&'()*+,;=:@/ and the %
// of escapes already there).
function encodePath(path) {
  return path.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}

/**
 * The CORS headers for the response to `request`: an
 * access-control-allow-origin naming the request's Origin when it is one
 * of CORS_ALLOW_ORIGINS (comma-separated), else none. A REST API answers
 * preflight requests itself but leaves the response's CORS headers to the
 * function; a Function URL adds them itself, so its stack leaves
 * CORS_ALLOW_ORIGINS unset and the header is never sent twice.
 */
export function corsHeaders(request, env = process.env) {
  const allowed = (env.CORS_ALLOW_ORIGINS ?? '').split(',').filter((o) => o !== '');
  const origin = request.headers.origin;
  if (origin === undefined || !allowed.includes(origin)) return {};
  return { 'access-control-allow-origin': origin, vary: 'origin' };
}
