import { setTimeout } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { badInput, conflict, notFound } from '../../common/errors.js';
import type { DatasetRow as DatasetDbRow, DatasetVersionRow } from '../../db/schema.js';
import { BlobInputError, type BlobStore, type MultipartUpload } from '../../storage/blobs/index.js';
import { isUniqueViolation, type Db } from '../../storage/postgres.js';
import type { LabPubSub } from '../../storage/pubsub.js';
import { holdLease } from '../../workflow/leases.js';
import type { DatasetFormat, DatasetRow as DatasetRowValues } from './dataset-format.js';
import { readDatasetRows } from './dataset-rows.js';
import type { DatasetsRepo } from './datasets.repo.js';

export interface UploadLimits {
  maxUploadBytes: number;
  multipartThresholdBytes: number;
  partSizeBytes: number;
  maxRowBytes: number;
}

export const MAX_PREVIEW_ROWS = 100;
/** Previews open a download each; at most this many run at once in a process, whatever the queries ask. */
export const CONCURRENT_PREVIEW_READS = 8;

const CONTENT_TYPES: Record<DatasetFormat, string> = { JSONL: 'application/x-ndjson', CSV: 'text/csv' };
const EXTENSIONS: Record<DatasetFormat, string> = { JSONL: 'jsonl', CSV: 'csv' };

/** Turns a blob store's refusal of the caller's input into BAD_USER_INPUT with the store's message. */
async function asUserInput<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof BlobInputError) throw badInput(err.message);
    throw err;
  }
}

const formatBytes = (n: number) => `${n.toLocaleString('en-US')} bytes`;

/** A new version awaiting its file, and where to PUT it. */
export interface UploadGrant {
  version: DatasetVersionRow;
  /** Single PUT: the presigned URL and the headers it must carry; null for multipart. */
  url: string | null;
  headers: Record<string, string>;
  /** Multipart: one presigned URL a part. */
  parts: { partNumber: number; url: string }[] | null;
  partSizeBytes: number | null;
  expiresAt: Date;
}

export interface NewUpload {
  format: DatasetFormat;
  sizeBytes: number;
  sha256?: string | null;
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/** A completion or sweep of an upload holds it this long, renewed while the store works. */
const UPLOAD_LEASE_SECONDS = 120;
const UPLOAD_HEARTBEAT_MS = 30_000;
/** How often a completion waiting for another one to finish looks again. */
const COMPLETION_POLL_MS = 100;

export class DatasetsService {
  private readonly previewReads = pLimit(CONCURRENT_PREVIEW_READS);

  constructor(
    private readonly db: Db,
    private readonly repo: DatasetsRepo,
    private readonly blobs: BlobStore,
    private readonly limits: UploadLimits,
    private readonly pubsub: LabPubSub,
    private readonly logger: Logger,
  ) {}

  /** Newest first: up to `limit` datasets after the (createdAt, id) keyset. */
  list(projectId: string, after: { createdAt: Date; id: string } | null, limit: number): Promise<DatasetDbRow[]> {
    return this.repo.page(projectId, after, limit);
  }

  count(projectId: string): Promise<number> {
    return this.repo.count(projectId);
  }

  async create(projectId: string, input: { name: string; description?: string | null }): Promise<DatasetDbRow> {
    try {
      return await this.repo.insert(projectId, input.name.trim(), input.description?.trim() || null);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw conflict(`name: a dataset named "${input.name.trim()}" already exists in this project; upload a new version of it with createDatasetUpload, or choose another name.`);
      }
      throw err;
    }
  }

  /**
   * A new AWAITING_UPLOAD version and the presigned URL(s) to upload its file to. The version is
   * numbered and stored first (a short transaction); the store's multipart upload is started after it.
   */
  async createUpload(projectId: string, datasetId: string, input: NewUpload): Promise<UploadGrant> {
    const { maxUploadBytes, multipartThresholdBytes, partSizeBytes } = this.limits;
    if (input.sizeBytes > maxUploadBytes) {
      throw badInput(`sizeBytes: ${formatBytes(input.sizeBytes)} is more than the ${formatBytes(maxUploadBytes)} allowed (LAB_MAX_UPLOAD_BYTES); split the dataset.`, 'sizeBytes');
    }
    const contentType = CONTENT_TYPES[input.format];
    const sha256 = input.sha256?.toLowerCase() ?? null;
    const row = await this.newVersion(projectId, datasetId, input.format, input.sizeBytes, sha256);
    if (input.sizeBytes > multipartThresholdBytes) {
      const multipart = await this.startMultipart(row, contentType, partSizeBytes);
      return { version: { ...row, uploadId: multipart.uploadId, partSizeBytes: multipart.partSizeBytes }, url: null, headers: {}, parts: multipart.parts, partSizeBytes: multipart.partSizeBytes, expiresAt: multipart.expiresAt };
    }
    const put = await asUserInput(() => this.blobs.presignPut({ key: row.blobKey, sizeBytes: input.sizeBytes, contentType, ...(sha256 ? { sha256 } : {}) }));
    return { version: row, url: put.url, headers: put.headers, parts: null, partSizeBytes: null, expiresAt: put.expiresAt };
  }

