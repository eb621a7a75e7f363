/**
 * Console-query benchmark: the console's main page query (`ExperimentsWithRuns`: a page of
 * experiments, each with its run count, latest run with models and prompt versions, and first two
 * runs) against the lab as users run it (`llm-lab serve`, built) and against a hand-written server
 * answering the same bytes with plain SQL (bench/console-query/bare-server.ts): the limit, what
 * the data costs without GraphQL execution. Prints one JSON line; progress goes to stderr.
 *
 *   node --import tsx bench/console-query.ts [--seconds 5] [--warmup 2] [--rounds 3] [--connections 32] [--keep] [--against REV]
 *
 * With `--against REV` the second server is not the bare one but the lab as built at the git
 * revision REV (a worktree of this repository, built with tsc, sharing node_modules and the
 * database schema): an A/B of two versions of the lab, in the same interleaved rounds.
 *
 * It makes its own database (BENCH_POSTGRES_URL, an admin connection, default
 * postgres://postgres@127.0.0.1:5432/postgres), migrates it and creates the API key with the lab's
 * CLI, seeds it in SQL, checks that both servers answer pages of 20 and 100 byte for byte alike,
 * then loads them in interleaved rounds with autocannon. Each server reaches PostgreSQL through
 * its own counting proxy (bench/console-query/pg-proxy.ts). It uses only the CLI, the environment
 * variables and the SQL schema of the lab, never its modules, so it measures any version of them.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { startPgProxy, type PgProxy } from './console-query/pg-proxy.js';
import { PROJECT_NAME, seed } from './console-query/seed.js';
import { backendCpuMs, cpuMs, machineBusyMs } from './lib/proc.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    keep: { type: 'boolean', default: false },
    against: { type: 'string' },
  },
});
const wholeNumber = (name: 'seconds' | 'warmup' | 'rounds' | 'connections', min: number) => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number of at least ${min}`);
  return value;
};
const seconds = wholeNumber('seconds', 1);
const warmupSeconds = wholeNumber('warmup', 0);
const rounds = wholeNumber('rounds', 1);
const connections = wholeNumber('connections', 1);

const PAGE_SIZES = [20, 100] as const;
const DATABASE = 'llm_lab_bench_console';
/** The lab's default DATABASE_POOL_SIZE, given to both servers. */
const POOL_SIZE = 10;
const QUERY = `query ExperimentsWithRuns($first: Int) {
  experiments(first: $first) { totalCount nodes { id name runCount
    latestRun { id status experiment { id } models { id name } promptVersions { id version prompt { id name } } }
    runs(first: 2) { totalCount nodes { id status } pageInfo { hasNextPage } } } }
}`;

const root = fileURLToPath(new URL('..', import.meta.url));
const labCli = join(root, 'dist/src/main.js');
const log = (message: string) => console.error(`console-query: ${message}`);

const adminUrl = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
const databaseUrl = (port?: number) => {
  const url = new URL(adminUrl);
  url.pathname = `/${DATABASE}`;
  if (port !== undefined) [url.hostname, url.port] = ['127.0.0.1', String(port)];
  return url.toString();
};

interface Server {
  name: 'lab' | 'bare' | 'base';
  url: string;
  child: ChildProcess;
  proxy: PgProxy;
}

interface Figures {
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  nodeCpuMsPerRequest: number;
  postgresCpuMsPerRequest: number;
  statementsPerRequest: number;
  parsesPerRequest: number;
  loadGeneratorCpuMsPerRequest: number;
  otherCpuPercent: number;
}





