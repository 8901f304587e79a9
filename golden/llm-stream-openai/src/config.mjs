// Request limits from the environment, which the SAM template or CDK stack
// sets. Each is optional:
//   MAX_BODY_BYTES      largest request body, in bytes, after base64 decoding (65536)
//   MAX_TOKENS_CEILING  the most output tokens a caller may ask for (2048)
//   DEFAULT_MAX_TOKENS  the output token cap when the caller names none (512,
//                       or MAX_TOKENS_CEILING if that is lower)
//   TIME_MARGIN_MS      time kept back from the function timeout: the model
//                       call is stopped this long before Lambda would stop
//                       the function, so the answer can still end cleanly (3000)
// The model settings (MODEL_ID and the like) are read by src/provider.mjs.

export const DEFAULT_LIMITS = Object.freeze({
  maxBodyBytes: 65536,
  maxTokensCeiling: 2048,
  defaultMaxTokens: 512,
  timeMarginMs: 3000,
});

// Lambda accepts request payloads up to 6 MB; a larger limit would
// never apply. 15 minutes is the longest a function may run.
const VARIABLES = [
  ['MAX_BODY_BYTES', 'maxBodyBytes', 1, 6 * 1024 * 1024],
  ['MAX_TOKENS_CEILING', 'maxTokensCeiling', 1, 1_000_000],
  ['DEFAULT_MAX_TOKENS', 'defaultMaxTokens', 1, 1_000_000],
  ['TIME_MARGIN_MS', 'timeMarginMs', 0, 900_000],
];

/**
 * Reads { maxBodyBytes, maxTokensCeiling, defaultMaxTokens, timeMarginMs }
 * from `env`. Throws an Error whose message names every problem, e.g.
 * 'MAX_BODY_BYTES "64k" is not a whole number from 1 to 6291456'.
 */
export function readLimits(env) {
  const limits = { ...DEFAULT_LIMITS };
  const problems = [];
  for (const [name, key, min, max] of VARIABLES) {
    const raw = (env[name] ?? '').trim();
    if (raw === '') continue;
    const value = /^[0-9]{1,10}$/.test(raw) ? Number(raw) : NaN;
    if (!(value >= min && value <= max)) {
      problems.push(`${name} ${JSON.stringify(env[name])} is not a whole number from ${min} to ${max}`);
      continue;
    }
    limits[key] = value;
  }
  if (problems.length === 0 && limits.defaultMaxTokens > limits.maxTokensCeiling) {
    // Only a default someone chose is an error; the built-in one gives way.
    if ((env.DEFAULT_MAX_TOKENS ?? '').trim() === '') limits.defaultMaxTokens = limits.maxTokensCeiling;
    else problems.push(`DEFAULT_MAX_TOKENS (${limits.defaultMaxTokens}) is above MAX_TOKENS_CEILING (${limits.maxTokensCeiling})`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return limits;
}
