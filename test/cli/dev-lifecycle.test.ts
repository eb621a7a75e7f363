import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { httpClient } from '../helpers/lab.js';
import { CompleteDatasetUpload, CreateDataset, CreateDatasetUpload, DemoRunInputs, GetDatasetVersion } from '../helpers/operations.js';
import { waitForProcess } from '../helpers/process.js';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

/**
 * `llm-lab dev` from the sources, in a process group of its own, as a shell runs it in the
 * foreground: `ctrlC` signals the whole group, as the terminal does.
 */
function startDev(dataDir: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'dev'], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', LAB_DATA_DIR: dataDir, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let text = '';
  child.stdout!.on('data', (chunk) => (text += chunk));
  child.stderr!.on('data', (chunk) => (text += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => text,
    ctrlC: () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGINT');
    },
    /** The GraphQL URL, the admin key and the embedded database's URL the banner prints. */
    started: async () => {
      const url = await waitForProcess('the GraphQL URL', child, () => /GraphQL \(HTTP and WebSocket\): (\S+)/.exec(text)?.[1], () => text);
      const key = readFileSync(join(dataDir, 'admin-api-key'), 'utf8').trim();
      // The banner masks the password; the data folder holds it.
      const masked = new URL(/embedded PostgreSQL in \S+ \((postgres:\/\/[^;\s]+)/.exec(text)![1]!);
      masked.password = readFileSync(join(dataDir, 'postgres-password'), 'utf8').trim();
      const databaseUrl = masked.toString();
      return { url, key, databaseUrl };
    },
  };
}


/** A data folder the `postgres` user may enter (the tests run as root). */
function dataFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lab-lifecycle-'));
  chmodSync(dir, 0o777);
  dataDirs.push(dir);
  return dir;
}

/** The PostgreSQL process the data folder's lock file names, if it is alive. */
function postmasterOf(dataDir: string): number | null {
  const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) {
    // A PostgreSQL a failed test left behind is stopped before its folder goes.
    const pid = postmasterOf(dir);
    if (pid) process.kill(pid, 'SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  }
});

async function versionStatus(url: string, key: string, id: string): Promise<string> {
  const { node } = await httpClient(url, key).request(GetDatasetVersion, { id });
  return node && 'status' in node ? node.status : '';
}

async function waitForStatus(url: string, key: string, id: string, status: string, ms: number): Promise<string> {
  let seen = '';
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    seen = await versionStatus(url, key, id);
    if (seen === status) break;
  }
  return seen;
}

/** Uploads a dataset big enough to take a while to validate, and returns once a worker holds its lease. */
async function validationInProgress(started: { url: string; key: string; databaseUrl: string }): Promise<string> {
  const client = httpClient(started.url, started.key);
  const row = JSON.stringify({ input: { question: 'x'.repeat(200) }, expected: 'y'.repeat(50) });
  const file = Buffer.from(`${Array.from({ length: 400_000 }, () => row).join('\n')}\n`);
  const { createDataset } = await client.request(CreateDataset, { input: { name: 'big' } });
  const { createDatasetUpload: grant } = await client.request(CreateDatasetUpload, {
    input: { datasetId: createDataset.id, format: 'JSONL', sizeBytes: file.length },
  });
  expect((await fetch(grant.url!, { method: 'PUT', headers: grant.headers as Record<string, string>, body: file })).status).toBe(200);
  const sql = postgres(started.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await client.request(CompleteDatasetUpload, { datasetVersionId: grant.datasetVersion.id });
    let leased = false;
    for (let i = 0; i < 400 && !leased; i++) {
      const [v] = await sql<{ leased: boolean }[]>`
        select status = 'VALIDATING' and validation_attempts > 0 and lease_until > now() as leased
        from dataset_versions order by created_at desc limit 1`;
      leased = Boolean(v?.leased);
      if (!leased) await new Promise((r) => setTimeout(r, 10));
    }
    expect(leased).toBe(true);
  } finally {
    await sql.end({ timeout: 1 });
  }
  return grant.datasetVersion.id;
}

