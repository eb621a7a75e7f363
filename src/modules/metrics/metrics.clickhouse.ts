import { Readable } from 'node:stream';
import { drainStream } from '@clickhouse/client';
import { chLiteral, checkDatabaseName, type ClickHouseClient } from '../../storage/clickhouse.js';
import type { MetricAggregate, MetricBucketRow, MetricGroupKey, MetricPointRow, MetricStore, TaskMetricValue } from './metric-store.js';

const COLUMNS = 'project_id, experiment_id, run_id, task_id, model_id, prompt_version_id, row_index, repetition, name, value, time_ms';

const QUANTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;

/** 64-bit integers arrive as strings (output_format_json_quote_64bit_integers, src/storage/clickhouse.ts). */
type UInt64Text = string;

type AggregateRow = {
  run_id: string;
  name: string;
  model_id?: string;
  prompt_version_id?: string;
  n: UInt64Text;
  mean: number;
  sd: number | null;
  minimum: number;
  maximum: number;
} & Record<(typeof QUANTILES)[number][0], number>;

/**
 * Metric points in ClickHouse (`metric_points`, clickhouse/migrations/). Every read filters by
 * run and reads `FINAL`, which merges the versions of a point at read time, so a point written
 * twice and not yet merged away is counted once. FINAL is safe here because every filter is on
 * the sorting key (run, name): a filter on another column could drop the latest version of a
 * point and leave an older one. The store owns the client it is given: close() closes it.
 */
export class ClickHouseMetricStore implements MetricStore {
  readonly kind = 'clickhouse';
  private readonly table: string;
  /** The insert buffer, reused (an insert takes it while it runs): megabytes allocated per insert set off full collections of a large heap (bench/metric-ingest). */
  private scratch: Buffer | null = null;

  constructor(
    private readonly client: ClickHouseClient,
    database: string,
  ) {
    this.table = `${checkDatabaseName(database)}.metric_points`;
  }

  /** One insert in RowBinary: 18.16 reads decimal text into a double off by one ulp for about one value in ten, binary is exact. */
  async insert(points: readonly MetricPointRow[]): Promise<void> {
    if (points.length === 0) return;
    const capacity = rowBinaryCapacity(points);
    let scratch = this.scratch;
    this.scratch = null;
    if (!scratch || scratch.length < capacity) scratch = Buffer.allocUnsafeSlow(capacity);
    try {
      const body = encodeRowBinary(points, scratch);
      const { stream } = await this.client.exec({
        query: `INSERT INTO ${this.table} (${COLUMNS}) FORMAT RowBinary`,
        values: Readable.from([body], { objectMode: false }),
      });
      await drainStream(stream);
    } finally {
      this.scratch = scratch;
    }
  }

  async summaries(runIds: readonly string[], names: readonly string[] | null, groupBy: readonly MetricGroupKey[]): Promise<MetricAggregate[]> {
    if (runIds.length === 0) return [];
    const byModel = groupBy.includes('MODEL');
    const byPrompt = groupBy.includes('PROMPT_VERSION');
    const groups = ['run_id', 'name', ...(byModel ? ['model_id'] : []), ...(byPrompt ? ['prompt_version_id'] : [])].join(', ');
    const quantiles = QUANTILES.map(([alias, p]) => `${type7('sorted', 'n', p)} AS ${alias}`).join(', ');
    const rows = await this.rows<AggregateRow>(`
      SELECT ${groups}, n, mean, sd, minimum, maximum, ${quantiles}
      FROM (
        SELECT ${groups}, count() AS n, avg(value) AS mean, stddevSamp(value) AS sd, min(value) AS minimum, max(value) AS maximum,
          arraySort(groupArray(value)) AS sorted
        FROM ${this.table} FINAL
        WHERE ${where(runIds, names)}
        GROUP BY ${groups}
      )
      ORDER BY ${groups}`);
    return rows.map((r) => {
      const count = Number(r.n);
      return {
        runId: r.run_id,
        name: r.name,
        modelId: byModel ? r.model_id! : null,
        promptVersionId: byPrompt ? r.prompt_version_id! : null,
        count,
        mean: r.mean,
        stddev: count < 2 ? null : r.sd,
        min: r.minimum,
        max: r.maximum,
        p50: r.p50,
        p90: r.p90,
        p95: r.p95,
        p99: r.p99,
      };
    });
  }

  async series(runIds: readonly string[], name: string, bucketSeconds: number): Promise<MetricBucketRow[]> {
    if (runIds.length === 0) return [];
    const width = bucketSeconds * 1000;
    if (!Number.isSafeInteger(width) || width <= 0) throw new RangeError(`bucketSeconds must make a whole positive number of milliseconds (got ${bucketSeconds})`);
    const rows = await this.rows<{ run_id: string; start_ms: UInt64Text; n: UInt64Text; mean: number; minimum: number; maximum: number }>(`
      SELECT run_id, intDiv(time_ms, ${chLiteral(width)}) * ${chLiteral(width)} AS start_ms,
        count() AS n, avg(value) AS mean, min(value) AS minimum, max(value) AS maximum
      FROM ${this.table} FINAL
      WHERE ${where(runIds, [name])}
      GROUP BY run_id, start_ms
      ORDER BY run_id, start_ms`);
    return rows.map((r) => ({ runId: r.run_id, startMs: Number(r.start_ms), count: Number(r.n), mean: r.mean, min: r.minimum, max: r.maximum }));
  }

