import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import type { GraphQLClient } from 'graphql-request';
import { graphqlError, useTestLab } from '../helpers/lab.js';
import {
  CompleteDatasetUpload,
  CreateDataset,
  CreateDatasetUpload,
  GetDataset,
  GetDatasetVersion,
  ListDatasets,
} from '../helpers/operations.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const jsonl = (rows: unknown[]) => Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

/** n rows of about `rowBytes` each, so a file of a wanted size can be made. */
function bigJsonl(rows: number, rowBytes: number): Buffer {
  const filler = 'x'.repeat(Math.max(0, rowBytes - 60));
  return jsonl(Array.from({ length: rows }, (_, i) => ({ input: { q: `question ${i}`, pad: filler }, expected: `answer ${i}` })));
}

interface UploadOptions {
  declaredSize?: number;
  declaredSha256?: string;
  /** Bytes actually sent, when they differ from the file declared. */
  send?: Buffer;
}

/** Uploads like a client would: createDatasetUpload, plain fetch PUT(s) to the presigned URL(s), completeDatasetUpload. */
async function upload(client: GraphQLClient, datasetId: string, format: 'JSONL' | 'CSV', file: Buffer, options: UploadOptions = {}) {
  const { createDatasetUpload: grant } = await client.request(CreateDatasetUpload, {
    input: { datasetId, format, sizeBytes: options.declaredSize ?? file.length, sha256: options.declaredSha256 ?? null },
  });
  const body = options.send ?? file;
  const responses: Response[] = [];
  const parts: { partNumber: number; etag: string }[] = [];
  if (grant.url) {
    const headers = { ...(grant.headers as Record<string, string>), 'Content-Length': String(body.length) };
    responses.push(await fetch(grant.url, { method: 'PUT', headers, body }));
  } else {
    for (const part of grant.parts!) {
      const offset = (part.partNumber - 1) * grant.partSizeBytes!;
      const response = await fetch(part.url, { method: 'PUT', body: body.subarray(offset, offset + grant.partSizeBytes!) });
      responses.push(response);
      parts.push({ partNumber: part.partNumber, etag: response.headers.get('etag')! });
    }
  }
  const complete = () => client.request(CompleteDatasetUpload, { datasetVersionId: grant.datasetVersion.id, parts: grant.url ? null : parts });
  return { grant, responses, complete, versionId: grant.datasetVersion.id, etags: parts.map((p) => p.etag) };
}

