import * as AnthropicSdk from '@anthropic-ai/sdk';
import * as OpenAiSdk from 'openai';
import type { ProviderClient } from './types.js';

export interface ProviderErrorOptions {
  retryable: boolean;
  status?: number;
  retryAfterMs?: number;
}

/** A failed provider call, classified for the call policy. Its message never holds the model's API key. */
export class ProviderError extends Error {
  /** The provider's HTTP status, when it answered one. */
  readonly status?: number;
  /** True for failures worth another attempt (429, 408, 409, 5xx, timeouts, broken connections, garbled replies). */
  readonly retryable: boolean;
  /** How long the provider asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs?: number;

  constructor(message: string, options: ProviderErrorOptions) {
    super(message);
    this.name = 'ProviderError';
    this.retryable = options.retryable;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

const RETRYABLE_STATUSES = new Set([408, 409, 429]);

/** Node and undici codes of a connection that failed or broke: worth another attempt. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const isStatusRetryable = (status: number) => RETRYABLE_STATUSES.has(status) || status >= 500;

/** Replaces every occurrence of the key, so a provider that echoes it cannot leak it into logs or results. */
export function redactKey(text: string, apiKey: string | null): string {
  return apiKey ? text.split(apiKey).join('[redacted]') : text;
}

/** Milliseconds from `retry-after-ms`, or `retry-after` as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const after = headers.get('retry-after');
  if (after === null || after.trim() === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The provider's own words from an error body: OpenAI's `{error: {message}}` or Anthropic's `{type: 'error', error: {message}}`. */
function providerMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as { message?: unknown; error?: { message?: unknown } };
  if (typeof record.message === 'string' && record.message) return record.message;
  if (record.error && typeof record.error === 'object' && typeof record.error.message === 'string' && record.error.message) {
    return record.error.message;
  }
  return undefined;
}

/** The innermost cause's code and message, where Node puts ECONNREFUSED under undici's "fetch failed". */
function rootCause(err: unknown): { code?: string; message?: string } {
  let current: unknown = err;
  let found: { code?: string; message?: string } = {};
  for (let depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string') found = { code, message: typeof message === 'string' ? message : undefined };
    else if (typeof message === 'string' && !found.code) found = { ...found, message };
    current = cause;
  }
  return found;
}

/** An error page (a proxy's HTML, say) can be long; the first part says enough. */
const truncate = (text: string, max = 1000) => (text.length > max ? `${text.slice(0, max)}…` : text);

const isAbortError = (err: unknown) => err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');

/** Classifies what an SDK call threw; callers use rethrowProviderFailure, so their own abort surfaces as signal.reason instead. */
export function toProviderError(err: unknown, apiKey: string | null): ProviderError {
  if (err instanceof ProviderError) return err;
  // Redacted before truncated, so a cut can never leave part of the key behind.
  const make = (message: string, options: ProviderErrorOptions) => new ProviderError(truncate(redactKey(message, apiKey)), options);

  if (err instanceof OpenAiSdk.APIUserAbortError || err instanceof AnthropicSdk.APIUserAbortError || isAbortError(err)) {
    return make('the provider request was aborted before it completed (timed out)', { retryable: true });
  }
  if (err instanceof OpenAiSdk.APIConnectionTimeoutError || err instanceof AnthropicSdk.APIConnectionTimeoutError) {
    return make('the provider request timed out', { retryable: true });
  }
  if (err instanceof OpenAiSdk.APIError || err instanceof AnthropicSdk.APIError) {
    const status = typeof err.status === 'number' ? err.status : undefined;
    if (status === undefined) {
      const cause = rootCause(err.cause);
      const detail = cause.message || cause.code || err.message;
      return make(`cannot reach the provider: ${detail}`, { retryable: true });
    }
    const said = providerMessage(err.error);
    const message = said ? `${status} ${said}` : err.message;
    const retryAfterMs = parseRetryAfter(err.headers ?? undefined);
    return make(message, { status, retryable: isStatusRetryable(status), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (err instanceof SyntaxError) {
    return make(`the provider sent a malformed response: ${err.message}`, { retryable: true });
  }
  const cause = rootCause(err);
  if ((cause.code && CONNECTION_CODES.has(cause.code)) || (err instanceof TypeError && err.message === 'fetch failed')) {
    return make(`cannot reach the provider: ${cause.message || cause.code || 'fetch failed'}`, { retryable: true });
  }
  const message = err instanceof Error ? err.message : String(err);
  return make(`the provider call failed: ${message}`, { retryable: false });
}

/** A provider's HTTP error answer (for clients on plain HTTP): its status, its own message, its Retry-After. */
export function httpStatusError(status: number, headers: Record<string, string | string[] | undefined>, body: string, apiKey: string | null): ProviderError {
  let said: string | undefined;
  try {
    said = providerMessage(JSON.parse(body));
  } catch {
    said = body.trim() || undefined;
  }
  const header = (name: string) => {
    const value = headers[name];
    return (Array.isArray(value) ? value[0] : value) ?? null;
  };
  const retryAfterMs = parseRetryAfter({ get: header });
  return new ProviderError(truncate(redactKey(said ? `${status} ${said}` : `${status} status code (no body)`, apiKey)), {
    status,
    retryable: isStatusRetryable(status),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** What a client throws when its SDK call fails: the caller's abort reason as is, anything else classified. */
export function rethrowProviderFailure(err: unknown, apiKey: string | null, signal: AbortSignal): never {
  if (signal.aborted) throw signal.reason;
  throw toProviderError(err, apiKey);
}

/** A reply that parsed but lacks what every reply of that API carries. */
export function malformedResponse(what: string): ProviderError {
  return new ProviderError(`the provider sent a malformed response: ${what}`, { retryable: true });
}

/** A client for a model that cannot work as configured: every call fails at once with the same fatal error. */
export function failingClient(error: ProviderError): ProviderClient {
  return {
    complete: async ({ signal }) => {
      if (signal.aborted) throw signal.reason;
      throw error;
    },
  };
}
