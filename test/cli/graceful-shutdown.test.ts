import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../src/common/global-id.js';
import { startFakeLlmServer, type FakeLlmServer } from '../helpers/fake-llm-server.js';
import { startTestLab, type TestLab, type TestProject } from '../helpers/lab.js';
import { StartRun } from '../helpers/operations.js';
import { waitForProcess } from '../helpers/process.js';
import { questionRows, runConfig, waitForRun } from '../helpers/runs.js';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

describe('SIGTERM to a worker in the middle of a run', () => {
  let lab: TestLab;
  let project: TestProject;
  let fake: FakeLlmServer;
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // The API and every job but the tasks' in this process (the dataset is validated here, where its file is);
    // the tasks run in `llm-lab worker` processes on the same database.
    lab = await startTestLab({ worker: true, jobs: (name) => name !== 'tasks' });
    project = await lab.newProject('RESEARCHER');
    fake = await startFakeLlmServer({ latencyMs: 500 });
    dataDir = mkdtempSync(join(tmpdir(), 'lab-graceful-'));
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await fake?.close();
    await lab?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function worker(): { child: ChildProcess; log: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'worker'], {
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? '/tmp',
        LOG_LEVEL: 'info',
        DATABASE_URL: lab.databaseUrl,
        LAB_SECRET_KEY: lab.secretKeyHex,
        LAB_DATA_DIR: dataDir,
        LAB_WORKER_CONCURRENCY: '4',
        LAB_WORKER_STOP_GRACE_SECONDS: '10',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let text = '';
    child.stdout!.on('data', (chunk) => (text += chunk));
    child.stderr!.on('data', (chunk) => (text += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, log: () => text, exited };
  }

  it('lets the calls in flight finish, exits 0, and the next worker ends the run: no task called twice, no task or metric point lost', async () => {
    const { client } = project;
    const tasks = 40;
    const config = await runConfig(client, questionRows(tasks), [{ baseUrl: fake.url, maxConcurrency: 4 }]);
    const first = worker();
    await waitForProcess('the first worker to start', first.child, () => (first.log().includes('worker started') ? true : undefined), first.log);
    fake.reset();
    const { startRun } = await client.request(StartRun, {
      input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [{ kind: 'EXACT_MATCH' }] },
    });
    const runId = fromGlobalId('Run', startRun.id);
    const sql = lab.database.sql;
    const succeeded = async () => (await sql<{ n: number }[]>`select count(*)::int as n from tasks where run_id = ${runId} and status = 'SUCCEEDED'`)[0]!.n;

    // Stopped with calls in flight: some tasks done, more running.
    for (let i = 0; i < 200 && (await succeeded()) < 4; i++) await new Promise((r) => setTimeout(r, 50));
    const running = (await sql<{ n: number }[]>`select count(*)::int as n from tasks where run_id = ${runId} and status = 'RUNNING'`)[0]!.n;
    expect(running, first.log()).toBeGreaterThan(0);
    first.child.kill('SIGTERM');
    expect(await first.exited, first.log()).toBe(0);
    expect(first.log()).toContain('calls in flight may finish within the grace period');
    // Nothing is left held: the calls in flight ended and were written, the rest was given back.
    const held = await sql<{ n: number }[]>`select count(*)::int as n from tasks where run_id = ${runId} and status = 'RUNNING'`;
    expect(held[0]!.n).toBe(0);
    const doneByFirst = await succeeded();
    expect(doneByFirst).toBeGreaterThanOrEqual(4 + running);

    const second = worker();
    const run = await waitForRun(client, startRun.id, undefined, 60_000);
    expect(run.status, second.log()).toBe('SUCCEEDED');
    expect(run.progress).toMatchObject({ total: tasks, succeeded: tasks, failed: 0 });
    // No call was aborted and made again.
    expect(fake.calls()).toBe(tasks);
    // Stopped in turn, it writes the points it still holds (a worker batches them for about a second).
    second.child.kill('SIGTERM');
    expect(await second.exited, second.log()).toBe(0);
    // Every task's points, each once: latency, tokens in and out, cost, and the evaluator.
    const points = await sql<{ name: string; n: number }[]>`select name, count(*)::int as n from metric_points where run_id = ${runId} group by name order by name`;
    expect(points).toEqual(['completion_tokens', 'cost_usd', 'exact_match', 'latency_ms', 'prompt_tokens'].map((name) => ({ name, n: tasks })));
  }, 120_000);
});
