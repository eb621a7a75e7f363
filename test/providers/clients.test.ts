import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cachedAnthropicClients } from '../../src/providers/anthropic.js';
import { createProviderClient, DEFAULT_MAX_TOKENS, ProviderError, type ProviderModel } from '../../src/providers/index.js';
import { cachedOpenAiClients } from '../../src/providers/openai.js';
import { startFakeLlmServer, type FakeLlmServer } from '../helpers/fake-llm-server.js';

let server: FakeLlmServer;
beforeAll(async () => {
  server = await startFakeLlmServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.set({ fault: undefined, reply: undefined, promptTokens: undefined, completionTokens: undefined, latencyMs: 0 });
  server.reset();
});

const live = () => new AbortController().signal;
const model = (overrides: Partial<ProviderModel>): ProviderModel => ({
  id: `model-${Math.random().toString(36).slice(2)}`,
  provider: 'OPENAI_COMPATIBLE',
  modelName: 'fake-model',
  baseUrl: server.url,
  apiKey: null,
  parameters: {},
  ...overrides,
});

describe('OPENAI and OPENAI_COMPATIBLE', () => {
  it('calls /v1/chat/completions with system then user, and reads output and usage', async () => {
    server.set({ reply: (prompt, name) => `${name} says: ${prompt.toUpperCase()}`, promptTokens: 17, completionTokens: 5 });
    const client = createProviderClient(model({ provider: 'OPENAI', modelName: 'gpt-test', apiKey: 'sk-test-key-0001' }));
    const result = await client.complete({ system: 'Be brief.', prompt: 'hello world', signal: live() });

    expect(result).toEqual({ output: 'gpt-test says: HELLO WORLD', promptTokens: 17, completionTokens: 5 });
    const request = server.lastRequest()!;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe('Bearer sk-test-key-0001');
    expect(request.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hello world' },
    ]);
  });

  it('sends no system message when there is no system prompt, and works without a key when compatible', async () => {
    const client = createProviderClient(model({ provider: 'OPENAI_COMPATIBLE', apiKey: null }));
    const result = await client.complete({ system: null, prompt: 'just the user', signal: live() });

    expect(result).toEqual({ output: 'just the user', promptTokens: 3, completionTokens: 3 });
    expect(server.lastRequest()!.body.messages).toEqual([{ role: 'user', content: 'just the user' }]);
  });

  it('maps the lab parameters to OpenAI names and passes other keys through as given', async () => {
    const client = createProviderClient(
      model({
        modelName: 'mapped',
        parameters: { temperature: 0.3, maxTokens: 77, topP: 0.9, stop: ['END'], seed: 42, frequency_penalty: 0.5, response_format: { type: 'text' } },
      }),
    );
    await client.complete({ system: null, prompt: 'p', signal: live() });

    const body = server.lastRequest()!.body;
    expect(body).toMatchObject({ model: 'mapped', temperature: 0.3, max_tokens: 77, top_p: 0.9, stop: ['END'], seed: 42, frequency_penalty: 0.5, response_format: { type: 'text' } });
    expect(body).not.toHaveProperty('maxTokens');
    expect(body).not.toHaveProperty('topP');
  });

  it('caps every reply at DEFAULT_MAX_TOKENS when the model sets no maxTokens, and keeps model, messages and stream its own', async () => {
    const client = createProviderClient(model({ modelName: 'mine', parameters: { model: 'other', stream: true, messages: [] } }));
    const result = await client.complete({ system: null, prompt: 'still answered', signal: live() });

    expect(result.output).toBe('still answered');
    const body = server.lastRequest()!.body;
    expect(body).toMatchObject({ model: 'mine', max_tokens: DEFAULT_MAX_TOKENS });
    expect(body).not.toHaveProperty('stream');
  });

  it('reuses one SDK client per model id, base URL and key (OPENAI; OPENAI_COMPATIBLE shares one HTTP agent)', async () => {
    const same = model({ provider: 'OPENAI', apiKey: 'sk-one' });
    const before = cachedOpenAiClients();
    await createProviderClient(same).complete({ system: null, prompt: 'a', signal: live() });
    await createProviderClient(same).complete({ system: null, prompt: 'b', signal: live() });
    expect(cachedOpenAiClients()).toBe(before + 1);
    await createProviderClient({ ...same, apiKey: 'another-key' }).complete({ system: null, prompt: 'c', signal: live() });
    expect(cachedOpenAiClients()).toBe(before + 2);
  });

  it('fails at once, without a request, when OPENAI has no key or OPENAI_COMPATIBLE no base URL', async () => {
    const noKey = createProviderClient(model({ provider: 'OPENAI', apiKey: null }));
    await expect(noKey.complete({ system: null, prompt: 'p', signal: live() })).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/need an API key/) });
    const noUrl = createProviderClient(model({ provider: 'OPENAI_COMPATIBLE', baseUrl: null }));
    await expect(noUrl.complete({ system: null, prompt: 'p', signal: live() })).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/need a baseUrl/) });
    expect(server.calls()).toBe(0);
  });

  it('surfaces the caller’s abort reason, not a provider error', async () => {
    server.set({ latencyMs: 5_000 });
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    const call = createProviderClient(model({})).complete({ system: null, prompt: 'slow', signal: controller.signal });
    setTimeout(() => controller.abort(reason), 30);
    const started = Date.now();
    await expect(call).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('ANTHROPIC', () => {
  it('calls /v1/messages under the server origin, with system apart, and joins text blocks', async () => {
    server.set({ reply: (prompt) => `echo: ${prompt}` });
    const client = createProviderClient(model({ provider: 'ANTHROPIC', modelName: 'claude-test', baseUrl: server.origin, apiKey: 'sk-ant-test-0002' }));
    const result = await client.complete({ system: 'You are terse.', prompt: 'two words', signal: live() });

    // Fake server counts words: system (3) + prompt (2) in, reply (3) out.
    expect(result).toEqual({ output: 'echo: two words', promptTokens: 5, completionTokens: 3 });
    const request = server.lastRequest()!;
    expect(request.path).toBe('/v1/messages');
    expect(request.body).toMatchObject({ model: 'claude-test', system: 'You are terse.', messages: [{ role: 'user', content: 'two words' }] });
    expect(JSON.stringify(request.headers)).toContain('sk-ant-test-0002');
  });

  it('always sends max_tokens, maps stop to stop_sequences, and leaves out the seed Anthropic has no field for', async () => {
    const client = createProviderClient(
      model({ provider: 'ANTHROPIC', baseUrl: server.origin, apiKey: 'k-0003-abcdef', parameters: { temperature: 0.1, topP: 0.5, stop: ['###'], seed: 7, top_k: 20 } }),
    );
    await client.complete({ system: null, prompt: 'p', signal: live() });
    const body = server.lastRequest()!.body;
    expect(body).toMatchObject({ max_tokens: DEFAULT_MAX_TOKENS, temperature: 0.1, top_p: 0.5, stop_sequences: ['###'], top_k: 20 });
    expect(body).not.toHaveProperty('seed');
    expect(body).not.toHaveProperty('system');

    await createProviderClient(model({ provider: 'ANTHROPIC', baseUrl: server.origin, apiKey: 'k-0003-abcdef', parameters: { maxTokens: 50 } })).complete({
      system: null,
      prompt: 'p',
      signal: live(),
    });
    expect(server.lastRequest()!.body.max_tokens).toBe(50);
  });

  it('reports an Anthropic error in the provider’s own words', async () => {
    server.set({ fault: () => ({ status: 401 }) });
    const client = createProviderClient(model({ provider: 'ANTHROPIC', baseUrl: server.origin, apiKey: 'k-0004-abcdef' }));
    const failure = await client.complete({ system: null, prompt: 'p', signal: live() }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ status: 401, retryable: false, message: '401 invalid x-api-key' });
  });

  it('reuses its SDK client too', async () => {
    const same = model({ provider: 'ANTHROPIC', baseUrl: server.origin, apiKey: 'k-0005-abcdef' });
    const before = cachedAnthropicClients();
    await createProviderClient(same).complete({ system: null, prompt: 'a', signal: live() });
    await createProviderClient(same).complete({ system: null, prompt: 'b', signal: live() });
    expect(cachedAnthropicClients()).toBe(before + 1);
  });
});

describe('ECHO', () => {
  const echo = (parameters: Record<string, unknown> = {}) => createProviderClient(model({ provider: 'ECHO', baseUrl: null, parameters }));

  it('answers the prompt verbatim and counts words as tokens, the same every time, with no request', async () => {
    const request = { system: 'You  are\ta\nhelper.', prompt: '  The quick  brown fox ', signal: live() };
    const first = await echo().complete(request);
    const second = await echo().complete(request);
    expect(first).toEqual({ output: '  The quick  brown fox ', promptTokens: 4 + 4, completionTokens: 4 });
    expect(second).toEqual(first);
    expect(await echo().complete({ system: null, prompt: '', signal: live() })).toEqual({ output: '', promptTokens: 0, completionTokens: 0 });
    expect(server.calls()).toBe(0);
  });

  it('waits parameters.latencyMs, and stops the wait when the signal aborts', async () => {
    let started = Date.now();
    await echo({ latencyMs: 120 }).complete({ system: null, prompt: 'x', signal: live() });
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);

    const controller = new AbortController();
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 20);
    started = Date.now();
    await expect(echo({ latencyMs: 10_000 }).complete({ system: null, prompt: 'x', signal: controller.signal })).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('refuses a latencyMs that is not a number of milliseconds', async () => {
    await expect(echo({ latencyMs: 'soon' }).complete({ system: null, prompt: 'x', signal: live() })).rejects.toMatchObject({
      retryable: false,
      message: expect.stringMatching(/latencyMs must be a non-negative number/),
    });
  });
});
