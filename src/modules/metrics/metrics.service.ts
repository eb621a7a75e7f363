import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { RunRow } from '../../db/schema.js';
import { compareRuns, studentTQuantile } from '../../stats/index.js';
import type { LabPubSub } from '../../storage/pubsub.js';
import type { MetricAggregate, MetricBucketRow, MetricGroupKey, MetricPointRow, MetricStore, TaskMetricValue } from './metric-store.js';
import { metricPointStream } from './metric-point-stream.js';
import type { MetricWriter } from './metric-writer.js';

/** A summary with the 95% t interval of its mean (both ends the mean when there is one point). */
export type MetricSummaryData = MetricAggregate & { ci95Low: number; ci95High: number };

/** A task's place in its run, the same in two runs of one config: (row, prompt version position, model position, repetition). */
export interface TaskPlace {
  taskId: string;
  rowIndex: number;
  promptVersionId: string;
  modelId: string;
  repetition: number;
}

export interface MetricComparisonData {
  name: string;
  pairedCount: number;
  baselineMean: number;
  candidateMean: number;
  delta: number;
  deltaCi95Low: number;
  deltaCi95High: number;
  pValue: number;
  improved: number;
  regressed: number;
  unchanged: number;
}

export type PairChangeKind = 'IMPROVED' | 'REGRESSED' | 'UNCHANGED';

export interface TaskPairData {
  rowIndex: number;
  repetition: number;
  baselineTaskId: string;
  candidateTaskId: string;
  delta: number | null;
  change: PairChangeKind | null;
}

/** Bootstrap resamples of a comparison: the interval's ends move by well under 1% of its width between seeds. */
const RESAMPLES = 10_000;

/**
 * Metric points in and out: the worker records each settled task's metrics (written in batches by
 * the writer, and published live); reads summarise, bucket and compare runs the caller already
 * loaded (so in its project). Knows nothing of GraphQL.
 */
export class MetricsService {
  constructor(
    readonly store: MetricStore,
    private readonly writer: MetricWriter,
    private readonly pubsub: LabPubSub,
    private readonly logger: Logger,
  ) {}

  /** Queues the points for the store and publishes them to metricPoints subscribers; waits only when the writer is full. */
  async record(points: readonly MetricPointRow[]): Promise<void> {
    if (points.length === 0) return;
    const byRun = new Map<string, MetricPointRow[]>();
    for (const p of points) {
      let list = byRun.get(p.runId);
      if (!list) byRun.set(p.runId, (list = []));
      list.push(p);
    }
    for (const [runId, list] of byRun) this.pubsub.publish('run:metrics', runId, { points: list });
    await this.writer.write(points);
  }

  /** Live points of a run (see metricPointStream). */
  points(runId: string, names: ReadonlySet<string> | null, stillLive: () => Promise<boolean>): AsyncGenerator<MetricPointRow> {
    return metricPointStream(this.pubsub, runId, names, stillLive);
  }

  async summaries(runIds: readonly string[], names: readonly string[] | null, groupBy: readonly MetricGroupKey[]): Promise<MetricSummaryData[]> {
    const rows = await this.store.summaries(runIds, names, groupBy);
    return rows.map((row) => {
      if (row.stddev === null || row.count < 2) return { ...row, ci95Low: row.mean, ci95High: row.mean };
      const half = studentTQuantile(0.975, row.count - 1) * (row.stddev / Math.sqrt(row.count));
      return { ...row, ci95Low: row.mean - half, ci95High: row.mean + half };
    });
  }

  series(runIds: readonly string[], name: string, bucketSeconds: number): Promise<MetricBucketRow[]> {
    return this.store.series(runIds, name, bucketSeconds);
  }

  /**
   * Paired comparison of two runs on each metric both scored (only `names` when given; unknown
   * names give nothing): tasks are paired by their place, and `values` are the metric store's.
   */
  async compare(baseline: RunRow, candidate: RunRow, names: readonly string[] | null): Promise<MetricComparisonData[]> {
    const values = await this.store.values([baseline.id, candidate.id], names);
    const { paired } = pairValues(baseline, candidate, values);
    const result: MetricComparisonData[] = [];
    for (const name of [...paired.keys()].sort()) {
      const pairs = paired.get(name)!;
      const c = compareRuns(pairs, { seed: seedOf(baseline.id, candidate.id, name), resamples: RESAMPLES });
      result.push({
        name,
        pairedCount: c.pairs,
        baselineMean: c.baselineMean,
        candidateMean: c.candidateMean,
        delta: c.delta,
        deltaCi95Low: c.ci.low,
        deltaCi95High: c.ci.high,
        // One pair leaves no degrees of freedom: no evidence of a change.
        pValue: c.pValue ?? 1,
        improved: c.improved,
        regressed: c.regressed,
        unchanged: c.unchanged,
      });
    }
    return result;
  }

