import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANCELLED_BEFORE_CALL, CANCELLED_IN_FLIGHT } from '../../src/modules/execution/task-executor.js';
import { CANCELLED_UNCLAIMED } from '../../src/modules/runs/runs.service.js';
import { startFakeLlmServer, type FakeLlmServer } from '../helpers/fake-llm-server.js';
import { graphqlError, startExtraWorker, useTestLab } from '../helpers/lab.js';
import { CancelRun, GetRun, RetryRun, StartRun } from '../helpers/operations.js';
import { allTasks, questionRows, runConfig, waitForRun } from '../helpers/runs.js';

let fake: FakeLlmServer;
beforeAll(async () => {
  fake = await startFakeLlmServer({ promptTokens: 7, completionTokens: 3 });
});
afterAll(() => fake.close());

describe('a run, end to end against a fake OpenAI-compatible server', () => {
  const t = useTestLab('RESEARCHER', { worker: true });

  it('runs 2 models x 1 prompt version over a dataset: every task recorded, usage summed, results.jsonl with one line per task', async () => {
    const { client } = t.project;
    const rows = questionRows(12);
    const config = await runConfig(client, rows, [
      { baseUrl: fake.url, inputCostPerMTok: 1, outputCostPerMTok: 2 },
      { baseUrl: fake.url, inputCostPerMTok: 3, outputCostPerMTok: 4 },
    ]);
    fake.reset();
    const { startRun } = await client.request(StartRun, {
      input: {
        experimentId: config.experimentId,
        datasetVersionId: config.datasetVersionId,
        promptVersionIds: [config.promptVersionId],
        modelIds: config.modelIds,
        evaluators: [{ kind: 'EXACT_MATCH' }],
      },
    });
    expect(startRun.status).toBe('QUEUED');
    expect(startRun.progress.total).toBe(24);

    const run = await waitForRun(client, startRun.id);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.error).toBeNull();
    expect(run.progress).toMatchObject({ total: 24, succeeded: 24, failed: 0, queued: 0, running: 0, cancelled: 0, fraction: 1 });
    expect(fake.calls()).toBe(24);

    const tasks = await allTasks(client, startRun.id);
    expect(tasks).toHaveLength(24);
    for (const task of tasks) {
      expect(task.status).toBe('SUCCEEDED');
      expect(task.renderedPrompt).toBe(`Q: ${rows[task.rowIndex]!.input.question}`);
      expect(task.output).toBe(task.renderedPrompt);
      expect(task.input).toEqual(rows[task.rowIndex]!.input);
      expect(task.expected).toBe(rows[task.rowIndex]!.expected);
      expect(task.latencyMs).toBeGreaterThan(0);
      const prices = task.model.id === config.modelIds[0] ? [1, 2] : [3, 4];
      expect(task.usage).toEqual({ promptTokens: 7, completionTokens: 3, costUsd: expect.closeTo((7 * prices[0]! + 3 * prices[1]!) / 1e6, 12) });
    }
    expect(run.usage.promptTokens).toBe(24 * 7);
    expect(run.usage.completionTokens).toBe(24 * 3);
    expect(run.usage.costUsd).toBeCloseTo(12 * (7 * 1 + 3 * 2 + 7 * 3 + 3 * 4) / 1e6, 12);

    const results = run.artifacts.find((a) => a.name === 'results.jsonl');
    expect(results).toBeDefined();
    const body = await (await fetch(results!.downloadUrl)).text();
    const lines = body.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(24);
    expect(new Set(lines.map((l) => l.taskId)).size).toBe(24);
    expect(lines.map((l) => l.taskId).sort()).toEqual(tasks.map((task) => task.id).sort());
    const first = lines.find((l) => l.taskId === tasks[0]!.id);
    expect(first).toMatchObject({
      runId: startRun.id,
      rowIndex: tasks[0]!.rowIndex,
      repetition: 0,
      modelId: tasks[0]!.model.id,
      promptVersionId: config.promptVersionId,
      status: 'SUCCEEDED',
      input: rows[tasks[0]!.rowIndex]!.input,
      expected: rows[tasks[0]!.rowIndex]!.expected,
      output: tasks[0]!.output,
      usage: { promptTokens: 7, completionTokens: 3 },
    });
    expect(results!.sizeBytes).toBe(Buffer.byteLength(body));
  });
});