  async values(runIds: readonly string[], names: readonly string[] | null): Promise<TaskMetricValue[]> {
    if (runIds.length === 0) return [];
    const rows = await this.rows<{
      run_id: string;
      task_id: string;
      model_id: string;
      prompt_version_id: string;
      row_index: number;
      repetition: number;
      name: string;
      value: number;
    }>(`
      SELECT run_id, task_id, model_id, prompt_version_id, row_index, repetition, name, value
      FROM ${this.table} FINAL
      WHERE ${where(runIds, names)}`);
    return rows.map((r) => ({
      runId: r.run_id,
      taskId: r.task_id,
      modelId: r.model_id,
      promptVersionId: r.prompt_version_id,
      rowIndex: r.row_index,
      repetition: r.repetition,
      name: r.name,
      value: r.value,
    }));
  }

  async count(runId: string): Promise<number> {
    const [row] = await this.rows<{ n: UInt64Text }>(`SELECT count() AS n FROM ${this.table} FINAL WHERE run_id = ${chLiteral(runId)}`);
    return Number(row!.n);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async rows<T>(query: string): Promise<T[]> {
    const result = await this.client.query({ query, format: 'JSONEachRow' });
    return result.json<T>();
  }
}

const inList = (values: readonly string[]) => `(${values.map((v) => chLiteral(v)).join(', ')})`;

function where(runIds: readonly string[], names: readonly string[] | null): string {
  const runs = `run_id IN ${inList(runIds)}`;
  if (names === null) return runs;
  return names.length === 0 ? `${runs} AND 0` : `${runs} AND name IN ${inList(names)}`;
}

/**
 * The type 7 quantile of level p (src/stats quantileSorted) over `sorted`, an ascending array of
 * `n` values, 1-based: h = (n - 1) p, lo = floor h, s[lo + 1] + (h - lo) (s[min(lo + 2, n)] - s[lo + 1]).
 * The same double operations in the same order, so the same number.
 */
function type7(sorted: string, n: string, p: number): string {
  const h = `((${n} - 1) * ${chLiteral(p)})`;
  const lo = `toUInt64(floor(${h}))`;
  const at = (index: string) => `arrayElement(${sorted}, ${index})`;
  return `(${at(`${lo} + 1`)} + (${h} - ${lo}) * (${at(`least(${lo} + 2, ${n})`)} - ${at(`${lo} + 1`)}))`;
}

const TWO_32 = 2 ** 32;

/** A RowBinary String at `at`: its UTF-8 length (LEB128), then its bytes; returns the offset after it. */
function writeString(out: Buffer, at: number, s: string): number {
  if (s.length <= 42) {
    // At most 126 bytes: a one-byte length, written after the bytes are counted.
    const bytes = out.write(s, at + 1);
    out[at] = bytes;
    return at + 1 + bytes;
  }
  let length = Buffer.byteLength(s);
  while (length >= 0x80) {
    out[at++] = (length & 0x7f) | 0x80;
    length >>>= 7;
  }
  out[at++] = length;
  return at + out.write(s, at);
}

/** Bytes enough for the points in RowBinary: at most 3 UTF-8 bytes per UTF-16 unit, 5 length bytes per string, 24 bytes of numbers. */
export function rowBinaryCapacity(points: readonly MetricPointRow[]): number {
  let capacity = 0;
  for (const p of points) {
    const chars = p.projectId.length + p.experimentId.length + p.runId.length + p.taskId.length + p.modelId.length + p.promptVersionId.length + p.name.length;
    capacity += 3 * chars + 7 * 5 + 24;
  }
  return capacity;
}

/**
 * The points as RowBinary in COLUMNS order, written at the start of `out` (rowBinaryCapacity
 * bytes at least): a String is its UTF-8 length (LEB128) then its bytes, numbers are
 * little-endian. Refuses values the columns cannot hold exactly.
 */
export function encodeRowBinary(points: readonly MetricPointRow[], out: Buffer = Buffer.allocUnsafe(rowBinaryCapacity(points))): Buffer {
  let at = 0;
  for (const p of points) {
    if (!Number.isInteger(p.rowIndex) || !Number.isInteger(p.repetition)) throw new RangeError(`rowIndex and repetition must be whole numbers (got ${p.rowIndex}, ${p.repetition})`);
    if (!Number.isFinite(p.value)) throw new RangeError(`metric ${p.name} of task ${p.taskId}: value ${p.value} is not a finite number`);
    if (!Number.isSafeInteger(p.timeMs) || p.timeMs < 0) throw new RangeError(`timeMs must be a whole number of milliseconds since 1970 (got ${p.timeMs})`);
    at = writeString(out, at, p.projectId);
    at = writeString(out, at, p.experimentId);
    at = writeString(out, at, p.runId);
    at = writeString(out, at, p.taskId);
    at = writeString(out, at, p.modelId);
    at = writeString(out, at, p.promptVersionId);
    at = out.writeUInt32LE(p.rowIndex, at);
    at = out.writeUInt32LE(p.repetition, at);
    at = writeString(out, at, p.name);
    at = out.writeDoubleLE(p.value, at);
    at = out.writeUInt32LE(p.timeMs % TWO_32, at);
    at = out.writeUInt32LE(Math.floor(p.timeMs / TWO_32), at);
  }
  return out.subarray(0, at);
}
