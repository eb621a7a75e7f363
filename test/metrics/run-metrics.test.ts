/**
 * Metrics end to end, on each metric store: a run against the fake LLM server writes one point per
 * task x metric, Run.metrics equals src/stats over the tasks' own metrics (read from PostgreSQL's
 * task rows, not from the store), compareRuns finds a clear regression, and a page of runs reads
 * its summaries in a constant number of store queries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { fromGlobalId } from '../../src/common/global-id.js';
import type { MetricStore } from '../../src/modules/metrics/metric-store.js';
import { summarize } from '../../src/stats/index.js';
import { startFakeLlmServer, type FakeLlmServer } from '../helpers/fake-llm-server.js';
import { graphqlError, startTestLab, subscribe, useTestLab, wsClient, type TestLab } from '../helpers/lab.js';
import { CompareRuns, ExperimentRunMetrics, RunMetrics, RunMetricSeries, StartRun, TaskMetrics, WatchMetricPoints } from '../helpers/operations.js';
import { CLICKHOUSE_URL } from '../helpers/clickhouse.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { ClickHouseMetricStore } from '../../src/modules/metrics/metrics.clickhouse.js';
import { createClickHouse } from '../../src/storage/clickhouse.js';
import { questionRows, runConfig, waitForRun, type RunConfig } from '../helpers/runs.js';
import type { GraphQLClient } from 'graphql-request';

/** fake-0 answers right; fake-1 right on even rows only; fake-2 judges: SCORE 1 when the response is the expected answer. */
function reply(prompt: string, model: string): string {
  if (model === 'fake-2') {
    const expected = /# Expected answer\n(.*)\n/.exec(prompt)?.[1];
    const response = /# Response to judge\n(.*)\n/.exec(prompt)?.[1];
    return `The response ${response === expected ? 'matches' : 'does not match'}.\nSCORE: ${response === expected ? 1 : 0}`;
  }
  const n = Number(/What is (\d+) \+/.exec(prompt)?.[1]);
  if (model === 'fake-1' && n % 2 === 1) return String(2 * n + 1);
  return String(2 * n);
}

const EVALUATORS = (judgeModelId: string) => [
  { kind: 'EXACT_MATCH' as const },
  { kind: 'TOKEN_F1' as const },
  { kind: 'CONTAINS' as const },
  { kind: 'REGEX' as const, params: { pattern: '^\\d+$' } },
  { kind: 'LLM_JUDGE' as const, name: 'judge', params: { modelId: judgeModelId, rubric: 'Is the response the expected number?' } },
];
const METRIC_NAMES = ['completion_tokens', 'contains', 'cost_usd', 'exact_match', 'judge', 'judge_cost_usd', 'latency_ms', 'prompt_tokens', 'regex', 'token_f1'];

type TaskWithMetrics = { id: string; rowIndex: number; status: string; error: string | null; model: { id: string }; metrics: { name: string; value: number }[] };

async function tasksOf(client: GraphQLClient, runId: string): Promise<TaskWithMetrics[]> {
  const tasks: TaskWithMetrics[] = [];
  let after: string | null = null;
  for (;;) {
    const { run } = (await client.request(TaskMetrics, { id: runId, first: 100, after })) as {
      run: { tasks: { nodes: TaskWithMetrics[]; pageInfo: { hasNextPage: boolean; endCursor?: string | null } } } | null;
    };
    tasks.push(...run!.tasks.nodes);
    if (!run!.tasks.pageInfo.hasNextPage) return tasks;
    after = run!.tasks.pageInfo.endCursor ?? null;
  }
}

