import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { LocalBlobStore } from '../../src/storage/blobs/index.js';
import { httpClient, ownDatabase, startTestLab } from '../helpers/lab.js';
import { CompleteDatasetUpload, CreateDataset, CreateDatasetUpload, CreateExperiment, DemoRunInputs, GetDatasetVersion, ListExperiments, StartRun, ViewerQuery } from '../helpers/operations.js';
import { waitForRun } from '../helpers/runs.js';
import { freePort, waitForProcess } from '../helpers/process.js';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

/** Runs `llm-lab ARGS` from the sources, as `npm start` runs the built CLI. */
function llmLab(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function output(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stdout!.on('data', (chunk) => (text += chunk));
  child.stderr!.on('data', (chunk) => (text += chunk));
  return { text: () => text };
}


const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

const dataDirs: string[] = [];
afterAll(() => dataDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('llm-lab dev', () => {
  it('starts on embedded PostgreSQL with a demo project and printed admin key, and keeps data across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lab-dev-'));
    dataDirs.push(dataDir);
    const start = async () => {
      const child = llmLab(['dev'], { LAB_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
      const out = output(child);
      const url = await waitForProcess('the GraphQL URL', child, () => /GraphQL \(HTTP and WebSocket\): (\S+)/.exec(out.text())?.[1], out.text);
      return { child, out, url };
    };

    const first = await start();
    const printedKey = /Admin API key \(shown once[^)]*\): (\S+)/.exec(first.out.text())?.[1];
    expect(printedKey).toMatch(/^lab_/);
    expect(readFileSync(join(dataDir, 'admin-api-key'), 'utf8').trim()).toBe(printedKey);
    // The banner says where the database password is, never the password.
    expect(first.out.text()).not.toContain(readFileSync(join(dataDir, 'postgres-password'), 'utf8').trim());
    const client = httpClient(first.url, printedKey);
    expect((await client.request(ViewerQuery)).viewer.project.name).toBe('Demo');
    const demo = (await client.request(ListExperiments, {})).experiments;
    expect(demo.nodes.map((n) => n.name)).toEqual(['Demo: capital cities']);
    // The demo runs out of the box: its dataset becomes READY and a run on the ECHO model ends SUCCEEDED.
    let inputs = await client.request(DemoRunInputs);
    for (let i = 0; i < 100 && !inputs.datasets.nodes[0]?.latestVersion; i++) {
      await new Promise((r) => setTimeout(r, 100));
      inputs = await client.request(DemoRunInputs);
    }
    expect(inputs.datasets.nodes[0]!.latestVersion!.rowCount).toBe(20);
    expect(inputs.models.nodes[0]!.provider).toBe('ECHO');
    const { startRun } = await client.request(StartRun, {
      input: {
        experimentId: inputs.experiments.nodes[0]!.id,
        datasetVersionId: inputs.datasets.nodes[0]!.latestVersion!.id,
        promptVersionIds: [inputs.prompts.nodes[0]!.latestVersion!.id],
        modelIds: [inputs.models.nodes[0]!.id],
        evaluators: [{ kind: 'EXACT_MATCH' }],
      },
    });
    const demoRun = await waitForRun(client, startRun.id, undefined, 30_000);
    expect(demoRun.status).toBe('SUCCEEDED');
    expect(demoRun.progress.succeeded).toBe(20);
    expect(demoRun.artifacts.map((a) => a.name)).toEqual(['results.jsonl']);
    await client.request(CreateExperiment, { input: { name: 'survives restarts' } });

    // Files go to the data folder through URLs the dev server signs, and its in-process worker validates them.
    const file = Buffer.from('{"input":{"country":"Peru"},"expected":"Lima"}\n');
    const { createDataset } = await client.request(CreateDataset, { input: { name: 'capitals' } });
    const { createDatasetUpload: grant } = await client.request(CreateDatasetUpload, {
      input: { datasetId: createDataset.id, format: 'JSONL', sizeBytes: file.length },
    });
    expect(grant.url!.startsWith(first.url.replace('/graphql', '/blobs/'))).toBe(true);
    expect((await fetch(grant.url!, { method: 'PUT', headers: grant.headers as Record<string, string>, body: file })).status).toBe(200);
    await client.request(CompleteDatasetUpload, { datasetVersionId: grant.datasetVersion.id });
    let status = '';
    for (let i = 0; i < 100 && status !== 'READY'; i++) {
      const { node } = await client.request(GetDatasetVersion, { id: grant.datasetVersion.id });
      status = node && 'status' in node ? node.status : '';
      if (status !== 'READY') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('READY');
    first.child.kill('SIGINT');
    expect(await exited(first.child)).toBe(0);

    const second = await start();
    try {
      expect(second.out.text()).not.toContain(printedKey);
      expect(second.out.text()).toContain(`Admin API key: in ${join(dataDir, 'admin-api-key')}`);
      const again = (await httpClient(second.url, printedKey).request(ListExperiments, {})).experiments;
      expect(again.nodes.map((n) => n.name)).toEqual(['survives restarts', 'Demo: capital cities']);
      const { node } = await httpClient(second.url, printedKey).request(GetDatasetVersion, { id: grant.datasetVersion.id });
      const downloadUrl = node && 'downloadUrl' in node ? node.downloadUrl : null;
      expect(Buffer.from(await (await fetch(downloadUrl!)).arrayBuffer()).equals(file)).toBe(true);
    } finally {
      second.child.kill('SIGINT');
      expect(await exited(second.child)).toBe(0);
    }
  }, 120_000);

  it('makes the demo admin key exactly LAB_ADMIN_API_KEY when it is set, usable as soon as /healthz answers, and prints no other key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lab-dev-key-'));
    dataDirs.push(dataDir);
    const fixedKey = `lab_scripted_${randomBytes(16).toString('hex')}`;
    const port = await freePort();
    const child = llmLab(['dev'], { LAB_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LAB_ADMIN_API_KEY: fixedKey });
    const out = output(child);
    try {
      // As a script would: wait for health, then call with the key at once (the server listens only once the demo is seeded).
      let healthy = false;
      void (async () => {
        while (!healthy && child.exitCode === null) {
          healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
          if (!healthy) await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await waitForProcess('/healthz', child, () => (healthy ? true : undefined), out.text);
      const url = `http://127.0.0.1:${port}/graphql`;
      const { viewer } = await httpClient(url, fixedKey).request(ViewerQuery);
      expect(viewer).toMatchObject({ role: 'ADMIN', project: { name: 'Demo' } });
      expect(out.text().match(/lab_\S+/g)?.filter((k) => k !== fixedKey)).toEqual([]);
    } finally {
      child.kill('SIGINT');
      expect(await exited(child)).toBe(0);
    }
  }, 60_000);

  it('refuses to start with a bad variable, naming it', async () => {
    const child = llmLab(['dev'], { PORT: 'eighty' });
    const out = output(child);
    expect(await exited(child)).toBe(2);
    expect(out.text()).toContain('PORT: must be a whole number');
  });
});

describe('llm-lab api-key create', () => {
  it('prints a new key once on stdout that authenticates with its role', async () => {
    const child = llmLab(['api-key', 'create', '--name', 'ops', '--role', 'RESEARCHER', '--project', 'cli-test'], {
      DATABASE_URL: inject('databaseUrl'),
    });
    let stdout = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    expect(await exited(child)).toBe(0);
    const key = stdout.trim();
    expect(key).toMatch(/^lab_[\w-]{43}$/);
    const lab = await startTestLab();
    try {
      const { viewer } = await httpClient(lab.graphqlUrl, key).request(ViewerQuery);
      expect(viewer).toMatchObject({ role: 'RESEARCHER', subject: 'api-key:ops', project: { name: 'cli-test' } });
    } finally {
      await lab.close();
    }
  });

  it('does not migrate a database as a side effect: an empty one is refused with what to run', async () => {
    const name = `llm_lab_test_empty_${randomBytes(4).toString('hex')}`;
    const admin = postgres(inject('adminDatabaseUrl'), { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(inject('adminDatabaseUrl'));
    url.pathname = `/${name}`;
    try {
      const child = llmLab(['api-key', 'create', '--name', 'x', '--role', 'ADMIN'], { DATABASE_URL: url.toString() });
      const out = output(child);
      expect(await exited(child)).toBe(1);
      expect(out.text()).toContain('run `llm-lab migrate` first');
      const empty = postgres(url.toString(), { max: 1, onnotice: () => {} });
      const tables = await empty`select count(*)::int as n from information_schema.tables where table_schema = 'public'`;
      await empty.end();
      expect(tables[0]!.n).toBe(0);
    } finally {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });

  it('refuses an unknown role', async () => {
    const child = llmLab(['api-key', 'create', '--name', 'x', '--role', 'ROOT'], { DATABASE_URL: inject('databaseUrl') });
    const out = output(child);
    expect(await exited(child)).not.toBe(0);
    expect(out.text()).toContain('VIEWER, RESEARCHER, ADMIN');
  });
});

describe('llm-lab worker', () => {
  it('validates a waiting dataset version from the shared stores, and stops on SIGTERM', async () => {
    const database = await ownDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'lab-worker-'));
    dataDirs.push(dataDir);
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      // What the API leaves behind after completeDatasetUpload: a VALIDATING version whose file is in the store.
      const blobs = new LocalBlobStore({ root: join(dataDir, 'blobs'), publicBaseUrl: 'http://localhost:4000', signingSecret: randomBytes(32) });
      const file = Buffer.from('{"input":{"q":"a"}}\n{"input":{"q":"b"}}\n');
      await blobs.put('w/data.jsonl', file, 'application/x-ndjson');
      const [project] = await sql<{ id: string }[]>`insert into projects (name) values ('worker test') returning id`;
      const [dataset] = await sql<{ id: string }[]>`insert into datasets (project_id, name) values (${project!.id}, 'd') returning id`;
      const [version] = await sql<{ id: string }[]>`
        insert into dataset_versions (project_id, dataset_id, version, status, format, blob_key, size_bytes)
        values (${project!.id}, ${dataset!.id}, 1, 'VALIDATING', 'JSONL', 'w/data.jsonl', ${file.length}) returning id`;

      const child = llmLab(['worker'], { DATABASE_URL: database.url, LAB_DATA_DIR: dataDir, LAB_SECRET_KEY: randomBytes(32).toString('hex') });
      const out = output(child);
      let status = '';
      for (let i = 0; i < 150 && status !== 'READY'; i++) {
        [{ status } = { status: '' }] = await sql<{ status: string }[]>`select status from dataset_versions where id = ${version!.id}`;
        if (status !== 'READY') await new Promise((r) => setTimeout(r, 100));
      }
      expect(status, out.text()).toBe('READY');
      const [validated] = await sql<{ row_count: number }[]>`select row_count from dataset_versions where id = ${version!.id}`;
      expect(validated!.row_count).toBe(2);
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
    } finally {
      await sql.end();
      await database.drop();
    }
  });
});
