import { spawn, type ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../src/common/global-id.js';
import { startFakeLlmServer, type FakeLlmServer } from '../helpers/fake-llm-server.js';
import { startTestLab, TEST_REDIS_URL, type TestLab, type TestProject } from '../helpers/lab.js';
import { StartRun } from '../helpers/operations.js';
import { questionRows, runConfig, waitForRun } from '../helpers/runs.js';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

/** `llm-lab worker` as its own process over the lab's database, blob folder and Redis. */
function workerProcess(lab: TestLab): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'worker'], {
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'info',
      DATABASE_URL: lab.databaseUrl,
      LAB_SECRET_KEY: lab.secretKeyHex,
      LAB_DATA_DIR: dirname(lab.blobRoot!),
      REDIS_URL: TEST_REDIS_URL,
      LAB_TASK_LEASE_SECONDS: '2',
      LAB_WORKER_CONCURRENCY: '8',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return child;
}

/** Resolves once the worker logs that its jobs run. */
function started(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"worker started"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before starting: ${out}`)));
  });
}

describe('two worker processes, one killed with SIGKILL mid-run', () => {
  let lab: TestLab;
  let project: TestProject;
  let fake: FakeLlmServer;
  let sql: postgres.Sql;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    lab = await startTestLab({ isolated: true, redis: true });
    project = await lab.newProject('RESEARCHER');
    // Slow enough that each worker always has its 8 calls in flight when one is killed.
    fake = await startFakeLlmServer({ latencyMs: 200, promptTokens: 5, completionTokens: 2 });
    sql = postgres(lab.databaseUrl, { max: 2, onnotice: () => {} });
    workers.push(workerProcess(lab), workerProcess(lab));
    // Both claim from the start: the one killed holds tasks when it dies.
    await Promise.all(workers.map(started));
  });

  afterAll(async () => {
    for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
    await sql?.end();
    await fake?.close();
    await lab?.close();
  });

  it('completes the run with exactly one result per task, in SQL and in results.jsonl', async () => {
    const { client } = project;
    const config = await runConfig(client, questionRows(100), [{ baseUrl: fake.url, maxConcurrency: 16 }]);
    const { startRun } = await client.request(StartRun, {
      input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [], repetitions: 2 },
    });
    const runId = fromGlobalId('Run', startRun.id);
    // Kill the first worker while it has calls in flight: each worker makes at most 8 calls at once,
    // so more than 8 at the provider means both do (a worker may join late, when it missed its wake-up).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [state] = await sql<{ succeeded: number }[]>`select count(*)::int as succeeded from tasks where run_id = ${runId} and status = 'SUCCEEDED'`;
      if (fake.inFlight() > 8 && state!.succeeded >= 20) break;
      if (Date.now() > deadline) throw new Error(`the run did not get under way on both workers: ${fake.inFlight()} calls in flight, ${state!.succeeded} succeeded`);
      await new Promise((r) => setTimeout(r, 5));
    }
    workers[0]!.kill('SIGKILL');

    const run = await waitForRun(client, startRun.id, undefined, 60_000);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.progress).toMatchObject({ total: 200, succeeded: 200, failed: 0, cancelled: 0, running: 0, queued: 0 });

    const tasks = await sql<{ id: string; status: string; attempts: number; output: string | null; prompt_tokens: number }[]>`
      select id, status, attempts, output, prompt_tokens from tasks where run_id = ${runId}`;
    expect(tasks).toHaveLength(200);
    expect(tasks.every((t) => t.status === 'SUCCEEDED' && t.output !== null && t.prompt_tokens === 5)).toBe(true);
    // The killed worker's tasks were taken over: claimed again under a new attempt.
    expect(tasks.some((t) => t.attempts > 1), `attempts: ${JSON.stringify(tasks.map((t) => t.attempts))}`).toBe(true);
    // Counters moved once per task even where two attempts raced.
    const [counters] = await sql<{ succeeded: number; prompt_tokens: number; completion_tokens: number }[]>`
      select succeeded_tasks as succeeded, prompt_tokens::int, completion_tokens::int from runs where id = ${runId}`;
    expect(counters).toEqual({ succeeded: 200, prompt_tokens: 200 * 5, completion_tokens: 200 * 2 });
    expect(run.usage).toMatchObject({ promptTokens: 1000, completionTokens: 400 });
    expect(fake.calls()).toBeGreaterThanOrEqual(200);

    const results = run.artifacts.find((a) => a.name === 'results.jsonl')!;
    const lines = (await (await fetch(results.downloadUrl)).text()).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(200);
    expect(new Set(lines.map((l) => l.taskId)).size).toBe(200);
    expect(lines.every((l) => l.status === 'SUCCEEDED')).toBe(true);
  });
});
