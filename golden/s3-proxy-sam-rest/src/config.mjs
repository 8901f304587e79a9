// Configuration from the environment, which the SAM template or CDK stack sets:
//   BUCKET  the bucket to serve from (required)
//   PREFIX  the folder within it, such as "public/" (optional; empty serves
//           the whole bucket, as far as the function's IAM policy allows)

import { prefixProblem } from './keys.mjs';

// S3's rules for a general purpose bucket name, in short: 3 to 63 lowercase
// letters, digits, dots and hyphens, starting and ending with a letter or digit.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Reads { bucket, prefix } from `env`. Throws an Error whose message names
 * every problem, e.g. 'BUCKET is not set; PREFIX "a" does not end with "/"'.
 */
export function readConfig(env) {
  const bucket = env.BUCKET ?? '';
  const prefix = env.PREFIX ?? '';
  const problems = [];
  if (bucket === '') {
    problems.push('BUCKET is not set');
  } else if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    problems.push(`BUCKET ${JSON.stringify(bucket)} is not an S3 bucket name`);
  }
  const problem = prefixProblem(prefix);
  if (problem) problems.push(`PREFIX ${JSON.stringify(prefix)} ${problem}`);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return { bucket, prefix };
}

/** The S3Client options for `env`. */
export function s3ClientConfig(env) {
  return {
    // AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) points the SDK at a local
    // S3-compatible server. Such a server wants path-style URLs
    // (http://127.0.0.1:5055/BUCKET/KEY): the default virtual-hosted style
    // would ask for BUCKET.localhost or BUCKET.127.0.0.1, which do not resolve.
    // Real S3 keeps the default.
    forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL),
    requestHandler: {
      connectionTimeout: 3_000,
      // A connection that stays silent this long is dropped, so a stalled
      // download fails (and the response ends) long before the function
      // times out. It also ends a download whose caller stops reading for
      // that long, which backpressure passes on to the S3 connection.
      socketTimeout: 30_000,
    },
  };
}
