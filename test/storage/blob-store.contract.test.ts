import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import express from 'express';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  BlobExistsError,
  BlobInputError,
  BlobNotFoundError,
  createBlobStore,
  createLocalBlobRouter,
  LocalBlobStore,
  MIN_PART_BYTES,
  S3BlobStore,
  type BlobStore,
  type PresignedRequest,
} from '../../src/storage/blobs/index.js';

interface RunningAdapter {
  store: BlobStore;
  close(): Promise<void>;
}

interface AdapterCase {
  name: string;
  /** Checks signatures, signed headers and checksums (s3rver checks none of them). */
  verifiesRequests: boolean;
  /** Implements AbortMultipartUpload (s3rver answers 405). */
  abortsMultipart: boolean;
  /** Refuses a write to a key that holds an object (s3rver ignores If-None-Match and overwrites). */
  enforcesWriteOnce: boolean;
  start(): Promise<RunningAdapter>;
}

interface LocalAdapter extends RunningAdapter {
  store: LocalBlobStore;
  root: string;
  baseUrl: string;
}

const s3IsEmulator = inject('s3IsEmulator');

const adapters: AdapterCase[] = [
  {
    name: s3IsEmulator ? 's3 (s3rver)' : 's3',
    verifiesRequests: !s3IsEmulator,
    abortsMultipart: !s3IsEmulator,
    enforcesWriteOnce: !s3IsEmulator,
    start: startS3,
  },
  { name: 'local', verifiesRequests: true, abortsMultipart: true, enforcesWriteOnce: true, start: startLocal },
];

async function startS3(): Promise<RunningAdapter> {
  const store = new S3BlobStore({
    endpoint: inject('s3Endpoint'),
    region: 'us-east-1',
    bucket: `blob-contract-${randomUUID().slice(0, 8)}`,
    ...inject('s3Credentials'),
    forcePathStyle: true,
  });
  await store.ensureBucket();
  // Creating it twice must be harmless: every dev/test start calls it.
  await store.ensureBucket();
  return { store, close: async () => {} };
}

async function startLocal(): Promise<LocalAdapter> {
  const root = await mkdtemp(join(tmpdir(), 'local-blobs-'));
  const app = express();
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store = new LocalBlobStore({ root, publicBaseUrl: baseUrl, signingSecret: randomBytes(32) });
  app.use(createLocalBlobRouter(store));
  return {
    store,
    root,
    baseUrl,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

const newKey = (): string => `datasets/${randomUUID()}/données d'essai (v1).csv`;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const md5 = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The message of a refused blob request, which comes in the lab's error shape with a code. */
async function errorMessage(response: Response): Promise<string> {
  const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
  expect(body.errors[0]!.extensions.code).toMatch(/^(BAD_REQUEST|FORBIDDEN|NOT_FOUND|CONFLICT)$/);
  return body.errors[0]!.message;
}

function putWith(request: PresignedRequest, body: Buffer, headers: Record<string, string> = request.headers): Promise<Response> {
  return fetch(request.url, { method: 'PUT', headers, body });
}

/** A body sent with Transfer-Encoding: chunked; `sent.chunks` counts the chunks fetch has taken to send. */
function chunkedBody(chunkCount: number, chunkBytes: number, sent = { chunks: 0 }): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent.chunks === chunkCount) {
        controller.close();
        return;
      }
      sent.chunks += 1;
      controller.enqueue(new Uint8Array(chunkBytes).fill(7));
    },
  });
}

/** A body sent with Transfer-Encoding: chunked whose second half waits for `gate`. */
function gatedBody(bytes: Buffer, gate: Promise<void>): ReadableStream<Uint8Array> {
  const half = Math.floor(bytes.length / 2);
  let step = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      step += 1;
      if (step === 1) {
        controller.enqueue(new Uint8Array(bytes.subarray(0, half)));
        return;
      }
      await gate;
      controller.enqueue(new Uint8Array(bytes.subarray(half)));
      controller.close();
    },
  });
}

/** Polls until `condition` holds, failing with what was awaited after `timeoutMs`. */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits until a URL's expiry has passed on a clock with whole seconds. */
async function waitPast(expiresAt: Date): Promise<void> {
  await sleep(Math.max(0, expiresAt.getTime() - Date.now()) + 1_100);
}

