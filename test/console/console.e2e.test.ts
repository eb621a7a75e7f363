import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { GraphQLClient } from 'graphql-request';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../helpers/fake-llm-server.js';
import { httpClient, ownDatabase } from '../helpers/lab.js';
import { CancelRun, RetryRun } from '../helpers/operations.js';
import { freePort, waitForProcess } from '../helpers/process.js';

/**
 * The console in Debian's headless Chromium (driven by playwright-core) against a real `llm-lab dev`
 * process (its own database, in-process worker) and the fake LLM provider: what a researcher does,
 * page by page.
 */

const CHROMIUM = '/usr/bin/chromium';
const ROOT = new URL('../../', import.meta.url).pathname;
const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');
const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');

const CAPITALS: Record<string, string> = { Peru: 'Lima', France: 'Paris', Japan: 'Tokyo', Kenya: 'Nairobi', Chile: 'Santiago', Egypt: 'Cairo' };
const DATASET = Object.entries(CAPITALS)
  .map(([country, capital]) => JSON.stringify({ input: { country }, expected: capital }))
  .join('\n');

const MAIN = join(ROOT, 'src', 'main.ts');

/** `llm-lab dev` as `npm start` runs it, on a database and data folder of the test's own. */
const lab = { url: '', env: {} as Record<string, string>, process: null as ChildProcess | null, drop: async () => {}, dataDir: '' };
let project: { key: string; client: GraphQLClient; keyWithRole(role: 'VIEWER'): Promise<{ key: string }> };
let fake: FakeLlmServer;
let browser: Browser;
const cspViolations: string[] = [];
/** Uncaught errors in any page: a page that throws is a defect even when the boundary shows it. */
const pageErrors: string[] = [];

function llmLab(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...lab.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk) => (text += chunk));
  child.stderr!.on('data', (chunk) => (text += chunk));
  return { child, output: () => text };
}

async function startDev(): Promise<void> {
  const { child, output } = llmLab(['dev']);
  lab.process = child;
  await waitForProcess('llm-lab dev to serve', child, () => (output().includes('LLM Research Lab is running') ? true : undefined), output, 120_000);
}

async function stopDev(): Promise<void> {
  const child = lab.process;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** A key of a project of the test's own (not the demo's), made as an operator would, with the CLI. */
async function createKey(role: 'ADMIN' | 'VIEWER'): Promise<string> {
  const { child, output } = llmLab(['api-key', 'create', '--name', `console e2e ${role.toLowerCase()}`, '--role', role, '--project', 'console e2e']);
  let stdout = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`api-key create failed: ${output()}`);
  return stdout.trim();
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The console's browser test needs Debian's chromium at ${CHROMIUM}: run \`apt-get install -y chromium\` (.ci/run does).`);
  }
  // Skips Vite when dist/console is up to date with console/ (scripts/build-console.mjs keeps a stamp).
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'build-console.mjs')], { cwd: ROOT });
  mkdirSync(ARTIFACTS, { recursive: true });
  // The good model knows the capitals; the bad one does not, so a run on it regresses on every pair.
  fake = await startFakeLlmServer({
    latencyMs: 60,
    reply: (prompt, model) => (model === 'fake-good' ? (Object.entries(CAPITALS).find(([country]) => prompt.includes(country))?.[1] ?? '?') : 'I do not know'),
  });
  const database = await ownDatabase();
  lab.drop = database.drop;
  lab.dataDir = mkdtempSync(join(tmpdir(), 'console-e2e-'));
  const port = await freePort();
  lab.url = `http://127.0.0.1:${port}`;
  lab.env = {
    DATABASE_URL: database.url,
    LAB_DATA_DIR: lab.dataDir,
    PORT: String(port),
    // Files over 6 MiB go in parts of 5 MiB (the smallest S3 allows), so the multipart path runs too.
    LAB_MULTIPART_THRESHOLD_BYTES: String(6 * 1024 ** 2),
    LAB_MULTIPART_PART_BYTES: String(5 * 1024 ** 2),
    // The restart test stops the process mid-run: its calls in flight get 1 s, the rest is given back.
    LAB_WORKER_STOP_GRACE_SECONDS: '1',
  };
  await startDev();
  const adminKey = await createKey('ADMIN');
  project = { key: adminKey, client: httpClient(`${lab.url}/graphql`, adminKey), keyWithRole: async (role) => ({ key: await createKey(role) }) };
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stopDev();
  await lab.drop();
  if (lab.dataDir) rmSync(lab.dataDir, { recursive: true, force: true });
  await fake?.close();
});

