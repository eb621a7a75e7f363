/**
 * What the live run events survive: Redis going away mid-run (the API process keeps serving, and a
 * subscriber gets every event once Redis is back), and a subscriber that never reads (it is ended
 * at its bound, and the server's memory does not grow with what it did not read).
 */
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { fromGlobalId } from '../../src/common/global-id.js';
import { MAX_EVENTS_BEHIND } from '../../src/modules/runs/run-events.js';
import type { RunEventJson } from '../../src/modules/runs/tasks.repo.js';
import type { RunProgressSubSubscription } from '../gql/graphql.js';
import { startFakeLlmServer, type FakeLlmServer } from '../helpers/fake-llm-server.js';
import { startTestLab, subscribe, TEST_REDIS_URL, useTestLab, wsClient, type TestLab } from '../helpers/lab.js';
import { RunProgressSub, StartRun, ViewerQuery } from '../helpers/operations.js';
import { questionRows, runConfig, waitForRun } from '../helpers/runs.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

type Event = RunProgressSubSubscription['runProgress'];

describe('Redis cut off in the middle of a run', () => {
  let proxy: TcpProxy;
  let lab: TestLab;
  let fake: FakeLlmServer;
  beforeAll(async () => {
    proxy = await startTcpProxy(new URL(TEST_REDIS_URL));
    lab = await startTestLab({ worker: true, redis: true, redisUrl: proxy.url.replace(/^http/, 'redis') });
    fake = await startFakeLlmServer({ latencyMs: 60 });
  });
  afterAll(async () => {
    await lab?.close();
    await proxy?.close();
    await fake?.close();
  });

  it('keeps the API process serving, and the subscriber gets every event once Redis is back, the run having ended meanwhile', { timeout: 60_000 }, async () => {
    const project = await lab.newProject('RESEARCHER');
    const config = await runConfig(project.client, questionRows(30), [{ baseUrl: fake.url }]);
    const { startRun } = await project.client.request(StartRun, {
      input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [], concurrency: 1 },
    });
    const ws = wsClient(lab.wsUrl, project.key);
    try {
      const seen: Event[] = [];
      let cut = false;
      for await (const result of subscribe(ws, RunProgressSub, { runId: startRun.id, afterSequence: 0 }) as AsyncIterableIterator<ExecutionResult<RunProgressSubSubscription>>) {
        expect(result.errors).toBeUndefined();
        seen.push(result.data!.runProgress);
        if (!cut && seen.length === 8) {
          cut = true;
          await proxy.stop();
          // The run goes on over PostgreSQL alone and ends while Redis is away: its last events are never published.
          const run = await waitForRun(project.client, startRun.id, ['SUCCEEDED'], 30_000);
          expect(run.progress.succeeded).toBe(30);
          expect((await project.client.request(ViewerQuery, {})).viewer.role).toBe('RESEARCHER');
          await proxy.start();
        }
      }
      const [{ last_sequence: last }] = await lab.database.sql<{ last_sequence: number }[]>`select last_sequence from runs where id = ${fromGlobalId('Run', startRun.id)}`;
      expect(seen.map((e) => e.sequence)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      expect(seen.at(-1)).toMatchObject({ __typename: 'RunStatusChanged', status: 'SUCCEEDED' });
    } finally {
      await ws.dispose();
    }
  });
});

describe('a subscriber that never reads', () => {
  const t = useTestLab('RESEARCHER', { worker: true, jobs: (name) => name !== 'tasks' });

  it(`is ended once ${MAX_EVENTS_BEHIND.toLocaleString('en-US')} events behind, told where to resume, and the server does not keep what it did not read`, { timeout: 120_000 }, async () => {
    const { client, key } = t.project;
    const config = await runConfig(client, questionRows(1), [{ provider: 'ECHO' }]);
    const { startRun } = await client.request(StartRun, {
      input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [] },
    });
    const runId = fromGlobalId('Run', startRun.id);

    // A raw graphql-ws client that subscribes, then stops reading its socket.
    const socket = new WebSocket(t.lab.wsUrl, 'graphql-transport-ws');
    const messages: { type: string; payload?: { data?: { runProgress?: { sequence: number } }; extensions?: { code?: string }; message?: string }[] | Record<string, unknown> }[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
    await waitFor(() => messages.some((m) => m.type === 'connection_ack'));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription($runId: ID!) { runProgress(runId: $runId) { ... on TaskUpdated { sequence task { output } } ... on RunStatusChanged { sequence } } }', variables: { runId: startRun.id } } }));
    await waitFor(() => messages.some((m) => m.type === 'next'));
    (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    // Three times the bound of events of about 4 KB each, published as workers would (each with its payload).
    const total = 3 * MAX_EVENTS_BEHIND;
    const output = 'x'.repeat(4_000);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    for (let sequence = 2; sequence < total + 2; sequence++) {
      const event: RunEventJson = {
        run_id: runId,
        sequence,
        task: { id: runId, project_id: t.project.projectId, run_id: runId, seq: 1, row_index: 0, repetition: 0, status: 'SUCCEEDED', attempts: 1, output: `${sequence}:${output}` },
        status: null,
        error: null,
        progress: { total: 1, queued: 0, running: 0, succeeded: 1, failed: 0, cancelled: 0 },
      };
      t.lab.core.parts.pubsub.publish('run:events', runId, event);
      if (sequence % 500 === 0) {
        await new Promise((r) => setImmediate(r));
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const growthMb = (rssPeak - rssBefore) / 1024 ** 2;
    // Kept, these events would be 3 x 10,000 x 4 KB = 120 MB; the subscriber's queue holds at most 40 MB of them.
    expect(growthMb, `RSS grew by ${growthMb.toFixed(1)} MB`).toBeLessThan(80);
    console.info(`never-reading subscriber: RSS ${(rssBefore / 1024 ** 2).toFixed(0)} MB before, peak +${growthMb.toFixed(1)} MB while ${total} events of 4 KB were published`);

    (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await waitFor(() => messages.some((m) => m.type === 'error' || m.type === 'complete'), 30_000);
    const delivered = messages.filter((m) => m.type === 'next').map((m) => (m.payload as { data: { runProgress: { sequence: number } } }).data.runProgress.sequence);
    const ended = messages.find((m) => m.type === 'error')!;
    expect(ended, 'the subscription ended with an error').toBeDefined();
    const [error] = ended.payload as { message: string; extensions: { code: string; afterSequence: number } }[];
    expect(error!.extensions.code).toBe('RATE_LIMITED');
    // Everything up to where it resumes was delivered, in order, and far from everything published.
    expect(delivered).toEqual(Array.from({ length: delivered.length }, (_, i) => i + 1));
    expect(error!.extensions.afterSequence).toBe(delivered.at(-1));
    expect(error!.message).toMatch(new RegExp(`afterSequence: ${delivered.at(-1)} to resume`));
    expect(delivered.length).toBeLessThan(total);
    socket.close();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
