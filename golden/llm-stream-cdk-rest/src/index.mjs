// llm-stream: streams a model's answer to the caller as Server-Sent Events,
// token by token, with guards on cost: a body size limit, an output token
// ceiling, a time budget, and an abort when the caller can no longer read.
//
// The request logic is in chat.mjs, the model API in provider.mjs. This file
// only wires them up, once per execution environment (cold start), so the
// model client and its connections are reused by every request.

import { createChatHandler, createMisconfiguredHandler, createStartupRetryHandler } from './chat.mjs';
import { readLimits } from './config.mjs';
import { readProviderConfig, startProvider } from './provider.mjs';
import { streamifyResponse } from './streamify.mjs';

export const handler = streamifyResponse(await init(process.env));

async function init(env) {
  const problems = [];
  let limits;
  let providerConfig;
  try {
    limits = readLimits(env);
  } catch (error) {
    problems.push(error.message);
  }
  try {
    providerConfig = readProviderConfig(env);
  } catch (error) {
    problems.push(error.message);
  }
  if (problems.length > 0) {
    // Throwing here would make Lambda retry the init on every request and
    // answer each with a bare 502. Instead the function answers 500 with a
    // short JSON error, and this line says what to fix.
    const reason = problems.join('; ');
    console.error(`llm-stream: configuration error: ${reason}. ` +
      'Every request answers 500 until the environment variables are fixed.');
    return createMisconfiguredHandler({ reason });
  }

  // Starting the provider may call AWS (the openai provider reads its API
  // key from SSM). That can fail for a while (throttling, a missing
  // permission or parameter fixed later), so it is retried on later requests
  // instead of leaving this environment broken for good.
  const start = async () => {
    const provider = await startProvider(providerConfig);
    console.info(`llm-stream: ${provider.name} model ${provider.model}; limits ${JSON.stringify(limits)}`);
    return createChatHandler({ provider, limits });
  };
  try {
    return await start();
  } catch (error) {
    console.error(`llm-stream: the model provider did not start: ${error.message}. ` +
      'Requests answer 503 while the start is retried.');
    return createStartupRetryHandler({ start, failure: error });
  }
}
