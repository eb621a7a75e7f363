import Anthropic from '@anthropic-ai/sdk';
import { ClientCache } from './client-cache.js';
import { failingClient, malformedResponse, ProviderError, rethrowProviderFailure } from './errors.js';
import { SDK_TIMEOUT_MS } from './openai.js';
import { definedEntries, splitParameters } from './parameters.js';
import { DEFAULT_MAX_TOKENS, type ChatRequest, type ChatResult, type ProviderClient, type ProviderModel } from './types.js';

/** The SDK appends /v1/messages itself: a baseUrl is the origin (plus any proxy prefix), without /v1. */
export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

const RESERVED = new Set(['model', 'messages', 'system', 'stream']);
const sdkClients = new ClientCache<Anthropic>();

function sdkFor(model: ProviderModel, baseURL: string, apiKey: string): Anthropic {
  return sdkClients.get([model.provider, model.id, baseURL, apiKey], () => {
    // Every option given explicitly, so ANTHROPIC_* variables and profiles of the lab's environment never reach a researcher's model.
    return new Anthropic({
      apiKey,
      baseURL,
      webhookKey: null,
      maxRetries: 0,
      // An explicit timeout also skips the SDK's refusal of non-streaming calls with a large max_tokens.
      timeout: SDK_TIMEOUT_MS,
      logLevel: 'off',
      // The lab runs no OpenTelemetry; spans would be work for nothing.
      openTelemetry: false,
    });
  });
}

function bodyTemplate(model: ProviderModel): Record<string, unknown> {
  // Anthropic has no seed: sending one is a 400 on every call, so a seed meant for other providers is left out.
  const { known, extra } = splitParameters(model.parameters, RESERVED);
  return {
    ...extra,
    model: model.modelName,
    ...definedEntries({
      // Required by the API.
      max_tokens: known.maxTokens ?? DEFAULT_MAX_TOKENS,
      temperature: known.temperature,
      top_p: known.topP,
      stop_sequences: known.stop,
    }),
  };
}

/** ANTHROPIC: the Messages API through the official SDK. */
export function createAnthropicClient(model: ProviderModel): ProviderClient {
  if (!model.apiKey) {
    return failingClient(new ProviderError(`model ${model.id}: ANTHROPIC models need an API key; set one on the model`, { retryable: false }));
  }
  const sdk = sdkFor(model, model.baseUrl || ANTHROPIC_BASE_URL, model.apiKey);
  const template = bodyTemplate(model);

  return {
    async complete({ system, prompt, signal }: ChatRequest): Promise<ChatResult> {
      const body = {
        ...template,
        ...(system === null ? {} : { system }),
        messages: [{ role: 'user', content: prompt }],
      } as unknown as Anthropic.MessageCreateParamsNonStreaming;
      let message: unknown;
      try {
        message = await sdk.messages.create(body, { signal });
      } catch (err) {
        rethrowProviderFailure(err, model.apiKey, signal);
      }
      return readMessage(message);
    },
  };
}

/** Output (the text blocks, joined) and usage from a message, checked: a 200 with another shape is a garbled reply. */
function readMessage(message: unknown): ChatResult {
  if (!message || typeof message !== 'object') throw malformedResponse('the body is not a JSON object');
  const { content, usage } = message as { content?: unknown; usage?: Record<string, unknown> | null };
  if (!Array.isArray(content)) throw malformedResponse('no content array');
  let output = '';
  for (const block of content as { type?: unknown; text?: unknown }[]) {
    if (block && block.type === 'text' && typeof block.text === 'string') output += block.text;
  }
  if (!usage || typeof usage !== 'object') throw malformedResponse('no usage');
  return {
    output,
    // Cached prompt tokens are counted apart from input_tokens; all of them are prompt the model read.
    promptTokens: tokenCount(usage.input_tokens) + tokenCount(usage.cache_creation_input_tokens) + tokenCount(usage.cache_read_input_tokens),
    completionTokens: tokenCount(usage.output_tokens),
  };
}

const tokenCount = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);

/** How many SDK clients are cached: tests check that calls reuse them. */
export function cachedAnthropicClients(): number {
  return sdkClients.size;
}
