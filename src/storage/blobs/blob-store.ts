import type { Readable } from 'node:stream';

/** A presigned request the client sends as is: the method is implied by the call that made it. */
export interface PresignedRequest {
  url: string;
  /** Headers the request must carry exactly (the signature covers them). */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface PresignPutInput {
  key: string;
  sizeBytes: number;
  contentType: string;
  /** Hex SHA-256 of the body; when given, the store refuses a body with another digest. */
  sha256?: string;
  expiresInSeconds?: number;
}

export interface MultipartUpload {
  uploadId: string;
  partSizeBytes: number;
  parts: { partNumber: number; url: string }[];
  expiresAt: Date;
}

export interface CreateMultipartInput {
  key: string;
  sizeBytes: number;
  contentType: string;
  partSizeBytes: number;
  expiresInSeconds?: number;
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

export interface BlobHead {
  sizeBytes: number;
  contentType?: string;
}

export interface PresignGetInput {
  key: string;
  expiresInSeconds?: number;
  /** Suggested file name for the download (Content-Disposition). */
  fileName?: string;
}

/**
 * Object storage as the gateway sees it: it signs, clients move the bytes.
 * Adapters: S3 (any S3-compatible store) and a local folder served by the gateway.
 *
 * Objects are write-once: a presigned PUT, a multipart completion or a put() to a key that already
 * holds an object is refused and changes nothing, so an upload URL still within its expiry cannot
 * swap the bytes of an object that was accepted (and validated) after its first use.
 */
export interface BlobStore {
  readonly kind: 's3' | 'local';
  presignPut(input: PresignPutInput): Promise<PresignedRequest>;
  createMultipart(input: CreateMultipartInput): Promise<MultipartUpload>;
  completeMultipart(key: string, uploadId: string, parts: CompletedPart[]): Promise<void>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
  presignGet(input: PresignGetInput): Promise<PresignedRequest>;
  /** null when there is no object at the key. */
  head(key: string): Promise<BlobHead | null>;
  /** Streams the object's bytes; rejects when there is no object at the key. */
  read(key: string): Promise<Readable>;
  /**
   * Writes an object from the server side (run results, generated artifacts). Write-once like
   * uploads: rejects with BlobExistsError when the key holds an object; delete() it first to replace it.
   */
  put(key: string, body: Buffer | Readable, contentType: string, sizeBytes?: number): Promise<void>;
  delete(key: string): Promise<void>;
}

export const DEFAULT_URL_EXPIRY_SECONDS = 15 * 60;
/** An upload not completed an hour after its URLs expired never will be; workers then clean it up. */
export const ABANDONED_UPLOAD_AFTER_SECONDS = DEFAULT_URL_EXPIRY_SECONDS + 3600;

/** S3's limits; both adapters apply them so that a client written against one works against the other. */
export const MAX_URL_EXPIRY_SECONDS = 7 * 24 * 60 * 60;
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;
export const MIN_PART_BYTES = 5 * 1024 ** 2;
export const MAX_PART_BYTES = 5 * 1024 ** 3;
export const MAX_PARTS = 10_000;
const MAX_KEY_BYTES = 1024;

/** A request the caller must change (bad key, size, expiry...): the message says what to change. */
export class BlobInputError extends Error {
  override name = 'BlobInputError';
}

/** A write to a key that already holds an object: objects are write-once. */
export class BlobExistsError extends BlobInputError {
  override name = 'BlobExistsError';
  constructor(
    readonly key: string,
    remedy = 'ask for a new upload',
  ) {
    super(`An object is already stored at key "${key}"; objects are write-once: ${remedy}`);
  }
}

/** What put() callers can do about a BlobExistsError. */
export const REPLACE_WITH_DELETE = 'delete() it first to replace it, or write to a new key';

export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError';
  constructor(readonly key: string) {
    super(`No object at key "${key}"`);
  }
}

/**
 * Keys are '/'-separated names. Empty, '.' and '..' segments are refused: URL parsers collapse
 * them, so a presigned URL for such a key would name another object (or escape a folder).
 */
export function assertValidBlobKey(key: string): void {
  if (key.length === 0 || Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new BlobInputError(`Blob key must be 1 to ${MAX_KEY_BYTES} bytes of UTF-8, got ${Buffer.byteLength(key)}`);
  }
  if (/[\u0000-\u001f\u007f\\]/.test(key)) {
    throw new BlobInputError(`Blob key ${JSON.stringify(key)} contains a control character or a backslash; use '/' to separate names`);
  }
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new BlobInputError(
      `Blob key ${JSON.stringify(key)} must be relative names joined by single '/': no leading, trailing or doubled '/', no '.' or '..'`,
    );
  }
}

export function urlExpirySeconds(requested: number = DEFAULT_URL_EXPIRY_SECONDS): number {
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_URL_EXPIRY_SECONDS) {
    throw new BlobInputError(`expiresInSeconds must be an integer from 1 to ${MAX_URL_EXPIRY_SECONDS}, got ${requested}`);
  }
  return requested;
}

export function assertSinglePutSize(sizeBytes: number): void {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
    throw new BlobInputError(`sizeBytes must be a non-negative integer, got ${sizeBytes}`);
  }
  if (sizeBytes > MAX_SINGLE_PUT_BYTES) {
    throw new BlobInputError(
      `A single upload holds at most ${MAX_SINGLE_PUT_BYTES} bytes; use a multipart upload for ${sizeBytes} bytes`,
    );
  }
}

/** The size of every part of a multipart upload, checked against S3's part limits. */
export function planParts(sizeBytes: number, partSizeBytes: number): { partNumber: number; sizeBytes: number }[] {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 1) {
    throw new BlobInputError(`sizeBytes must be a positive integer, got ${sizeBytes}`);
  }
  if (!Number.isSafeInteger(partSizeBytes) || partSizeBytes < MIN_PART_BYTES || partSizeBytes > MAX_PART_BYTES) {
    throw new BlobInputError(`partSizeBytes must be an integer from ${MIN_PART_BYTES} to ${MAX_PART_BYTES}, got ${partSizeBytes}`);
  }
  const count = Math.ceil(sizeBytes / partSizeBytes);
  if (count > MAX_PARTS) {
    throw new BlobInputError(
      `${sizeBytes} bytes in parts of ${partSizeBytes} makes ${count} parts, more than ${MAX_PARTS}; use parts of at least ${Math.ceil(sizeBytes / MAX_PARTS)} bytes`,
    );
  }
  return Array.from({ length: count }, (_, index) => ({
    partNumber: index + 1,
    sizeBytes: Math.min(partSizeBytes, sizeBytes - index * partSizeBytes),
  }));
}

/** An attachment Content-Disposition: an ASCII fallback name plus the exact UTF-8 name (RFC 6266). */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
