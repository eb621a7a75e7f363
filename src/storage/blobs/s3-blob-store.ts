import {
  AbortMultipartUploadCommand,
  BucketAlreadyOwnedByYou,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  NoSuchKey,
  NoSuchUpload,
  NotFound,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import {
  assertSinglePutSize,
  assertValidBlobKey,
  BlobExistsError,
  BlobInputError,
  BlobNotFoundError,
  contentDisposition,
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

export interface S3BlobStoreOptions {
  /** Omit for AWS; the base URL of an S3-compatible store otherwise (MinIO, s3rver). */
  endpoint?: string;
  /** Endpoint written into presigned URLs when clients reach the store at another address than the gateway. */
  publicEndpoint?: string;
  region: string;
  bucket: string;
  /** Both, or neither for the SDK's default chain (environment, instance or pod role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `https://endpoint/bucket/key` URLs instead of `https://bucket.endpoint/key`; most non-AWS stores need it. */
  forcePathStyle: boolean;
}

/**
 * Headers S3 then requires with exactly the signed values. The presigner leaves Content-Type
 * unsigned unless listed; parts leave it so, as clients upload them without one. If-None-Match
 * is listed so that a client cannot drop the write-once condition and still match the signature.
 */
const SIGNED_PUT_HEADERS = new Set(['content-type', 'content-length', 'if-none-match']);
const SIGNED_PART_HEADERS = new Set(['content-length']);
/** Kept as a header rather than hoisted into the query, where S3 would not check the body against it. */
const CHECKSUM_HEADER = 'x-amz-checksum-sha256';
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
/** S3's conditional write: store the object only if the key holds none (412 otherwise). */
const WRITE_ONCE = '*';

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  /** Only signs (no network calls), with the endpoint clients use. */
  private readonly presigner: S3Client;
  private readonly bucket: string;
  private readonly region: string;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.region = options.region;
    this.client = createClient(options, options.endpoint);
    this.presigner = options.publicEndpoint === undefined ? this.client : createClient(options, options.publicEndpoint);
  }

  /** Creates the bucket when it does not exist (dev and test start-up). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (!(error instanceof NotFound)) throw error;
    }
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          // us-east-1 is the default location and S3 refuses it as an explicit constraint.
          CreateBucketConfiguration: this.region === 'us-east-1' ? undefined : { LocationConstraint: this.region as BucketLocationConstraint },
        }),
      );
    } catch (error) {
      // Another process created it between the two calls.
      if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
    }
  }

  async presignPut(input: PresignPutInput): Promise<PresignedRequest> {
    assertValidBlobKey(input.key);
    assertSinglePutSize(input.sizeBytes);
    const expiresIn = urlExpirySeconds(input.expiresInSeconds);
    const checksum = input.sha256 === undefined ? undefined : sha256HexToBase64(input.sha256);
    const signingDate = new Date();
    const url = await getSignedUrl(
      this.presigner,
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: input.key,
        ContentType: input.contentType,
        ContentLength: input.sizeBytes,
        ChecksumSHA256: checksum,
        IfNoneMatch: WRITE_ONCE,
      }),
      { expiresIn, signingDate, signableHeaders: SIGNED_PUT_HEADERS, unhoistableHeaders: new Set([CHECKSUM_HEADER]) },
    );
    const headers: Record<string, string> = {
      'Content-Type': input.contentType,
      'Content-Length': String(input.sizeBytes),
      'If-None-Match': WRITE_ONCE,
    };
    if (checksum !== undefined) headers[CHECKSUM_HEADER] = checksum;
    return { url, headers, expiresAt: signedExpiry(signingDate, expiresIn) };
  }

  async createMultipart(input: CreateMultipartInput): Promise<MultipartUpload> {
    assertValidBlobKey(input.key);
    const parts = planParts(input.sizeBytes, input.partSizeBytes);
    const expiresIn = urlExpirySeconds(input.expiresInSeconds);
    const { UploadId: uploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: input.key, ContentType: input.contentType }),
    );
    if (uploadId === undefined) throw new Error(`S3 returned no UploadId for a multipart upload to "${input.key}"`);
    const signingDate = new Date();
    const urls = await Promise.all(
      parts.map(({ partNumber, sizeBytes }) =>
        getSignedUrl(
          this.presigner,
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: input.key,
            UploadId: uploadId,
            PartNumber: partNumber,
            ContentLength: sizeBytes,
          }),
          { expiresIn, signingDate, signableHeaders: SIGNED_PART_HEADERS },
        ),
      ),
    );
    return {
      uploadId,
      partSizeBytes: input.partSizeBytes,
      parts: parts.map(({ partNumber }, index) => ({ partNumber, url: urls[index]! })),
      expiresAt: signedExpiry(signingDate, expiresIn),
    };
  }

  async completeMultipart(key: string, uploadId: string, parts: CompletedPart[]): Promise<void> {
    assertValidBlobKey(key);
    if (parts.length === 0) throw new BlobInputError('List the uploaded parts to complete a multipart upload');
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map(({ partNumber, etag }) => ({ PartNumber: partNumber, ETag: etag })) },
          IfNoneMatch: WRITE_ONCE,
        }),
      );
    } catch (error) {
      // The key is taken, so no retry of this completion can succeed: the caller aborts the upload.
      if (isPreconditionFailed(error)) throw new BlobExistsError(key);
      const refusal = error instanceof Error ? MULTIPART_REFUSALS[error.name] : undefined;
      if (refusal) throw new BlobInputError(`${refusal} (the store said: ${error instanceof Error ? error.message : ''})`);
      throw error;
    }
  }

  /** Idempotent: aborting an upload that no longer exists succeeds. */
  async abortMultipart(key: string, uploadId: string): Promise<void> {
    assertValidBlobKey(key);
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (error) {
      if (!(error instanceof NoSuchUpload)) throw error;
    }
  }

  async presignGet(input: PresignGetInput): Promise<PresignedRequest> {
    assertValidBlobKey(input.key);
    const expiresIn = urlExpirySeconds(input.expiresInSeconds);
    const signingDate = new Date();
    const url = await getSignedUrl(
      this.presigner,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: input.key,
        ResponseContentDisposition: input.fileName === undefined ? undefined : contentDisposition(input.fileName),
      }),
      { expiresIn, signingDate },
    );
    return { url, headers: {}, expiresAt: signedExpiry(signingDate, expiresIn) };
  }

  async head(key: string): Promise<BlobHead | null> {
    assertValidBlobKey(key);
    try {
      const output = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { sizeBytes: output.ContentLength ?? 0, contentType: output.ContentType };
    } catch (error) {
      if (error instanceof NotFound) return null;
      throw error;
    }
  }

  async read(key: string): Promise<Readable> {
    assertValidBlobKey(key);
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!(Body instanceof Readable)) throw new Error(`GetObject for "${key}" returned no Node.js stream`);
      return Body;
    } catch (error) {
      if (error instanceof NoSuchKey) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  /** A stream body needs its sizeBytes: PutObject sends a Content-Length up front. */
  async put(key: string, body: Buffer | Readable, contentType: string, sizeBytes?: number): Promise<void> {
    assertValidBlobKey(key);
    const contentLength = sizeBytes ?? (Buffer.isBuffer(body) ? body.length : undefined);
    if (contentLength === undefined) {
      throw new BlobInputError(`Pass sizeBytes to put a stream to "${key}": S3 needs the length before the body`);
    }
    assertSinglePutSize(contentLength);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ContentLength: contentLength,
          IfNoneMatch: WRITE_ONCE,
        }),
      );
    } catch (error) {
      if (isPreconditionFailed(error)) throw new BlobExistsError(key, REPLACE_WITH_DELETE);
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

function createClient(options: S3BlobStoreOptions, endpoint: string | undefined): S3Client {
  return new S3Client({
    endpoint,
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    credentials:
      options.accessKeyId && options.secretAccessKey ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } : undefined,
    // By default the SDK adds a CRC32 checksum of the (empty) body to presigned part URLs, which S3
    // then holds the real part against; checksums are added only where we ask for them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
}

/** S3's refusals of a CompleteMultipartUpload that the client can fix, with what to do. */
const MULTIPART_REFUSALS: Record<string, string> = {
  InvalidPart: 'A part is missing or its ETag does not match what the store received; upload every part and pass the ETag each PUT answered',
  InvalidPartOrder: 'List the parts in ascending partNumber order',
  EntityTooSmall: 'Every part but the last must be at least 5 MiB; upload the parts with the given partSizeBytes',
  NoSuchUpload: 'This multipart upload no longer exists (completed, aborted or expired); start a new upload',
  ConditionalRequestConflict: 'Another write to this key ran at the same time; start a new upload',
};

/** S3's answer to If-None-Match: * when the key already holds an object. */
function isPreconditionFailed(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'PreconditionFailed' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412;
}

/** X-Amz-Date has whole seconds, so the URL expires counting from the truncated signing time. */
function signedExpiry(signingDate: Date, expiresInSeconds: number): Date {
  return new Date(Math.floor(signingDate.getTime() / 1000) * 1000 + expiresInSeconds * 1000);
}

function sha256HexToBase64(hex: string): string {
  if (!SHA256_HEX.test(hex)) throw new BlobInputError(`sha256 must be 64 hex digits, got "${hex}"`);
  return Buffer.from(hex, 'hex').toString('base64');
}