  /** The next AWAITING_UPLOAD version of the dataset, numbered under the dataset's lock in a short transaction. */
  private async newVersion(projectId: string, datasetId: string, format: DatasetFormat, sizeBytes: number, sha256: string | null): Promise<DatasetVersionRow> {
    const row = await this.db.transaction(async (tx) => {
      const repo = this.repo.in(tx);
      if (!(await repo.lockDataset(projectId, datasetId))) return undefined;
      const version = (await repo.latestVersionNumber(datasetId)) + 1;
      const blobKey = `projects/${projectId}/datasets/${datasetId}/v${version}.${EXTENSIONS[format]}`;
      return repo.insertVersion(projectId, datasetId, version, { format, blobKey, sizeBytes, declaredSha256: sha256 });
    });
    if (!row) throw notFound('Dataset', datasetId);
    return row;
  }

  /** Starts the store's multipart upload for a stored version; a version the store refused is FAILED, saying why. */
  private async startMultipart(row: DatasetVersionRow, contentType: string, partSizeBytes: number): Promise<MultipartUpload> {
    let multipart: MultipartUpload;
    try {
      multipart = await asUserInput(() => this.blobs.createMultipart({ key: row.blobKey, sizeBytes: row.sizeBytes, contentType, partSizeBytes }));
    } catch (err) {
      await this.repo.failUpload(row.id, 'The object store could not start this upload; start a new one with createDatasetUpload.');
      throw err;
    }
    if (!(await this.repo.recordMultipart(row.id, multipart.uploadId, multipart.partSizeBytes))) {
      throw conflict('This version was settled while its upload was being started; start a new one with createDatasetUpload.');
    }
    return multipart;
  }

  /**
   * Checks the uploaded object (multipart parts joined first) has the declared size, then hands the
   * version to the validation workers. A version past AWAITING_UPLOAD is returned as it is.
   * Concurrent calls take turns through the version's lease (no row lock is held while the
   * store is called): a call that finds the lease held waits for it, then goes on.
   */
  async completeUpload(projectId: string, versionId: string, parts: CompletedPart[] | null | undefined): Promise<DatasetVersionRow> {
    const giveUpAt = Date.now() + (UPLOAD_LEASE_SECONDS + 10) * 1000;
    for (;;) {
      const claim = await this.repo.claimCompletion(projectId, versionId, UPLOAD_LEASE_SECONDS);
      if (claim) return this.complete(claim, parts);
      const [row] = await this.repo.versionsByIds(projectId, [versionId]);
      if (!row) throw notFound('DatasetVersion', versionId);
      if (row.status !== 'AWAITING_UPLOAD') return row;
      if (Date.now() > giveUpAt) {
        throw conflict('Another completeDatasetUpload of this version is still running; query the version for its status, or call again in a minute.');
      }
      await setTimeout(COMPLETION_POLL_MS);
    }
  }

  private async complete(claim: DatasetVersionRow, parts: CompletedPart[] | null | undefined): Promise<DatasetVersionRow> {
    const lease = holdLease(this.leaseOf(claim), () => this.repo.renewUploadLease(claim, UPLOAD_LEASE_SECONDS), {
      everyMs: UPLOAD_HEARTBEAT_MS,
      onRenewError: (err) => this.logger.warn({ err, datasetVersionId: claim.id }, 'could not renew the upload lease'),
    });
    try {
      await this.checkUploaded(claim, parts);
    } catch (err) {
      await this.repo.releaseUpload(claim);
      throw err;
    } finally {
      lease.stop();
    }
    const completed = await this.repo.finishCompletion(claim);
    if (!completed) {
      // The lease ran out while the store worked and another call or the sweep took over: it settles the version.
      throw conflict('This upload was settled by another call while it was being checked; query the version for its status.');
    }
    this.pubsub.publish('jobs:dataset-validation', { datasetVersionId: completed.id });
    return completed;
  }

  private leaseOf(row: DatasetVersionRow) {
    return { id: row.id, attempt: row.validationAttempts };
  }

  /** The file is in the store with the declared size; otherwise BAD_USER_INPUT saying what to do. */
  private async checkUploaded(row: DatasetVersionRow, parts: CompletedPart[] | null | undefined): Promise<void> {
    if (row.uploadId) await this.joinParts(row, parts);
    else if (parts?.length) throw badInput('parts: this upload is a single PUT; call completeDatasetUpload without parts.', 'parts');
    const head = await this.blobs.head(row.blobKey);
    if (!head) {
      throw badInput(`No file has been uploaded for version ${row.version} yet: PUT it to the URL from createDatasetUpload, then call completeDatasetUpload again.`);
    }
    if (head.sizeBytes !== row.sizeBytes) {
      // Objects are write-once: the wrong file goes, so the right one can be PUT to the same URL.
      await this.blobs.delete(row.blobKey);
      throw badInput(
        `The uploaded file has ${formatBytes(head.sizeBytes)}, but ${formatBytes(row.sizeBytes)} were declared; it was discarded. PUT the right file to the same URL before it expires, or start again with createDatasetUpload.`,
      );
    }
  }

