/**
 * Metric ingest benchmark (ClickHouse): how fast metric points reach ClickHouse through the
 * batching writer, beside clickhouse-client loading the same rows, and how long one summary
 * of a large run takes. Prints one JSON line.
 *
 *   npx tsx bench/metric-ingest.ts [--runs 20] [--tasks 25000] [--summary-points 10000000] [--keep]
 *
 * On BENCH_CLICKHOUSE_URL (default http://127.0.0.1:8123; clickhouse-client reaches the same host
 * on its native port), in databases made anew (`lab_bench_metric_ingest`, `..._cli`):
 *   (a) runs x tasks x 4 metrics points, made as they are written a task (4 points) at a time
 *       through MetricWriter (default options) into ClickHouseMetricStore; timed from the first
 *       write until flush() resolves, then counted back.
 *   (b) the same rows as a JSONEachRow file, loaded by `clickhouse-client --query "INSERT ...
 *       FORMAT JSONEachRow"`, timed the same way (the file is written before the clock starts).
 *   (c) one run of --summary-points points (INSERT ... SELECT from numbers()), then
 *       summaries([run], null, ['MODEL']) three times; summary10MMs is the median.
 * ClickHouse, this script and clickhouse-client share the machine's cores.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { MetricPointRow } from '../src/modules/metrics/metric-store.js';
import { MetricWriter } from '../src/modules/metrics/metric-writer.js';
import { ClickHouseMetricStore } from '../src/modules/metrics/metrics.clickhouse.js';
import { chLiteral, createClickHouse, migrateClickHouse, type ClickHouseClient } from '../src/storage/clickhouse.js';
import { random } from './lib/random.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    tasks: { type: 'string', default: '25000' },
    'summary-points': { type: 'string', default: '10000000' },
    keep: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const TASKS = Number(values.tasks);
const SUMMARY_POINTS = Number(values['summary-points']);
for (const [flag, n] of [['--runs', RUNS], ['--tasks', TASKS], ['--summary-points', SUMMARY_POINTS]] as const) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number of at least 1`);
}
const NAMES = ['score', 'latency_ms', 'cost_usd', 'output_tokens'];
const DATABASE = 'lab_bench_metric_ingest';
const CLI_DATABASE = `${DATABASE}_cli`;
const url = process.env.BENCH_CLICKHOUSE_URL || 'http://127.0.0.1:8123';
const log = (message: string) => console.error(`metric-ingest: ${message}`);

/** A UUID-shaped id from the seeded generator, so every run of the bench writes the same rows. */
function idFrom(next: () => number): string {
  const chars: string[] = [];
  for (let i = 0; i < 36; i++) chars.push(i === 8 || i === 13 || i === 18 || i === 23 ? '-' : Math.floor(next() * 16).toString(16));
  return chars.join('');
}

/**
 * Each task's 4 points, run after run (2 models x 2 prompt versions, as a run expands), made as
 * they are consumed so the heap holds what a worker's would; the same rows on every call.
 */
function* tasks(): Generator<MetricPointRow[]> {
  const next = random(7);
  const projectId = idFrom(next);
  const experimentId = idFrom(next);
  const models = [idFrom(next), idFrom(next)];
  const promptVersions = [idFrom(next), idFrom(next)];
  const startMs = Date.UTC(2026, 0, 1);
  for (let r = 0; r < RUNS; r++) {
    const runId = idFrom(next);
    for (let t = 0; t < TASKS; t++) {
      const taskId = idFrom(next);
      const modelId = models[t % 2]!;
      const promptVersionId = promptVersions[(t >> 1) % 2]!;
      const rowIndex = t >> 2;
      const timeMs = startMs + r * 3_600_000 + t * 40;
      const point = (name: string, value: number): MetricPointRow => ({ projectId, experimentId, runId, taskId, modelId, promptVersionId, rowIndex, repetition: 0, name, value, timeMs });
      yield [
        point(NAMES[0]!, Math.round(next() * 100) / 100),
        point(NAMES[1]!, 200 + next() * 3000),
        point(NAMES[2]!, next() * 0.002),
        point(NAMES[3]!, Math.floor(next() * 800)),
      ];
    }
  }
}

async function freshDatabase(client: ClickHouseClient, database: string) {
  await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await migrateClickHouse(client, database);
}

async function pointsIn(client: ClickHouseClient, database: string): Promise<number> {
  const result = await client.query({ query: `SELECT count() AS n FROM ${database}.metric_points FINAL`, format: 'JSONEachRow' });
  return Number((await result.json<{ n: string }>())[0]!.n);
}

async function viaWriter(client: ClickHouseClient): Promise<number> {
  const store = new ClickHouseMetricStore(client, DATABASE);
  const writer = new MetricWriter(store, pino({ level: 'warn' }));
  const started = performance.now();
  for (const points of tasks()) await writer.write(points);
  await writer.flush();
  const seconds = (performance.now() - started) / 1000;
  const { failedInserts } = writer.stats();
  await writer.close(1_000);
  if (failedInserts > 0) log(`${failedInserts} inserts failed and were retried`);
  return seconds;
}

