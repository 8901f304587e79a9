// Tests of the key and prefix rules in src/keys.mjs. (test/proxy.test.mjs
// checks that a refused key answers 400 without calling S3.)

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { keyFromPath, MAX_KEY_BYTES, prefixProblem } from '../src/keys.mjs';

test('maps a path to a key under the prefix', () => {
  assert.deepEqual(keyFromPath('/reports/2024/summary.pdf', 'public/'), { key: 'public/reports/2024/summary.pdf' });
  assert.deepEqual(keyFromPath('/reports/2024/summary.pdf', ''), { key: 'reports/2024/summary.pdf' });
  assert.deepEqual(keyFromPath('/a%20b/%E2%82%AC.txt', 'p/'), { key: 'p/a b/€.txt' });
  assert.deepEqual(keyFromPath('/a%2Fb', 'p/'), { key: 'p/a/b' });
  assert.deepEqual(keyFromPath('/100%25+more.txt', 'p/'), { key: 'p/100%+more.txt' });
  assert.deepEqual(keyFromPath('/a//b', 'p/'), { key: 'p/a//b' });
});

test('says why a key is refused', () => {
  for (const [path, problem] of [
    ['/', 'is empty'],
    ['//x', 'starts with "/"'],
    ['/%2Fx', 'starts with "/"'],
    ['/%E0%A4%A', 'has malformed percent-encoding'],
    ['/%252e%252e', 'is percent-encoded twice'],
    ['/a%00', 'contains a control character'],
    ['/a\\b', 'contains a backslash'],
    ['/a/%2e%2e/b', 'has a "." or ".." path segment'],
    ['/./b', 'has a "." or ".." path segment'],
    [`/${'x'.repeat(MAX_KEY_BYTES)}`, 'is longer than 1024 bytes with the prefix'],
  ]) {
    assert.deepEqual(keyFromPath(path, 'p/'), { problem }, path);
  }
});

test('the 1024-byte limit counts the prefix and UTF-8 bytes', () => {
  const prefix = 'p/'; // 2 bytes
  assert.ok(keyFromPath(`/${'€'.repeat(340)}xx`, prefix).key); // 1020 + 2 + 2 = 1024 bytes
  assert.ok(keyFromPath(`/${'€'.repeat(340)}xxx`, prefix).problem); // 1025 bytes
  assert.ok(keyFromPath(`/${'x'.repeat(1022)}`, prefix).key);
  assert.ok(keyFromPath(`/${'x'.repeat(1023)}`, prefix).problem);
});

test('a lone surrogate is not a key', () => {
  assert.deepEqual(keyFromPath('/a\uD800b', ''), { problem: 'is not valid Unicode' });
});

test('accepts empty and folder prefixes', () => {
  for (const prefix of ['', 'public/', 'a/b/c/', 'reports-2024/', 'caf\u00e9/']) {
    assert.equal(prefixProblem(prefix), undefined, prefix);
  }
});

test('refuses prefixes that are not plain folders', () => {
  for (const [prefix, problem] of [
    ['public', 'does not end with "/"'],
    ['/public/', 'starts with "/"'],
    ['/', 'starts with "/"'],
    ['a//b/', 'contains "//"'],
    ['../', 'has a "." or ".." path segment'],
    ['a/./', 'has a "." or ".." path segment'],
    ['a\\b/', 'contains a backslash'],
    ['a\nb/', 'contains a control character'],
    [`${'x'.repeat(MAX_KEY_BYTES - 1)}/`, 'is 1024 bytes or longer'],
  ]) {
    assert.equal(prefixProblem(prefix), problem, JSON.stringify(prefix));
  }
});
