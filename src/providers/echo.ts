import { failingClient, ProviderError } from './errors.js';
import { countWords } from './parameters.js';
import { sleep } from './sleep.js';
import type { ChatRequest, ChatResult, ProviderClient, ProviderModel } from './types.js';

/** ECHO: offline and deterministic, to try the lab without a provider; parameters.latencyMs simulates a slow one. */
export function createEchoClient(model: ProviderModel): ProviderClient {
  const latencyMs = model.parameters.latencyMs ?? 0;
  if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0) {
    return failingClient(
      new ProviderError(`model ${model.id}: parameters.latencyMs must be a non-negative number of milliseconds (got ${JSON.stringify(latencyMs)})`, {
        retryable: false,
      }),
    );
  }
  return {
    async complete({ system, prompt, signal }: ChatRequest): Promise<ChatResult> {
      if (signal.aborted) throw signal.reason;
      if (latencyMs > 0) await sleep(latencyMs, signal);
      const completionTokens = countWords(prompt);
      return { output: prompt, promptTokens: countWords(system) + completionTokens, completionTokens };
    },
  };
}
