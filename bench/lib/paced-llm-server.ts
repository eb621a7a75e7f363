/**
 * An OpenAI-compatible chat completions server for bench/fanout.ts that answers at a steady
 * pace: requests wait in line and one is answered every 1000 / PACED_LLM_RATE ms, on a clock
 * that does not drift (a late tick answers the ones it owes). With more requests in flight than
 * the worker's round trip needs, tasks end at exactly that rate, one at a time, not in cohorts.
 *
 *   PACED_LLM_RATE=<answers per second> PACED_LLM_PORT=0 node --import tsx bench/lib/paced-llm-server.ts
 *
 * Prints {"url"} (the base URL, ending in /v1) once listening; serves until SIGTERM.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const rate = Number(process.env.PACED_LLM_RATE);
if (!(rate > 0)) throw new Error('PACED_LLM_RATE must be more than 0');
const port = Number(process.env.PACED_LLM_PORT ?? 0);

const waiting: { res: ServerResponse; model: string }[] = [];
let calls = 0;
let clockStart = 0;
let answered = 0;

function answer(res: ServerResponse, model: string): void {
  if (res.destroyed) return;
  const body = JSON.stringify({
    id: `chatcmpl-paced-${++calls}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 8, completion_tokens: 1, total_tokens: 9 },
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Answers what the clock owes since it started, while requests wait; the clock starts with the first request. */
function tick(): void {
  if (clockStart === 0) return;
  const owed = Math.floor(((performance.now() - clockStart) * rate) / 1000) - answered;
  for (let i = 0; i < owed && waiting.length > 0; i++) {
    const next = waiting.shift()!;
    answered++;
    answer(next.res, next.model);
  }
  // An empty line does not bank answers for later: the pace never bursts above the rate.
  if (waiting.length === 0) answered = Math.max(answered, Math.floor(((performance.now() - clockStart) * rate) / 1000));
}
setInterval(tick, 1).unref();

const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (raw += chunk));
  req.on('end', () => {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":null}}');
      return;
    }
    let model = 'paced';
    try {
      model = (JSON.parse(raw) as { model?: string }).model ?? model;
    } catch {
      // the model name is all it reads
    }
    if (clockStart === 0) clockStart = performance.now();
    waiting.push({ res, model });
  });
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` })}\n`);
process.once('SIGTERM', () => process.exit(0));
