// The fake server in its own process, so a benchmark's client does not share its event loop; prints {"url","origin"}, serves until SIGTERM.
// Usage: FAKE_LLM_LATENCY_MS=0 FAKE_LLM_PORT=0 node --import tsx test/helpers/fake-llm-server-main.ts
import { startFakeLlmServer } from './fake-llm-server.js';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number of at least 0 (got ${raw})`);
  return value;
}

const server = await startFakeLlmServer({ latencyMs: envNumber('FAKE_LLM_LATENCY_MS', 0) }, envNumber('FAKE_LLM_PORT', 0));
process.stdout.write(`${JSON.stringify({ url: server.url, origin: server.origin })}\n`);

const stop = () => {
  server.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