describe('runs against a provider that fails', () => {
  const t = useTestLab('RESEARCHER', { worker: true });

  it('ends with every task SUCCEEDED when 1 call in 7 fails with a 500 or a 429 with Retry-After', async () => {
    const flaky = await startFakeLlmServer({ fault: (call) => (call % 7 !== 0 ? null : call % 14 === 0 ? { status: 429, retryAfterSeconds: 1 } : { status: 500 }) });
    try {
      const { client } = t.project;
      const config = await runConfig(client, questionRows(20), [{ baseUrl: flaky.url }]);
      const { startRun } = await client.request(StartRun, { input: runInput(config) });
      const started = Date.now();
      const run = await waitForRun(client, startRun.id);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.progress).toMatchObject({ total: 20, succeeded: 20, failed: 0 });
      // Faulted calls were retried: more calls than tasks, and a 429 made the run wait its Retry-After.
      expect(flaky.calls()).toBeGreaterThan(20);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      const tasks = await allTasks(client, startRun.id);
      expect(tasks.every((task) => task.status === 'SUCCEEDED' && task.output === task.renderedPrompt)).toBe(true);
    } finally {
      await flaky.close();
    }
  });

  it('fails tasks at once with the provider message on a 401, never retrying, and the run ends', async () => {
    const apiKey = 'sk-test-secret-key-0123456789abcdef';
    const denied = await startFakeLlmServer({ fault: () => ({ status: 401, message: `Incorrect API key provided: ${apiKey}.` }) });
    try {
      const { client } = t.project;
      const config = await runConfig(client, questionRows(6), [{ provider: 'OPENAI', baseUrl: denied.url, apiKey }]);
      const { startRun } = await client.request(StartRun, { input: runInput(config) });
      const run = await waitForRun(client, startRun.id, undefined, 15_000);
      expect(run.status).toBe('FAILED');
      expect(run.progress).toMatchObject({ total: 6, failed: 6, succeeded: 0 });
      expect(run.error).toMatch(/^every task failed; the first error: .*401.*Incorrect API key provided/);
      expect(denied.calls()).toBe(6);
      const tasks = await allTasks(client, startRun.id);
      for (const task of tasks) {
        expect(task.status).toBe('FAILED');
        expect(task.error).toMatch(/401/);
        expect(task.error).not.toContain(apiKey);
        expect(task.attempts).toBe(1);
      }
      expect(run.error).not.toContain(apiKey);
    } finally {
      await denied.close();
    }
  });
});

