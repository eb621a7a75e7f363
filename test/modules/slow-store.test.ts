import { randomBytes } from 'node:crypto';
import type { GraphQLClient } from 'graphql-request';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/storage/blobs/index.js';
import { useTestLab, type TestProject } from '../helpers/lab.js';
import { CompleteDatasetUpload, CreateDataset, CreateDatasetUpload, CreateExperiment } from '../helpers/operations.js';

const STORE_CALLS = new Set(['head', 'createMultipart', 'completeMultipart', 'delete', 'presignPut']);

/**
 * A blob store that, for the keys of one project, hangs in every call until released (or for 30 s),
 * as an object store that stopped answering would; other keys pass straight through.
 */
class HangingStore {
  hangingPrefix = '\0';
  readonly calls: { name: string; key: string }[] = [];
  private release!: () => void;
  private readonly released = new Promise<void>((resolve) => {
    this.release = resolve;
    setTimeout(resolve, 30_000).unref();
  });

  wrap(store: BlobStore): BlobStore {
    return new Proxy(store, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function' || !STORE_CALLS.has(String(name))) return value;
        return (...args: unknown[]) => {
          const key = typeof args[0] === 'string' ? args[0] : (args[0] as { key: string }).key;
          this.calls.push({ name: String(name), key });
          const call = () => (value as (...a: unknown[]) => unknown).apply(target, args);
          return key.startsWith(this.hangingPrefix) ? this.released.then(call) : call();
        };
      },
    });
  }

  hangFor(projectId: string) {
    this.hangingPrefix = `projects/${projectId}/`;
  }

  resume() {
    this.release();
  }
}

const file = Buffer.from('{"input":{"q":"a"}}\n');

async function singlePut(client: GraphQLClient) {
  const { createDataset } = await client.request(CreateDataset, { input: { name: `d-${randomBytes(4).toString('hex')}` } });
  const { createDatasetUpload: grant } = await client.request(CreateDatasetUpload, { input: { datasetId: createDataset.id, format: 'JSONL', sizeBytes: file.length } });
  return grant;
}

async function uploaded(client: GraphQLClient) {
  const grant = await singlePut(client);
  const put = await fetch(grant.url!, { method: 'PUT', headers: grant.headers as Record<string, string>, body: file });
  expect(put.status).toBe(200);
  return grant.datasetVersion.id;
}

describe('a blob store that hangs', () => {
  const hanging = new HangingStore();
  // A pool of 5: the old completion held a row lock and a connection per call while the store worked.
  const t = useTestLab('RESEARCHER', { poolSize: 5, wrapBlobs: (store) => hanging.wrap(store) });

  it("holds up neither other projects' uploads nor the pool", async () => {
    const stuck: TestProject = await t.lab.newProject('RESEARCHER');
    const versions = await Promise.all(Array.from({ length: 8 }, () => uploaded(stuck.client)));
    hanging.hangFor(stuck.projectId);
    let stuckDone = false;
    const stuckCalls = Promise.allSettled([
      ...versions.map((id) => stuck.client.request(CompleteDatasetUpload, { datasetVersionId: id })),
      stuck.client.request(CreateDatasetUpload, {
        input: { datasetId: (await stuck.client.request(CreateDataset, { input: { name: 'multipart' } })).createDataset.id, format: 'JSONL', sizeBytes: 20 * 1024 ** 2 },
      }),
    ]).finally(() => (stuckDone = true));
    // Every one of the stuck project's calls is waiting on the store, none on the database.
    while (hanging.calls.filter((c) => c.key.startsWith(hanging.hangingPrefix)).length < 9) await new Promise((r) => setTimeout(r, 20));

    // Meanwhile another project uploads and completes, and reads and writes as usual.
    const versionId = await uploaded(t.project.client);
    const { completeDatasetUpload } = await t.project.client.request(CompleteDatasetUpload, { datasetVersionId: versionId });
    expect(completeDatasetUpload.status).toBe('VALIDATING');
    await t.project.client.request(CreateExperiment, { input: { name: 'while the store hangs' } });
    expect(stuckDone).toBe(false);

    hanging.resume();
    const results = await stuckCalls;
    expect(results.map((r) => r.status)).toEqual(Array(9).fill('fulfilled'));
  });
});

describe('completeDatasetUpload called twice at once', () => {
  const slow = new HangingStore();
  const t = useTestLab('RESEARCHER', { wrapBlobs: (store) => slow.wrap(store) });

  it('checks the file once: the second call waits for the first, then returns the settled version', async () => {
    const versionId = await uploaded(t.project.client);
    slow.hangFor(t.project.projectId);
    const complete = () => t.project.client.request(CompleteDatasetUpload, { datasetVersionId: versionId });
    const first = complete();
    while (!slow.calls.some((c) => c.name === 'head')) await new Promise((r) => setTimeout(r, 10));
    const second = complete();
    // Long enough for the second call to reach the store, if nothing stopped it.
    await new Promise((r) => setTimeout(r, 500));
    expect(slow.calls.filter((c) => c.name === 'head')).toHaveLength(1);

    slow.resume();
    const [a, b] = await Promise.all([first, second]);
    expect([a.completeDatasetUpload.status, b.completeDatasetUpload.status]).toEqual(['VALIDATING', 'VALIDATING']);
    expect(slow.calls.filter((c) => c.name === 'head')).toHaveLength(1);
  });
});
