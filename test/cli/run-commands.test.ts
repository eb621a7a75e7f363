import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphQLClient } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpClient, ownDatabase } from '../helpers/lab.js';
import { CompareRuns, CreateExperiment, CreateModel, CreatePrompt, GetDatasetVersion, StartRun } from '../helpers/operations.js';
import { waitForProcess } from '../helpers/process.js';
import { readyDatasetVersion, waitForRun, type DatasetRowSpec } from '../helpers/runs.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

function llmLab(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a CLI verb to its end; `onStdout` sees the output as it comes. */
function cli(args: string[], env: Record<string, string>, onStdout?: (text: string) => void): Promise<CliResult> {
  const child = llmLab(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
    onStdout?.(stdout);
  });
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** Rows whose `hint` is the expected answer for even rows only: an echoed `{{hint}}` matches half of them. */
const ROWS: DatasetRowSpec[] = Array.from({ length: 10 }, (_, i) => ({
  input: { question: `What is ${i} + ${i}?`, hint: i % 2 === 0 ? String(2 * i) : 'no idea' },
  expected: String(2 * i),
}));

describe('llm-lab run (against llm-lab dev)', () => {
  const key = `lab_cli_${randomBytes(16).toString('hex')}`;
  const suffix = randomBytes(3).toString('hex');
  const names = { experiment: `cli-exp-${suffix}`, plain: `plain-${suffix}`, hinted: `hinted-${suffix}`, fast: `echo-fast-${suffix}`, slow: `echo-slow-${suffix}`, dataset: '' };
  const ids = { experiment: '', datasetVersion: '', plain: '', hinted: '', hintedPrompt: '', fast: '', slow: '' };
  let dev: ChildProcess;
  let baseUrl = '';
  let client: GraphQLClient;
  let dataDir = '';
  let database: Awaited<ReturnType<typeof ownDatabase>>;
  const env = () => ({ LAB_URL: baseUrl, LAB_API_KEY: key });

  beforeAll(async () => {
    database = await ownDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'lab-cli-run-'));
    dev = llmLab(['dev'], { DATABASE_URL: database.url, LAB_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LAB_ADMIN_API_KEY: key });
    let log = '';
    dev.stdout!.on('data', (chunk) => (log += chunk));
    dev.stderr!.on('data', (chunk) => (log += chunk));
    const graphqlUrl = await waitForProcess('the GraphQL URL', dev, () => /GraphQL \(HTTP and WebSocket\): (\S+)/.exec(log)?.[1], () => log);
    baseUrl = graphqlUrl.replace(/\/graphql$/, '');
    client = httpClient(graphqlUrl, key);

    ids.experiment = (await client.request(CreateExperiment, { input: { name: names.experiment } })).createExperiment.id;
    ids.datasetVersion = await readyDatasetVersion(client, ROWS);
    const { node } = await client.request(GetDatasetVersion, { id: ids.datasetVersion });
    names.dataset = node && 'dataset' in node ? node.dataset.name : '';
    for (const [prompt, template] of [['plain', 'Q: {{question}}'], ['hinted', '{{hint}}']] as const) {
      const { createPrompt } = await client.request(CreatePrompt, { input: { name: names[prompt], template } });
      ids[prompt] = createPrompt.latestVersion.id;
      if (prompt === 'hinted') ids.hintedPrompt = createPrompt.id;
    }
    for (const [model, latencyMs] of [['fast', 0], ['slow', 100]] as const) {
      const input = { name: names[model], provider: 'ECHO' as const, modelName: 'echo-1', inputCostPerMTok: 1, outputCostPerMTok: 2, parameters: { latencyMs } };
      ids[model] = (await client.request(CreateModel, { input })).createModel.id;
    }
  }, 90_000);

  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      const exited = new Promise((resolve) => dev.once('exit', resolve));
      dev.kill('SIGINT');
      await exited;
    }
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  /** A run started through the API and waited for, as another client would leave it. */
  async function finishedRun(promptVersionId: string, modelIds = [ids.fast]): Promise<string> {
    const { startRun } = await client.request(StartRun, {
      input: { experimentId: ids.experiment, datasetVersionId: ids.datasetVersion, promptVersionIds: [promptVersionId], modelIds, evaluators: [{ kind: 'EXACT_MATCH', name: 'exact' }] },
    });
    expect((await waitForRun(client, startRun.id, undefined, 30_000)).status).toBe('SUCCEEDED');
    return startRun.id;
  }

  const progressLines = (stdout: string) => stdout.split('\n').filter((line) => /^\[\s*\d+%\]/.test(line));

  it('starts a run by names with --watch and follows it to the end, printing its counts, usage and cost', async () => {
    const args = ['run', 'start', '--experiment', names.experiment, '--dataset', `${names.dataset}@1`, '--prompt', names.plain, '--prompt', names.hinted];
    args.push('--model', names.fast, '--model', names.slow, '--evaluator', 'exact:EXACT_MATCH', '--concurrency', '4', '--watch');
    const result = await cli(args, env());
    expect(result.code, result.stderr).toBe(0);
    const runId = result.stdout.split('\n')[0]!;
    const run = await waitForRun(client, runId, undefined, 1);
    expect(run).toMatchObject({ status: 'SUCCEEDED', progress: { total: 40, succeeded: 40 } });
    const lines = progressLines(result.stdout);
    // Followed live: a line per tenth of the run and per status change, ending at 100% SUCCEEDED.
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.at(-1)).toBe('[100%] SUCCEEDED 40/40 tasks ended: 40 succeeded, 0 failed, 0 cancelled; 0 running, 0 queued');
    const percents = lines.map((line) => Number(/(\d+)%/.exec(line)![1]));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(result.stdout).toContain(`Run ${runId} SUCCEEDED`);
    expect(result.stdout).toContain('tasks: 40 total, 40 succeeded, 0 failed, 0 cancelled');
    expect(result.stdout).toContain(`usage: ${run.usage.promptTokens} prompt tokens, ${run.usage.completionTokens} completion tokens, $`);
    expect(run.usage.costUsd).toBeGreaterThan(0);
  }, 90_000);

  it('takes ids and prompt@version, and without --watch prints only the run id on stdout', async () => {
    const result = await cli(['run', 'start', '--experiment', ids.experiment, '--dataset', ids.datasetVersion, '--prompt', `${names.hinted}@1`, '--model', ids.fast], env());
    expect(result.code, result.stderr).toBe(0);
    const runId = result.stdout.trim();
    expect(result.stderr).toContain(`llm-lab run watch ${runId}`);
    expect((await waitForRun(client, runId, undefined, 30_000)).status).toBe('SUCCEEDED');
    // A prompt's id (not a version's) means its latest version; an unknown name says what was looked for.
    const unknown = await cli(['run', 'start', '--experiment', names.experiment, '--dataset', names.dataset, '--prompt', ids.hintedPrompt, '--model', 'no-such-model'], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No model named "no-such-model" in this project');
  }, 90_000);

  it('watch replays a finished run and exits 0 with the same summary', async () => {
    const runId = await finishedRun(ids.plain);
    const result = await cli(['run', 'watch', runId], env());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Watching run ${runId} (SUCCEEDED, 10 tasks): replaying its events`);
    expect(progressLines(result.stdout).at(-1)).toBe('[100%] SUCCEEDED 10/10 tasks ended: 10 succeeded, 0 failed, 0 cancelled; 0 running, 0 queued');
    expect(result.stdout).toContain('tasks: 10 total, 10 succeeded, 0 failed, 0 cancelled');
  }, 90_000);

  it('watch resumes after its connection is cut mid-run and ends with the right counts', async () => {
    const proxy = await startTcpProxy(new URL(baseUrl));
    try {
      // Started by the CLI itself, so the cut falls mid-run however slowly the CLI starts.
      const args = ['run', 'start', '--experiment', names.experiment, '--dataset', names.dataset, '--prompt', names.plain, '--prompt', names.hinted];
      args.push('--model', names.slow, '--repetitions', '2', '--concurrency', '1', '--watch', '--url', proxy.url);
      let cut = false;
      const result = await cli(args, { LAB_API_KEY: key }, (stdout) => {
        if (cut || !/\[\s*\d+%\] RUNNING [1-9]/.test(stdout)) return;
        cut = true;
        void proxy.stop().then(() => setTimeout(() => void proxy.start(), 300));
      });
      expect(cut).toBe(true);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/connection to the lab (lost|closed).*; resuming after event [1-9]\d*/);
      expect(progressLines(result.stdout).at(-1)).toBe('[100%] SUCCEEDED 40/40 tasks ended: 40 succeeded, 0 failed, 0 cancelled; 0 running, 0 queued');
      expect(result.stdout).toContain('tasks: 40 total, 40 succeeded, 0 failed, 0 cancelled');
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('a run that ends FAILED exits 3 with its error', async () => {
    const args = ['run', 'start', '--experiment', names.experiment, '--dataset', names.dataset, '--prompt', names.plain, '--model', names.fast, '--budget', '0.000001', '--watch'];
    const result = await cli(args, env());
    expect(result.code, result.stdout + result.stderr).toBe(3);
    expect(result.stdout).toMatch(/Run \S+ FAILED/);
    expect(result.stdout).toContain('error: budget exceeded');
  }, 90_000);

  it('compare prints the same delta, CI and pairs as the API compareRuns, and --json its result', async () => {
    const baseline = await finishedRun(ids.plain);
    const candidate = await finishedRun(ids.hinted);
    // Metric points reach the store in batches, a moment after their tasks end.
    const compare = () => client.request(CompareRuns, { baseline, candidate, metrics: ['exact'], pairMetric: 'exact' });
    let { compareRuns } = await compare();
    for (let i = 0; i < 100 && compareRuns.metrics[0]?.pairedCount !== ROWS.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ({ compareRuns } = await compare());
    }
    const api = compareRuns.metrics[0]!;
    expect(api.delta).toBe(0.5);

    const table = await cli(['run', 'compare', baseline, candidate, '--metric', 'exact'], env());
    expect(table.code, table.stderr).toBe(0);
    const [header, , row] = table.stdout.trim().split('\n').slice(-3);
    expect(header!.split(/\s{2,}/)).toEqual(['metric', 'mean A', 'mean B', 'delta', '95% CI', 'p-value', 'n']);
    const cells = row!.split(/\s{2,}/);
    const shown = (x: number) => Number(x.toPrecision(4));
    expect(cells[0]).toBe('exact');
    expect([Number(cells[1]), Number(cells[2]), Number(cells[3])]).toEqual([shown(api.baselineMean), shown(api.candidateMean), shown(api.delta)]);
    expect(cells[4]).toBe(`[${api.deltaCi95Low > 0 ? '+' : ''}${shown(api.deltaCi95Low)}, ${api.deltaCi95High > 0 ? '+' : ''}${shown(api.deltaCi95High)}]`);
    expect(Number(cells[6])).toBe(api.pairedCount);
    // Columns line up: every line of the table has its n at the same place.
    const [h, , r] = table.stdout.trim().split('\n').slice(-3);
    expect(h!.length).toBe(r!.length);

    const json = await cli(['run', 'compare', baseline, candidate, '--metric', 'exact', '--json'], env());
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).metrics).toEqual(compareRuns.metrics);

    const all = await cli(['run', 'compare', baseline, candidate], env());
    expect(all.stdout).toMatch(/^latency_ms\s/m);
  }, 90_000);

  it('a wrong or missing key exits non-zero saying so and how to fix it, without a stack trace', async () => {
    const wrong = await cli(['run', 'watch', 'UnVuOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA'], { LAB_URL: baseUrl, LAB_API_KEY: 'lab_not_a_real_key' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('This API key is not valid.');
    expect(wrong.stderr).toContain('LAB_API_KEY');
    expect(wrong.stderr).toMatch(/code UNAUTHENTICATED, request id [0-9a-f-]{36}/);
    expect(wrong.stderr).not.toMatch(/\n\s+at /);

    const missing = await cli(['run', 'compare', 'a', 'b'], { LAB_URL: baseUrl });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No API key: set LAB_API_KEY or pass --key.');

    const notARun = await cli(['run', 'watch', 'nope'], env());
    expect(notARun.code).toBe(1);
    expect(notARun.stderr).toMatch(/not a Run ID[\s\S]*code BAD_USER_INPUT, request id/);
  }, 90_000);
});
