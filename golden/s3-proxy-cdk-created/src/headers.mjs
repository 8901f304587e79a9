// HTTP headers in and out: which request headers become GetObject/HeadObject
// parameters, and which object fields become response headers.

// Object fields passed through to the caller, as S3 returned them. User
// metadata (x-amz-meta-*) and S3's own headers stay private.
const OBJECT_HEADERS = [
  ['ContentType', 'content-type'],
  ['ContentLength', 'content-length'],
  ['ContentRange', 'content-range'],
  ['ETag', 'etag'],
  ['LastModified', 'last-modified'],
  ['CacheControl', 'cache-control'],
  ['ContentDisposition', 'content-disposition'],
  ['ContentEncoding', 'content-encoding'],
  ['ContentLanguage', 'content-language'],
];

// Headers of an S3 304 answer worth repeating to the caller (RFC 9110, 15.4.5).
const NOT_MODIFIED_HEADERS = ['etag', 'last-modified', 'cache-control'];

// The bytes are served as S3 labels them; browsers must not guess otherwise.
export const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff' };

/**
 * The GetObject/HeadObject parameters for the request's Range and
 * conditional headers. S3 evaluates them itself and answers 206, 304, 412 or
 * 416, which the proxy passes on.
 */
export function objectRequestParams(headers) {
  const params = {};
  const range = singleByteRange(headers.range);
  // S3 cannot evaluate If-Range. A server may always ignore Range (RFC 9110,
  // 14.2), so with If-Range the whole object is sent: a resumed download then
  // starts over instead of splicing two versions of the object together.
  if (range && headers['if-range'] === undefined) params.Range = range;
  if (headers['if-none-match']) params.IfNoneMatch = headers['if-none-match'];
  if (headers['if-match']) params.IfMatch = headers['if-match'];
  const modifiedSince = httpDate(headers['if-modified-since']);
  if (modifiedSince) params.IfModifiedSince = modifiedSince;
  const unmodifiedSince = httpDate(headers['if-unmodified-since']);
  if (unmodifiedSince) params.IfUnmodifiedSince = unmodifiedSince;
  return params;
}

/** Response headers for a GetObject or HeadObject result. */
export function objectHeaders(output) {
  const headers = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', ...SECURITY_HEADERS };
  for (const [field, header] of OBJECT_HEADERS) {
    const value = output[field];
    if (value === undefined || value === null || value === '') continue;
    headers[header] = value instanceof Date ? value.toUTCString() : String(value);
  }
  return headers;
}

/** Response headers for a 304, from the headers of S3's 304 answer. */
export function notModifiedHeaders(s3Headers = {}) {
  const headers = { ...SECURITY_HEADERS };
  for (const name of NOT_MODIFIED_HEADERS) {
    if (s3Headers[name]) headers[name] = s3Headers[name];
  }
  return headers;
}

// "bytes=0-499", "bytes=500-" or "bytes=-500", normalized; anything else
// (other units, several ranges, a last byte before the first) is ignored and
// the whole object is sent, as RFC 9110 allows. S3 would not serve several
// ranges either.
function singleByteRange(value) {
  const match = /^bytes=(\d{0,16})-(\d{0,16})$/i.exec(value?.replaceAll(' ', '') ?? '');
  if (!match) return undefined;
  const [, first, last] = match;
  if (first === '' && last === '') return undefined;
  if (first !== '' && last !== '' && Number(last) < Number(first)) return undefined;
  return `bytes=${first}-${last}`;
}

// An HTTP date as a Date. An invalid date makes the condition void (RFC 9110,
// 13.1.3 and 13.1.4), so it is dropped rather than sent on.
function httpDate(value) {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
