import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The lab's Prometheus metrics (prom-client), one registry per process, served at /metrics on
 * METRICS_PORT by `serveMetrics`. Every process counts what it does: API processes requests,
 * refusals and subscribers; workers tasks, provider calls and metric points. docs/operations.md
 * lists them with what to watch.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'llm_lab_', eventLoopMonitoringPrecision: 20 });

/** Operation names become label values: a name a client made up is kept only while there are few of them. */
const MAX_OPERATION_NAMES = 200;
const operationNames = new Set<string>();
export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  if (operationNames.has(name)) return name;
  if (operationNames.size >= MAX_OPERATION_NAMES || name.length > 64 || !/^[_A-Za-z]\w*$/.test(name)) return 'other';
  operationNames.add(name);
  return name;
}

export const graphqlRequests = new Counter({
  name: 'llm_lab_graphql_requests_total',
  help: 'GraphQL operations over HTTP by operation name and outcome (OK or the first error code).',
  labelNames: ['operation', 'outcome'] as const,
  registers: [registry],
});

export const graphqlDuration = new Histogram({
  name: 'llm_lab_graphql_request_duration_seconds',
  help: 'Time from a GraphQL request received to its response sent, by operation name.',
  labelNames: ['operation'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const limitRefusals = new Counter({
  name: 'llm_lab_limit_refusals_total',
  help: 'Operations refused by a limit: tokens, depth, aliases, directives, cost, input values, or rate (per API key).',
  labelNames: ['limit'] as const,
  registers: [registry],
});

export const wsSockets = new Gauge({
  name: 'llm_lab_websocket_connections',
  help: 'Open graphql-ws connections.',
  registers: [registry],
});

export const subscriptionsOpen = new Gauge({
  name: 'llm_lab_subscriptions',
  help: 'Subscriptions open over graphql-ws.',
  registers: [registry],
});

export const subscriptionEventsSent = new Counter({
  name: 'llm_lab_subscription_events_sent_total',
  help: 'Subscription results sent to clients (one per subscriber per event).',
  registers: [registry],
});

export const tasksFinished = new Counter({
  name: 'llm_lab_tasks_total',
  help: 'Task outcomes a worker wrote, by status (SUCCEEDED, FAILED, CANCELLED; QUEUED when put back, RELEASED on a stop).',
  labelNames: ['status'] as const,
  registers: [registry],
});

export const providerCalls = new Counter({
  name: 'llm_lab_provider_calls_total',
  help: 'Provider call attempts by provider, model and outcome (ok, or error).',
  labelNames: ['provider', 'model', 'outcome'] as const,
  registers: [registry],
});

export const providerCallDuration = new Histogram({
  name: 'llm_lab_provider_call_duration_seconds',
  help: 'Duration of provider call attempts, by provider and model.',
  labelNames: ['provider', 'model'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [registry],
});

export const providerRetries = new Counter({
  name: 'llm_lab_provider_retries_total',
  help: 'Provider call attempts retried (429, 5xx, timeouts, connection errors), by model id.',
  labelNames: ['model_id'] as const,
  registers: [registry],
});

export const circuitOpen = new Gauge({
  name: 'llm_lab_circuit_breaker_open',
  help: '1 while the circuit breaker of a model is open or half-open (calls held back), 0 when closed; by model id.',
  labelNames: ['model_id'] as const,
  registers: [registry],
});

/** What a metric writer reports at each scrape. */
export interface MetricWriterGauges {
  stats(): { buffered: number; inserted: number; failedInserts: number };
}
const writers = new Set<MetricWriterGauges>();

/** Counts a metric writer in the gauges below until the returned function is called. */
export function watchMetricWriter(writer: MetricWriterGauges): () => void {
  writers.add(writer);
  return () => writers.delete(writer);
}

const sum = (pick: (s: ReturnType<MetricWriterGauges['stats']>) => number) => [...writers].reduce((total, w) => total + pick(w.stats()), 0);

new Gauge({
  name: 'llm_lab_metric_writer_buffered_points',
  help: 'Metric points waiting to be written to the metric store.',
  registers: [registry],
  collect() {
    this.set(sum((s) => s.buffered));
  },
});

new Gauge({
  name: 'llm_lab_metric_writer_failed_inserts',
  help: 'Inserts of metric points that failed (each is retried until it succeeds), since the process started.',
  registers: [registry],
  collect() {
    this.set(sum((s) => s.failedInserts));
  },
});

new Gauge({
  name: 'llm_lab_metric_writer_inserted_points',
  help: 'Metric points written to the metric store since the process started.',
  registers: [registry],
  collect() {
    this.set(sum((s) => s.inserted));
  },
});

/** The /metrics endpoint on a port of its own (not the API's: the Service does not expose it). */
export async function serveMetrics(port: number, host: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Metrics are at GET /metrics.\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`could not collect metrics: ${(err as Error)?.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