describe('llm-lab dev: starting and stopping', () => {
  it('starts again on its own after being killed with SIGKILL in the middle of a dataset validation, which resumes at once and ends READY', async () => {
    const dataDir = dataFolder();
    const env = { HOST: '127.0.0.1', LAB_MULTIPART_THRESHOLD_BYTES: String(512 * 1024 ** 2) };
    const first = startDev(dataDir, env);
    const versionId = await validationInProgress(await first.started());
    first.child.kill('SIGKILL');
    await first.exited;
    // The PostgreSQL of the killed process outlives it: the next start must deal with it.
    const orphan = postmasterOf(dataDir);
    expect(orphan).not.toBeNull();

    const second = startDev(dataDir, env);
    try {
      const { url, key } = await second.started();
      expect(second.output()).not.toContain('undefined');
      expect(postmasterOf(dataDir)).not.toBe(orphan);
      // The killed worker's lease would hold the version for 2 minutes.
      expect(await waitForStatus(url, key, versionId, 'READY', 30_000)).toBe('READY');
      const demo = (await httpClient(url, key).request(DemoRunInputs)).datasets.nodes[0]!.latestVersion;
      expect(await versionStatus(url, key, demo!.id)).toBe('READY');
    } finally {
      second.ctrlC();
      expect(await second.exited, second.output()).toBe(0);
    }
    expect(postmasterOf(dataDir)).toBeNull();
  }, 150_000);

  it('on Ctrl-C (the whole process group) stops PostgreSQL last: no errors, and a validation in progress is given back so the next start resumes it at once', async () => {
    const dataDir = dataFolder();
    // HOST unset: dev listens on the loopback interface only.
    const first = startDev(dataDir, { LAB_MULTIPART_THRESHOLD_BYTES: String(512 * 1024 ** 2) });
    const { url, key, databaseUrl } = await first.started();
    expect(new URL(url).hostname).toBe('127.0.0.1');
    const versionId = await validationInProgress({ url, key, databaseUrl });
    first.ctrlC();
    expect(await first.exited, first.output()).toBe(0);
    expect(first.output()).not.toMatch(/"level":50/);
    expect(postmasterOf(dataDir)).toBeNull();

    const second = startDev(dataDir);
    try {
      const again = await second.started();
      // A lease left to run out would hold the version for 2 minutes.
      expect(await waitForStatus(again.url, again.key, versionId, 'READY', 30_000)).toBe('READY');
    } finally {
      second.ctrlC();
      expect(await second.exited, second.output()).toBe(0);
    }
  }, 180_000);

  it('a second Ctrl-C ends the CLI at once and PostgreSQL with it', async () => {
    const dataDir = dataFolder();
    const dev = startDev(dataDir, { HOST: '127.0.0.1' });
    await dev.started();
    const pid = postmasterOf(dataDir);
    expect(pid).not.toBeNull();
    dev.ctrlC();
    // Apart, or the two signals are one for the kernel.
    await new Promise((r) => setTimeout(r, 20));
    dev.ctrlC();
    expect(await dev.exited, dev.output()).toBe(1);
    let running = true;
    for (let i = 0; i < 200 && running; i++) {
      running = postmasterOf(dataDir) === pid;
      if (running) await new Promise((r) => setTimeout(r, 50));
    }
    expect(running).toBe(false);
  }, 90_000);

  it('refuses a port already in use with a message naming it and PORT, without a stack trace', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const dev = startDev(dataFolder(), { PORT: String(port), HOST: '127.0.0.1' });
      const code = await dev.exited;
      expect(code, dev.output()).not.toBe(0);
      expect(code, dev.output()).not.toBeNull();
      expect(dev.output()).toContain(`port ${port}`);
      expect(dev.output()).toContain('PORT=');
      expect(dev.output()).not.toMatch(/\n\s+at /);
      expect(dev.output()).not.toContain("Unhandled 'error' event");
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 90_000);
});
