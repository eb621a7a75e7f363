import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CallPolicies, createProviderClient, parseRetryAfter, ProviderError, redactKey, toProviderError, type ProviderModel } from '../../src/providers/index.js';
import { startFakeLlmServer, type FakeLlmServer } from '../helpers/fake-llm-server.js';

const KEY = 'sk-proj-SECRET0123456789abcdef';

let server: FakeLlmServer;
beforeAll(async () => {
  server = await startFakeLlmServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.set({ fault: undefined, latencyMs: 0 });
  server.reset();
});

const live = () => new AbortController().signal;
const openAiModel = (overrides: Partial<ProviderModel> = {}): ProviderModel => ({
  id: `model-${Math.random().toString(36).slice(2)}`,
  provider: 'OPENAI',
  modelName: 'gpt-test',
  baseUrl: server.url,
  apiKey: KEY,
  parameters: {},
  ...overrides,
});

/** Fast retries, a short timeout, a breaker that stays shut: each test sees classification only. */
const policies = () => new CallPolicies({ timeoutMs: 300, maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20, breakerThreshold: 100, halfOpenAfterMs: 1_000 });

async function callThroughPolicy(model: ProviderModel = openAiModel()) {
  const client = createProviderClient(model);
  const signal = live();
  return policies()
    .forModel(model.id)
    .execute((attemptSignal) => client.complete({ system: null, prompt: 'question', signal: attemptSignal }), signal);
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('error classification over HTTP', () => {
  it('fails a 401 at once, in the provider’s words, with the key redacted even when the provider echoes it', async () => {
    server.set({ fault: () => ({ status: 401, message: `Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com/account/api-keys.` }) });
    const failure = await callThroughPolicy().catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ status: 401, retryable: false });
    expect((failure as Error).message).toMatch(/^401 Incorrect API key provided: /);
    expect((failure as Error).message).not.toContain(KEY);
    expect(JSON.stringify(failure)).not.toContain(KEY);
    expect(server.calls()).toBe(1);
  });

  it('keeps OpenAI’s masked key as it is', async () => {
    server.set({ fault: () => ({ status: 401 }) });
    await expect(callThroughPolicy()).rejects.toMatchObject({ message: '401 Incorrect API key provided: sk-...xyz.' });
  });

  it.each([400, 403, 404] as const)('does not retry a %i', async (status) => {
    server.set({ fault: () => ({ status, message: `refused with ${status}` }) });
    await expect(callThroughPolicy()).rejects.toMatchObject({ status, retryable: false, message: `${status} refused with ${status}` });
    expect(server.calls()).toBe(1);
  });

  it.each([500, 502, 503] as const)('retries a %i and returns the answer that follows', async (status) => {
    server.set({ fault: (call) => (call <= 2 ? { status } : null) });
    await expect(callThroughPolicy()).resolves.toMatchObject({ output: 'question' });
    expect(server.calls()).toBe(3);
  });

  it('gives up after maxAttempts with the last provider error', async () => {
    server.set({ fault: (call) => ({ status: 500, message: `failure ${call}` }) });
    await expect(callThroughPolicy()).rejects.toMatchObject({ status: 500, retryable: true, message: '500 failure 3' });
    expect(server.calls()).toBe(3);
  });

  it('retries a 429 no sooner than its Retry-After', async () => {
    server.set({ fault: (call) => (call === 1 ? { status: 429, retryAfterSeconds: 1 } : null) });
    const started = Date.now();
    await expect(callThroughPolicy()).resolves.toMatchObject({ output: 'question' });
    const waited = Date.now() - started;
    // Backoff alone would be under 20 ms.
    expect(waited).toBeGreaterThanOrEqual(990);
    expect(waited).toBeLessThan(2_500);
    expect(server.calls()).toBe(2);
  });

  it('retries an attempt that times out, and the abandoned request is closed', async () => {
    server.set({ fault: (call) => (call === 1 ? { kind: 'timeout' } : null) });
    const started = Date.now();
    await expect(callThroughPolicy()).resolves.toMatchObject({ output: 'question' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(server.calls()).toBe(2);
    await expect.poll(() => server.inFlight()).toBe(0);
  });

  it('says a timed-out attempt timed out when attempts run out', async () => {
    server.set({ fault: () => ({ kind: 'timeout' }) });
    const model = openAiModel();
    const client = createProviderClient(model);
    const policy = new CallPolicies({ timeoutMs: 80, maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 20, breakerThreshold: 100, halfOpenAfterMs: 1_000 });
    const call = policy.forModel(model.id).execute((signal) => client.complete({ system: null, prompt: 'q', signal }), live());
    await expect(call).rejects.toMatchObject({ retryable: true, message: expect.stringMatching(/did not answer within 80 ms/) });
    expect(server.calls()).toBe(2);
  });

  it('retries a 200 whose body is not JSON', async () => {
    server.set({ fault: (call) => (call === 1 ? { kind: 'malformed' } : null) });
    await expect(callThroughPolicy()).resolves.toMatchObject({ output: 'question' });
    expect(server.calls()).toBe(2);
  });

  it('classifies a malformed body as retryable with a clear message', async () => {
    server.set({ fault: () => ({ kind: 'malformed' }) });
    const failure = await createProviderClient(openAiModel())
      .complete({ system: null, prompt: 'q', signal: live() })
      .catch((err: unknown) => err);
    expect(failure).toMatchObject({ retryable: true, message: expect.stringMatching(/malformed response/) });
  });

  it('treats a refused connection as retryable', async () => {
    const port = await closedPort();
    const model = openAiModel({ provider: 'OPENAI_COMPATIBLE', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: null });
    const failure = await createProviderClient(model)
      .complete({ system: null, prompt: 'q', signal: live() })
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ retryable: true, message: expect.stringMatching(/cannot reach the provider: .*ECONNREFUSED/) });
  });
});

describe('toProviderError and its helpers', () => {
  it('reads Retry-After as seconds or an HTTP date, and retry-after-ms first', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const headers = (entries: Record<string, string>) => new Headers(entries);
    expect(parseRetryAfter(headers({ 'retry-after': '3' }), now)).toBe(3_000);
    expect(parseRetryAfter(headers({ 'retry-after': '0.25' }), now)).toBe(250);
    expect(parseRetryAfter(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(5_000);
    expect(parseRetryAfter(headers({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now)).toBe(1_500);
    expect(parseRetryAfter(headers({ 'retry-after': 'whenever' }), now)).toBeUndefined();
    expect(parseRetryAfter(headers({}), now)).toBeUndefined();
  });

  it('redacts every occurrence of the key', () => {
    expect(redactKey(`a ${KEY} b ${KEY}`, KEY)).toBe('a [redacted] b [redacted]');
    expect(redactKey('nothing here', null)).toBe('nothing here');
  });

  it('never lets a truncated message keep part of the key', () => {
    // Messages are cut at 1000 characters; this key starts 10 characters before the cut.
    const filler = 'x'.repeat(1000 - 'the provider call failed: '.length - 10);
    const err = toProviderError(new Error(`${filler}${KEY}`), KEY);
    expect(err.message).toContain(`${filler}[redacted]`);
    expect(err.message).not.toContain(KEY.slice(0, 8));
  });

  it('retries connection codes and leaves unknown errors fatal', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' }) });
    expect(toProviderError(refused, null)).toMatchObject({ retryable: true, message: 'cannot reach the provider: connect ECONNRESET' });
    expect(toProviderError(new Error('something else'), null)).toMatchObject({ retryable: false });
  });
});
