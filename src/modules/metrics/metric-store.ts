/**
 * The metric store: every score of every task is one point, kept in ClickHouse (CLICKHOUSE_URL)
 * or in PostgreSQL (the default). Both adapters implement this interface and pass the same
 * contract tests (test/metrics/metric-store.contract.ts).
 *
 * A point is identified by (run, task, name). Writing the same identity again (a retried insert,
 * a task run again by retryRun) replaces the point: the one with the greatest `timeMs` wins, so a
 * point written twice is counted once. Every read names its runs.
 */
export interface MetricPointRow {
  projectId: string;
  experimentId: string;
  runId: string;
  taskId: string;
  modelId: string;
  promptVersionId: string;
  rowIndex: number;
  repetition: number;
  name: string;
  value: number;
  /** When the task ended, epoch milliseconds; the version of the point (see above). */
  timeMs: number;
}

export type MetricGroupKey = 'MODEL' | 'PROMPT_VERSION';

/**
 * One metric over one run (or one group of it). Quantiles interpolate between order statistics
 * (type 7, as src/stats): both adapters compute them exactly, not by sketch.
 */
export interface MetricAggregate {
  runId: string;
  name: string;
  /** Set when grouped by MODEL. */
  modelId: string | null;
  /** Set when grouped by PROMPT_VERSION. */
  promptVersionId: string | null;
  count: number;
  mean: number;
  /** Sample standard deviation (n - 1); null for one point. */
  stddev: number | null;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

export interface MetricBucketRow {
  runId: string;
  /** Start of the bucket, epoch milliseconds, a multiple of the bucket width. */
  startMs: number;
  count: number;
  mean: number;
  min: number;
  max: number;
}

/** One point as a comparison pairs it: the task's place in its run and its value. */
export interface TaskMetricValue {
  runId: string;
  taskId: string;
  modelId: string;
  promptVersionId: string;
  rowIndex: number;
  repetition: number;
  name: string;
  value: number;
}

export interface MetricStore {
  readonly kind: 'clickhouse' | 'postgres';
  /** Writes points in one insert (the batching writer calls this); throws when the store refused them. */
  insert(points: readonly MetricPointRow[]): Promise<void>;
  /** Summaries of `runIds` in one query; `names` null means every metric; no point, no row. Sorted by run, name, group. */
  summaries(runIds: readonly string[], names: readonly string[] | null, groupBy: readonly MetricGroupKey[]): Promise<MetricAggregate[]>;
  /** Each run's points of `name` bucketed by time, in one query; sorted by run then start. */
  series(runIds: readonly string[], name: string, bucketSeconds: number): Promise<MetricBucketRow[]>;
  /** The points of the runs, one per (task, name); `names` null means every metric. */
  values(runIds: readonly string[], names: readonly string[] | null): Promise<TaskMetricValue[]>;
  /** Points of one run as counted by the store, duplicates merged: what tests and the bench check. */
  count(runId: string): Promise<number>;
  close(): Promise<void>;
}
