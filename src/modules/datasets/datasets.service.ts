import pLimit from 'p-limit';
import { badInput, conflict, notFound } from '../../common/errors.js';
import { fromGlobalId, NodeType, toGlobalId } from '../../common/global-id.js';
import type { DatasetVersionRow } from '../../db/schema.js';
import { BlobInputError, type BlobStore, type MultipartUpload } from '../../storage/blobs/index.js';
import { isUniqueViolation } from '../../storage/postgres.js';
import type { LabPubSub } from '../../storage/pubsub.js';
import { createdAtKeyset, createdAtSortKey, parsePageArgs, toPage, type Page } from '../common/connection.js';
import { readDatasetRows } from './dataset-rows.js';
import type { CompletedPartInput, CreateDatasetInput, CreateDatasetUploadInput } from './datasets.inputs.js';
import type { DatasetsRepo } from './datasets.repo.js';
import { Dataset, DatasetFormat, DatasetRow, DatasetUpload, DatasetVersion, UploadPart } from './datasets.types.js';

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

export class DatasetsService {
  private readonly previewReads = pLimit(CONCURRENT_PREVIEW_READS);

  constructor(
    private readonly repo: DatasetsRepo,
    private readonly blobs: BlobStore,
    private readonly limits: UploadLimits,
    private readonly pubsub: LabPubSub,
  ) {}

  async list(projectId: string, first?: number | null, after?: string | null): Promise<Page<Dataset>> {
    const page = parsePageArgs(first, after);
    const rows = await this.repo.page(projectId, createdAtKeyset(page.after), page.first + 1);
    return toPage(rows, page, createdAtSortKey, Dataset.fromRow, () => this.repo.count(projectId));
  }

  async create(projectId: string, input: CreateDatasetInput): Promise<Dataset> {
    try {
      return Dataset.fromRow(await this.repo.insert(projectId, input.name.trim(), input.description?.trim() || null));
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw conflict(`name: a dataset named "${input.name.trim()}" already exists in this project; upload a new version of it with createDatasetUpload, or choose another name.`);
      }
      throw err;
    }
  }

  /** A new AWAITING_UPLOAD version and the presigned URL(s) to upload its file to. */
  async createUpload(projectId: string, input: CreateDatasetUploadInput): Promise<DatasetUpload> {
    const datasetId = fromGlobalId(NodeType.Dataset, input.datasetId, 'input.datasetId');
    const { maxUploadBytes, multipartThresholdBytes, partSizeBytes } = this.limits;
    if (input.sizeBytes > maxUploadBytes) {
      throw badInput(`sizeBytes: ${formatBytes(input.sizeBytes)} is more than the ${formatBytes(maxUploadBytes)} allowed (LAB_MAX_UPLOAD_BYTES); split the dataset.`, 'sizeBytes');
    }
    const contentType = CONTENT_TYPES[input.format];
    const sha256 = input.sha256?.toLowerCase() ?? null;
    const multipart = input.sizeBytes > multipartThresholdBytes;
    const started: { multipart?: MultipartUpload } = {};
    const row = await this.repo.appendVersion(projectId, datasetId, async (version) => {
      const blobKey = `projects/${projectId}/datasets/${datasetId}/v${version}.${EXTENSIONS[input.format]}`;
      if (multipart) {
        started.multipart = await asUserInput(() => this.blobs.createMultipart({ key: blobKey, sizeBytes: input.sizeBytes, contentType, partSizeBytes }));
      }
      return {
        format: input.format,
        blobKey,
        uploadId: started.multipart?.uploadId ?? null,
        partSizeBytes: started.multipart?.partSizeBytes ?? null,
        sizeBytes: input.sizeBytes,
        declaredSha256: sha256,
      };
    });
    if (!row) throw notFound('Dataset', toGlobalId(NodeType.Dataset, datasetId));
    const datasetVersion = DatasetVersion.fromRow(row);
    if (started.multipart) {
      const { parts, expiresAt } = started.multipart;
      return Object.assign(new DatasetUpload(), {
        datasetVersion,
        url: null,
        headers: {},
        parts: parts.map((p) => Object.assign(new UploadPart(), p)),
        partSizeBytes: row.partSizeBytes,
        expiresAt,
      });
    }
    const put = await asUserInput(() =>
      this.blobs.presignPut({ key: row.blobKey, sizeBytes: input.sizeBytes, contentType, ...(sha256 ? { sha256 } : {}) }),
    );
    return Object.assign(new DatasetUpload(), { datasetVersion, url: put.url, headers: put.headers, parts: null, partSizeBytes: null, expiresAt: put.expiresAt });
  }

  /**
   * Checks the uploaded object (multipart parts joined first) has the declared size, then hands the
   * version to the validation workers. A version past AWAITING_UPLOAD is returned as it is.
   */
  async completeUpload(projectId: string, versionId: string, parts: CompletedPartInput[] | null | undefined): Promise<DatasetVersion> {
    const result = await this.repo.completeUpload(projectId, versionId, async (row) => {
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
    });
    if (!result) throw notFound('DatasetVersion', toGlobalId(NodeType.DatasetVersion, versionId));
    if (result.completed) this.pubsub.publish('jobs:dataset-validation', { datasetVersionId: result.row.id });
    return DatasetVersion.fromRow(result.row);
  }

  /** Completes the multipart upload from every part's ETag; a retry after a join that was not recorded goes on to the size check. */
  private async joinParts(row: DatasetVersionRow, parts: CompletedPartInput[] | null | undefined): Promise<void> {
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

  /** The first rows of a READY version, read from the store by streaming; none before it is READY. */
  async preview(row: DatasetVersionRow, limit: number): Promise<DatasetRow[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PREVIEW_ROWS) {
      throw badInput(`limit: must be between 1 and ${MAX_PREVIEW_ROWS} (got ${limit}).`, 'limit');
    }
    if (row.status !== 'READY') return [];
    return this.previewReads(async () => {
      const rows: DatasetRow[] = [];
      for await (const r of readDatasetRows(await this.blobs.read(row.blobKey), row.format, { limit })) {
        rows.push(Object.assign(new DatasetRow(), r));
      }
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