async function settled(client: GraphQLClient, id: string, previewLimit = 10) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { node } = await client.request(GetDatasetVersion, { id, previewLimit });
    if (node && 'status' in node && (node.status === 'READY' || node.status === 'FAILED')) return node;
    if (Date.now() > deadline) throw new Error(`dataset version ${id} did not settle: ${JSON.stringify(node)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(['local', 's3'] as const)('datasets on the %s blob store', (kind) => {
  const t = useTestLab('RESEARCHER', { blobs: kind, worker: true });
  const newDataset = async (name: string) => (await t.project.client.request(CreateDataset, { input: { name } })).createDataset.id;

  it('turns an uploaded JSONL file into a READY version with rows, columns, a preview and the same bytes to download', async () => {
    const datasetId = await newDataset('capitals');
    const file = jsonl([
      { input: { country: 'France' }, expected: 'Paris', metadata: { continent: 'Europe' } },
      { input: { country: 'Japan', language: 'ja' }, expected: 'Tokyo' },
      { input: { country: 'Kenya' }, expected: 'Nairobi' },
    ]);
    const { complete, versionId, grant } = await upload(t.project.client, datasetId, 'JSONL', file, { declaredSha256: sha256(file) });
    expect(grant.url).toBeTruthy();
    expect(grant.datasetVersion).toMatchObject({ version: 1, status: 'AWAITING_UPLOAD', sizeBytes: file.length });
    expect(['VALIDATING', 'READY']).toContain((await complete()).completeDatasetUpload.status);

    const version = await settled(t.project.client, versionId, 2);
    expect(version).toMatchObject({ status: 'READY', rowCount: 3, sha256: sha256(file), columns: ['country', 'language', 'expected', 'metadata'], errors: [] });
    expect(version.preview).toEqual([
      { index: 0, input: { country: 'France' }, expected: 'Paris', metadata: { continent: 'Europe' } },
      { index: 1, input: { country: 'Japan', language: 'ja' }, expected: 'Tokyo', metadata: null },
    ]);
    const download = await fetch(version.downloadUrl!);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(file)).toBe(true);

    const { dataset } = await t.project.client.request(GetDataset, { id: datasetId });
    expect(dataset?.latestVersion).toMatchObject({ id: versionId, version: 1, rowCount: 3 });
  });

  it('reads CSV with quoted fields, the expected column and JSON metadata', async () => {
    const datasetId = await newDataset('csv');
    const file = Buffer.from('question,context,expected,metadata\r\n"What is 2+2?","math, easy",4,"{""level"":1}"\r\n"Say ""hi""","multi\r\nline",hi,\r\n');
    const { complete, versionId } = await upload(t.project.client, datasetId, 'CSV', file);
    await complete();
    const version = await settled(t.project.client, versionId);
    expect(version).toMatchObject({ status: 'READY', rowCount: 2, columns: ['question', 'context', 'expected', 'metadata'] });
    expect(version.preview[1]).toEqual({ index: 1, input: { question: 'Say "hi"', context: 'multi\r\nline' }, expected: 'hi', metadata: null });
    expect(version.preview[0]!.metadata).toEqual({ level: 1 });
  });

  it('takes a 30 MB file in presigned multipart parts and returns the same bytes', async () => {
    const datasetId = await newDataset('large');
    const file = bigJsonl(60_000, 520);
    expect(file.length).toBeGreaterThan(30 * 1000 ** 2);
    const { grant, complete, versionId, responses } = await upload(t.project.client, datasetId, 'JSONL', file, { declaredSha256: sha256(file) });
    expect(grant.url).toBeNull();
    expect(grant.partSizeBytes).toBe(8 * 1024 ** 2);
    expect(grant.parts).toHaveLength(Math.ceil(file.length / grant.partSizeBytes!));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    await complete();
    const version = await settled(t.project.client, versionId, 1);
    expect(version).toMatchObject({ status: 'READY', rowCount: 60_000, sha256: sha256(file) });
    const download = Buffer.from(await (await fetch(version.downloadUrl!)).arrayBuffer());
    expect(sha256(download)).toBe(sha256(file));
  }, 120_000);

  // s3rver assembles parts whatever ETags it is given; real S3 (TEST_S3_ENDPOINT) and the local store check them.
  it.runIf(kind === 'local' || !inject('s3IsEmulator'))('refuses to complete a multipart upload with a wrong ETag or without parts, and then completes it right', async () => {
    const datasetId = await newDataset('multipart-etags');
    const file = bigJsonl(34_000, 520);
    const { grant, complete, versionId } = await upload(t.project.client, datasetId, 'JSONL', file);
    const parts = grant.parts!.map((p) => ({ partNumber: p.partNumber, etag: '"0123456789abcdef0123456789abcdef"' }));
    const wrong = await graphqlError(t.project.client.request(CompleteDatasetUpload, { datasetVersionId: versionId, parts }));
    expect(wrong.code).toBe('BAD_USER_INPUT');
    expect(wrong.message).toMatch(/ETag/);
    const none = await graphqlError(t.project.client.request(CompleteDatasetUpload, { datasetVersionId: versionId }));
    expect(none.message).toContain('parts: this is a multipart upload');
    await complete();
    expect((await settled(t.project.client, versionId, 1)).status).toBe('READY');
  }, 60_000);

  it('completes a multipart upload once under concurrent calls, and after a join that was not recorded', async () => {
    const datasetId = await newDataset('multipart-retry');
    const file = bigJsonl(34_000, 520);
    const racing = await upload(t.project.client, datasetId, 'JSONL', file);
    const results = await Promise.all([racing.complete(), racing.complete(), racing.complete()]);
    expect(results.map((r) => r.completeDatasetUpload.status).every((s) => s === 'VALIDATING' || s === 'READY')).toBe(true);
    expect((await settled(t.project.client, racing.versionId, 1)).status).toBe('READY');

    // The parts were joined (as by a call that died before recording it); completing again finds the file.
    const retried = await upload(t.project.client, datasetId, 'JSONL', file);
    const key = (await t.lab.database.sql<{ blob_key: string; upload_id: string }[]>`
      select blob_key, upload_id from dataset_versions where version = ${retried.grant.datasetVersion.version} and dataset_id = (
        select dataset_id from dataset_versions where blob_key like ${'%/v1.jsonl'} and id = ${Buffer.from(racing.versionId, 'base64url').toString().split(':')[1]!})`)[0]!;
    const parts = retried.grant.parts!.map((p, i) => ({ partNumber: p.partNumber, etag: retried.etags[i]! }));
    await t.lab.blobs.completeMultipart(key.blob_key, key.upload_id, parts);
    expect((await retried.complete()).completeDatasetUpload.status).toMatch(/VALIDATING|READY/);
    expect((await settled(t.project.client, retried.versionId, 1)).rowCount).toBe(34_000);
  }, 60_000);

  it('marks a malformed file FAILED with errors naming the bad lines, and offers no rows or download', async () => {
    const datasetId = await newDataset('broken');
    const file = Buffer.from(
      [JSON.stringify({ input: { q: 'ok' } }), '{not json', JSON.stringify({ input: 'a string' }), JSON.stringify({ input: {}, extra: 1 }), JSON.stringify({ input: { q: 'ok' } })].join('\n') + '\n',
    );
    const { complete, versionId } = await upload(t.project.client, datasetId, 'JSONL', file);
    await complete();
    const version = await settled(t.project.client, versionId);
    expect(version.status).toBe('FAILED');
    expect(version.errors.map((e) => e.line)).toEqual([2, 3, 4]);
    expect(version.errors[1]!.message).toMatch(/^line 3: "input" must be a JSON object/);
    expect(version.errors[2]!.message).toContain('extra');
    expect(version.preview).toEqual([]);
    expect(version.downloadUrl).toBeNull();
    const { dataset } = await t.project.client.request(GetDataset, { id: datasetId });
    expect(dataset?.latestVersion).toBeNull();
  });

  it('refuses an upload whose size differs from the declared size, with a clear error, and keeps it awaiting the right file', async () => {
    const datasetId = await newDataset('wrong-size');
    const file = jsonl([{ input: { q: 'a' } }]);
    const sent = Buffer.concat([file, Buffer.from(JSON.stringify({ input: { q: 'b' } }) + '\n')]);
    const { complete, versionId, responses, grant } = await upload(t.project.client, datasetId, 'JSONL', file, { send: sent });
    const error = await graphqlError(complete());
    expect(error.code).toBe('BAD_USER_INPUT');
    if (kind === 'local') {
      // The gateway's own store checks the body against the signed size at the PUT: nothing is written.
      expect(responses[0]!.status).toBe(413);
      expect(error.message).toContain('No file has been uploaded');
    } else {
      // s3rver does not check signatures, so the wrong body lands; completion compares sizes.
      expect(error.message).toContain(`but ${file.length.toLocaleString('en-US')} bytes were declared`);
    }
    const { node } = await t.project.client.request(GetDatasetVersion, { id: versionId });
    expect(node && 'status' in node && node.status).toBe('AWAITING_UPLOAD');
    // The right file through the same URL is then accepted.
    const retry = await fetch(grant.url!, { method: 'PUT', headers: grant.headers as Record<string, string>, body: file });
    expect(retry.status).toBe(200);
    await complete();
    expect((await settled(t.project.client, versionId)).rowCount).toBe(1);
  });

  it('refuses a file whose SHA-256 differs from the declared one', async () => {
    const datasetId = await newDataset('wrong-sha');
    const file = jsonl([{ input: { q: 'a' } }]);
    const { complete, versionId, responses } = await upload(t.project.client, datasetId, 'JSONL', file, { declaredSha256: sha256(Buffer.from('other')) });
    if (kind === 'local') {
      expect(responses[0]!.status).toBe(400);
      expect(await responses[0]!.text()).toContain('SHA-256');
      const error = await graphqlError(complete());
      expect(error.message).toContain('No file has been uploaded');
    } else {
      await complete();
      const version = await settled(t.project.client, versionId);
      expect(version.status).toBe('FAILED');
      expect(version.errors[0]).toMatchObject({ line: 0 });
      expect(version.errors[0]!.message).toContain(`SHA-256 is ${sha256(file)}`);
    }
  });

  it('makes version 2 on a second upload and leaves version 1 intact', async () => {
    const datasetId = await newDataset('versions');
    const first = jsonl([{ input: { q: 'v1' } }]);
    const v1 = await upload(t.project.client, datasetId, 'JSONL', first);
    await v1.complete();
    await settled(t.project.client, v1.versionId);
    const second = jsonl([{ input: { q: 'v2 a' } }, { input: { q: 'v2 b' } }]);
    const v2 = await upload(t.project.client, datasetId, 'JSONL', second);
    expect(v2.grant.datasetVersion.version).toBe(2);
    await v2.complete();
    await settled(t.project.client, v2.versionId);

    const old = await settled(t.project.client, v1.versionId);
    expect(old).toMatchObject({ version: 1, rowCount: 1, preview: [{ index: 0, input: { q: 'v1' }, expected: null, metadata: null }] });
    expect(Buffer.from(await (await fetch(old.downloadUrl!)).arrayBuffer()).equals(first)).toBe(true);
    const { dataset } = await t.project.client.request(GetDataset, { id: datasetId });
    expect(dataset?.latestVersion).toMatchObject({ version: 2, rowCount: 2 });
    expect(dataset?.versions.nodes.map((v) => [v.version, v.status])).toEqual([
      [2, 'READY'],
      [1, 'READY'],
    ]);
    // Completing again is harmless: the settled version comes back as it is.
    expect((await v1.complete()).completeDatasetUpload.status).toBe('READY');
  });
});

describe('dataset uploads: input errors', () => {
  const t = useTestLab('RESEARCHER', { uploads: { maxUploadBytes: 1000 } });

  it('names the field and the limit', async () => {
    const { createDataset } = await t.project.client.request(CreateDataset, { input: { name: 'limits' } });
    const tooBig = await graphqlError(t.project.client.request(CreateDatasetUpload, { input: { datasetId: createDataset.id, format: 'JSONL', sizeBytes: 1001 } }));
    expect(tooBig).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(tooBig.message).toContain('sizeBytes: 1,001 bytes is more than the 1,000 bytes allowed (LAB_MAX_UPLOAD_BYTES)');
    const empty = await graphqlError(t.project.client.request(CreateDatasetUpload, { input: { datasetId: createDataset.id, format: 'CSV', sizeBytes: 0 } }));
    expect(empty.message).toContain('sizeBytes must be at least 1');
    const badSha = await graphqlError(t.project.client.request(CreateDatasetUpload, { input: { datasetId: createDataset.id, format: 'CSV', sizeBytes: 5, sha256: 'abc' } }));
    expect(badSha.message).toContain('sha256 must be 64 hexadecimal characters');
    const twice = await graphqlError(t.project.client.request(CreateDataset, { input: { name: 'limits' } }));
    expect(twice.code).toBe('CONFLICT');
  });

  it('keeps another project\'s datasets NOT_FOUND', async () => {
    const other = await t.lab.newProject('RESEARCHER');
    const { createDataset } = await other.client.request(CreateDataset, { input: { name: 'theirs' } });
    const error = await graphqlError(t.project.client.request(CreateDatasetUpload, { input: { datasetId: createDataset.id, format: 'JSONL', sizeBytes: 10 } }));
    expect(error.code).toBe('NOT_FOUND');
    expect((await graphqlError(t.project.client.request(GetDataset, { id: createDataset.id }))).code).toBe('NOT_FOUND');
    expect((await t.project.client.request(ListDatasets, {})).datasets.nodes.map((d) => d.name)).not.toContain('theirs');
  });
});

describe('dataset uploads through the local store: what the gateway refuses writes nothing', () => {
  const t = useTestLab('RESEARCHER', { blobs: 'local', worker: true });

  it('refuses a tampered or oversized upload with 403/413, and completion then finds no file', async () => {
    const { createDataset } = await t.project.client.request(CreateDataset, { input: { name: 'guarded' } });
    const file = jsonl([{ input: { q: 'a' } }]);
    const { createDatasetUpload: grant } = await t.project.client.request(CreateDatasetUpload, { input: { datasetId: createDataset.id, format: 'JSONL', sizeBytes: file.length } });
    const headers = grant.headers as Record<string, string>;

    const tampered = new URL(grant.url!);
    tampered.searchParams.set('size', String(file.length * 2));
    expect((await fetch(tampered, { method: 'PUT', headers: { ...headers, 'Content-Length': String(file.length * 2) }, body: Buffer.concat([file, file]) })).status).toBe(403);

    const forged = new URL(grant.url!);
    forged.searchParams.set('signature', randomBytes(32).toString('hex'));
    expect((await fetch(forged, { method: 'PUT', headers, body: file })).status).toBe(403);

    const oversized = await fetch(grant.url!, {
      method: 'PUT',
      headers: { 'Content-Type': headers['Content-Type']! },
      body: new ReadableStream({ start: (c) => (c.enqueue(Buffer.concat([file, file])), c.close()) }),
      duplex: 'half',
    } as RequestInit);
    expect(oversized.status).toBe(413);

    const error = await graphqlError(t.project.client.request(CompleteDatasetUpload, { datasetVersionId: grant.datasetVersion.id }));
    expect(error.message).toContain('No file has been uploaded');

    // The genuine upload still works afterwards.
    expect((await fetch(grant.url!, { method: 'PUT', headers, body: file })).status).toBe(200);
    await t.project.client.request(CompleteDatasetUpload, { datasetVersionId: grant.datasetVersion.id });
    expect((await settled(t.project.client, grant.datasetVersion.id)).status).toBe('READY');
  });
});
