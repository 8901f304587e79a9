// S3 proxy: streams objects of one S3 bucket folder to the caller.
//
//   GET  /reports/2024/summary.pdf   streams s3://BUCKET/PREFIXreports/2024/summary.pdf
//   HEAD /reports/2024/summary.pdf   the same headers, no body
//
// Range requests (206/416) and conditional requests (304/412) are answered
// by S3 and passed on. Keys that could escape PREFIX, or that tools might
// read differently than S3 does, are refused with 400 before S3 is asked.
// The request logic is in proxy.mjs; this file only wires it up.

import { S3Client } from '@aws-sdk/client-s3';

import { readConfig, s3ClientConfig } from './config.mjs';
import { createMisconfiguredProxy, createProxy } from './proxy.mjs';
import { streamifyResponse } from './streamify.mjs';

export const handler = streamifyResponse(initProxy(process.env));

// Runs once per execution environment (cold start), so the S3 client and its
// connections are reused by every request the environment serves.
function initProxy(env) {
  let config;
  try {
    config = readConfig(env);
  } catch (error) {
    // Throwing here would make Lambda retry the init on every request and
    // answer each with a bare 502. Instead the function answers 500 with a
    // short JSON error, and this line says what to fix.
    console.error(`s3-proxy: configuration error: ${error.message}. ` +
      'Every request answers 500 until the environment variables are fixed.');
    return createMisconfiguredProxy({ reason: error.message });
  }
  console.info(`s3-proxy: serving s3://${config.bucket}/${config.prefix}`);
  return createProxy({ s3: new S3Client(s3ClientConfig(env)), ...config });
}