  /** Completes the multipart upload from every part's ETag; a retry after a join that was not recorded goes on to the size check. */
  private async joinParts(row: DatasetVersionRow, parts: CompletedPart[] | null | undefined): Promise<void> {
    const expected = Math.ceil(row.sizeBytes / row.partSizeBytes!);
    const numbers = (parts ?? []).map((p) => p.partNumber).sort((a, b) => a - b);
    if (numbers.length !== expected || numbers.some((n, i) => n !== i + 1)) {
      throw badInput(`parts: this is a multipart upload of ${expected} parts; pass each partNumber from 1 to ${expected} once, with the ETag its PUT answered.`, 'parts');
    }
    const sorted = [...parts!].sort((a, b) => a.partNumber - b.partNumber);
    try {
      await this.blobs.completeMultipart(row.blobKey, row.uploadId!, sorted);
    } catch (err) {
      // The parts may already have been joined by a call that died before recording it: then the whole file is there.
      if ((await this.blobs.head(row.blobKey))?.sizeBytes === row.sizeBytes) return;
      throw err instanceof BlobInputError ? badInput(err.message, 'parts') : err;
    }
  }

  /**
   * Settles up to `limit` uploads never completed `olderThanSeconds` after they started: aborts
   * their multipart upload, removes any bytes that arrived, and marks them FAILED with what to do.
   * Each is held under its lease while the store works, so a completion arriving meanwhile waits,
   * then finds it settled. Returns how many were taken.
   */
  async sweepAbandoned(olderThanSeconds: number, limit: number): Promise<number> {
    const claims = await this.repo.claimAbandoned(olderThanSeconds, limit, UPLOAD_LEASE_SECONDS);
    for (const claim of claims) {
      try {
        if (claim.uploadId) {
          // An upload the store no longer knows (or cannot abort, like s3rver) leaves nothing to clean.
          await this.blobs.abortMultipart(claim.blobKey, claim.uploadId).catch((err: unknown) => this.logger.warn({ err, datasetVersionId: claim.id }, 'could not abort an abandoned multipart upload'));
        }
        await this.blobs.delete(claim.blobKey);
        await this.repo.finishAbandoned(claim);
      } catch (err) {
        this.logger.warn({ err, datasetVersionId: claim.id }, 'could not clean up an abandoned upload; the next sweep tries again');
        await this.repo.releaseUpload(claim);
      }
    }
    return claims.length;
  }

  /**
   * A new version from bytes the server holds (the demo's seed), through the path of a client's
   * upload but for the presigned URL: the version, the bytes at its key, completeUpload; workers validate it.
   */
  async importFile(projectId: string, datasetId: string, format: DatasetFormat, file: Buffer): Promise<DatasetVersionRow> {
    const version = await this.newVersion(projectId, datasetId, format, file.length, null);
    await this.blobs.put(version.blobKey, file, CONTENT_TYPES[format], file.length);
    return this.completeUpload(projectId, version.id, null);
  }

  /** The project's dataset version; NOT_FOUND otherwise. */
  async version(projectId: string, versionId: string): Promise<DatasetVersionRow> {
    const [row] = await this.repo.versionsByIds(projectId, [versionId]);
    if (!row) throw notFound('DatasetVersion', versionId);
    return row;
  }

  /** Streams the rows of a READY version from the store, up to `limit`. */
  async *rows(row: DatasetVersionRow, limit?: number): AsyncGenerator<DatasetRowValues> {
    yield* readDatasetRows(await this.blobs.read(row.blobKey), row.format, { limit });
  }

  /** The first rows of a READY version, read from the store by streaming; none before it is READY. */
  async preview(row: DatasetVersionRow, limit: number): Promise<DatasetRowValues[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PREVIEW_ROWS) {
      throw badInput(`limit: must be between 1 and ${MAX_PREVIEW_ROWS} (got ${limit}).`, 'limit');
    }
    if (row.status !== 'READY') return [];
    return this.previewReads(async () => {
      const rows: DatasetRowValues[] = [];
      for await (const r of readDatasetRows(await this.blobs.read(row.blobKey), row.format, { limit })) rows.push(r);
      return rows;
    });
  }

  /** A presigned GET for a READY version; null before. */
  async downloadUrl(row: DatasetVersionRow, datasetName: string): Promise<string | null> {
    if (row.status !== 'READY') return null;
    const fileName = `${datasetName.replace(/[^\w.-]+/g, '_')}-v${row.version}.${EXTENSIONS[row.format]}`;
    return (await this.blobs.presignGet({ key: row.blobKey, fileName })).url;
  }
}
