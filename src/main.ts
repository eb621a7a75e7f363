#!/usr/bin/env node
// The entry point. Tracing, when configured, starts before anything it instruments is loaded
// (graphql, http, ioredis are patched as they are first required); the commands are imported after.
if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) {
  const { startTracing } = await import('./observability/tracing.js');
  startTracing({ serviceName: process.env.OTEL_SERVICE_NAME?.trim() || `llm-lab-${process.argv[2] ?? 'cli'}` });
}
await import('./commands.js');