/** CPU spent since `before`: backends that started meanwhile count from zero. */
const backendCpuSince = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Runs the lab's CLI to completion; returns its stdout (its messages go to our stderr). */
function runLabCli(args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync(process.execPath, [labCli, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
}

/** Every server started, ready or not, so that cleaning up stops them all. */
const children: ChildProcess[] = [];

async function startServer(name: Server['name'], args: string[], env: NodeJS.ProcessEnv, proxy: PgProxy, apiKey: string): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Its logs go to our stderr: stdout carries only the result line.
  const child = spawn(process.execPath, args, { env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 2, 2] });
  children.push(child);
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the ${name} server exited with code ${code} before it was ready`);
  });
  const ready = (async () => {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
      const health = await fetch(`${url}/healthz`).catch(() => null);
      if (!health?.ok) continue;
      // Ready once it answers the page query itself, not only its health check.
      const page = await fetch(`${url}/graphql`, { method: 'POST', headers: headers(apiKey), body: requestBody(20) });
      if (page.ok && !(JSON.parse(await page.text()) as { errors?: unknown }).errors) return;
    }
    throw new Error(`the ${name} server did not answer the page query within 60 s`);
  })();
  // Once ready, its exit when we stop it is no error (and one while loading shows as failed requests).
  await Promise.race([ready, exited]);
  log(`${name} server ready at ${url} (pid ${child.pid})`);
  return { name, url, child, proxy };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = once(child, 'exit');
  child.kill('SIGTERM');
  const stopped = await Promise.race([exit.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exit;
  }
}

const headers = (apiKey: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${apiKey}` });
const requestBody = (first: number) => JSON.stringify({ operationName: 'ExperimentsWithRuns', query: QUERY, variables: { first } });

async function pageOf(server: Server, apiKey: string, first: number): Promise<string> {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: headers(apiKey), body: requestBody(first) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${server.name} answered ${response.status} to first ${first}: ${text.slice(0, 500)}`);
  return text;
}

/** Fails unless both servers answer the same bytes, a full page without errors. */
async function checkSameAnswers(lab: Server, other: Server, apiKey: string): Promise<Record<number, string>> {
  const answers: Record<number, string> = {};
  for (const first of PAGE_SIZES) {
    const [fromLab, fromOther] = [await pageOf(lab, apiKey, first), await pageOf(other, apiKey, first)];
    const parsed = JSON.parse(fromLab) as { errors?: unknown; data?: { experiments: { nodes: unknown[] } } };
    if (parsed.errors || parsed.data?.experiments.nodes.length !== first) {
      throw new Error(`the lab's answer to first ${first} is not a full page: ${fromLab.slice(0, 500)}`);
    }
    if (fromLab !== fromOther) {
      let at = 0;
      while (fromLab[at] === fromOther[at]) at++;
      throw new Error(
        `the servers' answers to first ${first} differ from character ${at} on:\n  lab:  …${fromLab.slice(Math.max(0, at - 80), at + 120)}\n  ${other.name}: …${fromOther.slice(Math.max(0, at - 80), at + 120)}`,
      );
    }
    answers[first] = fromLab;
  }
  return answers;
}

/**
 * One load of exactly `requests` requests on one server, every response the checked answer. A
 * fixed number, not a fixed time: a load cut off by a timer would leave up to `connections`
 * requests half-served, work done but not counted, which for the slow lab is seconds of it.
 */
async function load(server: Server, apiKey: string, first: number, requests: number, expectBody: string): Promise<Figures> {
  const pid = server.child.pid!;
  const node = (await cpuMs(pid))!;
  const pg = await backendCpuMs(admin, DATABASE);
  const counts = { ...server.proxy.counts };
  const self = process.cpuUsage();
  const busy = await machineBusyMs();
  const started = performance.now();

  const result = await autocannon({
    url: `${server.url}/graphql`,
    method: 'POST',
    headers: headers(apiKey),
    body: requestBody(first),
    connections,
    amount: requests,
    // autocannon notices the last response at its next sample: sample often, so its duration is exact to 10 ms.
    sampleInt: 10,
    expectBody,
  });

  const nodeMs = (await cpuMs(pid))! - node;
  const pgMs = backendCpuSince(pg, await backendCpuMs(admin, DATABASE));
  const selfUsage = process.cpuUsage(self);
  const selfMs = (selfUsage.user + selfUsage.system) / 1000;
  const otherMs = (await machineBusyMs()) - busy - nodeMs - pgMs - selfMs;
  const elapsedMs = performance.now() - started;
  const { parse, bind, query } = server.proxy.counts;
  if (result.errors || result.non2xx || result.mismatches || result.requests.total !== requests) {
    throw new Error(
      `${server.name}, first ${first}: ${result.requests.total} of ${requests} answered, ${result.errors} errors (${result.timeouts} timeouts), ` +
        `${result.non2xx} non-2xx, ${result.mismatches} bodies unlike the checked answer`,
    );
  }
  return {
    requests,
    seconds: result.duration,
    reqPerSec: round(requests / result.duration, 1),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    nodeCpuMsPerRequest: round(nodeMs / requests, 3),
    postgresCpuMsPerRequest: round(pgMs / requests, 3),
    statementsPerRequest: round((bind - counts.bind + query - counts.query) / requests, 2),
    parsesPerRequest: round((parse - counts.parse) / requests, 2),
    loadGeneratorCpuMsPerRequest: round(selfMs / requests, 3),
    otherCpuPercent: round(Math.max(0, (otherMs / elapsedMs) * 100), 1),
  };
}