/** The store's points arrive through the batching writer: wait until the run's are all there. */
async function waitForPoints(store: MetricStore, runId: string, expected: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await store.count(runId);
    if (count >= expected || Date.now() > deadline) return count;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startRun(client: GraphQLClient, config: RunConfig, modelIds: string[], judgeModelId: string, extra: Record<string, unknown> = {}) {
  const { startRun } = await client.request(StartRun, {
    input: {
      experimentId: config.experimentId,
      datasetVersionId: config.datasetVersionId,
      promptVersionIds: [config.promptVersionId],
      modelIds,
      evaluators: EVALUATORS(judgeModelId),
      ...extra,
    },
  });
  return startRun.id;
}

const valuesOf = (tasks: TaskWithMetrics[], name: string) => tasks.flatMap((t) => t.metrics.filter((m) => m.name === name).map((m) => m.value));

for (const kind of ['postgres', 'clickhouse'] as const) {
  describe(`metrics of runs, stored in ${kind}`, () => {
    let fake: FakeLlmServer;
    const t = useTestLab('RESEARCHER', { worker: true, metrics: kind });
    let config: RunConfig;
    let good: string;
    let flaky: string;
    let judge: string;

    beforeAll(async () => {
      fake = await startFakeLlmServer({ promptTokens: 9, completionTokens: 2, reply });
      config = await runConfig(t.project.client, questionRows(30), [
        { baseUrl: fake.url, inputCostPerMTok: 1, outputCostPerMTok: 2 },
        { baseUrl: fake.url, inputCostPerMTok: 3, outputCostPerMTok: 4 },
        { baseUrl: fake.url, inputCostPerMTok: 5, outputCostPerMTok: 6 },
      ]);
      [good, flaky, judge] = config.modelIds as [string, string, string];
    });
    afterAll(() => fake?.close());

    it("writes one point per task and metric, and summarises them as src/stats does over the tasks' own metrics, whole and by model", async () => {
      const { client } = t.project;
      const runId = await startRun(client, config, [good, flaky], judge, { sampleLimit: 10 });
      const run = await waitForRun(client, runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(await waitForPoints(t.lab.metricStore, fromGlobalId('Run', runId), 20 * METRIC_NAMES.length)).toBe(20 * METRIC_NAMES.length);

      const tasks = await tasksOf(client, runId);
      expect(tasks).toHaveLength(20);
      for (const task of tasks) {
        expect(task.error).toBeNull();
        expect(task.metrics.map((m) => m.name)).toEqual(METRIC_NAMES);
        const value = (name: string) => task.metrics.find((m) => m.name === name)!.value;
        const right = task.model.id === good || task.rowIndex % 2 === 0 ? 1 : 0;
        expect([value('exact_match'), value('judge'), value('token_f1'), value('contains'), value('regex')]).toEqual([right, right, right, right, 1]);
        expect(value('prompt_tokens')).toBe(9);
        expect(value('cost_usd')).toBeCloseTo(task.model.id === good ? (9 * 1 + 2 * 2) / 1e6 : (9 * 3 + 2 * 4) / 1e6, 15);
        // The judge's own cost, at the judge model's prices, apart from the task's.
        expect(value('judge_cost_usd')).toBeCloseTo((9 * 5 + 2 * 6) / 1e6, 15);
        expect(value('latency_ms')).toBeGreaterThan(0);
      }

      const { run: whole } = await client.request(RunMetrics, { id: runId });
      expect(whole!.metrics.map((m) => m.name)).toEqual(METRIC_NAMES);
      for (const summary of whole!.metrics) {
        const expected = summarize(valuesOf(tasks, summary.name));
        expect(summary.model).toBeNull();
        expect(summary.count).toBe(20);
        for (const key of ['mean', 'stddev', 'min', 'max', 'p50', 'p90', 'p95', 'p99'] as const) expect(summary[key], `${summary.name}.${key}`).toBeCloseTo(expected[key]!, 9);
        expect(summary.ci95Low).toBeCloseTo(expected.ci95!.low, 9);
        expect(summary.ci95High).toBeCloseTo(expected.ci95!.high, 9);
      }
      expect(whole!.metrics.find((m) => m.name === 'exact_match')!.mean).toBe(0.75);

      const { run: byModel } = await client.request(RunMetrics, { id: runId, names: ['exact_match', 'latency_ms', 'no_such_metric'], groupBy: ['MODEL'] });
      expect(byModel!.metrics).toHaveLength(4);
      for (const summary of byModel!.metrics) {
        const ofModel = tasks.filter((task) => task.model.id === summary.model!.id);
        expect(ofModel).toHaveLength(10);
        const expected = summarize(valuesOf(ofModel, summary.name));
        expect(summary.count).toBe(10);
        expect(summary.mean).toBeCloseTo(expected.mean!, 9);
        expect(summary.p90).toBeCloseTo(expected.p90!, 9);
      }
      const exact = (modelId: string) => byModel!.metrics.find((m) => m.name === 'exact_match' && m.model!.id === modelId)!.mean;
      expect([exact(good), exact(flaky)]).toEqual([1, 0.5]);

      const { run: series } = await client.request(RunMetricSeries, { id: runId, name: 'latency_ms', bucketSeconds: 1 });
      expect(series!.metricSeries.reduce((sum, b) => sum + b.count, 0)).toBe(20);
      expect((await client.request(RunMetrics, { id: runId, names: ['no_such_metric'] })).run!.metrics).toEqual([]);
    });

    it('compares two runs: the exact delta, a CI that holds it, p < 0.01 for a clear regression, p = 1 against itself', async () => {
      const { client } = t.project;
      const baseline = await startRun(client, config, [good], judge);
      const candidate = await startRun(client, config, [flaky], judge);
      for (const id of [baseline, candidate]) {
        expect((await waitForRun(client, id)).status).toBe('SUCCEEDED');
        expect(await waitForPoints(t.lab.metricStore, fromGlobalId('Run', id), 30 * METRIC_NAMES.length)).toBe(30 * METRIC_NAMES.length);
      }
      const { compareRuns } = await client.request(CompareRuns, { baseline, candidate, metrics: ['exact_match', 'judge', 'no_such_metric'], pairMetric: 'exact_match', change: ['REGRESSED'], first: 10 });
      expect(compareRuns.baseline.id).toBe(baseline);
      expect(compareRuns.metrics.map((m) => m.name)).toEqual(['exact_match', 'judge']);
      const exact = compareRuns.metrics[0]!;
      // 30 rows: fake-1 misses the 15 odd ones.
      expect(exact).toMatchObject({ pairedCount: 30, baselineMean: 1, candidateMean: 0.5, delta: -0.5, improved: 0, regressed: 15, unchanged: 15 });
      expect(exact.deltaCi95Low).toBeLessThanOrEqual(-0.5);
      expect(exact.deltaCi95High).toBeGreaterThanOrEqual(-0.5);
      expect(exact.deltaCi95High).toBeLessThan(0);
      expect(exact.pValue).toBeLessThan(0.01);
      expect(compareRuns.pairs.totalCount).toBe(15);
      expect(compareRuns.pairs.nodes).toHaveLength(10);
      for (const pair of compareRuns.pairs.nodes) expect(pair).toMatchObject({ delta: -1, change: 'REGRESSED', repetition: 0 });
      expect(compareRuns.pairs.nodes.every((p) => p.rowIndex % 2 === 1)).toBe(true);
      const next = await client.request(CompareRuns, { baseline, candidate, metrics: ['exact_match'], pairMetric: 'exact_match', change: ['REGRESSED'], first: 10, after: compareRuns.pairs.pageInfo.endCursor });
      expect(next.compareRuns.pairs.nodes).toHaveLength(5);
      expect(new Set([...compareRuns.pairs.nodes, ...next.compareRuns.pairs.nodes].map((p) => p.rowIndex)).size).toBe(15);

      // The same comparison again gives the same interval (the bootstrap is seeded).
      const again = await client.request(CompareRuns, { baseline, candidate, metrics: ['exact_match'], pairMetric: 'exact_match' });
      expect(again.compareRuns.metrics[0]).toEqual(exact);

      const itself = await client.request(CompareRuns, { baseline, candidate: baseline, pairMetric: 'exact_match' });
      expect(itself.compareRuns.metrics.map((m) => m.name)).toEqual(METRIC_NAMES);
      for (const m of itself.compareRuns.metrics) expect(m).toMatchObject({ pairedCount: 30, delta: 0, deltaCi95Low: 0, deltaCi95High: 0, pValue: 1, improved: 0, regressed: 0, unchanged: 30 });

      const unknown = await client.request(CompareRuns, { baseline, candidate, metrics: ['no_such_metric'], pairMetric: 'no_such_metric' });
      expect(unknown.compareRuns.metrics).toEqual([]);
      expect(unknown.compareRuns.pairs.nodes.every((p) => p.delta === null && p.change === null)).toBe(true);
    });

    it("refuses another project's run as NOT_FOUND", async () => {
      const other = await t.lab.newProject('RESEARCHER');
      const runId = await startRun(t.project.client, config, [good], judge, { sampleLimit: 1 });
      const error = await graphqlError(other.client.request(CompareRuns, { baseline: runId, candidate: runId, pairMetric: 'exact_match' }));
      expect(error.code).toBe('NOT_FOUND');
      await waitForRun(t.project.client, runId);
    });
  });
}

describe('a page of runs reads its metrics in a constant number of store queries', () => {
  const calls = { summaries: 0, series: 0 };
  const counting = (store: MetricStore): MetricStore =>
    new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key === 'summaries' || key === 'series') {
          return (...args: unknown[]) => {
            calls[key] += 1;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  let lab: TestLab;
  // Datasets are validated by the worker; no task runs, so the runs stay QUEUED.
  const t = useTestLab('RESEARCHER', { metrics: 'clickhouse', wrapMetrics: counting, worker: true, jobs: (name) => name !== 'tasks' });

  it('at page sizes 5 and 50, each with its own values', async () => {
    lab = t.lab;
    const { client } = t.project;
    const config = await runConfig(client, questionRows(1), [{ provider: 'ECHO' }]);
    const runIds: string[] = [];
    for (let i = 0; i < 50; i++) runIds.push(await startRun(client, config, config.modelIds, config.modelIds[0]!, { evaluators: [] }));
    // Points of the store's own for each run: the loader must give each run its own.
    await lab.metricStore.insert(
      runIds.map((id, i) => ({
        projectId: t.project.projectId,
        experimentId: randomUUID(),
        runId: fromGlobalId('Run', id),
        taskId: randomUUID(),
        modelId: fromGlobalId('Model', config.modelIds[0]!),
        promptVersionId: randomUUID(),
        rowIndex: 0,
        repetition: 0,
        name: 'latency_ms',
        value: i,
        timeMs: Date.now(),
      })),
    );
    const used: Record<number, typeof calls> = {};
    for (const first of [5, 50]) {
      calls.summaries = 0;
      calls.series = 0;
      const { experiment } = await client.request(ExperimentRunMetrics, { id: config.experimentId, first });
      expect(experiment!.runs.nodes).toHaveLength(first);
      for (const run of experiment!.runs.nodes) {
        // Newest first: the i-th run started holds value i.
        const i = runIds.indexOf(run.id);
        expect(run.metrics).toEqual([{ name: 'latency_ms', mean: i, count: 1 }]);
        expect(run.metricSeries).toEqual([{ count: 1 }]);
      }
      used[first] = { ...calls };
    }
    expect(used[5]).toEqual({ summaries: 1, series: 1 });
    expect(used[50]).toEqual(used[5]);
  });
});

describe('metric points live over graphql-ws', () => {
  const t = useTestLab('RESEARCHER', { worker: true });
  let fake: FakeLlmServer;
  beforeAll(async () => {
    // Slow enough that the subscription is listening before the first task ends (points are live only).
    fake = await startFakeLlmServer({ reply, latencyMs: 500 });
  });
  afterAll(() => fake?.close());

  it('streams each point of the names asked for once, then ends with the run; another project gets NOT_FOUND', async () => {
    const { client, key } = t.project;
    const config = await runConfig(client, questionRows(8), [{ baseUrl: fake.url }]);
    const { startRun } = await client.request(StartRun, {
      input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [{ kind: 'EXACT_MATCH' }], concurrency: 1 },
    });
    const ws = wsClient(t.lab.wsUrl, key);
    try {
      const points: { taskId: string; name: string; value: number; modelId: string; timestamp: unknown }[] = [];
      for await (const result of subscribe(ws, WatchMetricPoints, { runId: startRun.id, names: ['exact_match', 'cost_usd'] })) {
        expect(result.errors).toBeUndefined();
        points.push(result.data!.metricPoints);
      }
      // The run had 8 tasks; the stream ended on its own when the run ended.
      expect((await waitForRun(client, startRun.id, ['SUCCEEDED'], 1_000)).status).toBe('SUCCEEDED');
      expect(points).toHaveLength(16);
      expect(new Set(points.map((p) => `${p.taskId}/${p.name}`)).size).toBe(16);
      expect(points.filter((p) => p.name === 'exact_match').every((p) => p.value === 1 && p.modelId === config.modelIds[0])).toBe(true);

      const other = await t.lab.newProject('VIEWER');
      const foreign = wsClient(t.lab.wsUrl, other.key);
      try {
        await expect(
          (async () => {
            for await (const result of subscribe(foreign, WatchMetricPoints, { runId: startRun.id })) if (result.errors) throw new Error(JSON.stringify(result.errors));
          })(),
        ).rejects.toThrow(/NOT_FOUND|No Run with id/);
      } finally {
        await foreign.dispose();
      }
    } finally {
      await ws.dispose();
    }
  });
});

describe('ClickHouse cut off for 10 s in the middle of a run', () => {
  let proxy: TcpProxy;
  let lab: TestLab;
  let fake: FakeLlmServer;
  beforeAll(async () => {
    proxy = await startTcpProxy(new URL(CLICKHOUSE_URL));
    lab = await startTestLab({ worker: true, metrics: 'clickhouse', clickhouseUrl: proxy.url, metricWriter: { flushMs: 50, batchSize: 20, retryInitialDelayMs: 50, retryMaxDelayMs: 500 } });
    fake = await startFakeLlmServer({ reply, latencyMs: 50 });
  });
  afterAll(async () => {
    await lab?.close();
    await proxy?.close();
    await fake?.close();
  });

  it('loses no point and doubles none, and the run ends normally', { timeout: 60_000 }, async () => {
    const project = await lab.newProject('RESEARCHER');
    const config = await runConfig(project.client, questionRows(60), [{ baseUrl: fake.url }]);
    const { startRun } = await project.client.request(StartRun, {
      input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [{ kind: 'EXACT_MATCH' }], concurrency: 2 },
    });
    const runId = fromGlobalId('Run', startRun.id);
    const perTask = 5;
    // Cut off once the first points are in: the rest of the run happens while ClickHouse cannot be reached.
    expect(await waitForPoints(lab.metricStore, runId, 1)).toBeGreaterThan(0);
    await proxy.stop();
    const cutAt = Date.now();
    const run = await waitForRun(project.client, startRun.id, undefined, 9_000);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.progress.succeeded).toBe(60);
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - cutAt))));
    // Read directly (not through the proxy): the points of the outage are not in yet.
    const direct = await ownClickHouseReader(lab);
    expect(await direct.count(runId)).toBeLessThan(60 * perTask);
    await proxy.start();
    expect(await waitForPoints(direct, runId, 60 * perTask)).toBe(60 * perTask);
    const summaries = await direct.summaries([runId], null, []);
    expect(summaries.map((s) => [s.name, s.count])).toEqual(['completion_tokens', 'cost_usd', 'exact_match', 'latency_ms', 'prompt_tokens'].map((name) => [name, 60]));
    expect(summaries.find((s) => s.name === 'exact_match')!.mean).toBe(1);
    await direct.close();
  });
});

/** The lab's ClickHouse database through a client of the test's own, around any proxy. */
async function ownClickHouseReader(lab: TestLab): Promise<MetricStore> {
  return new ClickHouseMetricStore(createClickHouse({ url: CLICKHOUSE_URL }), lab.clickhouse!.database);
}
