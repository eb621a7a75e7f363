/**
 * The contract every metric store adapter keeps (src/modules/metrics/metric-store.ts), run against
 * ClickHouse and PostgreSQL by their own test files. Summaries are checked against src/stats, an
 * independent computation over the same values in this process.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricAggregate, MetricPointRow, MetricStore } from '../../src/modules/metrics/metric-store.js';
import { summarize } from '../../src/stats/index.js';

export interface StoreUnderTest {
  store: MetricStore;
  close(): Promise<void>;
}

/** A run of `rows` rows x 2 prompt versions x 2 models x 1 repetition, with two metrics per task. */
function runPoints(options: { rows: number; startMs: number }) {
  const ids = { projectId: randomUUID(), experimentId: randomUUID(), runId: randomUUID() };
  const models = [randomUUID(), randomUUID()];
  const promptVersions = [randomUUID(), randomUUID()];
  const points: MetricPointRow[] = [];
  let i = 0;
  for (let row = 0; row < options.rows; row++) {
    for (const [p, promptVersionId] of promptVersions.entries()) {
      for (const [m, modelId] of models.entries()) {
        const taskId = randomUUID();
        const timeMs = options.startMs + i * 250;
        i += 1;
        // Values with ties, negatives and a spread that differs by model and prompt version.
        const score = ((row * 7 + p * 3 + m * 5) % 11) / 10 - (m === 1 ? 0.25 : 0);
        const latency = 100 + row * 13.5 + m * 1000 + p * 7;
        const base = { ...ids, taskId, modelId, promptVersionId, rowIndex: row, repetition: 0, timeMs };
        points.push({ ...base, name: 'score', value: score }, { ...base, name: 'latency_ms', value: latency });
      }
    }
  }
  return { ...ids, models, promptVersions, points };
}

function expectSummary(actual: MetricAggregate | undefined, values: number[]) {
  const expected = summarize(values);
  expect(actual, 'a summary row').toBeDefined();
  expect(actual!.count).toBe(expected.count);
  for (const key of ['mean', 'min', 'max', 'p50', 'p90', 'p95', 'p99'] as const) {
    expect(actual![key], key).toBeCloseTo(expected[key]!, 9);
  }
  if (expected.stddev === null) expect(actual!.stddev).toBeNull();
  else expect(actual!.stddev).toBeCloseTo(expected.stddev, 9);
}

