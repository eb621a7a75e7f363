import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inSpan, startTracing, traceFields, type Tracing } from '../../src/observability/tracing.js';
import type { FakeLlmServer } from '../helpers/fake-llm-server.js';
import type { TestLab, TestProject } from '../helpers/lab.js';

// As src/main.ts does: tracing starts before the lab's modules (and graphql, which it patches) load.
const exporter = new InMemorySpanExporter();
const tracing: Tracing = startTracing({ serviceName: 'llm-lab-test', exporter });
const { startFakeLlmServer } = await import('../helpers/fake-llm-server.js');
const { startTestLab } = await import('../helpers/lab.js');
const { StartRun } = await import('../helpers/operations.js');
const { questionRows, runConfig, waitForRun } = await import('../helpers/runs.js');

/** The spans of one trace, and a span's ancestors within it. */
function traceOf(spans: ReadableSpan[], traceId: string) {
  const own = spans.filter((s) => s.spanContext().traceId === traceId);
  const byId = new Map(own.map((s) => [s.spanContext().spanId, s]));
  const ancestors = (span: ReadableSpan) => {
    const chain: ReadableSpan[] = [];
    for (let parent = byId.get(span.parentSpanContext?.spanId ?? ''); parent; parent = byId.get(parent.parentSpanContext?.spanId ?? '')) chain.push(parent);
    return chain;
  };
  return { spans: own, ancestors };
}

describe('OpenTelemetry traces', () => {
  let lab: TestLab;
  let project: TestProject;
  let fake: FakeLlmServer;

  beforeAll(async () => {
    lab = await startTestLab({ worker: true });
    project = await lab.newProject('RESEARCHER');
    fake = await startFakeLlmServer({ latencyMs: 5 });
  });
  afterAll(async () => {
    await fake?.close();
    await lab?.close();
    await tracing?.shutdown();
  });

  it('follows one request from HTTP through the GraphQL operation to its SQL statements', async () => {
    exporter.reset();
    await project.client.request('query TracedPage { experiments(first: 5) { totalCount nodes { id runCount } } }');
    const spans = exporter.getFinishedSpans();
    const operation = spans.find((s) => s.name === 'graphql.execute TracedPage');
    expect(operation, spans.map((s) => s.name).join(', ')).toBeDefined();
    const { spans: inTrace, ancestors } = traceOf(spans, operation!.spanContext().traceId);
    const server = inTrace.find((s) => s.kind === SpanKind.SERVER);
    expect(server, inTrace.map((s) => s.name).join(', ')).toBeDefined();
    expect(server!.attributes['http.request.method'] ?? server!.attributes['http.method']).toBe('POST');
    expect(ancestors(operation!)).toContain(server);
    // graphql's own parse and validate (instrumentation-graphql), and the client's fetch (instrumentation-undici) that began the trace.
    expect(inTrace.some((s) => s.name === 'graphql.parse') && inTrace.some((s) => s.name === 'graphql.validate')).toBe(true);
    expect(inTrace.some((s) => s.kind === SpanKind.CLIENT && s.name === 'POST')).toBe(true);
    const statements = inTrace.filter((s) => s.name === 'postgresql SELECT');
    // The key lookup (before the operation), then the page, its count and the run counts within it.
    expect(statements.length).toBeGreaterThanOrEqual(3);
    expect(statements.filter((s) => ancestors(s).includes(operation!)).length).toBeGreaterThanOrEqual(2);
    for (const statement of statements) expect(String(statement.attributes['db.query.text'])).toMatch(/^select /i);
  });

  it('links each task of a run, and its provider call, to the request that started the run', async () => {
    const { client } = project;
    const config = await runConfig(client, questionRows(3), [{ baseUrl: fake.url }]);
    exporter.reset();
    const { startRun } = await client.request(StartRun, {
      input: { experimentId: config.experimentId, datasetVersionId: config.datasetVersionId, promptVersionIds: [config.promptVersionId], modelIds: config.modelIds, evaluators: [{ kind: 'EXACT_MATCH' }] },
    });
    const started = exporter.getFinishedSpans().find((s) => s.name === 'graphql.execute StartRun');
    expect(started).toBeDefined();
    await waitForRun(client, startRun.id);
    const spans = exporter.getFinishedSpans();
    const tasks = spans.filter((s) => s.name === 'task' && s.attributes['lab.run.id'] !== undefined);
    expect(tasks).toHaveLength(3);
    for (const task of tasks) {
      // Its own trace (a worker's work outlives the request), linked to the request's.
      expect(task.links.map((l) => l.context.traceId)).toEqual([started!.spanContext().traceId]);
      const calls = spans.filter((s) => s.name === 'provider.call' && s.parentSpanContext?.spanId === task.spanContext().spanId);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.attributes['lab.provider']).toBe('OPENAI_COMPATIBLE');
    }
  });

  it('puts the trace and span ids on log lines written inside a span', async () => {
    await inSpan('outer', {}, async (span) => {
      expect(traceFields()).toEqual({ traceId: span!.spanContext().traceId, spanId: span!.spanContext().spanId });
    });
  });
});
