/**
 * The subscribers of bench/fanout.ts, in a process of their own so that their CPU is not the
 * server's: N graphql-ws clients (createClient over `ws`, one connection each), all subscribed to
 * the same runProgress operation. Each checks its events arrive numbered 1, 2, 3, ... with no gap
 * or repeat, and times every TaskUpdated of a SUCCEEDED task from its finishedAt (set by
 * PostgreSQL in the statement that ended the task) to its receipt here: the machine's one clock.
 *
 *   node --import tsx bench/lib/fanout-clients.ts '<json: FanoutClientsConfig>'
 *
 * stdout: {"ready":...} once every client has its first event (the stored QUEUED one: the
 * subscription is live), then {"done":...} once every subscription completed, or the timeout.
 * Lab and bare server are measured by this same code, so the client's own work weighs alike.
 */
import { writeFileSync } from 'node:fs';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface FanoutClientsConfig {
  url: string;
  apiKey: string;
  runId: string;
  subscribers: number;
  /** Where to write client 0's `next` frames as received (the bare server sends them again), or null. */
  captureFile: string | null;
  timeoutMs: number;
}

export interface FanoutClientsReady {
  ready: { subscribers: number; connectMs: number };
}

export interface FanoutClientsDone {
  done: {
    /** Subscriptions that completed after the run's final event. */
    completed: number;
    /** Subscriptions that ended with an error (the first message is kept). */
    errors: number;
    firstError: string | null;
    /** The final event's sequence, as each client saw it; -1 when clients disagree. */
    lastSequence: number;
    /** Events received out of order, twice, or after a gap, over all clients. */
    orderViolations: number;
    /** Clients that received exactly 1..lastSequence, each once and in order. */
    clientsComplete: number;
    /** TaskUpdated events received (sequence > 1), over all clients, and the span of their receipts. */
    taskDeliveries: number;
    firstTaskReceiptMs: number;
    lastTaskReceiptMs: number;
    /** Milliseconds from a SUCCEEDED task's finishedAt to its receipt, every one of every client, sorted. */
    latencies: { count: number; p50: number; p90: number; p99: number; max: number; mean: number };
    /** Sizes of the `next` frames client 0 captured. */
    messageBytes: { min: number; max: number; mean: number };
  };
}

const OPERATION = `subscription FanoutProgress($runId: ID!) {
  runProgress(runId: $runId, afterSequence: 0) {
    __typename
    ... on TaskUpdated { sequence task { id status startedAt finishedAt latencyMs } progress { total queued running succeeded failed fraction } }
    ... on RunStatusChanged { sequence status progress { total queued running succeeded failed fraction } }
  }
}`;

interface ProgressEvent {
  __typename: 'TaskUpdated' | 'RunStatusChanged';
  sequence: number;
  status?: string;
  task?: { status: string; finishedAt: string | null };
}

const config = JSON.parse(process.argv[2]!) as FanoutClientsConfig;
const now = () => performance.timeOrigin + performance.now();
const emit = (line: FanoutClientsReady | FanoutClientsDone) => process.stdout.write(`${JSON.stringify(line)}\n`);

const n = config.subscribers;
const lastSeen = new Int32Array(n);
const broken = new Uint8Array(n);
let orderViolations = 0;
let taskDeliveries = 0;
let firstTaskReceipt = Infinity;
let lastTaskReceipt = 0;
let readyCount = 0;
let completed = 0;
let errors = 0;
let firstError: string | null = null;
const latencies: number[] = [];
/** finishedAt of each sequence, parsed once for all clients. */
const finishedAtBySequence = new Map<number, number>();
const finalSequence = new Int32Array(n).fill(-1);
const captured: { frame: string; atMs: number }[] = [];
const sizes = { min: Infinity, max: 0, total: 0, count: 0 };

/** Client 0's socket records the frames it receives, for the bare server to send the same bytes. */
class CapturingWebSocket extends WebSocket {
  constructor(address: string, protocols?: string | string[]) {
    super(address, protocols);
    this.on('message', (data: Buffer) => {
      const frame = data.toString();
      if (frame.includes('"type":"next"')) captured.push({ frame, atMs: now() });
    });
  }
}

const started = now();
let readyResolve!: () => void;
const allReady = new Promise<void>((resolve) => (readyResolve = resolve));
let doneResolve!: () => void;
const allDone = new Promise<void>((resolve) => (doneResolve = resolve));
const ended = () => {
  if (completed + errors === n) doneResolve();
};

