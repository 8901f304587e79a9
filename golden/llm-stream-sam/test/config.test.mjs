// Tests of the limits read at init (src/config.mjs) and of how src/index.mjs
// starts with a broken environment. No network.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DEFAULT_LIMITS, readLimits } from '../src/config.mjs';
import { invoke } from '../src/streamify.mjs';
import { makeEvent } from '../events/make-event.mjs';

test('without settings the defaults apply', () => {
  assert.deepEqual(readLimits({}), { maxBodyBytes: 65536, maxTokensCeiling: 2048, defaultMaxTokens: 512, timeMarginMs: 3000 });
  assert.deepEqual(readLimits({ MAX_BODY_BYTES: '', TIME_MARGIN_MS: ' ' }), DEFAULT_LIMITS);
});

test('reads every limit', () => {
  assert.deepEqual(readLimits({
    MAX_BODY_BYTES: '16384', MAX_TOKENS_CEILING: '4096', DEFAULT_MAX_TOKENS: '1024', TIME_MARGIN_MS: '0',
  }), { maxBodyBytes: 16384, maxTokensCeiling: 4096, defaultMaxTokens: 1024, timeMarginMs: 0 });
});

test('a ceiling below the built-in default lowers the default', () => {
  assert.equal(readLimits({ MAX_TOKENS_CEILING: '256' }).defaultMaxTokens, 256);
});

test('names every problem with the limits', () => {
  for (const [env, message] of [
    [{ MAX_BODY_BYTES: '64k' }, 'MAX_BODY_BYTES "64k" is not a whole number from 1 to 6291456'],
    [{ MAX_BODY_BYTES: '0' }, 'MAX_BODY_BYTES "0" is not a whole number from 1 to 6291456'],
    [{ MAX_BODY_BYTES: '10000000' }, 'MAX_BODY_BYTES "10000000" is not a whole number from 1 to 6291456'],
    [{ MAX_TOKENS_CEILING: '-1' }, 'MAX_TOKENS_CEILING "-1" is not a whole number from 1 to 1000000'],
    [{ DEFAULT_MAX_TOKENS: '1.5' }, 'DEFAULT_MAX_TOKENS "1.5" is not a whole number from 1 to 1000000'],
    [{ TIME_MARGIN_MS: '3s' }, 'TIME_MARGIN_MS "3s" is not a whole number from 0 to 900000'],
    [{ MAX_TOKENS_CEILING: '100', DEFAULT_MAX_TOKENS: '200' }, 'DEFAULT_MAX_TOKENS (200) is above MAX_TOKENS_CEILING (100)'],
    [{ MAX_BODY_BYTES: 'x', TIME_MARGIN_MS: 'y' },
      'MAX_BODY_BYTES "x" is not a whole number from 1 to 6291456; TIME_MARGIN_MS "y" is not a whole number from 0 to 900000'],
  ]) {
    assert.throws(() => readLimits(env), { message }, JSON.stringify(env));
  }
});

test('a broken environment makes every request answer 500, with one log line saying why', async (t) => {
  setEnv(t, { MODEL_ID: undefined, MAX_BODY_BYTES: 'lots' });
  const errors = [];
  t.mock.method(console, 'error', (line) => errors.push(String(line)));
  // A query string loads a fresh copy of the module, which reads the environment anew.
  const { handler } = await import(`../src/index.mjs?broken=${Date.now()}`);
  assert.match(errors.find((line) => line.startsWith('llm-stream:')), /^llm-stream: configuration error: .*MAX_BODY_BYTES "lots".*MODEL_ID is not set/);

  const event = makeEvent({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"Hi"}' });
  const result = await invoke(handler, event, { context: { awsRequestId: 'r1' } });
  assert.equal(result.statusCode, 500);
  assert.deepEqual(JSON.parse(result.bodyText), { error: 'server misconfigured', requestId: 'r1' });
});

// Sets environment variables for one test (undefined deletes one), and
// restores them afterwards.
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
