/**
 * Fan-out benchmark: N subscribers of one run's `runProgress` while the engine completes its
 * tasks, against the lab as users run it (`llm-lab serve` and `llm-lab worker`, built, separate
 * processes, Redis pub/sub between them), beside a bare `ws` server broadcasting the same frames
 * to the same N clients (bench/lib/fanout-bare-server.ts): the limit on this machine. Prints one
 * JSON line; progress goes to stderr.
 *
 *   node --import tsx bench/fanout.ts [--subscribers 100,1000] [--pace-of-bare 0.55] [--seconds 6] [--keep] [--profile DIR] [--lab DIR]
 *
 * The clients (bench/lib/fanout-clients.ts: graphql-ws over `ws`, one connection each, all in one
 * process of their own) subscribe to runProgress(afterSequence: 0) and get the run's stored
 * QUEUED event; only then does a worker process start claiming. The model is an OpenAI-compatible
 * server that answers one call every 1/rate s (bench/lib/paced-llm-server.ts, its own process), so
 * tasks end one at a time at a known rate; a task makes two events (claimed, ended). Steps:
 *   0. probe: a run with one subscriber, whose frames (the bytes the lab sends) the bare server
 *      replays below.
 * and for each N of --subscribers:
 *   1. bare: those frames, as fast as the sockets take them, to N clients: the limit, B frames/s.
 *   2. lab: a fresh API process; a run paced at --pace-of-bare x B / N events per second for
 *      --seconds. Every client must get every event, in order, once; latency is from a SUCCEEDED
 *      task's finishedAt (PostgreSQL's now() in the statement that ended it) to its receipt.
 *   3. barePaced: the frames one lab client received in step 2, sent at the moments the engine
 *      made them (run_events.created_at): the latency the machine allows at that pace.
 *
 * eventsPerSecond counts TaskUpdated frames received by all clients over the span from the first
 * to the last one's receipt; `ratio` is the lab's over the bare server's (step 1). A lab that
 * keeps up delivers at the pace it is given, so the ratio is then about --pace-of-bare; one that
 * cannot delivers at what it can, and its latency is its backlog. The API process's RSS is read
 * from /proc every 50 ms. The script uses only the lab's CLI, environment, GraphQL API and SQL
 * schema, never its modules, so it measures any version of them (--lab DIR: a built checkout, its
 * dist/ and node_modules/, to measure instead of building this one).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { inspect, parseArgs } from 'node:util';
import postgres from 'postgres';
import type { FanoutClientsConfig, FanoutClientsDone, FanoutClientsReady } from './lib/fanout-clients.js';
import { backendCpuMs, cpuMs, machineBusyMs } from './lib/proc.js';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '100,1000' },
    /** The lab's pace, as a fraction of the bare server's rate: above 0.5, so a lab that keeps up clears "half the bare rate". */
    'pace-of-bare': { type: 'string', default: '0.55' },
    /** Seconds the engine takes to make the lab run's events at that pace. */
    seconds: { type: 'string', default: '6' },
    keep: { type: 'boolean', default: false },
    /** Writes a V8 CPU profile of each API process to this folder. */
    profile: { type: 'string' },
    /** A built checkout (dist/ and node_modules/) to measure instead of building this one. */
    lab: { type: 'string' },
  },
});
const SUBSCRIBERS = values.subscribers.split(',').map(Number);
if (SUBSCRIBERS.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--subscribers must be whole numbers of at least 1, comma-separated');
const PACE_OF_BARE = Number(values['pace-of-bare']);
if (!(PACE_OF_BARE > 0)) throw new Error('--pace-of-bare must be more than 0');
const SECONDS = Number(values.seconds);
if (!(SECONDS > 0)) throw new Error('--seconds must be more than 0');
/** Frames the bare server sends to all clients at full speed, over all clients: enough for a second or more. */
const BARE_DELIVERIES = 200_000;
/** Rows of the bench's dataset: the most tasks a run can have. */
const DATASET_ROWS = 20_000;
/** The probe's pace, tasks per second: the frames are the same at any pace. */
const PROBE_TASKS_PER_SECOND = 1000;

const DATABASE = 'llm_lab_bench_fanout';
const PROJECT = 'fanout-bench';
const root = fileURLToPath(new URL('..', import.meta.url));
const labRoot = values.lab ?? root;
const labCli = join(labRoot, 'dist/src/main.js');
const log = (message: string) => console.error(`fanout: ${message}`);
const adminUrl = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
const databaseUrl = (() => {
  const url = new URL(adminUrl);
  url.pathname = `/${DATABASE}`;
  return url.toString();
})();
/** The bench database, for run_events' timestamps (postgres.js connects on the first query, once it exists). */
const database = postgres(databaseUrl, { max: 1, onnotice: () => {} });

const round = (value: number, digits: number) => Number(value.toFixed(digits));



const backendCpuSince = (before: Map<number, number>, after: Map<number, number>) => [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);

/** Resident memory of a process, in MB, from /proc/<pid>/status. */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : 0;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every child started, so that cleaning up stops them all. */
const children: ChildProcess[] = [];

/** A child process; resolves with it and the first stdout line `ready` accepts; other lines go to `onLine`. */
function start(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: (line: string) => boolean,
  options: { onLine?: (line: string) => void; stdin?: boolean } = {},
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME ?? '/tmp', ...env }, stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 2] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let buffered = '';
    let resolved = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!resolved && ready(line)) {
          resolved = true;
          resolve({ child, line });
        } else options.onLine?.(line);
      }
    });
    child.once('exit', (code) => {
      if (!resolved) reject(new Error(`${args.join(' ')} exited with ${code} before it was ready`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = once(child, 'exit');
  child.kill('SIGTERM');
  if (!(await Promise.race([exit.then(() => true), sleep(10_000).then(() => false)]))) {
    child.kill('SIGKILL');
    await exit;
  }
}

/** The lab's environment for `serve` and `worker`: PostgreSQL, Redis pub/sub, shared local blobs. */
const labEnv = (dataDir: string, secretKey: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  LAB_SECRET_KEY: secretKey,
  LAB_DATA_DIR: dataDir,
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  // Files stay in LAB_DATA_DIR, which both processes share on this machine; events go through Redis.
  LAB_ALLOW_SINGLE_PROCESS: '1',
  // 1,000 subscriptions of one key within seconds, and the run started by it: allowed, the limiter still runs.
  LAB_RATE_LIMIT_QUERIES_PER_MINUTE: '10000000',
  LAB_RATE_LIMIT_MUTATIONS_PER_MINUTE: '10000000',
  LAB_RATE_LIMIT_SUBSCRIPTIONS_PER_MINUTE: '10000000',
  LAB_RATE_LIMIT_FIELDS: 'startRun=10000000',
  ...extra,
});

async function startApi(dataDir: string, secretKey: string, apiKey: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const flags = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  const child = spawn(process.execPath, [...flags, labCli, 'serve'], { env: { PATH: process.env.PATH, ...labEnv(dataDir, secretKey, { PORT: String(port), HOST: '127.0.0.1' }) }, stdio: ['ignore', 2, 2] });
  children.push(child);
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`llm-lab serve exited with code ${code} before it was ready`);
  });
  const ready = (async () => {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
      const health = await fetch(`${url}/healthz`).catch(() => null);
      if (health?.ok) return;
    }
    throw new Error('llm-lab serve did not answer /healthz within 60 s');
  })();
  await Promise.race([ready, exited]);
  await graphql(url, apiKey, '{ experiments(first: 1) { totalCount } }');
  return { child, url };
}