describe.each(adapters)('BlobStore contract: $name', ({ start, verifiesRequests, abortsMultipart, enforcesWriteOnce }) => {
  let adapter: RunningAdapter;
  let store: BlobStore;

  beforeAll(async () => {
    adapter = await start();
    store = adapter.store;
  });
  afterAll(() => adapter?.close());

  it('stores a presigned PUT and returns the same bytes through head, read and a presigned GET', async () => {
    const key = newKey();
    const body = randomBytes(64 * 1024 + 3);
    const upload = await store.presignPut({ key, sizeBytes: body.length, contentType: 'text/csv' });
    expect(upload.headers).toMatchObject({ 'Content-Type': 'text/csv', 'Content-Length': String(body.length) });
    expect(upload.expiresAt.getTime()).toBeGreaterThan(Date.now() + 14 * 60_000);

    const put = await putWith(upload, body);
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe(`"${md5(body)}"`);

    expect(await store.head(key)).toEqual({ sizeBytes: body.length, contentType: 'text/csv' });
    expect((await readAll(await store.read(key))).equals(body)).toBe(true);

    const download = await store.presignGet({ key, fileName: 'résultats "final".csv' });
    const got = await fetch(download.url, { headers: download.headers });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('text/csv');
    expect(got.headers.get('content-length')).toBe(String(body.length));
    expect(got.headers.get('content-disposition')).toContain(`filename*=UTF-8''r%C3%A9sultats%20%22final%22.csv`);
    expect(Buffer.from(await got.arrayBuffer()).equals(body)).toBe(true);
  });

  it('accepts a presigned PUT whose body matches the declared sha256', async () => {
    const key = newKey();
    const body = randomBytes(1000);
    const upload = await store.presignPut({ key, sizeBytes: body.length, contentType: 'application/octet-stream', sha256: sha256(body) });
    expect((await putWith(upload, body)).status).toBe(200);
    expect(sha256(await readAll(await store.read(key)))).toBe(sha256(body));
  });

  it('round-trips a multipart upload of three parts', async () => {
    const key = newKey();
    const body = randomBytes(2 * MIN_PART_BYTES + 1024 * 1024);
    const upload = await store.createMultipart({
      key,
      sizeBytes: body.length,
      contentType: 'application/x-ndjson',
      partSizeBytes: MIN_PART_BYTES,
    });
    expect(upload.parts.map((part) => part.partNumber)).toEqual([1, 2, 3]);

    const parts = [];
    for (const part of upload.parts) {
      const offset = (part.partNumber - 1) * upload.partSizeBytes;
      const response = await fetch(part.url, { method: 'PUT', body: body.subarray(offset, offset + upload.partSizeBytes) });
      expect(response.status).toBe(200);
      parts.push({ partNumber: part.partNumber, etag: response.headers.get('etag')! });
    }
    await store.completeMultipart(key, upload.uploadId, parts);

    expect(await store.head(key)).toEqual({ sizeBytes: body.length, contentType: 'application/x-ndjson' });
    expect(sha256(await readAll(await store.read(key)))).toBe(sha256(body));
    const download = await store.presignGet({ key });
    expect(sha256(Buffer.from(await (await fetch(download.url)).arrayBuffer()))).toBe(sha256(body));
  });

  it.runIf(abortsMultipart)('aborting a multipart upload removes it', async () => {
    const key = newKey();
    const upload = await store.createMultipart({ key, sizeBytes: MIN_PART_BYTES + 10, contentType: 'text/plain', partSizeBytes: MIN_PART_BYTES });
    const first = await fetch(upload.parts[0]!.url, { method: 'PUT', body: randomBytes(MIN_PART_BYTES) });
    expect(first.status).toBe(200);

    await store.abortMultipart(key, upload.uploadId);
    await expect(
      store.completeMultipart(key, upload.uploadId, [{ partNumber: 1, etag: first.headers.get('etag')! }]),
    ).rejects.toThrow();
    expect(await store.head(key)).toBeNull();
    // A second abort (a retried cleanup) succeeds.
    await store.abortMultipart(key, upload.uploadId);
  });

  it('puts, reads and deletes objects from the server side', async () => {
    const fromBuffer = newKey();
    const fromStream = newKey();
    await store.put(fromBuffer, Buffer.from('{"ok":true}'), 'application/json');
    await store.put(fromStream, Readable.from([Buffer.from('a,b\n'), Buffer.from('1,2\n')]), 'text/csv', 8);

    expect(await store.head(fromBuffer)).toEqual({ sizeBytes: 11, contentType: 'application/json' });
    expect((await readAll(await store.read(fromStream))).toString()).toBe('a,b\n1,2\n');

    await store.delete(fromBuffer);
    expect(await store.head(fromBuffer)).toBeNull();
    await expect(store.read(fromBuffer)).rejects.toBeInstanceOf(BlobNotFoundError);
    await store.delete(fromBuffer);
    expect(await store.head(fromStream)).not.toBeNull();
  });

  it.runIf(enforcesWriteOnce)('refuses a second PUT with a used presigned URL and keeps the first bytes', async () => {
    const key = newKey();
    const first = randomBytes(100);
    const upload = await store.presignPut({ key, sizeBytes: first.length, contentType: 'text/csv' });
    expect((await putWith(upload, first)).status).toBe(200);

    const again = await putWith(upload, randomBytes(first.length));
    // 412 from S3 (the signed If-None-Match failed), 409 from the local router.
    expect([409, 412]).toContain(again.status);
    // Dropping the condition does not help: S3 then refuses the signature, the local store the key.
    const withoutCondition = Object.fromEntries(Object.entries(upload.headers).filter(([name]) => name.toLowerCase() !== 'if-none-match'));
    expect((await putWith(upload, randomBytes(first.length), withoutCondition)).ok).toBe(false);

    expect(await store.head(key)).toEqual({ sizeBytes: first.length, contentType: 'text/csv' });
    expect((await readAll(await store.read(key))).equals(first)).toBe(true);
  });

  it.runIf(enforcesWriteOnce)('refuses to complete a multipart upload into a key that holds an object, and keeps it', async () => {
    const key = newKey();
    await store.put(key, Buffer.from('validated'), 'text/csv');
    const body = randomBytes(1000);
    const upload = await store.createMultipart({ key, sizeBytes: body.length, contentType: 'text/csv', partSizeBytes: MIN_PART_BYTES });
    const part = await fetch(upload.parts[0]!.url, { method: 'PUT', body });
    expect(part.status).toBe(200);

    const refusal = await store
      .completeMultipart(key, upload.uploadId, [{ partNumber: 1, etag: part.headers.get('etag')! }])
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(BlobExistsError);
    expect((refusal as Error).message).toMatch(/already stored .* write-once: ask for a new upload/);

    expect(await store.head(key)).toEqual({ sizeBytes: 9, contentType: 'text/csv' });
    expect((await readAll(await store.read(key))).toString()).toBe('validated');
    await store.abortMultipart(key, upload.uploadId);
  });

  it.runIf(enforcesWriteOnce)('refuses put() to a key that holds an object until the object is deleted', async () => {
    const key = newKey();
    await store.put(key, Buffer.from('first'), 'text/plain');

    await expect(store.put(key, Buffer.from('second!'), 'application/json')).rejects.toBeInstanceOf(BlobExistsError);
    await expect(store.put(key, Readable.from([Buffer.from('third')]), 'text/plain', 5)).rejects.toThrow(
      /write-once: delete\(\) it first to replace it/,
    );
    expect(await store.head(key)).toEqual({ sizeBytes: 5, contentType: 'text/plain' });
    expect((await readAll(await store.read(key))).toString()).toBe('first');

    await store.delete(key);
    await store.put(key, Buffer.from('second!'), 'application/json');
    expect(await store.head(key)).toEqual({ sizeBytes: 7, contentType: 'application/json' });
    expect((await readAll(await store.read(key))).toString()).toBe('second!');
  });

  it.each(['../escape.csv', 'a/../../b', '/etc/passwd', 'a\\..\\b', 'a\0b', 'a//b', 'a/./b', 'trailing/', ''])(
    'refuses the key %j',
    async (key) => {
      await expect(store.presignPut({ key, sizeBytes: 1, contentType: 'text/plain' })).rejects.toBeInstanceOf(BlobInputError);
      await expect(store.presignGet({ key })).rejects.toBeInstanceOf(BlobInputError);
      await expect(store.put(key, Buffer.from('x'), 'text/plain')).rejects.toBeInstanceOf(BlobInputError);
      await expect(store.head(key)).rejects.toBeInstanceOf(BlobInputError);
    },
  );

  it('refuses part sizes S3 would refuse', async () => {
    await expect(
      store.createMultipart({ key: newKey(), sizeBytes: 3 * MIN_PART_BYTES, contentType: 'text/plain', partSizeBytes: MIN_PART_BYTES - 1 }),
    ).rejects.toBeInstanceOf(BlobInputError);
  });

  it.runIf(verifiesRequests)('refuses a body sent with another Content-Type or size than signed', async () => {
    const key = newKey();
    const upload = await store.presignPut({ key, sizeBytes: 10, contentType: 'text/csv' });

    const wrongType = await putWith(upload, Buffer.alloc(10), { ...upload.headers, 'Content-Type': 'text/html' });
    expect(wrongType.status).toBe(403);
    const longer = await putWith(upload, Buffer.alloc(11), { 'Content-Type': 'text/csv' });
    expect(longer.ok).toBe(false);
    const shorter = await putWith(upload, Buffer.alloc(9), { 'Content-Type': 'text/csv' });
    expect(shorter.ok).toBe(false);
    expect(await store.head(key)).toBeNull();

    expect((await putWith(upload, Buffer.alloc(10))).status).toBe(200);
  });

  it.runIf(verifiesRequests)('refuses a body that does not match the declared sha256', async () => {
    const key = newKey();
    const declared = randomBytes(100);
    const upload = await store.presignPut({ key, sizeBytes: 100, contentType: 'text/plain', sha256: sha256(declared) });
    expect((await putWith(upload, randomBytes(100))).status).toBe(400);
    expect(await store.head(key)).toBeNull();
  });

  it('refuses presigned URLs once they expire', async () => {
    const key = newKey();
    const lateKey = newKey();
    await store.put(key, Buffer.from('kept'), 'text/plain');
    const download = await store.presignGet({ key, expiresInSeconds: 1 });
    const upload = await store.presignPut({ key: lateKey, sizeBytes: 4, contentType: 'text/plain', expiresInSeconds: 1 });
    expect(download.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(1_000);
    expect((await fetch(download.url)).status).toBe(200);

    await waitPast(download.expiresAt);

    expect((await fetch(download.url)).status).toBe(403);
    expect((await putWith(upload, Buffer.from('late'))).status).toBe(403);
    expect(await store.head(lateKey)).toBeNull();
  });
});

describe('LocalBlobStore through its router', () => {
  let local: LocalAdapter;

  beforeAll(async () => {
    local = await startLocal();
  });
  afterAll(() => local?.close());

  async function filesUnder(root: string): Promise<string[]> {
    try {
      const entries = await readdir(root, { recursive: true, withFileTypes: true });
      return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** Runs a refused request and proves it left no object and no file (temp or otherwise) behind. */
  async function expectNothingWritten(key: string, refusedRequest: () => Promise<void>): Promise<void> {
    const before = await filesUnder(local.root);
    await refusedRequest();
    expect(await local.store.head(key)).toBeNull();
    expect(await filesUnder(local.root)).toEqual(before);
  }

  async function signedUpload(sizeBytes: number, extra: { sha256?: string; expiresInSeconds?: number } = {}) {
    const key = newKey();
    return { key, upload: await local.store.presignPut({ key, sizeBytes, contentType: 'text/csv', ...extra }) };
  }

  /** A raw request, for what fetch would not send (an unnormalised path). */
  function rawRequest(method: string, path: string, body?: Buffer): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const { hostname, port } = new URL(local.baseUrl);
      // Options rather than a URL string: URL parsing would resolve the dot segments this sends.
      const req = httpRequest({ hostname, port, path, method, headers: { 'Content-Type': 'text/csv' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * A PUT that sends its headers and never a byte of body: only a refusal made before reading the
   * body answers it. (Bytes the server left unread would turn its close into a reset that races the answer.)
   */
  function headersOnlyPut(url: string, headers: Record<string, string>, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { method: 'PUT', headers: { ...headers, 'Transfer-Encoding': 'chunked' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode!, body: text });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`No answer within ${timeoutMs} ms: the server waited for the body`)));
      req.flushHeaders();
    });
  }

  it('stores nothing for a tampered signature or tampered signed parameter', async () => {
    const { key, upload } = await signedUpload(10);
    const tampered = new URL(upload.url);
    const signature = tampered.searchParams.get('signature')!;
    tampered.searchParams.set('signature', `${signature[0] === 'a' ? 'b' : 'a'}${signature.slice(1)}`);
    const resized = new URL(upload.url);
    resized.searchParams.set('size', '20');

    await expectNothingWritten(key, async () => {
      const response = await fetch(tampered, { method: 'PUT', headers: upload.headers, body: Buffer.alloc(10) });
      expect(response.status).toBe(403);
      expect(await errorMessage(response)).toMatch(/signature does not match/);
      const bigger = await fetch(resized, { method: 'PUT', headers: { ...upload.headers, 'Content-Length': '20' }, body: Buffer.alloc(20) });
      expect(bigger.status).toBe(403);
    });
    expect((await putWith(upload, Buffer.alloc(10))).status).toBe(200);
  });

  it('does not accept an upload URL as a download URL', async () => {
    const key = newKey();
    await local.store.put(key, Buffer.from('secret'), 'text/plain');
    const upload = await local.store.presignPut({ key, sizeBytes: 6, contentType: 'text/plain' });
    expect((await fetch(upload.url)).status).toBe(403);
  });

  it('stores nothing for an expired URL', async () => {
    const { key, upload } = await signedUpload(10, { expiresInSeconds: 1 });
    await waitPast(upload.expiresAt);
    await expectNothingWritten(key, async () => {
      const response = await putWith(upload, Buffer.alloc(10));
      expect(response.status).toBe(403);
      expect(await errorMessage(response)).toMatch(/expired/);
    });
  });

  it('refuses with 413 a Content-Length above the signed size', async () => {
    const { key, upload } = await signedUpload(10);
    await expectNothingWritten(key, async () => {
      const response = await putWith(upload, Buffer.alloc(20), { ...upload.headers, 'Content-Length': '20' });
      expect(response.status).toBe(413);
    });
  });

  it('refuses with 413 a chunked body that grows past the signed size, and stops reading it', async () => {
    const { key, upload } = await signedUpload(10);
    await expectNothingWritten(key, async () => {
      const response = await fetch(upload.url, {
        method: 'PUT',
        headers: { 'Content-Type': 'text/csv' },
        body: chunkedBody(2, 10),
        duplex: 'half',
      });
      expect(response.status).toBe(413);
    });

    const sent = { chunks: 0 };
    await expectNothingWritten(key, async () => {
      const response = await fetch(upload.url, {
        method: 'PUT',
        headers: { 'Content-Type': 'text/csv' },
        body: chunkedBody(1024, 1024 * 1024, sent),
        duplex: 'half',
      });
      expect(response.status).toBe(413);
    });
    expect(sent.chunks).toBeLessThan(1024);
  });

  it('refuses with 400 a body shorter than the signed size', async () => {
    const { key, upload } = await signedUpload(10);
    await expectNothingWritten(key, async () => {
      const declaredShort = await putWith(upload, Buffer.alloc(5), { ...upload.headers, 'Content-Length': '5' });
      expect(declaredShort.status).toBe(400);
      const chunkedShort = await fetch(upload.url, {
        method: 'PUT',
        headers: { 'Content-Type': 'text/csv' },
        body: chunkedBody(1, 5),
        duplex: 'half',
      });
      expect(chunkedShort.status).toBe(400);
      expect(await errorMessage(chunkedShort)).toMatch(/5 bytes but 10 were declared/);
    });
  });

  it('stores nothing when the body does not match the signed sha256', async () => {
    const declared = randomBytes(10);
    const { key, upload } = await signedUpload(10, { sha256: sha256(declared) });
    await expectNothingWritten(key, async () => {
      const response = await putWith(upload, randomBytes(10));
      expect(response.status).toBe(400);
      expect(await errorMessage(response)).toMatch(/SHA-256/);
    });
    expect((await putWith(upload, declared)).status).toBe(200);
  });

  it('stores nothing for a Content-Type other than the signed one', async () => {
    const { key, upload } = await signedUpload(10);
    await expectNothingWritten(key, async () => {
      const response = await putWith(upload, Buffer.alloc(10), { ...upload.headers, 'Content-Type': 'text/html' });
      expect(response.status).toBe(403);
      expect(await errorMessage(response)).toMatch(/Content-Type: text\/csv/);
    });
  });

  it.each(['/blobs/../../etc/passwd', '/blobs/%2E%2E/%2E%2E/etc/passwd', '/blobs/a/..%5Cb', '/blobs/a%00b'])(
    'refuses the path %s with 400',
    async (path) => {
      const query = '?size=1&type=text%2Fcsv&expires=9999999999&signature=00';
      const before = await filesUnder(local.root);
      const put = await rawRequest('PUT', `${path}${query}`, Buffer.from('x'));
      expect(put.status).toBe(400);
      expect(put.body).toMatch(/Blob key .* (must be relative names|contains a control character)/);
      expect((await rawRequest('GET', `${path}${query}`)).status).toBe(400);
      expect(await filesUnder(local.root)).toEqual(before);
    },
  );

  it('serves downloads with type, length and file name, and HEAD without a body', async () => {
    const key = newKey();
    await local.store.put(key, Buffer.from('a,b\n'), 'text/csv');
    const download = await local.store.presignGet({ key, fileName: 'data.csv' });

    const got = await fetch(download.url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).toBe(`attachment; filename="data.csv"; filename*=UTF-8''data.csv`);
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await got.text()).toBe('a,b\n');

    const head = await fetch(download.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('4');
    expect(await head.text()).toBe('');

    await local.store.delete(key);
    const gone = await fetch(download.url);
    expect(gone.status).toBe(404);
    expect(await errorMessage(gone)).toMatch(/No object at key/);
  });

  it('answers a browser preflight and exposes the ETag', async () => {
    const { upload } = await signedUpload(3);
    const preflight = await fetch(upload.url, {
      method: 'OPTIONS',
      headers: { Origin: 'http://console.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Content-Type');

    const put = await putWith(upload, Buffer.from('abc'));
    expect(put.headers.get('access-control-expose-headers')).toContain('ETag');
  });

  it('refuses parts for an aborted upload and leaves no part files', async () => {
    const key = newKey();
    const upload = await local.store.createMultipart({ key, sizeBytes: MIN_PART_BYTES + 1, contentType: 'text/plain', partSizeBytes: MIN_PART_BYTES });
    expect((await fetch(upload.parts[0]!.url, { method: 'PUT', body: Buffer.alloc(MIN_PART_BYTES) })).status).toBe(200);
    await local.store.abortMultipart(key, upload.uploadId);

    await expectNothingWritten(key, async () => {
      expect((await fetch(upload.parts[1]!.url, { method: 'PUT', body: Buffer.alloc(1) })).status).toBe(404);
    });
    expect((await filesUnder(local.root)).filter((file) => file.includes(upload.uploadId))).toEqual([]);
  });

  it('refuses to complete with a wrong ETag or a missing part, and writes nothing', async () => {
    const key = newKey();
    const upload = await local.store.createMultipart({ key, sizeBytes: MIN_PART_BYTES + 1, contentType: 'text/plain', partSizeBytes: MIN_PART_BYTES });
    const first = await fetch(upload.parts[0]!.url, { method: 'PUT', body: Buffer.alloc(MIN_PART_BYTES) });
    const etag = first.headers.get('etag')!;

    await expectNothingWritten(key, async () => {
      await expect(local.store.completeMultipart(key, upload.uploadId, [{ partNumber: 1, etag: `"${'0'.repeat(32)}"` }])).rejects.toThrow(/ETag/);
      await expect(local.store.completeMultipart(key, upload.uploadId, [{ partNumber: 1, etag }])).rejects.toThrow(/upload and list every part/);
      await expect(
        local.store.completeMultipart(key, upload.uploadId, [{ partNumber: 1, etag }, { partNumber: 2, etag }]),
      ).rejects.toThrow(/never uploaded/);
    });
  });

  it('answers 409 to a PUT at a key that holds an object before the body arrives, and writes nothing', async () => {
    const { key, upload } = await signedUpload(9);
    await local.store.put(key, Buffer.from('validated'), 'text/csv');
    const before = await filesUnder(local.root);

    const response = await headersOnlyPut(upload.url, { 'Content-Type': 'text/csv' });
    expect(response.status).toBe(409);
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ message: `An object is already stored at key "${key}"; objects are write-once: ask for a new upload`, extensions: { code: 'CONFLICT' } }],
    });
    expect(await filesUnder(local.root)).toEqual(before);
    expect((await readAll(await local.store.read(key))).toString()).toBe('validated');
  });

  it('lets exactly one of two concurrent PUTs to a fresh key store its bytes', async () => {
    const { key, upload } = await signedUpload(1024);
    const bodies = [randomBytes(1024), randomBytes(1024)];
    const tmp = join(local.root, 'tmp');
    const tempsBefore = await filesUnder(tmp);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));

    const responses = bodies.map((body) =>
      fetch(upload.url, { method: 'PUT', headers: { 'Content-Type': 'text/csv' }, body: gatedBody(body, gate), duplex: 'half' }),
    );
    // Both bodies are streaming into temp files, so both passed the early check: the commit must decide.
    await until(async () => (await filesUnder(tmp)).filter((file) => !tempsBefore.includes(file)).length === 2, 'both uploads to start');
    release();
    const statuses = await Promise.all(responses.map(async (response) => (await response).status));

    expect([...statuses].sort()).toEqual([200, 409]);
    const winner = bodies[statuses.indexOf(200)]!;
    expect((await readAll(await local.store.read(key))).equals(winner)).toBe(true);
    expect(await filesUnder(tmp)).toEqual(tempsBefore);
  });

  it('refuses an upload body that a body parser mounted earlier already consumed', async () => {
    const root = await mkdtemp(join(tmpdir(), 'local-blobs-'));
    const app = express();
    app.use(express.json());
    const server: Server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const store = new LocalBlobStore({
      root,
      publicBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      signingSecret: randomBytes(32),
    });
    app.use(createLocalBlobRouter(store));
    try {
      const key = newKey();
      const body = Buffer.from('{"a":1}');
      const upload = await store.presignPut({ key, sizeBytes: body.length, contentType: 'application/json' });
      expect((await putWith(upload, body)).status).toBe(500);
      expect(await store.head(key)).toBeNull();
    } finally {
      server.closeAllConnections();
      server.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses a signing secret too short to be safe', () => {
    expect(() => new LocalBlobStore({ root: local.root, publicBaseUrl: local.baseUrl, signingSecret: 'short' })).toThrow(/at least 32 bytes/);
  });
});

