import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { startFakeLlmServer } from '../helpers/fake-llm-server.js';

const chat = (url: string, prompt: string, signal?: AbortSignal) =>
  fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: prompt }] }),
    signal: signal ?? null,
  });

describe('fake LLM server', () => {
  it('counts every call, faulted ones too, keeps the prompts in order, and tracks the most in flight', async () => {
    const server = await startFakeLlmServer({ latencyMs: 50, fault: (call) => (call === 2 ? { status: 500 } : null) });
    try {
      const statuses = await Promise.all(['one', 'two', 'three'].map(async (p, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 5));
        return (await chat(server.url, p)).status;
      }));
      expect(statuses.sort()).toEqual([200, 200, 500]);
      expect(server.calls()).toBe(3);
      expect(server.prompts()).toEqual(['one', 'two', 'three']);
      expect(server.maxInFlight()).toBe(3);
      expect(server.inFlight()).toBe(0);
      server.reset();
      expect([server.calls(), server.maxInFlight(), server.prompts()]).toEqual([0, 0, []]);
    } finally {
      await server.close();
    }
  });

  it('holds a timeout fault until the client gives up, then counts it out of flight', async () => {
    const server = await startFakeLlmServer({ fault: () => ({ kind: 'timeout' }) });
    try {
      const controller = new AbortController();
      const pending = chat(server.url, 'hang', controller.signal).catch((err: unknown) => err);
      await expect.poll(() => server.inFlight()).toBe(1);
      controller.abort();
      expect(await pending).toMatchObject({ name: 'AbortError' });
      await expect.poll(() => server.inFlight()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('runs as its own process, prints its URL, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/fake-llm-server-main.ts'], {
      env: { ...process.env, FAKE_LLM_LATENCY_MS: '80' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const { url } = JSON.parse(line) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const started = Date.now();
      const body = (await (await chat(url, 'from another process')).json()) as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number } };
      expect(Date.now() - started).toBeGreaterThanOrEqual(75);
      expect(body.choices[0]!.message.content).toBe('from another process');
      expect(body.usage.prompt_tokens).toBe(3);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