async function startWorker(dataDir: string, secretKey: string): Promise<ChildProcess> {
  const { child } = await start([labCli, 'worker'], labEnv(dataDir, secretKey, { LOG_LEVEL: 'info' }), (line) => line.includes('worker started'));
  return child;
}

async function graphql<T = Record<string, unknown>>(url: string, apiKey: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`GraphQL error: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
  return body.data;
}

/** An experiment, a prompt, a model served at `llmUrl` and a READY dataset version of `rows` rows (a worker validates it). */
async function setUp(url: string, apiKey: string, llmUrl: string, rows: number, dataDir: string, secretKey: string) {
  const { createExperiment } = await graphql<{ createExperiment: { id: string } }>(url, apiKey, 'mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id } }', {
    input: { name: 'fanout bench' },
  });
  const { createPrompt } = await graphql<{ createPrompt: { latestVersion: { id: string } } }>(
    url,
    apiKey,
    'mutation($input: CreatePromptInput!) { createPrompt(input: $input) { latestVersion { id } } }',
    { input: { name: 'q', system: 'Answer briefly.', template: 'Q: {{question}}' } },
  );
  const { createModel } = await graphql<{ createModel: { id: string } }>(url, apiKey, 'mutation($input: CreateModelInput!) { createModel(input: $input) { id } }', {
    input: { name: 'paced', provider: 'OPENAI_COMPATIBLE', modelName: 'paced', baseUrl: llmUrl, maxConcurrency: 1000 },
  });
  const { createDataset } = await graphql<{ createDataset: { id: string } }>(url, apiKey, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', {
    input: { name: 'questions' },
  });
  const file = Buffer.from(Array.from({ length: rows }, (_, i) => `${JSON.stringify({ input: { question: `What is ${i} + ${i}?` }, expected: String(2 * i) })}\n`).join(''));
  const { createDatasetUpload: grant } = await graphql<{ createDatasetUpload: { datasetVersion: { id: string }; url: string; headers: Record<string, string> } }>(
    url,
    apiKey,
    'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { datasetVersion { id } url headers } }',
    { input: { datasetId: createDataset.id, format: 'JSONL', sizeBytes: file.length } },
  );
  const put = await fetch(grant.url, { method: 'PUT', headers: grant.headers, body: file });
  if (!put.ok) throw new Error(`dataset upload failed: ${put.status} ${await put.text()}`);
  await graphql(url, apiKey, 'mutation($id: ID!) { completeDatasetUpload(datasetVersionId: $id) { id } }', { id: grant.datasetVersion.id });
  const worker = await startWorker(dataDir, secretKey);
  try {
    for (const deadline = Date.now() + 60_000; ; await sleep(100)) {
      const { node } = await graphql<{ node: { status: string } }>(url, apiKey, 'query($id: ID!) { node(id: $id) { ... on DatasetVersion { status } } }', { id: grant.datasetVersion.id });
      if (node.status === 'READY') break;
      if (node.status === 'FAILED' || Date.now() > deadline) throw new Error(`the dataset version is ${node.status}`);
    }
  } finally {
    await stop(worker);
  }
  return { experimentId: createExperiment.id, promptVersionId: createPrompt.latestVersion.id, modelId: createModel.id, datasetVersionId: grant.datasetVersion.id };
}

/** The client process: resolves once every subscription is live; `done` resolves with its summary. */
async function startClients(config: FanoutClientsConfig): Promise<{ child: ChildProcess; ready: FanoutClientsReady['ready']; done: Promise<FanoutClientsDone['done']> }> {
  let onDone!: (done: FanoutClientsDone['done']) => void;
  const done = new Promise<FanoutClientsDone['done']>((resolve) => (onDone = resolve));
  const { child, line } = await start(['--import', 'tsx', join(root, 'bench/lib/fanout-clients.ts'), JSON.stringify(config)], {}, (l) => l.startsWith('{"ready"'), {
    onLine: (l) => {
      if (l.startsWith('{"done"')) onDone((JSON.parse(l) as FanoutClientsDone).done);
    },
  });
  const ready = (JSON.parse(line) as FanoutClientsReady).ready;
  if (ready.subscribers !== config.subscribers) throw new Error(`only ${ready.subscribers} of ${config.subscribers} subscriptions started`);
  return { child, ready, done };
}

/** RSS of `pid` every 50 ms until stopped; `stop` gives the peak, in MB. */
function sampleRss(pid: number): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await rssMb(pid));
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return round(peak, 1);
    },
  };
}

interface DeliveryFigures {
  eventsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  allDelivered: boolean;
  orderViolations: number;
  taskDeliveries: number;
  seconds: number;
}

function deliveryFigures(done: FanoutClientsDone['done'], n: number, expectedLast: number): DeliveryFigures {
  const seconds = (done.lastTaskReceiptMs - done.firstTaskReceiptMs) / 1000;
  return {
    eventsPerSecond: Math.round(done.taskDeliveries / seconds),
    p50Ms: done.latencies.p50,
    p90Ms: done.latencies.p90,
    p99Ms: done.latencies.p99,
    maxMs: done.latencies.max,
    allDelivered: done.errors === 0 && done.completed === n && done.clientsComplete === n && done.lastSequence === expectedLast,
    orderViolations: done.orderViolations,
    taskDeliveries: done.taskDeliveries,
    seconds: round(seconds, 2),
  };
}

interface Phase {
  /** CPU ms of each process, of the bench database's backends and of the whole machine at performance.now() `at`. */
  cpu: Record<string, number>;
  postgres: Map<number, number>;
  busy: number;
  at: number;
}

async function phaseStart(pids: Record<string, number>): Promise<Phase> {
  const cpu: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) cpu[name] = (await cpuMs(pid)) ?? 0;
  return { cpu, postgres: await backendCpuMs(admin, DATABASE), busy: await machineBusyMs(), at: performance.now() };
}

/** CPU of each process over the phase, in percent of one core, and of the bench database's backends; `other` is the rest of the machine (Redis included). */
async function phaseCpu(start: Phase, pids: Record<string, number>): Promise<Record<string, number>> {
  const wallMs = performance.now() - start.at;
  const percent: Record<string, number> = {};
  let ours = 0;
  for (const [name, pid] of Object.entries(pids)) {
    const ms = ((await cpuMs(pid)) ?? 0) - (start.cpu[name] ?? 0);
    ours += ms;
    percent[name] = round((ms / wallMs) * 100, 1);
  }
  const pg = backendCpuSince(start.postgres, await backendCpuMs(admin, DATABASE));
  percent.postgres = round((pg / wallMs) * 100, 1);
  percent.other = round((Math.max(0, (await machineBusyMs()) - start.busy - ours - pg) / wallMs) * 100, 1);
  return percent;
}

interface Frame {
  frame: string;
  atMs: number;
}
const sequenceOf = (frame: string) => Number(/"sequence":(\d+)/.exec(frame)?.[1]);

/** `events` frames: the first events - 1 of a run's, then its final one renumbered (a same-size stand-in for a shorter run). */
function framesOfLength(frames: Frame[], events: number): Frame[] {
  if (events >= frames.length) return frames;
  const final = frames[frames.length - 1]!;
  return [...frames.slice(0, events - 1), { frame: final.frame.replace(/"sequence":\d+/, `"sequence":${events}`), atMs: final.atMs }];
}

async function main(): Promise<void> {
  const loadAverage = os.loadavg().map((l) => round(l, 2));
  const dataDir = await mkdtemp(join(os.tmpdir(), 'llm-lab-bench-fanout-'));
  const framesDir = await mkdtemp(join(os.tmpdir(), 'llm-lab-bench-fanout-frames-'));
  const secretKey = randomBytes(32).toString('hex');
  try {
    log(`creating database ${DATABASE}`);
    await admin.unsafe(`drop database if exists ${DATABASE} with (force)`);
    await admin.unsafe(`create database ${DATABASE}`);
    if (values.lab) log(`measuring the lab built in ${labRoot}`);
    else {
      log('building the lab (npm run build)');
      const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
      if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status})`);
    }
    const cliEnv = { PATH: process.env.PATH, DATABASE_URL: databaseUrl };
    execFileSync(process.execPath, [labCli, 'migrate'], { env: cliEnv, stdio: ['ignore', 2, 2] });
    const apiKey = execFileSync(process.execPath, [labCli, 'api-key', 'create', '--name', 'bench', '--role', 'ADMIN', '--project', PROJECT], { env: cliEnv, stdio: ['ignore', 'pipe', 2] })
      .toString()
      .trim();

    // One port for the model server, restarted at each run's pace, so one model points at it.
    const llmPort = await freePort();
    const startLlm = async (tasksPerSecond: number) => {
      const llm = await start(['--import', 'tsx', join(root, 'bench/lib/paced-llm-server.ts')], { PACED_LLM_RATE: String(tasksPerSecond), PACED_LLM_PORT: String(llmPort) }, (line) => line.startsWith('{'));
      return { child: llm.child, url: (JSON.parse(llm.line) as { url: string }).url };
    };

    const probeTasks = Math.min(DATASET_ROWS, Math.ceil(BARE_DELIVERIES / Math.min(...SUBSCRIBERS) / 2));
    let api = await startApi(dataDir, secretKey, apiKey);
    const setupLlm = await startLlm(PROBE_TASKS_PER_SECOND);
    // The dataset has rows for the longest run; each run takes its first rows (sampleLimit).
    const setup = await setUp(api.url, apiKey, setupLlm.url, DATASET_ROWS, dataDir, secretKey);
    await stop(setupLlm.child);

    /** A run of `tasks` tasks ending at `tasksPerSecond`, watched by `n` clients of the API at `api`. */
    const labRun = async (n: number, tasks: number, tasksPerSecond: number, captureFile: string) => {
      const llm = await startLlm(tasksPerSecond);
      // More calls in flight than the worker's round trip needs (about 100 ms at most), so the server always has one to answer.
      const concurrency = Math.ceil(tasksPerSecond * 0.1) + 2;
      const apiPid = api.child.pid!;
      const rssIdleMb = round(await rssMb(apiPid), 1);
      const { startRun } = await graphql<{ startRun: { id: string; progress: { total: number } } }>(
        api.url,
        apiKey,
        'mutation($input: StartRunInput!) { startRun(input: $input) { id progress { total } } }',
        {
          input: {
            experimentId: setup.experimentId,
            datasetVersionId: setup.datasetVersionId,
            promptVersionIds: [setup.promptVersionId],
            modelIds: [setup.modelId],
            evaluators: [],
            concurrency,
            sampleLimit: tasks,
          },
        },
      );
      const clients = await startClients({ url: `${api.url.replace('http', 'ws')}/graphql`, apiKey, runId: startRun.id, subscribers: n, captureFile, timeoutMs: 300_000 });
      log(`lab, ${n} subscribers: subscribed in ${clients.ready.connectMs} ms; a run of ${tasks} tasks at ${tasksPerSecond} tasks/s (concurrency ${concurrency})`);
      const rssStartMb = round(await rssMb(apiPid), 1);
      const rss = sampleRss(apiPid);
      const worker = await startWorker(dataDir, secretKey);
      const pids = { api: apiPid, worker: worker.pid!, clients: clients.child.pid!, llmServer: llm.child.pid!, bench: process.pid };
      const phase = await phaseStart(pids);
      const done = await clients.done;
      const wallMs = performance.now() - phase.at;
      const cpuPercent = await phaseCpu(phase, pids);
      const rssPeakMb = await rss.stop();
      await stop(worker);
      await stop(clients.child);
      await stop(llm.child);
      const runId = Buffer.from(startRun.id, 'base64url').toString().split(':')[1]!;
      // When the engine made each event: the transaction's now() of the statement that appended it.
      const made = await database<{ sequence: number; at: number; isTask: boolean }[]>`
        select sequence, extract(epoch from created_at) * 1000 as at, task is not null as "isTask" from run_events where run_id = ${runId} order by sequence`;
      const madeAt = new Map(made.map((e) => [e.sequence, Number(e.at)]));
      const taskEventTimes = made.filter((e) => e.isTask).map((e) => Number(e.at));
      const engineSeconds = (Math.max(...taskEventTimes) - Math.min(...taskEventTimes)) / 1000;
      // The stored QUEUED event, the run's RUNNING, two per task, the final status.
      const expectedLast = 2 * startRun.progress.total + 3;
      const figures = {
        ...deliveryFigures(done, n, expectedLast),
        events: done.lastSequence,
        engineEventsPerSecond: round(taskEventTimes.length / engineSeconds, 1),
        rssIdleMb,
        rssStartMb,
        rssPeakMb,
        messageBytes: done.messageBytes,
        cpuPercent,
        apiCpuMicrosPerDelivery: round((((cpuPercent.api ?? 0) / 100) * wallMs * 1000) / done.taskDeliveries, 1),
      };
      return { figures, concurrency, madeAt, expectedLast };
    };

    /** The bare server sending `frames` (max: as fast as it goes; schedule: at their atMs) to `n` clients. */
    const bareRun = async (n: number, frames: Frame[], pace: 'max' | 'schedule') => {
      const file = join(framesDir, `bare-${n}-${pace}.json`);
      await writeFile(file, JSON.stringify(frames));
      const server = await start(['--import', 'tsx', join(root, 'bench/lib/fanout-bare-server.ts')], { FANOUT_FRAMES: file, FANOUT_SUBSCRIBERS: String(n), FANOUT_PACE: pace }, (l) => l.startsWith('{"url"'), {
        stdin: true,
      });
      let allSubscribed!: () => void;
      const subscribed = new Promise<void>((resolve) => (allSubscribed = resolve));
      let allSent!: () => void;
      const sent = new Promise<void>((resolve) => (allSent = resolve));
      server.child.stdout!.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        if (text.includes('{"ready"')) allSubscribed();
        if (text.includes('{"sent"')) allSent();
      });
      const url = (JSON.parse(server.line) as { url: string }).url;
      const clients = await startClients({ url, apiKey, runId: 'bare', subscribers: n, captureFile: null, timeoutMs: 300_000 });
      await subscribed;
      const pids = { server: server.child.pid!, clients: clients.child.pid!, bench: process.pid };
      const phase = await phaseStart(pids);
      server.child.stdin!.write('go\n');
      const done = await clients.done;
      const cpuPercent = await phaseCpu(phase, pids);
      await sent;
      await stop(clients.child);
      await stop(server.child);
      return { ...deliveryFigures(done, n, frames.length), cpuPercent };
    };

    log(`probe: a run of ${probeTasks} tasks with one subscriber, for the frames the bare server sends`);
    const probeFile = join(framesDir, 'probe.json');
    const probe = await labRun(1, probeTasks, PROBE_TASKS_PER_SECOND, probeFile);
    if (!probe.figures.allDelivered) throw new Error(`the probe's subscriber did not get every event: ${JSON.stringify(probe.figures)}`);
    const probeFrames = JSON.parse(await readFile(probeFile, 'utf8')) as Frame[];
    await stop(api.child);

    const results = [];
    for (const n of SUBSCRIBERS) {
      log(`bare, ${n} subscribers, as fast as it goes`);
      const bare = await bareRun(n, framesOfLength(probeFrames, Math.max(3, Math.round(BARE_DELIVERIES / n))), 'max');
      log(`bare, ${n} subscribers: ${JSON.stringify(bare)}`);

      const eventsPerSecond = (PACE_OF_BARE * bare.eventsPerSecond) / n;
      const tasksPerSecond = round(eventsPerSecond / 2, 2);
      const tasks = Math.max(10, Math.round(tasksPerSecond * SECONDS));
      if (tasks > DATASET_ROWS) throw new Error(`a run of ${tasks} tasks is longer than the dataset (${DATASET_ROWS} rows): lower --seconds`);
      api = await startApi(dataDir, secretKey, apiKey);
      const captureFile = join(framesDir, `lab-${n}.json`);
      const lab = await labRun(n, tasks, tasksPerSecond, captureFile);
      await stop(api.child);
      log(`lab, ${n} subscribers: ${JSON.stringify(lab.figures)}`);

      log(`bare, ${n} subscribers, at the engine's pace`);
      const labFrames = JSON.parse(await readFile(captureFile, 'utf8')) as Frame[];
      const origin = lab.madeAt.get(2) ?? 0;
      const scheduled = labFrames.map(({ frame }) => ({ frame, atMs: Math.max(0, (lab.madeAt.get(sequenceOf(frame)) ?? origin) - origin) }));
      const barePaced = await bareRun(n, scheduled, 'schedule');
      log(`bare, ${n} subscribers, at the engine's pace: ${JSON.stringify(barePaced)}`);

      const ratio = round(lab.figures.eventsPerSecond / bare.eventsPerSecond, 3);
      results.push({
        n,
        run: { tasks, tasksPerSecond, concurrency: lab.concurrency, pacedEventsPerSecondPerSubscriber: round(eventsPerSecond, 1) },
        lab: lab.figures,
        bare,
        barePaced,
        ratio,
        acceptance: { allDelivered: lab.figures.allDelivered, p99Under50Ms: lab.figures.p99Ms < 50, atLeastHalfBareRate: ratio >= 0.5 },
      });
    }

    console.log(
      JSON.stringify({
        bench: 'fanout',
        machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', platform: `${os.platform()} ${os.release()}`, loadAverageAtStart: loadAverage },
        node: process.version,
        paceOfBare: PACE_OF_BARE,
        seconds: SECONDS,
        notes: [
          'eventsPerSecond: TaskUpdated frames received by all clients / the span from the first to the last receipt; engineEventsPerSecond: task events the run made per second (run_events.created_at).',
          "Latency (p50Ms ... maxMs) covers TaskUpdated events of SUCCEEDED tasks only: finishedAt (PostgreSQL now() of the statement that ended the task, truncated to the millisecond) to the client's receipt; a claim's startedAt is its transaction's start, not its write.",
          `bare: the probe run's frames (the first ${BARE_DELIVERIES.toLocaleString('en-US')} / N, then its final one) from a plain ws server as fast as the sockets take them; barePaced: the frames of the lab run at the moments the engine made them. Both restamp finishedAt as each frame is sent.`,
          'ratio: lab eventsPerSecond / bare eventsPerSecond. All clients share one process (cpuPercent.clients) and the machine\'s cores with the servers; cpuPercent.other is the rest of the machine, Redis included.',
          "API RSS: rssIdleMb once started, rssStartMb with every client subscribed (before the first claim), rssPeakMb the most of a sample every 50 ms until every client had every event.",
        ],
        subscribers: results,
      }),
    );
  } finally {
    for (const child of children) await stop(child);
    await database.end();
    if (values.keep) log(`kept database ${DATABASE}`);
    else await admin.unsafe(`drop database if exists ${DATABASE} with (force)`);
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
    await rm(framesDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`fanout: ${inspect(err)}`);
  process.exitCode = 1;
});
