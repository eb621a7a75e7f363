import { createAnthropicClient } from './anthropic.js';
import { createEchoClient } from './echo.js';
import { createOpenAiClient } from './openai.js';
import { createOpenAiHttpClient } from './openai-http.js';
import type { ProviderClient, ProviderModel } from './types.js';

export type { ChatRequest, ChatResult, ProviderClient, ProviderModel } from './types.js';
export { DEFAULT_MAX_TOKENS } from './types.js';
export { ProviderError, toProviderError, parseRetryAfter, redactKey, type ProviderErrorOptions } from './errors.js';
export { CallPolicies, CircuitOpenError, type CallPolicy, type CallPolicyOptions } from './resilience.js';
export { createRequestRateLimiter, type RequestRateLimiter } from './rate-limit.js';

/** The client for a model's provider. Cheap to call per task: the SDK clients behind it are cached and reused. */
export function createProviderClient(model: ProviderModel): ProviderClient {
  switch (model.provider) {
    case 'OPENAI':
      return createOpenAiClient(model);
    case 'OPENAI_COMPATIBLE':
      return createOpenAiHttpClient(model);
    case 'ANTHROPIC':
      return createAnthropicClient(model);
    case 'ECHO':
      return createEchoClient(model);
    default: {
      const unknown: never = model.provider;
      throw new Error(`no provider client for provider kind ${String(unknown)}`);
    }
  }
}
