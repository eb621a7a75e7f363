import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../helpers/fake-llm-server.js';
import { startTestLab, subscribe, wsClient, type TestLab, type TestProject } from '../helpers/lab.js';
import { NarrowRunProgressSub, RunProgressSub, StartRun } from '../helpers/operations.js';
import { questionRows, runConfig, waitForRun } from '../helpers/runs.js';
import type { RunProgressSubSubscription } from '../gql/graphql.js';

type Event = RunProgressSubSubscription['runProgress'];

/** Every event a subscription yields until it completes (or `stopAfter` events). */
async function collect(events: AsyncIterableIterator<ExecutionResult<RunProgressSubSubscription>>, stopAfter = Number.POSITIVE_INFINITY): Promise<Event[]> {
  const seen: Event[] = [];
  for await (const result of events) {
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    seen.push(result.data!.runProgress);
    if (seen.length >= stopAfter) {
      await events.return?.();
      break;
    }
  }
  return seen;
}

const sequences = (events: Event[]) => events.map((e) => e.sequence);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('runProgress: every event of a run, in order, across API processes', () => {
  let a: TestLab;
  let b: TestLab;
  let project: TestProject;
  let fake: FakeLlmServer;

  beforeAll(async () => {
    // Process a runs the worker; process b is another API process on the same database and Redis.
    a = await startTestLab({ worker: true, redis: true });
    b = await startTestLab({ sameDatabaseAs: a, redis: true });
    project = await a.newProject('RESEARCHER');
    fake = await startFakeLlmServer({ latencyMs: 20 });
  });
  afterAll(async () => {
    await fake?.close();
    await b?.close();
    await a?.close();
  });

  async function startRun(rows: number) {
    const config = await runConfig(project.client, questionRows(rows), [{ baseUrl: fake.url, maxConcurrency: 4 }]);
    const { startRun } = await project.client.request(StartRun, {
      input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [] },
    });
    return startRun.id;
  }

  it('gives a client on another API process every event from sequence 0, gap-free, ending with the final status', async () => {
    const client = wsClient(b.wsUrl, project.key);
    try {
      const runId = await startRun(10);
      const events = await collect(subscribe(client, RunProgressSub, { runId, afterSequence: 0 }));
      // QUEUED, RUNNING, then each task RUNNING and SUCCEEDED, then SUCCEEDED: 1 + 1 + 20 + 1.
      expect(sequences(events)).toEqual(range(1, 23));
      expect(events[0]).toMatchObject({ __typename: 'RunStatusChanged', status: 'QUEUED', progress: { total: 10 } });
      expect(events.at(-1)).toMatchObject({ __typename: 'RunStatusChanged', status: 'SUCCEEDED', progress: { total: 10, succeeded: 10, fraction: 1 } });
      const taskEvents = events.filter((e): e is Extract<Event, { __typename: 'TaskUpdated' }> => e.__typename === 'TaskUpdated');
      expect(taskEvents).toHaveLength(20);
      const byTask = new Map<string, string[]>();
      for (const e of taskEvents) byTask.set(e.task.id, [...(byTask.get(e.task.id) ?? []), e.task.status]);
      expect(byTask.size).toBe(10);
      for (const statuses of byTask.values()) expect(statuses).toEqual(['RUNNING', 'SUCCEEDED']);
      expect(taskEvents.filter((e) => e.task.status === 'SUCCEEDED').every((e) => e.task.output?.startsWith('Q: What is'))).toBe(true);
      // Progress never goes back.
      const succeeded = taskEvents.map((e) => e.progress.succeeded);
      expect(succeeded).toEqual([...succeeded].sort((x, y) => x - y));
    } finally {
      await client.dispose();
    }
  });

  it('gives subscribers of one event with different selections their own results, and the same to the same selection', async () => {
    const viewer = await project.keyWithRole('VIEWER');
    const full = [wsClient(b.wsUrl, project.key), wsClient(b.wsUrl, viewer.key)];
    const narrow = wsClient(b.wsUrl, project.key);
    const fake = await startFakeLlmServer({ latencyMs: 300 });
    try {
      const config = await runConfig(project.client, questionRows(3), [{ baseUrl: fake.url }]);
      const { startRun } = await project.client.request(StartRun, {
        input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [] },
      });
      const [fullA, fullB, narrowOnly] = await Promise.all([
        ...full.map((c) => collect(subscribe(c, RunProgressSub, { runId: startRun.id, afterSequence: 0 }))),
        collect(subscribe(narrow, NarrowRunProgressSub, { runId: startRun.id }) as never),
      ]);
      expect(sequences(fullA!)).toEqual(range(1, 9));
      // Executed once per event and selection: the two full subscriptions got equal results, the narrow one its own shape.
      expect(fullB).toEqual(fullA);
      expect(narrowOnly!.map((e) => Object.keys(e).sort())).toEqual(fullA!.map((e) => (e.__typename === 'TaskUpdated' ? ['__typename', 'sequence'] : ['__typename', 'sequence', 'status'])));
    } finally {
      await fake.close();
      for (const c of [...full, narrow]) await c.dispose();
    }
  });

  it('after a drop at event k, resumes on the other process with afterSequence k: k+1..N exactly once', async () => {
    const first = wsClient(b.wsUrl, project.key);
    const second = wsClient(a.wsUrl, project.key);
    try {
      const runId = await startRun(12);
      const before = await collect(subscribe(first, RunProgressSub, { runId, afterSequence: 0 }), 7);
      expect(sequences(before)).toEqual(range(1, 7));
      await first.dispose();
      const after = await collect(subscribe(second, RunProgressSub, { runId, afterSequence: 7 }));
      expect(sequences(after)).toEqual(range(8, 1 + 1 + 24 + 1));
      expect(after.at(-1)).toMatchObject({ status: 'SUCCEEDED' });
    } finally {
      await second.dispose();
    }
  });

  it('replays a finished run and completes', async () => {
    const client = wsClient(a.wsUrl, project.key);
    try {
      const runId = await startRun(3);
      await waitForRun(project.client, runId);
      const events = await collect(subscribe(client, RunProgressSub, { runId, afterSequence: 4 }));
      expect(sequences(events)).toEqual(range(5, 9));
      expect(events.at(-1)).toMatchObject({ status: 'SUCCEEDED' });
    } finally {
      await client.dispose();
    }
  });

  it("refuses another project's run as NOT_FOUND", async () => {
    const runId = await startRun(1);
    const other = await a.newProject('VIEWER');
    const client = wsClient(a.wsUrl, other.key);
    try {
      await expect(collect(subscribe(client, RunProgressSub, { runId }))).rejects.toThrow(/NOT_FOUND|No Run with id/);
    } finally {
      await client.dispose();
    }
  });
});
