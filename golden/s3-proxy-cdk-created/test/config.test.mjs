// Tests of the configuration read at init (src/config.mjs) and of how
// src/index.mjs starts with a good and a broken environment. No network: the
// one real S3Client here is stopped before its request leaves.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

import { readConfig, s3ClientConfig } from '../src/config.mjs';
import { invoke } from '../src/streamify.mjs';
import { makeEvent } from '../events/make-event.mjs';

test('reads BUCKET and PREFIX', () => {
  assert.deepEqual(readConfig({ BUCKET: 'my-bucket', PREFIX: 'reports/' }), { bucket: 'my-bucket', prefix: 'reports/' });
  assert.deepEqual(readConfig({ BUCKET: 'my.bucket.2024' }), { bucket: 'my.bucket.2024', prefix: '' });
});

test('names every problem with the configuration', () => {
  for (const [env, message] of [
    [{}, 'BUCKET is not set'],
    [{ BUCKET: '' }, 'BUCKET is not set'],
    [{ BUCKET: 'My_Bucket' }, 'BUCKET "My_Bucket" is not an S3 bucket name'],
    [{ BUCKET: 's3://my-bucket' }, 'BUCKET "s3://my-bucket" is not an S3 bucket name'],
    [{ BUCKET: 'ab' }, 'BUCKET "ab" is not an S3 bucket name'],
    [{ BUCKET: 'my..bucket' }, 'BUCKET "my..bucket" is not an S3 bucket name'],
    [{ BUCKET: 'my-bucket-' }, 'BUCKET "my-bucket-" is not an S3 bucket name'],
    [{ BUCKET: 'my-bucket', PREFIX: 'reports' }, 'PREFIX "reports" does not end with "/"'],
    [{ BUCKET: 'my-bucket', PREFIX: '../' }, 'PREFIX "../" has a "." or ".." path segment'],
    [{ PREFIX: '/x/' }, 'BUCKET is not set; PREFIX "/x/" starts with "/"'],
  ]) {
    assert.throws(() => readConfig(env), { message }, JSON.stringify(env));
  }
});

test('uses path-style URLs when an endpoint URL is set', () => {
  assert.equal(s3ClientConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:5055' }).forcePathStyle, true);
  assert.equal(s3ClientConfig({ AWS_ENDPOINT_URL: 'http://localhost:4566' }).forcePathStyle, true);
  assert.equal(s3ClientConfig({}).forcePathStyle, false);
});

test('a client built from the config sends path-style requests to AWS_ENDPOINT_URL_S3', async (t) => {
  setEnv(t, {
    AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:5055',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_PROFILE: undefined,
  });
  const client = new S3Client(s3ClientConfig(process.env));
  // Catch the request once it is built and signed, instead of sending it.
  let request;
  client.middlewareStack.add((next) => async (args) => {
    request = args.request;
    throw new Error('stop before the network');
  }, { step: 'finalizeRequest', priority: 'low' });

  await assert.rejects(client.send(new GetObjectCommand({ Bucket: 'my-bucket', Key: 'reports/a b.pdf' })),
    /stop before the network/);
  assert.equal(request.hostname, '127.0.0.1');
  assert.equal(request.port, 5055);
  assert.equal(request.path, '/my-bucket/reports/a%20b.pdf');
});

test('index.mjs answers 500 when BUCKET is missing, and logs why at init', async (t) => {
  setEnv(t, { BUCKET: undefined, PREFIX: 'reports/' });
  const consoleError = t.mock.method(console, 'error', () => {});
  const { handler } = await import('../src/index.mjs?missing-bucket');

  assert.equal(consoleError.mock.callCount(), 1);
  assert.match(consoleError.mock.calls[0].arguments[0], /^s3-proxy: configuration error: BUCKET is not set\./);

  const result = await invoke(handler, getEvent('/a.txt'), { context: { awsRequestId: 'req-1' } });
  assert.equal(result.error, null);
  assert.equal(result.statusCode, 500);
  assert.deepEqual(JSON.parse(result.bodyText), { error: 'server misconfigured', requestId: 'req-1' });
});

test('index.mjs starts with a valid environment and checks keys before S3', async (t) => {
  setEnv(t, { BUCKET: 'my-bucket', PREFIX: 'reports/', AWS_REGION: 'us-east-1' });
  const consoleInfo = t.mock.method(console, 'info', () => {});
  const { handler } = await import('../src/index.mjs?valid');

  assert.deepEqual(consoleInfo.mock.calls.map((call) => call.arguments[0]), ['s3-proxy: serving s3://my-bucket/reports/']);
  // Answered without S3: the key is refused first, the method is not allowed.
  assert.equal((await invoke(handler, getEvent('/../secret.txt'))).statusCode, 400);
  assert.equal((await invoke(handler, getEvent('/a.txt', 'POST'))).statusCode, 405);
});

function getEvent(path, method = 'GET') {
  return makeEvent({ method, path });
}

// Sets environment variables (undefined deletes one) until the test ends.
function setEnv(t, values) {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (entries) => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(values);
  t.after(() => apply(saved));
}