export function describeMetricStoreContract(kind: string, open: () => Promise<StoreUnderTest>) {
  describe(`metric store contract: ${kind}`, () => {
    let subject: StoreUnderTest;
    let store: MetricStore;
    const run = runPoints({ rows: 25, startMs: Date.UTC(2026, 0, 1, 12, 0, 0) });
    const other = runPoints({ rows: 3, startMs: Date.UTC(2026, 0, 1, 12, 0, 0) });

    beforeAll(async () => {
      subject = await open();
      store = subject.store;
      await store.insert(run.points);
      await store.insert(other.points);
    });
    afterAll(async () => subject?.close());

    const valuesOf = (points: MetricPointRow[], name: string, where: (p: MetricPointRow) => boolean = () => true) =>
      points.filter((p) => p.name === name && where(p)).map((p) => p.value);

    it('keeps one point per task and metric', async () => {
      expect(await store.count(run.runId)).toBe(run.points.length);
      expect(await store.count(other.runId)).toBe(other.points.length);
      expect(await store.count(randomUUID())).toBe(0);
    });

    it('counts a point written twice once, and keeps the later of two versions', async () => {
      const { points, runId } = runPoints({ rows: 2, startMs: Date.UTC(2026, 0, 2) });
      await store.insert(points);
      // A retried insert: the same rows again.
      await store.insert(points);
      const later = { ...points[0]!, value: 42, timeMs: points[0]!.timeMs + 60_000 };
      const earlier = { ...points[2]!, value: -42, timeMs: points[2]!.timeMs - 60_000 };
      await store.insert([later, earlier]);
      expect(await store.count(runId)).toBe(points.length);
      const values = await store.values([runId], null);
      expect(values).toHaveLength(points.length);
      const byKey = new Map(values.map((v) => [`${v.taskId}/${v.name}`, v.value]));
      expect(byKey.get(`${later.taskId}/${later.name}`)).toBe(42);
      expect(byKey.get(`${earlier.taskId}/${earlier.name}`)).toBe(points[2]!.value);
      const [summary] = await store.summaries([runId], [points[0]!.name], []);
      expect(summary!.count).toBe(points.filter((p) => p.name === points[0]!.name).length);
    });

    it('summarizes a run as src/stats does over the same values', async () => {
      const rows = await store.summaries([run.runId], null, []);
      expect(rows.map((r) => r.name)).toEqual(['latency_ms', 'score']);
      for (const row of rows) {
        expect(row).toMatchObject({ runId: run.runId, modelId: null, promptVersionId: null });
        expectSummary(row, valuesOf(run.points, row.name));
      }
    });

    it('splits summaries by model, by prompt version, and by both', async () => {
      const byModel = await store.summaries([run.runId], ['score'], ['MODEL']);
      expect(byModel).toHaveLength(2);
      for (const modelId of run.models) {
        const row = byModel.find((r) => r.modelId === modelId);
        expect(row?.promptVersionId).toBeNull();
        expectSummary(row, valuesOf(run.points, 'score', (p) => p.modelId === modelId));
      }
      const byPrompt = await store.summaries([run.runId], ['score'], ['PROMPT_VERSION']);
      expect(byPrompt).toHaveLength(2);
      for (const promptVersionId of run.promptVersions) {
        const row = byPrompt.find((r) => r.promptVersionId === promptVersionId);
        expect(row?.modelId).toBeNull();
        expectSummary(row, valuesOf(run.points, 'score', (p) => p.promptVersionId === promptVersionId));
      }
      const byBoth = await store.summaries([run.runId], ['latency_ms'], ['MODEL', 'PROMPT_VERSION']);
      expect(byBoth).toHaveLength(4);
      for (const row of byBoth) {
        expectSummary(row, valuesOf(run.points, 'latency_ms', (p) => p.modelId === row.modelId && p.promptVersionId === row.promptVersionId));
      }
    });

    it('reads several runs in one call without mixing them, and gives nothing for unknown names or runs', async () => {
      const rows = await store.summaries([run.runId, other.runId, randomUUID()], ['score'], []);
      expect(rows.map((r) => r.runId).sort()).toEqual([run.runId, other.runId].sort());
      expectSummary(
        rows.find((r) => r.runId === other.runId),
        valuesOf(other.points, 'score'),
      );
      expect(await store.summaries([run.runId], ['no_such_metric'], ['MODEL'])).toEqual([]);
      expect(await store.summaries([], null, [])).toEqual([]);
      expect(await store.values([run.runId], ['no_such_metric'])).toEqual([]);
      expect(await store.series([run.runId], 'no_such_metric', 10)).toEqual([]);
    });

    it('gives a null standard deviation for a single point', async () => {
      const { points, runId } = runPoints({ rows: 1, startMs: Date.UTC(2026, 0, 3) });
      await store.insert(points.slice(0, 1));
      const [row] = await store.summaries([runId], null, []);
      expect(row).toMatchObject({ count: 1, mean: points[0]!.value, min: points[0]!.value, max: points[0]!.value, p50: points[0]!.value, p99: points[0]!.value });
      expect(row!.stddev).toBeNull();
    });

    it('buckets a series by time', async () => {
      const rows = await store.series([run.runId, other.runId], 'latency_ms', 10);
      const mine = rows.filter((r) => r.runId === run.runId);
      const expected = new Map<number, number[]>();
      for (const p of run.points.filter((q) => q.name === 'latency_ms')) {
        const start = Math.floor(p.timeMs / 10_000) * 10_000;
        expected.set(start, [...(expected.get(start) ?? []), p.value]);
      }
      expect(mine.map((r) => r.startMs)).toEqual([...expected.keys()].sort((a, b) => a - b));
      for (const bucket of mine) {
        const values = expected.get(bucket.startMs)!;
        expect(bucket.count).toBe(values.length);
        expect(bucket.mean).toBeCloseTo(summarize(values).mean!, 9);
        expect(bucket.min).toBe(Math.min(...values));
        expect(bucket.max).toBe(Math.max(...values));
      }
      expect(rows.some((r) => r.runId === other.runId)).toBe(true);
    });

    it('gives each task its place and value, for pairing', async () => {
      const values = await store.values([run.runId], ['score']);
      expect(values).toHaveLength(run.points.length / 2);
      const byTask = new Map(run.points.filter((p) => p.name === 'score').map((p) => [p.taskId, p]));
      for (const v of values) {
        const point = byTask.get(v.taskId)!;
        expect(v).toEqual({
          runId: point.runId,
          taskId: point.taskId,
          modelId: point.modelId,
          promptVersionId: point.promptVersionId,
          rowIndex: point.rowIndex,
          repetition: point.repetition,
          name: 'score',
          value: point.value,
        });
      }
    });

    it('round-trips names with quotes, backslashes and newlines, and extreme values, unchanged', async () => {
      const { points, runId } = runPoints({ rows: 1, startMs: Date.UTC(2026, 0, 4) });
      const names = [`it's "quoted"`, 'back\\slash\\', 'new\nline\ttab', "'; drop table metric_points; --", 'naïve ✓ 😀', '\\\''];
      const values = [0.1 + 0.2, -0, 1e-300, 123456789.123456789, -1e300, 0];
      const odd = names.map((name, i) => ({ ...points[0]!, taskId: randomUUID(), name, value: values[i]! }));
      await store.insert(odd);
      const back = await store.values([runId], null);
      // -0 may come back as 0 (JSON has no -0); `+ 0` makes both 0.
      expect(back.map((v) => [v.name, v.value + 0]).sort()).toEqual(odd.map((p) => [p.name, p.value + 0]).sort());
      for (const point of odd) {
        const [row] = await store.summaries([runId], [point.name], []);
        expect(row?.name).toBe(point.name);
        expect(row!.mean + 0).toBe(point.value + 0);
      }
    });
  });
}
