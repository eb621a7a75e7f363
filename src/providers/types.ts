import type { ProviderKind } from '../modules/models/provider-kind.js';

/** A model as a provider client needs it: taken from the run's snapshot, the API key already opened. */
export interface ProviderModel {
  /** The lab's model id: the key of its circuit breaker and its shared rate limit. */
  id: string;
  provider: ProviderKind;
  modelName: string;
  baseUrl: string | null;
  /** Plain text; never logged, never part of an error message. */
  apiKey: string | null;
  /** temperature, maxTokens, topP, stop, seed; other keys pass through to the provider's request body. */
  parameters: Record<string, unknown>;
}

/** One chat call: an optional system prompt and one user message. */
export interface ChatRequest {
  system: string | null;
  prompt: string;
  /** Aborts the call (cancelRun, lost lease, worker stopping, the policy's timeout). */
  signal: AbortSignal;
}

export interface ChatResult {
  output: string;
  promptTokens: number;
  completionTokens: number;
}

export interface ProviderClient {
  complete(request: ChatRequest): Promise<ChatResult>;
}

/** Completion tokens asked for when a model sets no maxTokens; budgets reserve this many. */
export const DEFAULT_MAX_TOKENS = 1024;