const clients: Client[] = [];
for (let i = 0; i < n; i++) {
  const client = createClient({
    url: config.url,
    webSocketImpl: i === 0 && config.captureFile ? CapturingWebSocket : WebSocket,
    connectionParams: { authorization: `Bearer ${config.apiKey}` },
    // One subscription per connection: the same id everywhere lets the bare server send one frame to all.
    generateID: () => '1',
    retryAttempts: 0,
    lazy: true,
  });
  clients.push(client);
  client.subscribe<{ runProgress: ProgressEvent }>(
    { query: OPERATION, variables: { runId: config.runId } },
    {
      next: (result) => {
        const received = now();
        const event = result.data?.runProgress;
        if (!event) {
          errors++;
          firstError ??= JSON.stringify(result.errors ?? result).slice(0, 500);
          return;
        }
        const seq = event.sequence;
        if (seq !== lastSeen[i]! + 1) {
          orderViolations++;
          broken[i] = 1;
        }
        if (seq > lastSeen[i]!) lastSeen[i] = seq;
        if (seq === 1 && ++readyCount === n) readyResolve();
        if (event.__typename === 'TaskUpdated') {
          taskDeliveries++;
          if (received < firstTaskReceipt) firstTaskReceipt = received;
          if (received > lastTaskReceipt) lastTaskReceipt = received;
          const finishedAt = event.task?.status === 'SUCCEEDED' ? event.task.finishedAt : null;
          if (finishedAt) {
            let at = finishedAtBySequence.get(seq);
            if (at === undefined) finishedAtBySequence.set(seq, (at = Date.parse(finishedAt)));
            latencies.push(received - at);
          }
        } else if (event.status === 'SUCCEEDED' || event.status === 'FAILED' || event.status === 'CANCELLED') {
          finalSequence[i] = seq;
        }
      },
      error: (err) => {
        errors++;
        firstError ??= (err instanceof Error ? err.message : JSON.stringify(err)).slice(0, 500);
        ended();
      },
      complete: () => {
        completed++;
        ended();
      },
    },
  );
}

const timeout = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
if ((await Promise.race([allReady, allDone, timeout(config.timeoutMs)])) === 'timeout') {
  console.error(`fanout-clients: only ${readyCount} of ${n} subscriptions started within ${config.timeoutMs} ms`);
}
emit({ ready: { subscribers: readyCount, connectMs: Math.round(now() - started) } });
const outcome = await Promise.race([allDone, timeout(config.timeoutMs)]);
if (outcome === 'timeout') console.error(`fanout-clients: ${completed} of ${n} subscriptions completed within ${config.timeoutMs} ms`);

const last = finalSequence.every((s) => s === finalSequence[0]) ? finalSequence[0]! : -1;
let clientsComplete = 0;
for (let i = 0; i < n; i++) if (!broken[i] && lastSeen[i] === last && last > 0) clientsComplete++;
latencies.sort((a, b) => a - b);
const at = (q: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! : NaN);
const round = (v: number) => Number(v.toFixed(2));
if (config.captureFile) {
  for (const { frame } of captured) {
    sizes.min = Math.min(sizes.min, frame.length);
    sizes.max = Math.max(sizes.max, frame.length);
    sizes.total += frame.length;
    sizes.count++;
  }
  const origin = captured.find((c) => c.frame.includes('"TaskUpdated"'))?.atMs ?? 0;
  writeFileSync(config.captureFile, JSON.stringify(captured.map((c) => ({ frame: c.frame, atMs: round(Math.max(0, c.atMs - origin)) }))));
}
emit({
  done: {
    completed,
    errors,
    firstError,
    lastSequence: last,
    orderViolations,
    clientsComplete,
    taskDeliveries,
    firstTaskReceiptMs: Number.isFinite(firstTaskReceipt) ? firstTaskReceipt : 0,
    lastTaskReceiptMs: lastTaskReceipt,
    latencies: {
      count: latencies.length,
      p50: round(at(0.5)),
      p90: round(at(0.9)),
      p99: round(at(0.99)),
      max: round(latencies.length ? latencies[latencies.length - 1]! : NaN),
      mean: round(latencies.reduce((s, v) => s + v, 0) / Math.max(1, latencies.length)),
    },
    messageBytes: { min: sizes.count ? sizes.min : 0, max: sizes.max, mean: sizes.count ? Math.round(sizes.total / sizes.count) : 0 },
  },
});
await Promise.allSettled(clients.map((c) => c.dispose()));
process.exit(0);
