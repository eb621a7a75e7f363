import { Readable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetsRepo } from '../../src/modules/datasets/datasets.repo.js';
import { DatasetValidationJob, MAX_VALIDATION_ATTEMPTS } from '../../src/modules/datasets/dataset-validation.job.js';
import { LocalBlobStore } from '../../src/storage/blobs/index.js';
import { startTestLab, type TestLab, type TestProject } from '../helpers/lab.js';

let lab: TestLab;
let project: TestProject;
let blobs: LocalBlobStore;
let root: string;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  // No worker in the lab: these tests drive the job by hand, on a database of their own.
  lab = await startTestLab({ isolated: true });
  project = await lab.newProject('RESEARCHER');
  root = mkdtempSync(join(tmpdir(), 'lab-job-'));
  blobs = new LocalBlobStore({ root, publicBaseUrl: 'http://127.0.0.1:1', signingSecret: randomBytes(32) });
});
afterAll(async () => {
  await lab.close();
  rmSync(root, { recursive: true, force: true });
});

/** A version uploaded and waiting for validation, with its lease as given. */
async function waitingVersion(file: string, leaseUntil: string | null, attempts = 0): Promise<string> {
  const [dataset] = await lab.database.sql<{ id: string }[]>`
    insert into datasets (project_id, name) values (${project.projectId}, ${`d-${randomBytes(4).toString('hex')}`}) returning id`;
  const key = `test/${dataset!.id}.jsonl`;
  await blobs.put(key, Buffer.from(file), 'application/x-ndjson');
  const [version] = await lab.database.sql<{ id: string }[]>`
    insert into dataset_versions (project_id, dataset_id, version, status, format, blob_key, size_bytes, lease_until, validation_attempts)
    values (${project.projectId}, ${dataset!.id}, 1, 'VALIDATING', 'JSONL', ${key}, ${Buffer.byteLength(file)}, ${leaseUntil}, ${attempts})
    returning id`;
  return version!.id;
}

const statusOf = async (id: string) =>
  (await lab.database.sql<{ status: string; lease_until: string | null; errors: { message: string }[] }[]>`
    select status, lease_until, errors from dataset_versions where id = ${id}`)[0]!;

describe('dataset validation job', () => {
  it('leaves a version whose lease is held alone, and takes it over once the lease has run out', async () => {
    const repo = new DatasetsRepo(lab.database.db);
    const job = new DatasetValidationJob(repo, blobs, 1024 ** 2, logger);
    // Only these versions wait in this lab's database, so the job can only pick them.
    const held = await waitingVersion('{"input":{"q":1}}\n', new Date(Date.now() + 60_000).toISOString());
    expect(await job.runOnce()).toBe(false);
    expect((await statusOf(held)).status).toBe('VALIDATING');

    await lab.database.sql`update dataset_versions set lease_until = now() - interval '1 second' where id = ${held}`;
    expect(await job.runOnce()).toBe(true);
    expect(await statusOf(held)).toMatchObject({ status: 'READY', lease_until: null });
  });

  it('gives one waiting version to one of two workers claiming at once', async () => {
    const repo = new DatasetsRepo(lab.database.db);
    const id = await waitingVersion('{"input":{"q":1}}\n', null);
    const claims = await Promise.all([repo.claimValidation(60), repo.claimValidation(60)]);
    expect(claims.filter(Boolean).map((c) => c!.id)).toEqual([id]);
    await lab.database.sql`update dataset_versions set status = 'FAILED' where id = ${id}`;
  });

  it('retries a file it cannot read, then fails it after the last attempt with the reason', async () => {
    const repo = new DatasetsRepo(lab.database.db);
    const job = new DatasetValidationJob(repo, blobs, 1024 ** 2, logger);
    const id = await waitingVersion('{"input":{"q":1}}\n', null, MAX_VALIDATION_ATTEMPTS - 2);
    await lab.database.sql`update dataset_versions set blob_key = 'test/missing.jsonl' where id = ${id}`;
    expect(await job.runOnce()).toBe(true);
    const retried = await statusOf(id);
    expect(retried.status).toBe('VALIDATING');
    expect(Date.parse(retried.lease_until!)).toBeGreaterThan(Date.now());

    await lab.database.sql`update dataset_versions set lease_until = null where id = ${id}`;
    expect(await job.runOnce()).toBe(true);
    const failed = await statusOf(id);
    expect(failed.status).toBe('FAILED');
    expect(failed.errors[0]!.message).toContain(`could not be read after ${MAX_VALIDATION_ATTEMPTS} attempts`);
    expect(failed.errors[0]!.message).not.toContain('missing.jsonl');
  });

  it('fails a version whose earlier attempts never finished (their workers died) instead of claiming it forever', async () => {
    const repo = new DatasetsRepo(lab.database.db);
    const job = new DatasetValidationJob(repo, blobs, 1024 ** 2, logger);
    const id = await waitingVersion('{"input":{"q":1}}\n', null, MAX_VALIDATION_ATTEMPTS);
    expect(await job.runOnce()).toBe(true);
    expect((await statusOf(id)).status).toBe('FAILED');
  });

  it('ignores the late writes of a worker whose lease was taken over', async () => {
    const repo = new DatasetsRepo(lab.database.db);
    await waitingVersion('{"input":{"q":1}}\n', null);
    const stale = (await repo.claimValidation(60))!;
    await lab.database.sql`update dataset_versions set lease_until = now() - interval '1 second' where id = ${stale.id}`;
    const current = (await repo.claimValidation(60))!;
    expect(current.id).toBe(stale.id);
    const outcome = { status: 'FAILED' as const, sha256: null, rowCount: null, columns: [], errors: [{ line: 0, message: 'late' }] };
    expect(await repo.extendLease(stale, 1)).toBe(false);
    expect(await repo.finishValidation(stale, outcome)).toBe(false);
    expect((await statusOf(stale.id)).status).toBe('VALIDATING');
    expect(await repo.finishValidation(current, { ...outcome, status: 'READY', errors: [] })).toBe(true);
    expect((await statusOf(stale.id)).status).toBe('READY');
  });
});