async function viaClickHouseClient(): Promise<number> {
  const folder = mkdtempSync(join(os.tmpdir(), 'metric-ingest-'));
  const file = join(folder, 'points.jsonl');
  try {
    const out = createWriteStream(file);
    let chunk: string[] = [];
    for (const points of tasks()) {
      for (const p of points) {
        chunk.push(
          JSON.stringify({
            project_id: p.projectId,
            experiment_id: p.experimentId,
            run_id: p.runId,
            task_id: p.taskId,
            model_id: p.modelId,
            prompt_version_id: p.promptVersionId,
            row_index: p.rowIndex,
            repetition: p.repetition,
            name: p.name,
            value: p.value,
            time_ms: p.timeMs,
          }),
        );
      }
      if (chunk.length >= 10_000) {
        if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
        chunk = [];
      }
    }
    out.end(chunk.length ? `${chunk.join('\n')}\n` : '');
    await once(out, 'finish');
    const host = new URL(url).hostname;
    const started = performance.now();
    const child = spawn('clickhouse-client', ['--host', host, '--query', `INSERT INTO ${CLI_DATABASE}.metric_points FORMAT JSONEachRow`], { stdio: ['pipe', 'inherit', 'inherit'] });
    createReadStream(file).pipe(child.stdin);
    const [code] = (await once(child, 'exit')) as [number | null];
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`clickhouse-client exited with ${code}`);
    return seconds;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function summaryOfLargeRun(client: ClickHouseClient): Promise<number[]> {
  const runId = 'bench-summary-run';
  const names = chLiteral(NAMES);
  log(`inserting ${SUMMARY_POINTS} points of one run with INSERT ... SELECT`);
  // Tasks of 4 points (one per metric name), 4 models, 2 prompt versions; values spread by a hash.
  await client.command({
    query: `
      INSERT INTO ${DATABASE}.metric_points (project_id, experiment_id, run_id, task_id, model_id, prompt_version_id, row_index, repetition, name, value, time_ms)
      SELECT 'bench-project', 'bench-experiment', ${chLiteral(runId)}, concat('task-', toString(intDiv(number, 4))),
        concat('model-', toString(intDiv(number, 4) % 4)), concat('prompt-', toString(intDiv(number, 16) % 2)),
        toUInt32(intDiv(number, 32)), toUInt32(0), arrayElement(${names}, (number % 4) + 1),
        (cityHash64(number) % 1000000) / 1000, ${chLiteral(Date.UTC(2026, 1, 1))} + intDiv(number, 4)
      FROM system.numbers LIMIT ${chLiteral(SUMMARY_POINTS)}`,
    clickhouse_settings: { max_execution_time: 0 },
  });
  const store = new ClickHouseMetricStore(client, DATABASE);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const rows = await store.summaries([runId], null, ['MODEL']);
    times.push(performance.now() - started);
    const counted = rows.reduce((sum, row) => sum + row.count, 0);
    if (counted !== SUMMARY_POINTS || rows.length !== NAMES.length * 4) throw new Error(`the summary counted ${counted} points in ${rows.length} rows`);
  }
  return times;
}

async function main() {
  const client = createClickHouse({ url, requestTimeoutMs: 600_000 });
  try {
    const versionResult = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
    const clickhouseVersion = (await versionResult.json<{ v: string }>())[0]!.v;
    const points = RUNS * TASKS * NAMES.length;

    await freshDatabase(client, DATABASE);
    log(`(a) ${points} points through MetricWriter + ClickHouseMetricStore`);
    const writerSeconds = await viaWriter(client);
    const writerCount = await pointsIn(client, DATABASE);
    if (writerCount !== points) throw new Error(`the writer's database holds ${writerCount} points, not ${points}`);

    await freshDatabase(client, CLI_DATABASE);
    log(`(b) the same rows through clickhouse-client, JSONEachRow`);
    const cliSeconds = await viaClickHouseClient();
    const cliCount = await pointsIn(client, CLI_DATABASE);
    if (cliCount !== points) throw new Error(`clickhouse-client's database holds ${cliCount} points, not ${points}`);

    log(`(c) summaries by model over a run of ${SUMMARY_POINTS} points`);
    const summaryTimes = await summaryOfLargeRun(client);
    const writerPointsPerSecond = Math.round(points / writerSeconds);
    const clickhouseClientPointsPerSecond = Math.round(points / cliSeconds);
    console.log(
      JSON.stringify({
        bench: 'metric-ingest',
        points,
        writerPointsPerSecond,
        clickhouseClientPointsPerSecond,
        ratio: Number((writerPointsPerSecond / clickhouseClientPointsPerSecond).toFixed(2)),
        summary10MMs: Math.round([...summaryTimes].sort((a, b) => a - b)[1]!),
        summaryPoints: SUMMARY_POINTS,
        summaryRunsMs: summaryTimes.map(Math.round),
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, clickhouse: clickhouseVersion },
      }),
    );
  } finally {
    if (!values.keep) {
      for (const database of [DATABASE, CLI_DATABASE]) await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    }
    await client.close();
  }
}

await main();
