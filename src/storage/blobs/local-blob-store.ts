import { createHash, createHmac, randomUUID, timingSafeEqual, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, link, mkdir, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { finished, Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertSinglePutSize,
  assertValidBlobKey,
  BlobExistsError,
  BlobInputError,
  BlobNotFoundError,
  planParts,
  REPLACE_WITH_DELETE,
  urlExpirySeconds,
  type BlobHead,
  type BlobStore,
  type CompletedPart,
  type CreateMultipartInput,
  type MultipartUpload,
  type PresignedRequest,
  type PresignGetInput,
  type PresignPutInput,
} from './blob-store.js';

export interface LocalBlobStoreOptions {
  /** Folder holding the objects; created on first write. */
  root: string;
  /**
   * Where clients reach the app that mounts createLocalBlobRouter, e.g. `http://localhost:4000`;
   * a function when it is known only once that app listens (port 0).
   */
  publicBaseUrl: string | (() => string);
  /** HMAC key for the URLs; at least 32 bytes (`openssl rand -hex 32`). */
  signingSecret: string | Buffer;
  /** Largest object accepted; defaults to S3's 5 TiB. */
  maxObjectBytes?: number;
}

/** A refused blob request, with the HTTP status the router answers with. */
export class BlobRequestError extends BlobInputError {
  override name = 'BlobRequestError';
  constructor(
    readonly status: 400 | 403 | 404 | 413,
    message: string,
  ) {
    super(message);
  }
}

/** What a verified upload URL allows: one object, or one part of a multipart upload. */
export type UploadGrant =
  | { kind: 'object'; key: string; sizeBytes: number; contentType: string; sha256?: string }
  | { kind: 'part'; key: string; uploadId: string; partNumber: number; sizeBytes: number };

export interface DownloadGrant {
  key: string;
  fileName?: string;
}

export interface OpenedObject {
  stream: Readable;
  sizeBytes: number;
  contentType?: string;
}

interface ObjectMeta {
  key: string;
  contentType: string;
}

interface UploadManifest {
  key: string;
  sizeBytes: number;
  contentType: string;
}

interface WrittenTemp {
  path: string;
  md5: string;
}

const S3_MAX_OBJECT_BYTES = 5 * 1024 ** 4;
const MIN_SECRET_BYTES = 32;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

/**
 * Objects in a local folder, uploaded and downloaded through URLs the gateway itself serves
 * (createLocalBlobRouter) and signs with HMAC-SHA256.
 *
 * Layout under `root`: `objects/<sha256 of key>` holds the bytes and `objects/<same>.json` the key
 * and content type; naming files by a hash means no key can name a path outside the folder or
 * collide with another key's folder. `uploads/<uploadId>/` holds multipart parts, `tmp/` writes
 * in flight, which are linked into place only once complete and verified.
 *
 * Objects are write-once (see commit()): a write to a key that holds an object is refused with
 * BlobExistsError, which the router answers with 409.
 */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;
  private readonly root: string;
  private readonly baseUrl: () => string;
  private readonly secret: Buffer;
  private readonly maxObjectBytes: number;

  constructor(options: LocalBlobStoreOptions) {
    this.root = resolve(options.root);
    const { publicBaseUrl } = options;
    if (typeof publicBaseUrl === 'string') new URL(publicBaseUrl); // a malformed URL fails here, not at the first upload
    this.baseUrl = () => new URL(typeof publicBaseUrl === 'string' ? publicBaseUrl : publicBaseUrl()).href.replace(/\/+$/, '');
    this.secret = Buffer.from(options.signingSecret);
    if (this.secret.length < MIN_SECRET_BYTES) {
      throw new Error(
        `LocalBlobStore signingSecret must be at least ${MIN_SECRET_BYTES} bytes, got ${this.secret.length}; generate one with \`openssl rand -hex 32\``,
      );
    }
    this.maxObjectBytes = options.maxObjectBytes ?? S3_MAX_OBJECT_BYTES;
  }

  async presignPut(input: PresignPutInput): Promise<PresignedRequest> {
    assertValidBlobKey(input.key);
    assertSinglePutSize(input.sizeBytes);
    this.assertWithinMax(input.sizeBytes);
    const sha256 = input.sha256 === undefined ? undefined : normalizeSha256(input.sha256);
    const expires = expiryFromNow(input.expiresInSeconds);
    const signature = this.sign(['PUT', input.key, input.sizeBytes, input.contentType, sha256 ?? null, expires]);
    const query: Record<string, string> = { size: String(input.sizeBytes), type: input.contentType };
    if (sha256 !== undefined) query.sha256 = sha256;
    return {
      url: this.url(input.key, { ...query, expires: String(expires), signature }),
      headers: { 'Content-Type': input.contentType, 'Content-Length': String(input.sizeBytes) },
      expiresAt: new Date(expires * 1000),
    };
  }

  async createMultipart(input: CreateMultipartInput): Promise<MultipartUpload> {
    assertValidBlobKey(input.key);
    this.assertWithinMax(input.sizeBytes);
    const parts = planParts(input.sizeBytes, input.partSizeBytes);
    const expires = expiryFromNow(input.expiresInSeconds);
    const uploadId = randomUUID();
    const manifest: UploadManifest = { key: input.key, sizeBytes: input.sizeBytes, contentType: input.contentType };
    await mkdir(this.uploadDir(uploadId), { recursive: true });
    await writeFile(join(this.uploadDir(uploadId), 'upload.json'), JSON.stringify(manifest));
    return {
      uploadId,
      partSizeBytes: input.partSizeBytes,
      expiresAt: new Date(expires * 1000),
      parts: parts.map(({ partNumber, sizeBytes }) => {
        const signature = this.sign(['PUT-PART', input.key, uploadId, partNumber, sizeBytes, expires]);
        const query = { uploadId, partNumber: String(partNumber), size: String(sizeBytes), expires: String(expires) };
        return { partNumber, url: this.url(input.key, { ...query, signature }) };
      }),
    };
  }

  async completeMultipart(key: string, uploadId: string, parts: CompletedPart[]): Promise<void> {
    const manifest = await this.readManifest(key, uploadId);
    if (manifest === null) {
      throw new BlobInputError(`Multipart upload ${uploadId} does not exist: it was completed or aborted; start a new one`);
    }
    const inOrder = parts.every(
      (part, i) => Number.isInteger(part.partNumber) && part.partNumber >= 1 && (i === 0 || part.partNumber > parts[i - 1]!.partNumber),
    );
    if (parts.length === 0 || !inOrder) {
      throw new BlobInputError('List the uploaded parts by whole partNumber from 1, in ascending order, each once');
    }
    // Refused before joining the parts; the upload stays, as after any refused completion, until abortMultipart.
    await this.assertKeyFree(key);
    await mkdir(this.tmpDir(), { recursive: true });
    const temp = join(this.tmpDir(), randomUUID());
    try {
      await this.concatenateParts(uploadId, parts, temp);
      const { size } = await stat(temp);
      if (size !== manifest.sizeBytes) {
        throw new BlobInputError(
          `The listed parts hold ${size} bytes but the upload declared ${manifest.sizeBytes}; upload and list every part`,
        );
      }
      await this.commit(temp, key, manifest.contentType);
    } finally {
      await rm(temp, { force: true });
    }
    await rm(this.uploadDir(uploadId), { recursive: true, force: true });
  }

  /** Idempotent: aborting an upload that no longer exists succeeds. */
  async abortMultipart(key: string, uploadId: string): Promise<void> {
    if ((await this.readManifest(key, uploadId)) !== null) {
      await rm(this.uploadDir(uploadId), { recursive: true, force: true });
    }
  }

  async presignGet(input: PresignGetInput): Promise<PresignedRequest> {
    assertValidBlobKey(input.key);
    const expires = expiryFromNow(input.expiresInSeconds);
    const signature = this.sign(['GET', input.key, input.fileName ?? null, expires]);
    const query: Record<string, string> = input.fileName === undefined ? {} : { filename: input.fileName };
    return {
      url: this.url(input.key, { ...query, expires: String(expires), signature }),
      headers: {},
      expiresAt: new Date(expires * 1000),
    };
  }

  async head(key: string): Promise<BlobHead | null> {
    assertValidBlobKey(key);
    try {
      const { size } = await stat(this.objectPath(key));
      return { sizeBytes: size, contentType: (await this.readMeta(key))?.contentType };
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return null;
      throw error;
    }
  }

  async read(key: string): Promise<Readable> {
    return (await this.openObject(key)).stream;
  }

  async put(key: string, body: Buffer | Readable, contentType: string, sizeBytes?: number): Promise<void> {
    assertValidBlobKey(key);
    const declared = sizeBytes ?? (Buffer.isBuffer(body) ? body.length : undefined);
    if (declared !== undefined) this.assertWithinMax(declared);
    await this.assertKeyFree(key, REPLACE_WITH_DELETE);
    // Readable.from hands a Buffer over as one chunk rather than byte by byte.
    const temp = await this.writeTemp(Buffer.isBuffer(body) ? Readable.from(body) : body, { exactBytes: declared });
    try {
      await this.commit(temp.path, key, contentType, REPLACE_WITH_DELETE);
    } finally {
      await rm(temp.path, { force: true });
    }
  }

  /** The bytes go first and the metadata (the claim on the key) last, so the key is free only once both are gone. */
  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    await rm(this.objectPath(key), { force: true });
    await rm(this.metaPath(key), { force: true });
  }

  /** Checks an upload URL's signature and expiry; the key comes from the URL path. */
  verifyUpload(key: string, query: URLSearchParams): UploadGrant {
    assertValidBlobKey(key);
    const sizeBytes = integerParam(query, 'size');
    const expires = integerParam(query, 'expires');
    const uploadId = query.get('uploadId');
    if (uploadId !== null) {
      const partNumber = integerParam(query, 'partNumber');
      this.verifySignature(query, ['PUT-PART', key, uploadId, partNumber, sizeBytes, expires], expires);
      return { kind: 'part', key, uploadId, partNumber, sizeBytes };
    }
    const contentType = requiredParam(query, 'type');
    const sha256 = query.get('sha256') ?? undefined;
    this.verifySignature(query, ['PUT', key, sizeBytes, contentType, sha256 ?? null, expires], expires);
    return { kind: 'object', key, sizeBytes, contentType, sha256 };
  }

  verifyDownload(key: string, query: URLSearchParams): DownloadGrant {
    assertValidBlobKey(key);
    const expires = integerParam(query, 'expires');
    const fileName = query.get('filename') ?? undefined;
    this.verifySignature(query, ['GET', key, fileName ?? null, expires], expires);
    return { key, fileName };
  }

  /**
   * Streams an upload body into place once it has exactly the granted size (and digest). Reading
   * stops at the first byte beyond the granted size; a refused body leaves nothing behind.
   * Returns the S3-style quoted MD5 ETag.
   */
  async receiveUpload(grant: UploadGrant, body: Readable): Promise<{ etag: string }> {
    // Checked before reading the body as well as when it lands: a finished upload takes no parts.
    if (grant.kind === 'part' && (await this.readManifest(grant.key, grant.uploadId)) === null) {
      throw new BlobRequestError(404, `Multipart upload ${grant.uploadId} was completed or aborted; start a new one`);
    }
    // Refused before reading the body when the key is already taken; commit() decides for certain.
    if (grant.kind === 'object') await this.assertKeyFree(grant.key);
    const temp = await this.writeTemp(body, {
      exactBytes: grant.sizeBytes,
      sha256: grant.kind === 'object' ? grant.sha256 : undefined,
    });
    try {
      if (grant.kind === 'object') {
        await this.commit(temp.path, grant.key, grant.contentType);
      } else {
        await rename(temp.path, join(this.uploadDir(grant.uploadId), String(grant.partNumber))).catch((error: unknown) => {
          // An abort or completion that ran while the part was streaming removed the folder.
          throw isErrno(error, 'ENOENT')
            ? new BlobRequestError(404, `Multipart upload ${grant.uploadId} was completed or aborted; start a new one`)
            : error;
        });
      }
    } finally {
      await rm(temp.path, { force: true });
    }
    return { etag: `"${temp.md5}"` };
  }

  /** Opens an object for streaming; size and stream come from the same open file. */
  async openObject(key: string): Promise<OpenedObject> {
    assertValidBlobKey(key);
    let handle: FileHandle;
    try {
      handle = await open(this.objectPath(key), 'r');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new BlobNotFoundError(key);
      throw error;
    }
    try {
      const { size } = await handle.stat();
      const meta = await this.readMeta(key);
      return { stream: handle.createReadStream(), sizeBytes: size, contentType: meta?.contentType };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Writes the parts to `target` in order; a pipeline per part would pile listeners on the output. */
  private async concatenateParts(uploadId: string, parts: CompletedPart[], target: string): Promise<void> {
    const output = createWriteStream(target, { flags: 'wx' });
    try {
      await pipeline(this.partChunks(uploadId, parts), output);
    } finally {
      await whenClosed(output);
    }
  }

  /** The parts' bytes in order, each part checked against the ETag the client listed for it. */
  private async *partChunks(uploadId: string, parts: CompletedPart[]): AsyncGenerator<Buffer> {
    for (const part of parts) {
      const md5 = createHash('md5');
      try {
        for await (const chunk of createReadStream(join(this.uploadDir(uploadId), String(part.partNumber)))) {
          md5.update(chunk as Buffer);
          yield chunk as Buffer;
        }
      } catch (error) {
        throw isErrno(error, 'ENOENT') ? new BlobInputError(`Part ${part.partNumber} was never uploaded; upload it first`) : error;
      }
      if (md5.digest('hex') !== part.etag.replaceAll('"', '')) {
        throw new BlobInputError(`Part ${part.partNumber}'s ETag is not ${part.etag}; send the ETag its upload returned`);
      }
    }
  }

  private verifySignature(query: URLSearchParams, fields: readonly unknown[], expires: number): void {
    const given = Buffer.from(requiredParam(query, 'signature'), 'utf8');
    const expected = Buffer.from(this.sign(fields), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new BlobRequestError(403, 'The URL signature does not match: use the URL exactly as the gateway returned it');
    }
    if (Date.now() > expires * 1000) {
      throw new BlobRequestError(
        403,
        `The URL expired at ${new Date(expires * 1000).toISOString()}; ask the gateway for a new one`,
      );
    }
  }

  /** JSON of the field list: an unambiguous encoding, whatever characters keys or types hold. */
  private sign(fields: readonly unknown[]): string {
    return createHmac('sha256', this.secret).update(JSON.stringify(fields)).digest('hex');
  }

  private url(key: string, query: Record<string, string>): string {
    const path = key.split('/').map(encodeURIComponent).join('/');
    return `${this.baseUrl()}/blobs/${path}?${new URLSearchParams(query).toString()}`;
  }

  private assertWithinMax(sizeBytes: number): void {
    if (sizeBytes > this.maxObjectBytes) {
      throw new BlobInputError(`Objects here hold at most ${this.maxObjectBytes} bytes; ${sizeBytes} is too large`);
    }
  }

  private async writeTemp(body: Readable, expected: { exactBytes?: number; sha256?: string }): Promise<WrittenTemp> {
    if (body.readableEnded) {
      throw new Error('The upload body was already read by an earlier middleware; mount the blob router before any body parser');
    }
    await mkdir(this.tmpDir(), { recursive: true });
    const path = join(this.tmpDir(), randomUUID());
    const md5 = createHash('md5');
    const sha256 = createHash('sha256');
    const meter = new HashingMeter(
      expected.sha256 === undefined ? [md5] : [md5, sha256],
      expected.exactBytes === undefined
        ? { bytes: this.maxObjectBytes, reason: 'the largest object this store accepts' }
        : { bytes: expected.exactBytes, reason: 'the size the URL was signed for; request a URL for the real size' },
    );
    const file = createWriteStream(path, { flags: 'wx' });
    // pipe() rather than pipeline(): on refusal the body must stay open so that the HTTP response
    // can still be sent; its own failures (a client that disconnects) are forwarded by hand.
    const stopForwarding = finished(body, (error) => {
      if (error) meter.destroy(error);
    });
    body.pipe(meter);
    try {
      await pipeline(meter, file);
      if (expected.exactBytes !== undefined && meter.bytes !== expected.exactBytes) {
        throw new BlobRequestError(400, `The body has ${meter.bytes} bytes but ${expected.exactBytes} were declared; send the whole file`);
      }
      if (expected.sha256 !== undefined && sha256.digest('hex') !== expected.sha256) {
        throw new BlobRequestError(400, 'The body does not match the declared SHA-256; the file changed or was corrupted in transit');
      }
      return { path, md5: md5.digest('hex') };
    } catch (error) {
      body.unpipe(meter);
      // The file stream may still be opening: removing the file before it closes could leave it behind.
      await whenClosed(file);
      await rm(path, { force: true });
      throw error;
    } finally {
      stopForwarding();
    }
  }

  /**
   * Links a complete temp file into place unless the key already holds an object (the caller
   * removes the temp file). link() fails with EEXIST when its target exists, so of two commits
   * racing for one key exactly one succeeds and an existing object is never replaced.
   * The metadata is linked first and is the claim on the key: a reader never sees bytes without it.
   */
  private async commit(tempPath: string, key: string, contentType: string, remedy?: string): Promise<void> {
    await mkdir(this.objectsDir(), { recursive: true });
    const meta: ObjectMeta = { key, contentType };
    const metaTemp = join(this.tmpDir(), randomUUID());
    try {
      await writeFile(metaTemp, JSON.stringify(meta), { flag: 'wx' });
      await link(metaTemp, this.metaPath(key)).catch((error: unknown) => {
        throw isErrno(error, 'EEXIST') ? new BlobExistsError(key, remedy) : error;
      });
    } finally {
      await rm(metaTemp, { force: true });
    }
    try {
      await link(tempPath, this.objectPath(key));
    } catch (error) {
      // Release the claim; on EEXIST the bytes there lost their metadata earlier and stay as they are.
      await rm(this.metaPath(key), { force: true });
      throw isErrno(error, 'EEXIST') ? new BlobExistsError(key, remedy) : error;
    }
  }

  /** Refuses early, before any bytes are read or joined, a write to a key commit() would refuse. */
  private async assertKeyFree(key: string, remedy?: string): Promise<void> {
    try {
      await access(this.metaPath(key));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return;
      throw error;
    }
    throw new BlobExistsError(key, remedy);
  }

  private async readMeta(key: string): Promise<ObjectMeta | null> {
    try {
      return JSON.parse(await readFile(this.metaPath(key), 'utf8')) as ObjectMeta;
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return null;
      throw error;
    }
  }

  /** null when the upload is gone; refuses an upload id that is malformed or belongs to another key. */
  private async readManifest(key: string, uploadId: string): Promise<UploadManifest | null> {
    assertValidBlobKey(key);
    if (!UPLOAD_ID.test(uploadId)) {
      throw new BlobInputError(`"${uploadId}" is not an upload id of this store; use the uploadId createMultipart returned`);
    }
    let manifest: UploadManifest;
    try {
      manifest = JSON.parse(await readFile(join(this.uploadDir(uploadId), 'upload.json'), 'utf8')) as UploadManifest;
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return null;
      throw error;
    }
    if (manifest.key !== key) {
      throw new BlobInputError(`Multipart upload ${uploadId} is for key "${manifest.key}", not "${key}"`);
    }
    return manifest;
  }

  private objectsDir(): string {
    return join(this.root, 'objects');
  }

  private objectPath(key: string): string {
    return join(this.objectsDir(), createHash('sha256').update(key).digest('hex'));
  }

  private metaPath(key: string): string {
    return `${this.objectPath(key)}.json`;
  }

  private uploadDir(uploadId: string): string {
    return join(this.root, 'uploads', uploadId);
  }

  private tmpDir(): string {
    return join(this.root, 'tmp');
  }
}

/** Passes bytes through, feeding the hashes, and fails as soon as the bytes exceed the limit. */
class HashingMeter extends Transform {
  bytes = 0;

  constructor(
    private readonly hashes: Hash[],
    private readonly limit: { bytes: number; reason: string },
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit.bytes) {
      callback(new BlobRequestError(413, `The body is larger than ${this.limit.bytes} bytes, ${this.limit.reason}`));
      return;
    }
    for (const hash of this.hashes) hash.update(chunk);
    callback(null, chunk);
  }
}

function whenClosed(stream: Writable): Promise<void> {
  return stream.closed ? Promise.resolve() : new Promise((resolveClose) => stream.once('close', () => resolveClose()));
}

function expiryFromNow(expiresInSeconds: number | undefined): number {
  return Math.floor(Date.now() / 1000) + urlExpirySeconds(expiresInSeconds);
}

function normalizeSha256(value: string): string {
  const hex = value.toLowerCase();
  if (!SHA256_HEX.test(hex)) throw new BlobInputError(`sha256 must be 64 hex digits, got "${value}"`);
  return hex;
}

function requiredParam(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null) {
    throw new BlobRequestError(403, `The URL has no "${name}" parameter; use the URL exactly as the gateway returned it`);
  }
  return value;
}

function integerParam(query: URLSearchParams, name: string): number {
  const value = requiredParam(query, name);
  if (!DECIMAL.test(value)) {
    throw new BlobRequestError(403, `The URL's "${name}" parameter is not a whole number; use the URL exactly as the gateway returned it`);
  }
  return Number(value);
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