  /**
   * Every pair of tasks of the two runs with its delta on `metric`, the most changed first, then
   * the pairs where either side has no value (delta null); `change` keeps only those kinds.
   */
  async pairs(
    baseline: RunRow,
    candidate: RunRow,
    metric: string,
    places: (runId: string) => Promise<TaskPlace[]>,
    change: readonly PairChangeKind[] | null,
  ): Promise<TaskPairData[]> {
    const [values, baselineTasks, candidateTasks] = await Promise.all([
      this.store.values([baseline.id, candidate.id], [metric]),
      places(baseline.id),
      places(candidate.id),
    ]);
    const valueOf = new Map(values.map((v) => [v.taskId, v.value]));
    const candidateAt = new Map(candidateTasks.map((t) => [placeKey(candidate, t), t]));
    const result: TaskPairData[] = [];
    for (const b of baselineTasks) {
      const c = candidateAt.get(placeKey(baseline, b));
      if (!c) continue;
      const before = valueOf.get(b.taskId);
      const after = valueOf.get(c.taskId);
      const delta = before === undefined || after === undefined ? null : after - before;
      const kind: PairChangeKind | null = delta === null ? null : delta > 0 ? 'IMPROVED' : delta < 0 ? 'REGRESSED' : 'UNCHANGED';
      if (change && (kind === null || !change.includes(kind))) continue;
      result.push({ rowIndex: b.rowIndex, repetition: b.repetition, baselineTaskId: b.taskId, candidateTaskId: c.taskId, delta, change: kind });
    }
    return result.sort((x, y) => {
      if (x.delta === null || y.delta === null) return x.delta === null ? (y.delta === null ? 0 : 1) : -1;
      return Math.abs(y.delta) - Math.abs(x.delta) || x.rowIndex - y.rowIndex || x.repetition - y.repetition;
    });
  }

  /** Writes what is waiting; on shutdown, before the stores close. */
  async close(timeoutMs = 10_000): Promise<void> {
    await this.writer.close(timeoutMs);
    await this.store.close().catch((err) => this.logger.warn({ err }, 'closing the metric store'));
  }
}

/** A place as two runs of one config share it: prompt version and model by their position in the run. */
function placeKey(run: RunRow, t: { rowIndex: number; promptVersionId: string; modelId: string; repetition: number }): string {
  return `${t.rowIndex}/${run.promptVersionIds.indexOf(t.promptVersionId)}/${run.modelIds.indexOf(t.modelId)}/${t.repetition}`;
}

/** The pairs of each metric both runs have a value of at the same place, in place order (the bootstrap's draws depend on it). */
function pairValues(baseline: RunRow, candidate: RunRow, values: readonly TaskMetricValue[]) {
  const baselineAt = new Map<string, number>();
  for (const v of values) if (v.runId === baseline.id) baselineAt.set(`${v.name}|${placeKey(baseline, v)}`, v.value);
  const found = new Map<string, { place: string; baseline: number; candidate: number }[]>();
  for (const v of values) {
    if (v.runId !== candidate.id) continue;
    const place = placeKey(candidate, v);
    const before = baselineAt.get(`${v.name}|${place}`);
    if (before === undefined) continue;
    let list = found.get(v.name);
    if (!list) found.set(v.name, (list = []));
    list.push({ place, baseline: before, candidate: v.value });
  }
  const paired = new Map<string, { baseline: number; candidate: number }[]>();
  for (const [name, list] of found) paired.set(name, list.sort((a, b) => (a.place < b.place ? -1 : a.place > b.place ? 1 : 0)));
  return { paired };
}

/** The bootstrap's seed: fixed by the two runs and the metric, so the same comparison gives the same interval. */
function seedOf(baselineId: string, candidateId: string, name: string): number {
  return createHash('sha256').update(`${baselineId}|${candidateId}|${name}`).digest().readUInt32BE(0);
}
