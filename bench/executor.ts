/**
 * Executor benchmark: tasks per second of ONE `llm-lab worker` process against the fake
 * OpenAI-compatible server (a process of its own), printed beside the bound concurrency / latency.
 *
 *   npx tsx bench/executor.ts [--tasks 20000] [--start-tasks 100000] [--keep] [--profile DIR]
 *
 * Scenarios, each on a fresh run of --tasks tasks (rows x 2 models):
 *   - latency 0 ms, the worker's default LAB_WORKER_CONCURRENCY (64)
 *   - latency 100 ms, LAB_WORKER_CONCURRENCY=200: bound 2,000 tasks/s
 *   - the same with the run's own concurrency cap at 200, which also counts the tasks claimed ahead
 * and how long startRun takes to accept a run of --start-tasks tasks (set-based expansion).
 *
 * Throughput is counted from the run's first claim (started_at) to its last task's finished_at;
 * the finisher's results.jsonl is timed apart. Postgres, the worker, the fake server and this
 * script share the machine's cores; each one's CPU time per task is printed (cpuMicrosPerTask).
 */
import 'reflect-metadata';
import { PostgresMetricStore } from '../src/modules/metrics/metrics.postgres.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import postgres from 'postgres';
import { composeLab } from '../src/app/lab.js';
import { SecretBox } from '../src/common/secret-box.js';
import { configSchema } from '../src/config.js';
import { executionSettings } from '../src/modules/execution/settings.js';
import { LocalBlobStore } from '../src/storage/blobs/index.js';
import { connectDatabase, migrateDatabase } from '../src/storage/postgres.js';
import { createLabPubSub } from '../src/storage/pubsub.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '20000' },
    'start-tasks': { type: 'string', default: '100000' },
    keep: { type: 'boolean', default: false },
    /** Writes a V8 CPU profile of each worker process to this folder. */
    profile: { type: 'string' },
  },
});
const TASKS = Number(values.tasks);
const START_TASKS = Number(values['start-tasks']);
if (!Number.isInteger(TASKS) || TASKS < 2 || TASKS % 2) throw new Error('--tasks must be an even whole number of at least 2');
if (!Number.isInteger(START_TASKS) || START_TASKS < 2 || START_TASKS % 2) throw new Error('--start-tasks must be an even whole number of at least 2');

const DATABASE = 'llm_lab_bench_executor';
const root = fileURLToPath(new URL('..', import.meta.url));
const log = (message: string) => console.error(`executor: ${message}`);
const adminUrl = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const databaseUrl = (() => {
  const url = new URL(adminUrl);
  url.pathname = `/${DATABASE}`;
  return url.toString();
})();

const TICKS_PER_MS = 100 / 1000; // USER_HZ is 100 on Linux

/** CPU milliseconds (user + system) a process has used, from /proc. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS;
}

/** CPU milliseconds of every PostgreSQL process on the machine (the server's backends included). */
function postgresCpuMs(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuMs(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** A child process that prints one JSON line when ready. */
function start(args: string[], env: Record<string, string>, ready: (line: string) => boolean, nodeFlags: string[] = []): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', ...args], { env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n')) if (ready(line)) resolve({ child, line });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

