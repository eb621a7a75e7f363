import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../storage/postgres.js';
import type { MetricAggregate, MetricBucketRow, MetricGroupKey, MetricPointRow, MetricStore, TaskMetricValue } from './metric-store.js';

type AggregateRow = {
  run_id: string;
  name: string;
  model_id: string | null;
  prompt_version_id: string | null;
  count: number;
  mean: number;
  stddev: number | null;
  min: number;
  max: number;
  quantiles: number[];
};

/**
 * Metric points in PostgreSQL (`metric_points`), for the embedded default. percentile_cont is the
 * type 7 interpolation src/stats uses, so summaries match it exactly.
 */
export class PostgresMetricStore implements MetricStore {
  readonly kind = 'postgres';

  constructor(private readonly db: Db) {}

  async insert(points: readonly MetricPointRow[]): Promise<void> {
    if (points.length === 0) return;
    // ON CONFLICT cannot touch one row twice in a statement: keep the latest of each point first.
    const latest = new Map<string, MetricPointRow>();
    for (const p of points) {
      const key = `${p.runId}\u0000${p.name}\u0000${p.taskId}`;
      const seen = latest.get(key);
      if (!seen || seen.timeMs <= p.timeMs) latest.set(key, p);
    }
    const rows = [...latest.values()];
    const column = <T>(pick: (p: MetricPointRow) => T) => sql.param(rows.map(pick));
    await this.db.execute(sql`
      insert into metric_points (project_id, experiment_id, run_id, task_id, model_id, prompt_version_id, row_index, repetition, name, value, time_ms)
      select * from unnest(${column((p) => p.projectId)}::uuid[], ${column((p) => p.experimentId)}::uuid[], ${column((p) => p.runId)}::uuid[],
        ${column((p) => p.taskId)}::uuid[], ${column((p) => p.modelId)}::uuid[], ${column((p) => p.promptVersionId)}::uuid[],
        ${column((p) => p.rowIndex)}::int[], ${column((p) => p.repetition)}::int[], ${column((p) => p.name)}::text[],
        ${column((p) => p.value)}::float8[], ${column((p) => p.timeMs)}::int8[])
      on conflict (run_id, name, task_id) do update set
        project_id = excluded.project_id, experiment_id = excluded.experiment_id, model_id = excluded.model_id,
        prompt_version_id = excluded.prompt_version_id, row_index = excluded.row_index, repetition = excluded.repetition,
        value = excluded.value, time_ms = excluded.time_ms
      where metric_points.time_ms <= excluded.time_ms`);
  }

  async summaries(runIds: readonly string[], names: readonly string[] | null, groupBy: readonly MetricGroupKey[]): Promise<MetricAggregate[]> {
    if (runIds.length === 0) return [];
    const byModel = groupBy.includes('MODEL');
    const byPrompt = groupBy.includes('PROMPT_VERSION');
    const model = byModel ? sql`model_id` : sql`null::uuid`;
    const prompt = byPrompt ? sql`prompt_version_id` : sql`null::uuid`;
    const groups: SQL[] = [sql`run_id`, sql`name`];
    if (byModel) groups.push(sql`model_id`);
    if (byPrompt) groups.push(sql`prompt_version_id`);
    const rows = await this.db.execute<AggregateRow>(sql`
      select run_id, name, ${model} as model_id, ${prompt} as prompt_version_id,
        count(*)::int as count, avg(value) as mean, stddev_samp(value) as stddev, min(value) as min, max(value) as max,
        percentile_cont(array[0.5, 0.9, 0.95, 0.99]) within group (order by value) as quantiles
      from metric_points
      where ${this.where(runIds, names)}
      group by ${sql.join(groups, sql`, `)}
      order by ${sql.join(groups, sql`, `)}`);
    return rows.map((r) => ({
      runId: r.run_id,
      name: r.name,
      modelId: r.model_id,
      promptVersionId: r.prompt_version_id,
      count: r.count,
      mean: Number(r.mean),
      stddev: r.stddev === null ? null : Number(r.stddev),
      min: Number(r.min),
      max: Number(r.max),
      p50: Number(r.quantiles[0]),
      p90: Number(r.quantiles[1]),
      p95: Number(r.quantiles[2]),
      p99: Number(r.quantiles[3]),
    }));
  }

  async series(runIds: readonly string[], name: string, bucketSeconds: number): Promise<MetricBucketRow[]> {
    if (runIds.length === 0) return [];
    const width = bucketSeconds * 1000;
    const rows = await this.db.execute<{ run_id: string; start_ms: string; count: number; mean: number; min: number; max: number }>(sql`
      select run_id, (time_ms / ${width}::int8) * ${width}::int8 as start_ms, count(*)::int as count, avg(value) as mean, min(value) as min, max(value) as max
      from metric_points
      where ${this.where(runIds, [name])}
      group by run_id, start_ms
      order by run_id, start_ms`);
    return rows.map((r) => ({ runId: r.run_id, startMs: Number(r.start_ms), count: r.count, mean: Number(r.mean), min: Number(r.min), max: Number(r.max) }));
  }

  async values(runIds: readonly string[], names: readonly string[] | null): Promise<TaskMetricValue[]> {
    if (runIds.length === 0) return [];
    const rows = await this.db.execute<{
      run_id: string;
      task_id: string;
      model_id: string;
      prompt_version_id: string;
      row_index: number;
      repetition: number;
      name: string;
      value: number;
    }>(sql`
      select run_id, task_id, model_id, prompt_version_id, row_index, repetition, name, value
      from metric_points where ${this.where(runIds, names)}`);
    return rows.map((r) => ({
      runId: r.run_id,
      taskId: r.task_id,
      modelId: r.model_id,
      promptVersionId: r.prompt_version_id,
      rowIndex: r.row_index,
      repetition: r.repetition,
      name: r.name,
      value: Number(r.value),
    }));
  }

  async count(runId: string): Promise<number> {
    const [row] = await this.db.execute<{ count: number }>(sql`select count(*)::int as count from metric_points where run_id = ${runId}`);
    return row!.count;
  }

  async close(): Promise<void> {}

  private where(runIds: readonly string[], names: readonly string[] | null): SQL {
    const runs = sql`run_id = any(${sql.param([...runIds])}::uuid[])`;
    return names === null ? runs : sql`${runs} and name = any(${sql.param([...names])}::text[])`;
  }
}