describe('cancel, budget, retry and concurrency', () => {
  const t = useTestLab('RESEARCHER', { worker: true });

  it('cancelRun mid-run: CANCELLED, the rest CANCELLED, and no call after it', async () => {
    const slow = await startFakeLlmServer({ latencyMs: 150 });
    try {
      const { client } = t.project;
      const config = await runConfig(client, questionRows(40), [{ baseUrl: slow.url, maxConcurrency: 4 }]);
      const { startRun } = await client.request(StartRun, { input: runInput(config) });
      await waitUntil(async () => (await client.request(GetRun, { id: startRun.id, first: 1 })).run!.progress.succeeded >= 4);
      const { cancelRun } = await client.request(CancelRun, { id: startRun.id });
      expect(['CANCELLING', 'CANCELLED']).toContain(cancelRun.status);
      const run = await waitForRun(client, startRun.id, undefined, 15_000);
      expect(run.status).toBe('CANCELLED');
      const callsAtEnd = slow.calls();
      await new Promise((r) => setTimeout(r, 500));
      expect(slow.calls()).toBe(callsAtEnd);
      expect(run.progress.succeeded + run.progress.cancelled).toBe(40);
      expect(run.progress.cancelled).toBeGreaterThan(20);
      const tasks = await allTasks(client, startRun.id);
      // Every call the provider saw is a task that succeeded or was aborted in flight; none started after the cancel.
      const abortedInFlight = tasks.filter((task) => task.error === CANCELLED_IN_FLIGHT).length;
      expect(callsAtEnd).toBe(run.progress.succeeded + abortedInFlight);
      expect(tasks.filter((task) => task.status === 'CANCELLED').every((task) => [CANCELLED_IN_FLIGHT, CANCELLED_BEFORE_CALL, CANCELLED_UNCLAIMED].includes(task.error!))).toBe(true);
      expect(tasks.filter((task) => task.status === 'CANCELLED').every((task) => task.output === null)).toBe(true);
      // Cancelling again returns the run as it is.
      expect((await client.request(CancelRun, { id: startRun.id })).cancelRun.status).toBe('CANCELLED');
    } finally {
      await slow.close();
    }
  });

  it('maxCostUsd: stops before the budget is passed, FAILED with the reason', async () => {
    const { client } = t.project;
    const priced = await startFakeLlmServer({ promptTokens: 7, completionTokens: 3, latencyMs: 5 });
    try {
      // $1 per million tokens both ways: a call costs $0.00001; its worst case (bytes + framing + 10 max tokens) about $0.00008.
      const config = await runConfig(client, questionRows(60), [
        { baseUrl: priced.url, inputCostPerMTok: 1, outputCostPerMTok: 1, parameters: { maxTokens: 10 } },
      ]);
      const budget = 0.0003;
      const { startRun } = await client.request(StartRun, { input: { ...runInput(config), maxCostUsd: budget } });
      const run = await waitForRun(client, startRun.id);
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatch(/^budget exceeded: spent \$[\d.]+ of maxCostUsd \$0.0003/);
      expect(run.usage.costUsd, run.error!).toBeLessThanOrEqual(budget);
      expect(run.progress.succeeded, run.error!).toBeGreaterThan(5);
      expect(run.progress.succeeded).toBeGreaterThan(5);
      expect(run.progress.succeeded).toBeLessThan(60);
      expect(run.progress.succeeded + run.progress.cancelled).toBe(60);
      expect(priced.calls()).toBe(run.progress.succeeded);
      // Retrying spends what is left: nothing, so it is refused with BUDGET_EXCEEDED.
      const refused = await graphqlError(client.request(RetryRun, { id: startRun.id }));
      expect(refused.code).toBe('BUDGET_EXCEEDED');
    } finally {
      await priced.close();
    }
  });

  it('retryRun re-runs only the tasks that did not succeed', async () => {
    const picky = await startFakeLlmServer({ fault: (_call, prompt) => (/What is (3|7) \+/.test(prompt) ? { status: 400, message: 'bad request' } : null) });
    try {
      const { client } = t.project;
      const config = await runConfig(client, questionRows(10), [{ baseUrl: picky.url }]);
      const { startRun } = await client.request(StartRun, { input: runInput(config) });
      const first = await waitForRun(client, startRun.id);
      expect(first.status).toBe('SUCCEEDED');
      expect(first.progress).toMatchObject({ succeeded: 8, failed: 2 });
      picky.set({ fault: () => null });
      picky.reset();
      const { retryRun } = await client.request(RetryRun, { id: startRun.id });
      expect(retryRun.progress.total).toBe(2);
      const retried = await waitForRun(client, retryRun.id);
      expect(retried.status).toBe('SUCCEEDED');
      expect(retried.progress).toMatchObject({ total: 2, succeeded: 2 });
      expect(picky.prompts().sort()).toEqual(['Q: What is 3 + 3?', 'Q: What is 7 + 7?']);
      const tasks = await allTasks(client, retryRun.id);
      expect(tasks.map((task) => task.rowIndex).sort()).toEqual([3, 7]);
      // A run whose every task succeeded has nothing to retry.
      expect((await graphqlError(client.request(RetryRun, { id: retryRun.id }))).code).toBe('CONFLICT');
    } finally {
      await picky.close();
    }
  });

  it("a model's maxConcurrency holds at the provider across two workers", async () => {
    const counted = await startFakeLlmServer({ latencyMs: 40 });
    const second = await startExtraWorker(t.lab);
    try {
      const { client } = t.project;
      const config = await runConfig(client, questionRows(60), [{ baseUrl: counted.url, maxConcurrency: 3 }]);
      const { startRun } = await client.request(StartRun, { input: runInput(config) });
      const run = await waitForRun(client, startRun.id);
      expect(run.status).toBe('SUCCEEDED');
      expect(counted.calls()).toBe(60);
      expect(counted.maxInFlight()).toBe(3);
    } finally {
      await second.stop();
      await counted.close();
    }
  });

  it('the run concurrency caps tasks in flight', async () => {
    const counted = await startFakeLlmServer({ latencyMs: 40 });
    try {
      const { client } = t.project;
      const config = await runConfig(client, questionRows(30), [{ baseUrl: counted.url, maxConcurrency: 50 }]);
      const { startRun } = await client.request(StartRun, { input: { ...runInput(config), concurrency: 2 } });
      expect((await waitForRun(client, startRun.id)).status).toBe('SUCCEEDED');
      expect(counted.maxInFlight()).toBe(2);
    } finally {
      await counted.close();
    }
  });
});

function runInput(config: Awaited<ReturnType<typeof runConfig>>) {
  return {
    experimentId: config.experimentId,
    datasetVersionId: config.datasetVersionId,
    promptVersionIds: [config.promptVersionId],
    modelIds: config.modelIds,
    evaluators: [],
  };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
