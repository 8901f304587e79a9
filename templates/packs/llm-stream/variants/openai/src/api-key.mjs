// The API key of the OpenAI-compatible endpoint, read once at init from an
// SSM Parameter Store SecureString. It is never taken from a plain
// environment variable (which anyone allowed to read the function's
// configuration could see), never logged, and never part of an error message.

import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

/**
 * Reads the SecureString parameter `parameterName` (a name such as
 * /my-app/openai-api-key, or its ARN) and returns its decrypted value.
 * `client` is anything with send(command), such as an SSMClient (the default).
 * Throws an Error that names the parameter and the cause, never the value.
 */
export async function loadApiKey({ parameterName, client = new SSMClient({}) }) {
  let output;
  try {
    output = await client.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }));
  } catch (error) {
    const hint = {
      ParameterNotFound: 'it does not exist (create it as a SecureString)',
      AccessDeniedException: 'the function is not allowed to read it (ssm:GetParameter, and kms:Decrypt for a customer managed key)',
    }[error.name] ?? `${error.name}`;
    throw new Error(`could not read SSM parameter ${parameterName}: ${hint}`, { cause: error });
  }
  const parameter = output?.Parameter;
  if (parameter?.Type !== 'SecureString') {
    throw new Error(`SSM parameter ${parameterName} is a ${parameter?.Type ?? 'parameter of unknown type'}, ` +
      'not a SecureString: store the key encrypted');
  }
  const key = typeof parameter.Value === 'string' ? parameter.Value.trim() : '';
  if (key === '') throw new Error(`SSM parameter ${parameterName} is empty`);
  // The key goes into an HTTP header: spaces or control characters there
  // mean a pasting mistake, and fetch() would refuse them later anyway.
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw new Error(`SSM parameter ${parameterName} does not hold an API key (it has spaces or non-ASCII characters)`);
  }
  return key;
}
