import OpenAI from 'openai';
import { ClientCache } from './client-cache.js';
import { failingClient, malformedResponse, ProviderError, rethrowProviderFailure } from './errors.js';
import { definedEntries, splitParameters } from './parameters.js';
import { DEFAULT_MAX_TOKENS, type ChatRequest, type ChatResult, type ProviderClient, type ProviderModel } from './types.js';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** Sent as the key to servers that want none (vLLM, Ollama): the SDK refuses to build a client without one. */
const NO_KEY = 'not-needed';
/** The SDK's own timeout stays out of the way: the call policy times attempts out by aborting their signal. */
export const SDK_TIMEOUT_MS = 60 * 60_000;

const RESERVED = new Set(['model', 'messages', 'stream']);
const sdkClients = new ClientCache<OpenAI>();

function sdkFor(model: ProviderModel, baseURL: string, apiKey: string): OpenAI {
  return sdkClients.get([model.provider, model.id, baseURL, apiKey], () => {
    // Every option given explicitly, so OPENAI_* variables of the lab's own environment never reach a researcher's model.
    return new OpenAI({
      apiKey,
      baseURL,
      organization: null,
      project: null,
      webhookSecret: null,
      adminAPIKey: null,
      maxRetries: 0,
      timeout: SDK_TIMEOUT_MS,
      logLevel: 'off',
    });
  });
}

/** The request body less the messages: the model's parameters mapped once, not per call. */
export function bodyTemplate(model: ProviderModel): Record<string, unknown> {
  const { known, extra } = splitParameters(model.parameters, RESERVED);
  return {
    ...extra,
    model: model.modelName,
    ...definedEntries({
      temperature: known.temperature,
      // Always capped: budgets reserve maxTokens (or DEFAULT_MAX_TOKENS) per call, so a reply must not run past it.
      max_tokens: known.maxTokens ?? DEFAULT_MAX_TOKENS,
      top_p: known.topP,
      stop: known.stop,
      seed: known.seed,
    }),
  };
}

/** OPENAI and OPENAI_COMPATIBLE: chat completions through the official SDK. */
export function createOpenAiClient(model: ProviderModel): ProviderClient {
  const compatible = model.provider === 'OPENAI_COMPATIBLE';
  if (compatible && !model.baseUrl) {
    return failingClient(new ProviderError(`model ${model.id}: OPENAI_COMPATIBLE models need a baseUrl, e.g. http://localhost:8000/v1`, { retryable: false }));
  }
  if (!compatible && !model.apiKey) {
    return failingClient(new ProviderError(`model ${model.id}: OPENAI models need an API key; set one on the model`, { retryable: false }));
  }
  const sdk = sdkFor(model, model.baseUrl || OPENAI_BASE_URL, model.apiKey || NO_KEY);
  const template = bodyTemplate(model);

  return {
    async complete({ system, prompt, signal }: ChatRequest): Promise<ChatResult> {
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] =
        system === null ? [{ role: 'user', content: prompt }] : [{ role: 'system', content: system }, { role: 'user', content: prompt }];
      const body = { ...template, messages } as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
      let completion: unknown;
      try {
        completion = await sdk.chat.completions.create(body, { signal });
      } catch (err) {
        rethrowProviderFailure(err, model.apiKey, signal);
      }
      return readCompletion(completion);
    },
  };
}

/** Output and usage from a chat completion, checked: a 200 with another shape is a garbled reply, worth another attempt. */
export function readCompletion(completion: unknown): ChatResult {
  if (!completion || typeof completion !== 'object') malformed('the body is not a JSON object');
  const { choices, usage } = completion as { choices?: unknown; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null };
  if (!Array.isArray(choices) || choices.length === 0) malformed('no choices');
  const message = (choices[0] as { message?: { content?: unknown } } | null)?.message;
  if (!message || typeof message !== 'object') malformed('choices[0] has no message');
  const content = message.content;
  if (content !== null && content !== undefined && typeof content !== 'string') malformed('choices[0].message.content is not a string');
  return {
    // null content is a legitimate empty answer (a refusal, say), not a fault.
    output: content ?? '',
    promptTokens: tokenCount(usage?.prompt_tokens),
    completionTokens: tokenCount(usage?.completion_tokens),
  };
}

/** Some OpenAI-compatible servers omit usage; 0 then, rather than failing an answer that arrived. */
const tokenCount = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);

function malformed(what: string): never {
  throw malformedResponse(what);
}

/** How many SDK clients are cached: tests check that calls reuse them. */
export function cachedOpenAiClients(): number {
  return sdkClients.size;
}