async function main() {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  log(`creating database ${DATABASE}`);
  await admin.unsafe(`drop database if exists ${DATABASE} with (force)`);
  await admin.unsafe(`create database ${DATABASE}`);
  await migrateDatabase(databaseUrl);
  const dataDir = mkdtempSync(join(os.tmpdir(), 'lab-bench-executor-'));
  const secretKey = randomBytes(32);
  const database = connectDatabase(databaseUrl, { poolSize: 4 });
  const logger = pino({ level: 'warn' });
  const { pubsub, close } = createLabPubSub(undefined, logger);
  const lab = composeLab({
    database,
    pubsub,
    secrets: new SecretBox(secretKey),
    blobs: new LocalBlobStore({ root: join(dataDir, 'blobs'), publicBaseUrl: 'http://127.0.0.1:1', signingSecret: randomBytes(32) }),
    uploads: { maxUploadBytes: 2 ** 31 - 1, maxRowBytes: 1024 ** 2, multipartThresholdBytes: 2 ** 31 - 1, partSizeBytes: 8 * 1024 ** 2 },
    execution: executionSettings(configSchema.shape.worker.parse({})),
    redis: null,
    metrics: { store: new PostgresMetricStore(database.db) },
    logger,
  });
  const { services } = lab;
  const sql = database.sql;
  const children: ChildProcess[] = [];
  try {
    const project = await services.projects.create('bench');
    const experiment = await services.experiments.create(project.id, { name: 'executor bench', description: null, hypothesis: null, tags: [] });
    const prompt = await services.prompts.create(project.id, { name: 'q', system: 'Answer briefly.', template: 'Q: {{question}}' });
    const [version] = await sql<{ id: string }[]>`select id from prompt_versions where prompt_id = ${prompt.id}`;
    const validate = lab.jobs.find((job) => job.name === 'dataset-validation')!;
    const datasetVersion = async (rows: number) => {
      const dataset = await services.datasets.create(project.id, { name: `rows-${rows}-${randomBytes(4).toString('hex')}` });
      const lines = Array.from({ length: rows }, (_, i) => JSON.stringify({ input: { question: `What is ${i} + ${i}?` }, expected: String(2 * i) }));
      const v = await services.datasets.importFile(project.id, dataset.id, 'JSONL', Buffer.from(`${lines.join('\n')}\n`));
      while (await validate.runOnce()) {
        // one version a unit
      }
      return v.id;
    };

    const scenario = async (latencyMs: number, workerConcurrency: number, runConcurrency: number | null) => {
      const fake = await start([join(root, 'test/helpers/fake-llm-server-main.ts')], { FAKE_LLM_LATENCY_MS: String(latencyMs) }, (line) => line.startsWith('{'));
      children.push(fake.child);
      const fakeUrl = (JSON.parse(fake.line) as { url: string }).url;
      const models = [];
      for (const i of [1, 2]) {
        models.push(
          await services.models.create(project.id, {
            name: `fake-${latencyMs}-${runConcurrency ?? "uncapped"}-${i}`,
            provider: 'OPENAI_COMPATIBLE',
            modelName: `fake-${i}`,
            baseUrl: fakeUrl,
            maxConcurrency: 1000,
          }),
        );
      }
      const worker = await start(
        [join(root, 'src/main.ts'), 'worker'],
        {
          DATABASE_URL: databaseUrl,
          LAB_SECRET_KEY: secretKey.toString('hex'),
          LAB_DATA_DIR: dataDir,
          LAB_WORKER_CONCURRENCY: String(workerConcurrency),
          LOG_LEVEL: 'info',
          DEBUG_EXECUTOR: process.env.DEBUG_EXECUTOR ?? '',
        },
        (line) => line.includes('worker started'),
        values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [],
      );
      children.push(worker.child);
      const versionId = await datasetVersion(TASKS / 2);
      const cpuBefore = { worker: cpuMs(worker.child.pid!), fake: cpuMs(fake.child.pid!), postgres: postgresCpuMs(), bench: process.cpuUsage() };
      const run = await services.runs.start(project.id, {
        experimentId: experiment.id,
        datasetVersionId: versionId,
        promptVersionIds: [version!.id],
        modelIds: models.map((m) => m.id),
        evaluators: [],
        concurrency: runConcurrency,
      });
      for (;;) {
        const [row] = await sql<{ status: string }[]>`select status from runs where id = ${run.id}`;
        if (row!.status === 'SUCCEEDED' || row!.status === 'FAILED') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const benchCpu = process.cpuUsage(cpuBefore.bench);
      const perTask = (ms: number) => Number(((ms * 1000) / TASKS).toFixed(0));
      const cpuMicrosPerTask = {
        worker: perTask(cpuMs(worker.child.pid!) - cpuBefore.worker),
        fakeServer: perTask(cpuMs(fake.child.pid!) - cpuBefore.fake),
        postgres: perTask(postgresCpuMs() - cpuBefore.postgres),
        benchScript: perTask((benchCpu.user + benchCpu.system) / 1000),
      };
      // Milliseconds since the epoch: the pool's driver leaves timestamps as text for drizzle to parse.
      const [times] = await sql<{ started: number; finished: number; failed: number; lastEnd: number; meanLatencyMs: number }[]>`
        select extract(epoch from r.started_at) * 1000 as started, extract(epoch from r.finished_at) * 1000 as finished, r.failed_tasks as failed,
          (select extract(epoch from max(finished_at)) * 1000 from tasks where run_id = r.id) as "lastEnd",
          (select avg(latency_ms) from tasks where run_id = r.id) as "meanLatencyMs"
        from runs r where r.id = ${run.id}`;
      const seconds = (Number(times!.lastEnd) - Number(times!.started)) / 1000;
      await stopChild(worker.child);
      await stopChild(fake.child);
      const tasksPerSecond = Math.round(TASKS / seconds);
      const bound = latencyMs > 0 ? Math.round((Math.min(workerConcurrency, runConcurrency ?? Infinity) / latencyMs) * 1000) : null;
      const figures = {
        latencyMs,
        workerConcurrency,
        runConcurrency,
        tasks: TASKS,
        failed: times!.failed,
        seconds: Number(seconds.toFixed(2)),
        tasksPerSecond,
        bound,
        ofBound: bound ? Number((tasksPerSecond / bound).toFixed(3)) : null,
        resultsJsonlSeconds: Number(((Number(times!.finished) - Number(times!.lastEnd)) / 1000).toFixed(2)),
        /** The provider call as the worker timed it: the fake server's latency plus both sides' work and waiting. */
        meanCallMs: Number(Number(times!.meanLatencyMs).toFixed(1)),
        cpuMicrosPerTask,
      };
      log(JSON.stringify(figures));
      return figures;
    };

    log(`latency 0 ms, ${TASKS} tasks`);
    const zero = await scenario(0, 64, null);
    log(`latency 100 ms, worker concurrency 200, ${TASKS} tasks`);
    const hundred = await scenario(100, 200, null);
    log(`latency 100 ms, run concurrency 200, ${TASKS} tasks`);
    const capped = await scenario(100, 200, 200);

    log(`startRun of ${START_TASKS} tasks`);
    const bigVersion = await datasetVersion(START_TASKS / 2);
    const echo = await services.models.create(project.id, { name: 'echo', provider: 'ECHO', modelName: 'echo' });
    const echo2 = await services.models.create(project.id, { name: 'echo2', provider: 'ECHO', modelName: 'echo' });
    const started = performance.now();
    const big = await services.runs.start(project.id, {
      experimentId: experiment.id,
      datasetVersionId: bigVersion,
      promptVersionIds: [version!.id],
      modelIds: [echo.id, echo2.id],
      evaluators: [],
    });
    const startRunMs = Math.round(performance.now() - started);
    await services.runs.cancel(project.id, big.id);

    console.log(
      JSON.stringify({
        bench: 'executor',
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
        scenarios: [zero, hundred, capped],
        startRun: { tasks: big.totalTasks, ms: startRunMs },
      }),
    );
  } finally {
    for (const child of children) await stopChild(child);
    await close();
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (!values.keep) await admin.unsafe(`drop database if exists ${DATABASE} with (force)`);
    await admin.end();
  }
}

await main();
