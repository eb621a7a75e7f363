import { createRequire } from 'node:module';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Link, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import type postgres from 'postgres';

/**
 * OpenTelemetry tracing, off unless started (OTEL_EXPORTER_OTLP_ENDPOINT, or a test's exporter):
 * when off, no context manager runs (its AsyncLocalStorage costs every promise) and the lab's own
 * spans below are skipped by one boolean.
 */
let enabled = false;
let active: Tracing | null = null;
export const tracer = trace.getTracer('llm-lab');

export function tracingEnabled(): boolean {
  return enabled;
}

export interface Tracing {
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts tracing for this process: spans of incoming HTTP requests, GraphQL parsing and validation
 * (resolver spans off, for speed), ioredis commands and outgoing fetch calls (instrumentations),
 * plus the lab's own: the GraphQL operation, each PostgreSQL statement, each task and provider call.
 */
export function startTracing(options: { serviceName: string; exporter?: SpanExporter }): Tracing {
  const exporter = options.exporter ?? new OTLPTraceExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    // A test's exporter sees each span as it ends; OTLP gets batches.
    spanProcessors: [options.exporter ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' }),
      new GraphQLInstrumentation({ ignoreResolveSpans: true, ignoreTrivialResolveSpans: true }),
      new IORedisInstrumentation(),
      new UndiciInstrumentation(),
    ],
  });
  // The lab is ES modules, loaded before tracing starts: requiring these patches the objects already in use.
  const require = createRequire(import.meta.url);
  for (const name of ['node:http', 'graphql', 'ioredis']) require(name);
  enabled = true;
  active = {
    async shutdown() {
      enabled = false;
      active = null;
      unregister();
      await provider.shutdown();
    },
  };
  return active;
}

/** Exports the spans still buffered and stops tracing, if it was started. */
export async function shutdownTracing(): Promise<void> {
  await active?.shutdown();
}

/** The W3C traceparent of the span in context, to link later work (a run's tasks) to this request. */
export function currentTraceParent(): string | null {
  if (!enabled) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** A link to the span a traceparent names, or none. */
export function linkTo(traceParent: string | null | undefined): Link[] {
  if (!enabled || !traceParent) return [];
  const spanContext = trace.getSpanContext(propagation.extract(context.active(), { traceparent: traceParent }));
  return spanContext ? [{ context: spanContext }] : [];
}

/** Runs fn in a span of its own (an error ends it as failed), or plainly when tracing is off. */
export function inSpan<T>(name: string, attributes: Record<string, string | number>, fn: (span: Span | null) => Promise<T>, links: Link[] = []): Promise<T> {
  if (!enabled) return fn(null);
  return tracer.startActiveSpan(name, { attributes, links }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * A span per statement sent through postgres.js `unsafe` (drizzle's path), in transactions too.
 * Written by hand: OpenTelemetry's PostgreSQL instrumentation is for `pg`, and the lab uses postgres.js.
 */
export function traceStatements(sql: postgres.Sql): void {
  const wrap = (target: postgres.Sql | postgres.TransactionSql) => {
    const unsafe = target.unsafe.bind(target);
    target.unsafe = ((query: string, params?: unknown[], queryOptions?: unknown) => {
      const pending = unsafe(query, params as never, queryOptions as never);
      if (!enabled) return pending;
      const operation = /^\s*(\w+)/.exec(query)?.[1]?.toUpperCase() ?? 'QUERY';
      const span = tracer.startSpan(`postgresql ${operation}`, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.operation.name': operation, 'db.query.text': query } });
      // postgres.js runs a query one microtask after it is first awaited, so `.values()` set by the caller still applies.
      pending.then(
        () => span.end(),
        (err: Error) => {
          span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
          span.end();
        },
      );
      return pending;
    }) as typeof target.unsafe;
  };
  wrap(sql);
  const begin = sql.begin.bind(sql) as (...args: unknown[]) => Promise<unknown>;
  (sql as { begin: unknown }).begin = (...args: unknown[]) => {
    const fn = args[args.length - 1] as (tx: postgres.TransactionSql) => unknown;
    args[args.length - 1] = (tx: postgres.TransactionSql) => {
      wrap(tx);
      return fn(tx);
    };
    return begin(...args);
  };
}

const NO_FIELDS = {};

/** The trace and span ids of the active span for a log line; nothing when tracing is off. */
export function traceFields(): Record<string, string> {
  if (!enabled) return NO_FIELDS;
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : NO_FIELDS;
}