/** The lab as built at git revision `rev`: a worktree of this repository sharing its node_modules, built with tsc. */
async function buildRevision(rev: string): Promise<{ cli: string; remove: () => void }> {
  const dir = await mkdtemp(join(os.tmpdir(), 'llm-lab-bench-base-'));
  execFileSync('git', ['worktree', 'add', '--detach', dir, rev], { cwd: root, stdio: ['ignore', 2, 2] });
  const remove = () => execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: ['ignore', 2, 2] });
  try {
    await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], { cwd: dir, stdio: ['ignore', 2, 2] });
  } catch (err) {
    remove();
    throw err;
  }
  return { cli: join(dir, 'dist/src/main.js'), remove };
}

/** Requests for a load of about `duration` seconds at `rate`; at least one per connection. */
const requestsFor = (rate: number, duration: number) => Math.max(connections, Math.round(rate * duration));

const medians = (figures: Figures[]) =>
  Object.fromEntries(Object.keys(figures[0]!).map((key) => [key, median(figures.map((f) => f[key as keyof Figures]))])) as unknown as Figures;

async function main(): Promise<void> {
  // Other work on the machine skews every figure: the load average tells a reader whether there was any.
  const loadAverage = os.loadavg().map((load) => round(load, 2));
  const proxies: PgProxy[] = [];
  const dataDir = await mkdtemp(join(os.tmpdir(), 'llm-lab-bench-console-'));
  let base: Awaited<ReturnType<typeof buildRevision>> | null = null;
  try {
    log(`creating database ${DATABASE}`);
    await admin.unsafe(`drop database if exists ${DATABASE} with (force)`);
    await admin.unsafe(`create database ${DATABASE}`);

    log('building the lab (npm run build)');
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
    if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status})`);

    // The CLI's own environment: PATH and what each command needs, nothing inherited that could change its mode.
    const cliEnv = { PATH: process.env.PATH, DATABASE_URL: databaseUrl() };
    runLabCli(['migrate'], cliEnv);
    const database = postgres(databaseUrl(), { max: 1, onnotice: () => {} });
    const dataset = await seed(database).finally(() => database.end());
    log(`seeded ${JSON.stringify(dataset)}`);
    const apiKey = runLabCli(['api-key', 'create', '--name', 'bench', '--role', 'ADMIN', '--project', PROJECT_NAME], cliEnv).trim();

    const upstream = { host: new URL(adminUrl).hostname, port: Number(new URL(adminUrl).port || 5432) };
    const [labProxy, otherProxy] = [await startPgProxy(upstream), await startPgProxy(upstream)];
    proxies.push(labProxy, otherProxy);

    if (values.against) {
      log(`building the lab at ${values.against} (a git worktree)`);
      base = await buildRevision(values.against);
    }
    log(`starting the lab (llm-lab serve) and ${base ? `the lab at ${values.against}` : 'the bare server'}`);
    const labEnv = (port: number, data: string) => ({
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl(port),
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      LAB_SECRET_KEY: randomBytes(32).toString('hex'),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      LAB_DATA_DIR: data,
      // Production `serve` is meant to need Redis and S3 unless told it runs alone, as here.
      LAB_ALLOW_SINGLE_PROCESS: '1',
      // One key at hundreds of requests a second: the limiter still runs (its cost is measured), and allows it.
      LAB_RATE_LIMIT_QUERIES_PER_MINUTE: '10000000',
    });
    const lab = await startServer('lab', [labCli, 'serve'], labEnv(labProxy.port, dataDir), labProxy, apiKey);
    const other = base
      ? await startServer('base', [base.cli, 'serve'], labEnv(otherProxy.port, join(dataDir, 'base')), otherProxy, apiKey)
      : await startServer(
          'bare',
          ['--import', 'tsx', join(root, 'bench/console-query/bare-server.ts')],
          { PATH: process.env.PATH, DATABASE_URL: databaseUrl(otherProxy.port), DATABASE_POOL_SIZE: String(POOL_SIZE) },
          otherProxy,
          apiKey,
        );

    const answers = await checkSameAnswers(lab, other, apiKey);
    log(`both servers answer the same bytes (${PAGE_SIZES.map((first) => `first ${first}: ${Buffer.byteLength(answers[first]!)} B`).join(', ')})`);

    // Warm-up: two requests per connection show a server's rate, then about --warmup seconds at
    // that rate; the rate measured last sizes the next round of that server and page size.
    const rates: Record<string, number> = {};
    for (const first of PAGE_SIZES) {
      for (const server of [lab, other]) {
        log(`warm-up: ${server.name}, first ${first}`);
        let { reqPerSec } = await load(server, apiKey, first, 2 * connections, answers[first]!);
        if (warmupSeconds > 0) ({ reqPerSec } = await load(server, apiKey, first, requestsFor(reqPerSec, warmupSeconds), answers[first]!));
        rates[`${server.name}${first}`] = reqPerSec;
      }
    }

    const figures: Record<string, { lab: Figures[]; other: Figures[] }> = {};
    for (let r = 0; r < rounds; r++) {
      for (const first of PAGE_SIZES) {
        // Alternate which server goes first, so neither always follows the other's load.
        for (const server of r % 2 ? [other, lab] : [lab, other]) {
          const measured = await load(server, apiKey, first, requestsFor(rates[`${server.name}${first}`]!, seconds), answers[first]!);
          log(`round ${r + 1}/${rounds}, ${server.name}, first ${first}: ${JSON.stringify(measured)}`);
          rates[`${server.name}${first}`] = measured.reqPerSec;
          (figures[`first${first}`] ??= { lab: [], other: [] })[server === lab ? 'lab' : 'other'].push(measured);
        }
      }
    }

    const results = Object.fromEntries(
      PAGE_SIZES.map((first) => {
        const { lab: labRounds, other: otherRounds } = figures[`first${first}`]!;
        const [labMedian, otherMedian] = [medians(labRounds), medians(otherRounds)];
        return [
          `first${first}`,
          {
            responseBytes: Buffer.byteLength(answers[first]!),
            lab: { ...labMedian, rounds: labRounds },
            [other.name]: { ...otherMedian, rounds: otherRounds },
            ratio: round(labMedian.reqPerSec / otherMedian.reqPerSec, 3),
          },
        ];
      }),
    );
    console.log(
      JSON.stringify({
        bench: 'console-query',
        ...(values.against ? { against: values.against } : {}),
        machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}`, loadAverageAtStart: loadAverage },
        connections,
        seconds,
        warmupSeconds,
        rounds,
        poolSize: POOL_SIZE,
        dataset,
        notes: [
          'Figures of a server and page size are medians over the rounds; rounds lists each one.',
          'A round sends a fixed number of requests, about --seconds at the rate the server showed in its previous load, and ends when all are answered.',
          'postgresCpuMsPerRequest sums the PostgreSQL backends connected to the bench database (pg_stat_activity), not the server\'s shared background processes.',
          'statementsPerRequest counts Bind and simple Query messages, parsesPerRequest Parse messages, seen by a proxy between each server and PostgreSQL.',
          'loadGeneratorCpuMsPerRequest is this process: autocannon and both proxies, on the same cores as the servers.',
          'otherCpuPercent is the CPU the rest of the machine used during the round (100: one core), PostgreSQL background processes included: high values mean a disturbed round.',
          ...(values.against ? [`ratio is this lab's requests per second over those of the lab built at ${values.against} (base).`] : []),
        ],
        results,
      }),
    );
  } finally {
    for (const child of children) await stop(child);
    for (const proxy of proxies) await proxy.close();
    base?.remove();
    if (values.keep) log(`kept database ${DATABASE}`);
    else await admin.unsafe(`drop database if exists ${DATABASE} with (force)`);
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`console-query: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
