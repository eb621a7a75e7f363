import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveMetrics } from '../../src/observability/metrics.js';
import { print } from 'graphql';
import { CreateDataset, CreateDatasetUpload, StartRun } from '../helpers/operations.js';
import { graphqlError, startTestLab, useTestLab, wsClient } from '../helpers/lab.js';
import { questionRows, runConfig, waitForRun } from '../helpers/runs.js';

/** Samples of a Prometheus text exposition, checked line by line against the format (families with HELP and TYPE first). */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped'], line).toContain(meta[3]);
        typed.set(meta[2]!, meta[3]!);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|[Nn]a[Nn]|[+-]Inf)$/.exec(line);
    expect(sample, `not a Prometheus sample line: ${line}`).not.toBeNull();
    const family = sample![1]!.replace(/_(bucket|sum|count|total|created)$/, '');
    expect(typed.has(sample![1]!) || typed.has(family) || typed.has(`${family}_total`), `no TYPE before ${line}`).toBe(true);
    samples.set(`${sample![1]}${sample![2] ?? ''}`, Number(sample![3]));
  }
  return samples;
}

describe('/metrics', () => {
  const t = useTestLab('RESEARCHER', { worker: true });
  let metrics: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    metrics = await serveMetrics(0, '127.0.0.1');
  });
  afterAll(() => metrics?.close());

  const scrape = async () => {
    const res = await fetch(metrics.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(await res.text());
  };
  const value = (samples: Map<string, number>, key: string) => samples.get(key) ?? 0;

  it('parses as Prometheus text, and its counters move with requests, refusals, subscribers and a run', async () => {
    const before = await scrape();
    expect(before.has('llm_lab_nodejs_eventloop_lag_seconds')).toBe(true);
    const { client, key } = t.project;

    await client.request('query MetricsProbe { viewer { role } }');
    const deep = `query TooDeep { ${'viewer { project { '.repeat(7)}id${' } }'.repeat(7)} }`;
    expect((await graphqlError(client.request(deep))).code).toBe('BAD_USER_INPUT');

    const ws = wsClient(t.lab.wsUrl, key);
    const config = await runConfig(client, questionRows(6), [{ provider: 'ECHO' }]);
    const { startRun } = await client.request(StartRun, {
      input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [{ kind: 'EXACT_MATCH' }] },
    });
    const progress = ws.iterate({ query: `subscription ($id: ID!) { runProgress(runId: $id) { __typename } }`, variables: { id: startRun.id } });
    const first = await progress.next();
    expect(first.done).toBe(false);
    const during = await scrape();
    expect(value(during, 'llm_lab_websocket_connections')).toBeGreaterThanOrEqual(1);
    expect(value(during, 'llm_lab_subscriptions')).toBeGreaterThanOrEqual(1);
    await waitForRun(client, startRun.id);
    await progress.return?.();
    await ws.dispose();
    // Points reach the writer's gauge after their flush, and the socket's close reaches the server a moment later.
    let after = await scrape();
    for (let i = 0; i < 50; i++) {
      const settled = value(after, 'llm_lab_metric_writer_inserted_points') - value(before, 'llm_lab_metric_writer_inserted_points') >= 6 * 4 && value(after, 'llm_lab_websocket_connections') === value(before, 'llm_lab_websocket_connections');
      if (settled) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await scrape();
    }
    const moved = (key: string) => value(after, key) - value(before, key);
    expect(moved('llm_lab_graphql_requests_total{operation="MetricsProbe",outcome="OK"}')).toBe(1);
    expect(moved('llm_lab_graphql_requests_total{operation="TooDeep",outcome="BAD_USER_INPUT"}')).toBe(1);
    expect(moved('llm_lab_graphql_request_duration_seconds_count{operation="MetricsProbe"}')).toBe(1);
    expect(moved('llm_lab_limit_refusals_total{limit="depth"}')).toBe(1);
    expect(moved('llm_lab_tasks_total{status="SUCCEEDED"}')).toBe(6);
    expect(moved('llm_lab_provider_calls_total{provider="ECHO",model="fake-0",outcome="ok"}')).toBe(6);
    expect(moved('llm_lab_provider_call_duration_seconds_count{provider="ECHO",model="fake-0"}')).toBe(6);
    expect(moved('llm_lab_subscription_events_sent_total')).toBeGreaterThanOrEqual(12);
    expect(moved('llm_lab_metric_writer_inserted_points')).toBeGreaterThanOrEqual(6 * 4);
    expect(value(after, 'llm_lab_subscriptions')).toBe(value(before, 'llm_lab_subscriptions'));
    expect(value(after, 'llm_lab_websocket_connections')).toBe(value(before, 'llm_lab_websocket_connections'));
  });

  it('counts subscriptions only: a mutation over WebSocket is not an open subscription while it runs', async () => {
    // A blob store whose presigning waits until released: the mutation stays in flight over the socket.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let presigning = false;
    const lab = await startTestLab({
      wrapBlobs: (store) =>
        new Proxy(store, {
          get: (target, name, receiver) => {
            const value = Reflect.get(target, name, receiver) as unknown;
            if (name !== 'presignPut' || typeof value !== 'function') return value;
            return async (...args: unknown[]) => {
              presigning = true;
              await released;
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        }),
    });
    const project = await lab.newProject('RESEARCHER');
    const ws = wsClient(lab.wsUrl, project.key);
    try {
      const { createDataset } = await project.client.request(CreateDataset, { input: { name: 'gauge' } });
      const before = value(await scrape(), 'llm_lab_subscriptions');
      const upload = ws.iterate({ query: print(CreateDatasetUpload), variables: { input: { datasetId: createDataset.id, format: 'JSONL', sizeBytes: 10 } } });
      const answered = upload.next();
      // Awaited below; a failure before then must not also surface as an unhandled rejection when the lab closes.
      answered.catch(() => {});
      for (let i = 0; i < 100 && !presigning; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(presigning).toBe(true);
      expect(value(await scrape(), 'llm_lab_subscriptions')).toBe(before);
      release();
      const { value: result } = await answered;
      expect((result as { data?: { createDatasetUpload?: { url?: string } } }).data?.createDatasetUpload?.url).toBeTruthy();
      await upload.return?.();
      expect(value(await scrape(), 'llm_lab_subscriptions')).toBe(before);
    } finally {
      release();
      await ws.dispose();
      await lab.close();
    }
  });

  it('answers 404 with where to look for any other path', async () => {
    const res = await fetch(metrics.url.replace('/metrics', '/other'));
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('Metrics are at GET /metrics.\n');
  });
});
