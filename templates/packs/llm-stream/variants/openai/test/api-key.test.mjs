// Tests of reading the API key from SSM Parameter Store (src/api-key.mjs),
// with a fake SSM client that records each command. No network.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GetParameterCommand, ParameterNotFound, SSMServiceException } from '@aws-sdk/client-ssm';

import { loadApiKey } from '../src/api-key.mjs';

const NAME = '/my-app/openai-api-key';
const KEY = 'sk-proj-abcdefghijklmnop0123456789';

// A stand-in for SSMClient: answers GetParameter with `parameter`, or throws `error`.
function fakeSsm({ parameter = { Name: NAME, Type: 'SecureString', Value: KEY, Version: 1 }, error } = {}) {
  const commands = [];
  return {
    commands,
    async send(command) {
      commands.push(command);
      if (error) throw error;
      return { $metadata: { httpStatusCode: 200 }, Parameter: parameter };
    },
  };
}

function ssmError(name, message) {
  return new SSMServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

// Runs `fn` with every console method recorded, and returns what it logged.
async function consoleOutput(t, fn) {
  const lines = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug']) {
    t.mock.method(console, method, (...args) => lines.push(args.map(String).join(' ')));
  }
  try {
    await fn();
  } catch (error) {
    lines.push(`${error.message} ${error.stack}`);
  }
  return lines.join('\n');
}

test('reads the SecureString parameter, decrypted', async () => {
  const ssm = fakeSsm();
  assert.equal(await loadApiKey({ parameterName: NAME, client: ssm }), KEY);
  assert.equal(ssm.commands.length, 1);
  assert.ok(ssm.commands[0] instanceof GetParameterCommand);
  assert.deepEqual(ssm.commands[0].input, { Name: NAME, WithDecryption: true });
});

test('trims a trailing newline left by pasting the key', async () => {
  const ssm = fakeSsm({ parameter: { Name: NAME, Type: 'SecureString', Value: `${KEY}\n` } });
  assert.equal(await loadApiKey({ parameterName: NAME, client: ssm }), KEY);
});

test('refuses a plain String parameter: the key must be stored encrypted', async () => {
  const ssm = fakeSsm({ parameter: { Name: NAME, Type: 'String', Value: KEY } });
  await assert.rejects(loadApiKey({ parameterName: NAME, client: ssm }), {
    message: `SSM parameter ${NAME} is a String, not a SecureString: store the key encrypted`,
  });
});

test('refuses an empty value, or one that is not a key', async () => {
  for (const value of ['', '  \n', 'sk-one two', 'sk-ключ']) {
    const ssm = fakeSsm({ parameter: { Name: NAME, Type: 'SecureString', Value: value } });
    await assert.rejects(loadApiKey({ parameterName: NAME, client: ssm }), new RegExp(`SSM parameter ${NAME} (is empty|does not hold an API key)`), JSON.stringify(value));
  }
});

test('says what to fix when the parameter is missing or not readable', async () => {
  await assert.rejects(loadApiKey({
    parameterName: NAME,
    client: fakeSsm({ error: new ParameterNotFound({ $metadata: {}, message: '' }) }),
  }), { message: `could not read SSM parameter ${NAME}: it does not exist (create it as a SecureString)` });

  await assert.rejects(loadApiKey({
    parameterName: NAME,
    client: fakeSsm({ error: ssmError('AccessDeniedException', 'User is not authorized to perform ssm:GetParameter') }),
  }), { message: /could not read SSM parameter \/my-app\/openai-api-key: the function is not allowed to read it \(ssm:GetParameter/ });

  const throttled = ssmError('ThrottlingException', 'Rate exceeded');
  await assert.rejects(loadApiKey({ parameterName: NAME, client: fakeSsm({ error: throttled }) }),
    { message: `could not read SSM parameter ${NAME}: ThrottlingException`, cause: throttled });
});

test('never logs the key, nor puts it in an error', async (t) => {
  const output = await consoleOutput(t, async () => {
    await loadApiKey({ parameterName: NAME, client: fakeSsm() });
    await loadApiKey({ parameterName: NAME, client: fakeSsm({ parameter: { Name: NAME, Type: 'String', Value: KEY } }) });
  });
  assert.match(output, /not a SecureString/); // the failure was captured...
  assert.doesNotMatch(output, /sk-proj/); // ...without the key
});
