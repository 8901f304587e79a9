// Turns a request path into an S3 object key under PREFIX, or says why not.
//
// Every check runs before S3 is called, so a hostile path costs nothing and
// never reaches the bucket. S3 itself treats "..", "\" and control characters
// as ordinary key bytes. Browsers, caches and tools that later handle a URL or
// a downloaded file do not, so such keys are refused here. Whatever the path,
// the key always starts with PREFIX and cannot step out of it.

// S3's limit on a key, in bytes of UTF-8, PREFIX included.
export const MAX_KEY_BYTES = 1024;

/**
 * Maps a request path (percent-encoded, as readRequest gives it for either
 * front end) such as "/reports/2024/summary.pdf" to the key
 * PREFIX + "reports/2024/summary.pdf".
 * Returns { key } or, for a path that must be refused, { problem } with a
 * short phrase such as 'contains a backslash'.
 */
export function keyFromPath(rawPath, prefix) {
  // The path arrives percent-encoded. Decode it exactly once: "%2F" becomes
  // "/" and "%2e%2e" becomes "..", and the checks below see what S3 would see.
  let name;
  try {
    name = decodeURIComponent(rawPath.replace(/^\//, ''));
  } catch {
    return { problem: 'has malformed percent-encoding' };
  }
  if (name === '') return { problem: 'is empty' };
  if (name.startsWith('/')) return { problem: 'starts with "/"' };
  // A %XX that survives one decoding was encoded twice ("%252e" is "%2e"). A
  // component that decodes again would find "." or "/" there, so refuse it.
  if (/%[0-9a-f]{2}/i.test(name)) return { problem: 'is percent-encoded twice' };

  const problem = textProblem(name);
  if (problem) return { problem };

  const key = prefix + name;
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    return { problem: `is longer than ${MAX_KEY_BYTES} bytes with the prefix` };
  }
  return { key };
}

/**
 * Says what is wrong with a PREFIX value ('does not end with "/"'), or
 * returns undefined if it is fine.
 * A prefix is empty (the whole bucket) or a folder such as "public/assets/".
 */
export function prefixProblem(prefix) {
  if (prefix === '') return undefined;
  if (!prefix.endsWith('/')) return 'does not end with "/"';
  if (prefix.startsWith('/')) return 'starts with "/"';
  if (prefix.includes('//')) return 'contains "//"';
  if (Buffer.byteLength(prefix, 'utf8') >= MAX_KEY_BYTES) return `is ${MAX_KEY_BYTES} bytes or longer`;
  return textProblem(prefix.slice(0, -1));
}

// Checks shared by keys and prefixes.
function textProblem(text) {
  if (!text.isWellFormed()) return 'is not valid Unicode';
  if (/\p{Cc}/u.test(text)) return 'contains a control character';
  if (text.includes('\\')) return 'contains a backslash';
  if (text.split('/').some((segment) => segment === '.' || segment === '..')) {
    return 'has a "." or ".." path segment';
  }
  return undefined;
}