describe('dataset validation that loses its lease or is stopped', () => {
  /** A store whose file never finishes arriving, as a large file read slowly would; records when the read is torn down. */
  function stalledStore() {
    const reads: Readable[] = [];
    const store = new Proxy(blobs, {
      get: (target, name, receiver) =>
        name === 'read'
          ? async () => {
              const stream = new Readable({ read() {} });
              stream.push('{"input":{"q":1}}\n');
              reads.push(stream);
              return stream;
            }
          : Reflect.get(target, name, receiver),
    });
    return { store, reads };
  }
  const fastLease = { leaseSeconds: 60, heartbeatMs: 50 };

  it('stops reading when another worker takes the version over, and writes nothing', async () => {
    const { store, reads } = stalledStore();
    const job = new DatasetValidationJob(new DatasetsRepo(lab.database.db), store, 1024 ** 2, logger, fastLease);
    const id = await waitingVersion('{"input":{"q":1}}\n', null);
    const running = job.runOnce();
    while (reads.length === 0) await new Promise((r) => setTimeout(r, 10));
    // Another worker claimed it (as after a pause longer than the lease): the next renewal finds the lease lost.
    await lab.database.sql`update dataset_versions set validation_attempts = validation_attempts + 1 where id = ${id}`;
    expect(await running).toBe(true);
    expect(reads[0]!.destroyed).toBe(true);
    expect((await statusOf(id)).status).toBe('VALIDATING');
    await lab.database.sql`update dataset_versions set status = 'FAILED' where id = ${id}`;
  });

  it('gives the version back at once when the worker stops', async () => {
    const { store, reads } = stalledStore();
    const job = new DatasetValidationJob(new DatasetsRepo(lab.database.db), store, 1024 ** 2, logger, fastLease);
    const id = await waitingVersion('{"input":{"q":1}}\n', null);
    const stopping = new AbortController();
    const running = job.runOnce(stopping.signal);
    while (reads.length === 0) await new Promise((r) => setTimeout(r, 10));
    stopping.abort(new Error('the worker is stopping'));
    expect(await running).toBe(true);
    expect(reads[0]!.destroyed).toBe(true);
    // Claimable again now, not after the lease would have run out.
    expect(await statusOf(id)).toMatchObject({ status: 'VALIDATING', lease_until: null });
    await lab.database.sql`update dataset_versions set status = 'FAILED' where id = ${id}`;
  });
});
