import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../src/common/global-id.js';
import { TasksRepo, type TaskOutcome } from '../../src/modules/runs/tasks.repo.js';
import { startTestLab, type TestLab, type TestProject } from '../helpers/lab.js';
import { StartRun } from '../helpers/operations.js';
import { questionRows, runConfig } from '../helpers/runs.js';
import { sql } from 'drizzle-orm';

/**
 * The queue's guarantees, statement by statement, on a lab with no worker: the test plays the
 * workers, so it can make two attempts of one task race.
 */
describe('the task queue', () => {
  let lab: TestLab;
  let project: TestProject;
  let repo: TasksRepo;

  beforeAll(async () => {
    // Datasets are validated in process; tasks are claimed by the test alone.
    lab = await startTestLab({ worker: true, jobs: (name) => name === 'dataset-validation' });
    project = await lab.newProject('RESEARCHER');
    repo = new TasksRepo(lab.database.db);
  });
  afterAll(() => lab?.close());

  async function queuedRun(rows: number, config?: Awaited<ReturnType<typeof runConfig>>): Promise<string> {
    config ??= await runConfig(project.client, questionRows(rows), [{ baseUrl: 'http://127.0.0.1:9/v1' }]);
    const { startRun } = await project.client.request(StartRun, {
      input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [] },
    });
    return fromGlobalId('Run', startRun.id);
  }

  const succeeded = (id: string, attempt: number, output: string): TaskOutcome => ({
    id,
    attempt,
    status: 'SUCCEEDED',
    renderedPrompt: 'p',
    output,
    error: null,
    latencyMs: 1,
    promptTokens: 10,
    completionTokens: 5,
    costUsd: 0.5,
    reservedUsd: 0,
    metrics: null,
    retryInSeconds: 0,
  });

  async function claimAll(runId: string, n: number) {
    return lab.database.db.transaction(async (tx) => {
      const r = repo.in(tx);
      const [{ model_id }] = (await tx.execute(sql`select model_id from tasks where run_id = ${runId} limit 1`)) as unknown as [{ model_id: string }];
      const candidates = await r.candidates(runId, model_id, n);
      return (await r.take(runId, candidates.map((c) => ({ id: c.id, reservedUsd: 0 })), 30)).claimed;
    });
  }

  it('writes a result once when two attempts of a task race, and moves the counters once', async () => {
    const runId = await queuedRun(1);
    const [first] = await claimAll(runId, 1);
    expect(first!.attempts).toBe(1);
    // The first worker stalls past its lease; another takes the task over.
    await lab.database.db.execute(sql`update tasks set lease_until = now() - interval '1 second' where id = ${first!.id}`);
    const [second] = await claimAll(runId, 1);
    expect(second).toEqual({ id: first!.id, attempts: 2 });
    // Both finish; the late one (attempt 1) is refused, whichever order they write in.
    const late = await repo.settle(runId, [succeeded(first!.id, 1, 'from attempt 1')]);
    expect(late).toBeUndefined();
    const current = await repo.settle(runId, [succeeded(first!.id, 2, 'from attempt 2')]);
    expect(current).toMatchObject({ succeededTasks: 1, runningTasks: 0, promptTokens: 10, moved: 1 });
    const again = await repo.settle(runId, [succeeded(first!.id, 2, 'written twice')]);
    expect(again).toBeUndefined();
    const [task] = (await lab.database.db.execute(sql`select output, status from tasks where id = ${first!.id}`)) as unknown as [{ output: string; status: string }];
    expect(task).toEqual({ output: 'from attempt 2', status: 'SUCCEEDED' });
    const [run] = (await lab.database.db.execute(sql`select succeeded_tasks, prompt_tokens::int, cost_usd from runs where id = ${runId}`)) as unknown as [Record<string, number>];
    expect(run).toEqual({ succeeded_tasks: 1, prompt_tokens: 10, cost_usd: 0.5 });
  });

  it('does not hand a leased task to a second claim, and hands an expired one over', async () => {
    const runId = await queuedRun(3);
    const first = await claimAll(runId, 10);
    expect(first).toHaveLength(3);
    expect(await claimAll(runId, 10)).toHaveLength(0);
    await lab.database.db.execute(sql`update tasks set lease_until = now() - interval '1 second' where id = ${first[0]!.id}`);
    expect(await claimAll(runId, 10)).toEqual([{ id: first[0]!.id, attempts: 2 }]);
  });

  it('renews only the claims still held, and reports a cancelling run', async () => {
    const runId = await queuedRun(2);
    const [a, b] = await claimAll(runId, 2);
    await lab.database.db.execute(sql`update tasks set lease_until = now() - interval '1 second' where id = ${b!.id}`);
    await claimAll(runId, 1);
    const held = await repo.renew([{ id: a!.id, attempt: a!.attempts }, { id: b!.id, attempt: b!.attempts }], 30);
    expect([...held]).toEqual([[a!.id, 'RUNNING']]);
    await lab.database.db.execute(sql`update runs set status = 'CANCELLING' where id = ${runId}`);
    expect(await repo.renew([{ id: a!.id, attempt: a!.attempts }], 30)).toEqual(new Map([[a!.id, 'CANCELLING']]));
  });

  it("serialises claims on a model across runs, so a second claim counts the first one's tasks", async () => {
    const config = await runConfig(project.client, questionRows(2), [{ baseUrl: 'http://127.0.0.1:9/v1' }]);
    const [runA, runB] = [await queuedRun(2, config), await queuedRun(2, config)];
    const modelId = fromGlobalId('Model', config.modelIds[0]!);
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstLocked!: () => void;
    const locked = new Promise<void>((resolve) => (firstLocked = resolve));
    const first = lab.database.db.transaction(async (tx) => {
      const r = repo.in(tx);
      await r.lockRun(runA);
      await r.lockModels([modelId]);
      const candidates = await r.candidates(runA, modelId, 1);
      await r.take(runA, candidates.map((c) => ({ id: c.id, reservedUsd: 0 })), 30);
      firstLocked();
      await firstHolds;
    });
    await locked;
    let secondCounted: number | null = null;
    const second = lab.database.db.transaction(async (tx) => {
      const r = repo.in(tx);
      await r.lockRun(runB);
      await r.lockModels([modelId]);
      secondCounted = (await r.inFlight(runB, [modelId]))[0]?.total ?? 0;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The second claim waits on the model while the first is open...
    expect(secondCounted).toBeNull();
    releaseFirst();
    await Promise.all([first, second]);
    // ...and then counts the task the first one took.
    expect(secondCounted).toBe(1);
  });
});