/** Polls until the assertion holds (pages update as the lab works). */
const poll = <T>(read: () => Promise<T> | T, timeout = 15_000) => expect.poll(read, { timeout, interval: 100 });

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return page;
}

/** Signs in; unless the key is expected to be refused, waits until the key is kept (a navigation before would lose it). */
async function signIn(page: Page, key: string, refused = false): Promise<void> {
  await page.goto(lab.url);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (!refused) await page.getByTestId('viewer').waitFor();
}

/** axe-core on the page as it is: no critical violation; then a screenshot kept as a test artifact. */
async function checkPage(page: Page, name: string): Promise<void> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern (a <script> tag it would refuse).
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)')) as {
    id: string;
    impact: string;
    nodes: { target: string[] }[];
  }[];
  const critical = violations.filter((v) => v.impact === 'critical').map((v) => `${v.id} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(critical, `critical accessibility violations on the ${name} page`).toEqual([]);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Drops a file on the dropzone as a browser would: dragenter, dragover, then drop with a DataTransfer
 * holding it. `contents` is a JavaScript expression evaluated in the page (a large file is made there).
 */
async function dropFile(page: Page, name: string, contents: string): Promise<void> {
  await page.getByTestId('dropzone').waitFor();
  await page.evaluate(`(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([${contents}], ${JSON.stringify(name)}, { type: 'application/jsonl' }));
    const zone = document.querySelector('[data-testid="dropzone"]');
    for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  })()`);
}

async function startRun(page: Page, experimentUrl: string, options: { model: string; repetitions?: number; expectedTasks: number; expectedCost?: string }): Promise<string> {
  await page.goto(experimentUrl);
  const form = page.getByRole('form', { name: 'Start a run' });
  await form.getByLabel('Dataset version').selectOption({ label: 'capitals v1 (6 rows)' });
  await form.getByLabel('capital v1').check();
  await form.getByLabel(options.model).check();
  if (options.repetitions) await form.getByLabel('Repetitions').fill(String(options.repetitions));
  await poll(() => form.getByTestId('run-estimate').textContent()).toContain(`${options.expectedTasks} tasks`);
  if (options.expectedCost) expect(await form.getByTestId('run-estimate').textContent()).toContain(`worst-case cost about ${options.expectedCost}`);
  await form.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/\/runs\/[\w-]+$/);
  return page.url();
}

describe('the research console', () => {
  let experimentUrl = '';
  const runs: { good?: string; bad?: string; cancelled?: string } = {};

  it('refuses a wrong key with a clear message and serves the console under a strict CSP', async () => {
    const response = await fetch(lab.url, { headers: { accept: 'text/html' } });
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');

    const page = await newPage();
    await signIn(page, 'lab_not_a_real_key', true);
    await poll(() => page.getByRole('alert').textContent()).toContain('This API key is not valid');
    await checkPage(page, 'sign-in-refused');
    await page.context().close();
  });

  it('signs in, uploads a dataset by drag and drop, creates a prompt, two models and an experiment', async () => {
    const page = await newPage();
    await signIn(page, project.key);
    await poll(() => page.getByTestId('viewer').textContent()).toContain('ADMIN');
    await page.waitForURL(/\/experiments$/);
    await checkPage(page, 'experiments-empty');

    await page.getByRole('link', { name: 'Datasets' }).click();
    await page.getByRole('form', { name: 'New dataset' }).getByLabel('Name', { exact: true }).fill('capitals');
    await page.getByRole('button', { name: 'Create dataset' }).click();
    await page.waitForURL(/\/datasets\/[\w-]+$/);
    await dropFile(page, 'capitals.jsonl', JSON.stringify(DATASET));
    await poll(() => page.getByRole('status').last().textContent(), 20_000).toContain('Version 1 is READY');
    await poll(() => page.getByTestId('dataset-preview').locator('tbody tr').count()).toBe(6);
    await poll(() => page.locator('.list').textContent()).toContain('capitals v1, 6 rows');
    await checkPage(page, 'datasets');

    // About 7 MiB: two parts, each PUT to its own presigned URL, then completed with their ETags.
    await page.getByRole('form', { name: 'New dataset' }).getByLabel('Name', { exact: true }).fill('many rows');
    await page.getByRole('button', { name: 'Create dataset' }).click();
    await poll(() => page.getByRole('heading', { name: 'many rows' }).count()).toBe(1);
    await dropFile(page, 'many.jsonl', `Array.from({ length: 150000 }, (_, i) => JSON.stringify({ input: { country: 'Country ' + i }, expected: 'x' })).join('\\n')`);
    await poll(() => page.getByRole('status').last().textContent(), 30_000).toContain('Version 1 is READY');
    await poll(() => page.getByTestId('dataset-versions').textContent()).toContain('150,000');

    await page.getByRole('link', { name: 'Prompts' }).click();
    const editor = page.getByRole('form', { name: 'New prompt' });
    await editor.getByLabel('Name', { exact: true }).fill('capital');
    await editor.getByLabel('User message template').fill('What is the capital of {{country}}?');
    expect(await editor.getByTestId('detected-variables').textContent()).toContain('country');
    await editor.getByRole('button', { name: 'Create prompt' }).click();
    await page.waitForURL(/\/prompts\/[\w-]+$/);
    await checkPage(page, 'prompts');

    await page.getByRole('link', { name: 'Models' }).click();
    for (const name of ['good', 'bad']) {
      const form = page.getByRole('form', { name: 'New model' });
      await form.getByLabel('Name', { exact: true }).fill(name);
      await form.getByRole('combobox', { name: /^Provider/ }).selectOption('OPENAI_COMPATIBLE');
      await form.getByLabel("Provider's model name").fill(`fake-${name}`);
      await form.getByLabel('Base URL').fill(fake.url);
      await form.getByLabel('API key (write-only)').fill('sk-fake');
      await form.getByLabel('USD / M output tokens').fill('2');
      await form.getByRole('button', { name: 'Create model' }).click();
      await poll(() => page.getByRole('cell', { name, exact: true }).count()).toBe(1);
    }
    await checkPage(page, 'models');

    await page.getByRole('link', { name: 'Experiments' }).click();
    const newExperiment = page.getByRole('form', { name: 'New experiment' });
    await newExperiment.getByLabel('Name', { exact: true }).fill('Capitals');
    await newExperiment.getByLabel('Tags (comma-separated)').fill('geo');
    await newExperiment.getByRole('button', { name: 'Create experiment' }).click();
    await page.waitForURL(/\/experiments\/[\w-]+$/);
    experimentUrl = page.url();
    await page.context().close();
  }, 90_000);

  it('starts a run and watches its progress bar reach 100% and its task table fill without reloading', async () => {
    const page = await newPage();
    await signIn(page, project.key);
    await page.goto(experimentUrl);
    await poll(() => page.getByRole('heading', { name: 'Start a run' }).count()).toBe(1);
    await checkPage(page, 'experiment');
    // The worst case: 6 calls of 1,024 output tokens (no maxTokens set) at $2 per million, input unpriced.
    runs.good = await startRun(page, experimentUrl, { model: 'good', expectedTasks: 6, expectedCost: '$0.0123' });
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations.push(frame.url()));

    await poll(() => page.getByTestId('count-succeeded').textContent(), 30_000).toBe('6');
    await poll(() => page.getByRole('progressbar', { name: 'Run progress' }).getAttribute('value')).toBe('100');
    await poll(() => page.getByTestId('task-row').count()).toBe(6);
    expect(await page.getByTestId('task-count').textContent()).toContain('6 of 6 tasks seen');
    expect(navigations).toEqual([]);
    // Each model's mean with its 95% CI and percentiles, drawn from Run.metrics: exact_match is 1 for every task.
    const exactMatch = page.getByTestId('run-metrics').locator('tr', { hasText: 'exact_match' }).getByRole('img');
    await poll(async () => ((await exactMatch.count()) === 1 ? exactMatch.getAttribute('aria-label') : null)).toBe('mean 1, 95% CI 1 to 1, p50/p90/p99 1, 1, 1');

    await page.getByRole('button', { name: /^Open task row 0 / }).click();
    await poll(() => page.getByTestId('task-detail').textContent()).toContain('What is the capital of Peru?');
    expect(await page.getByTestId('task-detail').textContent()).toContain('Lima');
    await checkPage(page, 'run');

    runs.bad = await startRun(page, experimentUrl, { model: 'bad', expectedTasks: 6 });
    await poll(() => page.getByTestId('count-succeeded').textContent(), 30_000).toBe('6');
    await page.context().close();
  }, 90_000);

  it('cancels a second run from its page', async () => {
    const page = await newPage();
    await signIn(page, project.key);
    runs.cancelled = await startRun(page, experimentUrl, { model: 'good', repetitions: 100, expectedTasks: 600 });
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await poll(() => page.locator('h1 .badge').textContent(), 30_000).toBe('CANCELLED');
    const cancelled = Number(await page.getByTestId('count-cancelled').textContent());
    expect(cancelled).toBeGreaterThan(0);
    await checkPage(page, 'run-cancelled');
    await page.context().close();
  }, 60_000);

  it('compares the two runs and opens the most regressed pair', async () => {
    const page = await newPage();
    await signIn(page, project.key);
    const id = (url: string) => url.split('/').pop()!;
    await page.goto(`${lab.url}/compare?baseline=${id(runs.good!)}&candidate=${id(runs.bad!)}`);
    const row = page.getByTestId('comparison').getByRole('row', { name: /^exact_match/ });
    await poll(() => row.textContent()).toContain('-1');
    await poll(() => page.getByTestId('pairs').locator('tbody tr').count()).toBe(6);
    await page.getByTestId('pairs').getByRole('button', { name: 'Side by side' }).first().click();
    const detail = page.getByTestId('pair-detail');
    await poll(() => detail.textContent()).toContain('I do not know');
    await checkPage(page, 'compare');

    await page.getByRole('link', { name: 'API keys' }).click();
    await poll(() => page.getByRole('heading', { name: 'API keys' }).count()).toBe(1);
    await checkPage(page, 'api-keys');
    await page.context().close();
  }, 60_000);

  it('shows a VIEWER no start, cancel or retry button, and no API keys page', async () => {
    const { key } = await project.keyWithRole('VIEWER');
    const page = await newPage();
    await signIn(page, key);
    await poll(() => page.getByTestId('viewer').textContent()).toContain('VIEWER');
    await page.goto(experimentUrl);
    await poll(() => page.getByRole('heading', { name: /^Runs/ }).count()).toBe(1);
    expect(await page.getByRole('heading', { name: 'Start a run' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'API keys' }).count()).toBe(0);
    await page.goto(runs.cancelled!);
    await poll(() => page.locator('h1 .badge').textContent()).toBe('CANCELLED');
    expect(await page.getByRole('button', { name: /Cancel run|Retry/ }).count()).toBe(0);

    // A live run (the cancelled one's retry, started by the admin): still no cancel button.
    const { retryRun } = await project.client.request(RetryRun, { id: runs.cancelled!.split('/').pop()! });
    await page.goto(`${lab.url}/runs/${retryRun.id}`);
    await poll(() => page.locator('h1 .badge').textContent()).toMatch(/QUEUED|RUNNING/);
    await poll(async () => Number(await page.getByTestId('count-succeeded').textContent())).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: /Cancel run|Retry/ }).count()).toBe(0);
    await checkPage(page, 'run-as-viewer');
    await project.client.request(CancelRun, { id: retryRun.id });
    await page.context().close();
  }, 60_000);

  it('resumes a run page after the server restarts mid-run and ends with the right counts, without reloading', async () => {
    fake.set({ latencyMs: 250 });
    const page = await newPage();
    await signIn(page, project.key);
    const runUrl = await startRun(page, experimentUrl, { model: 'good', repetitions: 20, expectedTasks: 120 });
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
    await poll(async () => Number(await page.getByTestId('count-succeeded').textContent())).toBeGreaterThan(4);

    // `llm-lab dev` stops (Ctrl-C: its sockets close with 1001, its worker gives back what it holds) and starts again.
    await stopDev();
    await poll(() => page.getByText('Connecting for live updates…').count()).toBe(1);
    expect(Number(await page.getByTestId('count-succeeded').textContent())).toBeLessThan(120);
    await startDev();

    await poll(() => page.getByTestId('count-succeeded').textContent(), 60_000).toBe('120');
    await poll(() => page.getByTestId('task-count').textContent()).toContain('120 of 120 tasks seen');
    expect(await page.getByRole('progressbar', { name: 'Run progress' }).getAttribute('value')).toBe('100');
    expect(page.url()).toBe(runUrl);
    expect(navigations).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('met no Content-Security-Policy violation and no uncaught error on any page', () => {
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