/** What real S3 enforces from the URL, which s3rver does not check: the signed headers. */
describe('S3BlobStore presigned URLs', () => {
  const bucket = `blob-urls-${randomUUID().slice(0, 8)}`;
  let store: S3BlobStore;

  beforeAll(async () => {
    store = new S3BlobStore({
      endpoint: inject('s3Endpoint'),
      publicEndpoint: 'https://files.example.org',
      region: 'us-east-1',
      bucket,
      ...inject('s3Credentials'),
      forcePathStyle: true,
    });
    await store.ensureBucket();
  });

  it('signs Content-Type, Content-Length and the SHA-256 checksum as headers the client must send', async () => {
    const digest = sha256(Buffer.from('hello'));
    const upload = await store.presignPut({ key: 'a/b.csv', sizeBytes: 5, contentType: 'text/csv', sha256: digest });
    const url = new URL(upload.url);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host;if-none-match;x-amz-checksum-sha256');
    expect(url.searchParams.has('x-amz-checksum-sha256')).toBe(false);
    expect(upload.headers).toEqual({
      'Content-Type': 'text/csv',
      'Content-Length': '5',
      'If-None-Match': '*',
      'x-amz-checksum-sha256': Buffer.from(digest, 'hex').toString('base64'),
    });
  });

  it('makes a presigned PUT write-once: If-None-Match: * is a signed header the client must send', async () => {
    const upload = await store.presignPut({ key: 'once.csv', sizeBytes: 5, contentType: 'text/csv' });
    const url = new URL(upload.url);
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain('if-none-match');
    // A header, not a query parameter: S3 evaluates the condition only from the header.
    expect([...url.searchParams.keys()].map((name) => name.toLowerCase())).not.toContain('if-none-match');
    expect(upload.headers['If-None-Match']).toBe('*');
  });

  it('signs each part URL for its own Content-Length, with no checksum of an empty body', async () => {
    const upload = await store.createMultipart({ key: 'big.bin', sizeBytes: MIN_PART_BYTES + 7, contentType: 'application/octet-stream', partSizeBytes: MIN_PART_BYTES });
    const [first, last] = upload.parts.map((part) => new URL(part.url));
    expect(first!.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host');
    expect([...first!.searchParams.keys()].filter((name) => name.toLowerCase().includes('checksum'))).toEqual([]);
    expect(first!.searchParams.get('X-Amz-Signature')).not.toBe(last!.searchParams.get('X-Amz-Signature'));
    // Best-effort clean-up: s3rver has no AbortMultipartUpload.
    await store.abortMultipart('big.bin', upload.uploadId).catch(() => {});
  });

  it('writes the public endpoint into URLs while calling the store at its own endpoint', async () => {
    await store.put('public.txt', Buffer.from('x'), 'text/plain');
    const download = await store.presignGet({ key: 'public.txt' });
    expect(download.url.startsWith(`https://files.example.org/${bucket}/public.txt?`)).toBe(true);
    expect(await store.head('public.txt')).toEqual({ sizeBytes: 1, contentType: 'text/plain' });
  });
});

/**
 * s3rver ignores If-None-Match: a stub that answers every request as S3 answers a write to a taken
 * key shows what the adapter sends and what it makes of the refusal.
 */
describe('S3BlobStore writes to a key that holds an object', () => {
  const PRECONDITION_FAILED =
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
    '<Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition>' +
    '<RequestId>stub</RequestId><HostId>stub</HostId></Error>';
  const requests: { method: string; path: string; ifNoneMatch?: string }[] = [];
  let server: Server;
  let store: S3BlobStore;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push({ method: req.method!, path: req.url!, ifNoneMatch: req.headers['if-none-match'] });
      req.resume();
      req.on('end', () => res.writeHead(412, { 'Content-Type': 'application/xml' }).end(PRECONDITION_FAILED));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    store = new S3BlobStore({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      bucket: 'stub',
      accessKeyId: 'id',
      secretAccessKey: 'secret',
      forcePathStyle: true,
    });
  });
  afterAll(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it('sends put() with If-None-Match: * and turns the 412 into BlobExistsError', async () => {
    requests.length = 0;
    await expect(store.put('taken.txt', Buffer.from('x'), 'text/plain')).rejects.toThrow(
      new BlobExistsError('taken.txt', 'delete() it first to replace it, or write to a new key'),
    );
    expect(requests).toEqual([{ method: 'PUT', path: expect.stringMatching(/^\/stub\/taken\.txt/), ifNoneMatch: '*' }]);
  });

  it('sends CompleteMultipartUpload with If-None-Match: * and turns the 412 into BlobExistsError', async () => {
    requests.length = 0;
    const refusal = await store.completeMultipart('taken.bin', 'upload-1', [{ partNumber: 1, etag: '"abc"' }]).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(BlobExistsError);
    expect((refusal as Error).message).toMatch(/write-once: ask for a new upload/);
    expect(requests).toEqual([{ method: 'POST', path: expect.stringMatching(/^\/stub\/taken\.bin\?uploadId=upload-1/), ifNoneMatch: '*' }]);
  });
});

describe('createBlobStore', () => {
  it('builds the adapter its options name', () => {
    const credentials = { accessKeyId: 'id', secretAccessKey: 'secret' };
    expect(createBlobStore({ kind: 's3', region: 'us-east-1', bucket: 'b', forcePathStyle: true, ...credentials })).toBeInstanceOf(S3BlobStore);
    expect(
      createBlobStore({ kind: 'local', root: tmpdir(), publicBaseUrl: 'http://localhost:4000', signingSecret: randomBytes(32) }),
    ).toBeInstanceOf(LocalBlobStore);
  });
});
