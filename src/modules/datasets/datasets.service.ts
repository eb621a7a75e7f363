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
    const [row] = await this.repo.versionsByIds(projectId, [versionId]);
    if (!row) throw notFound('DatasetVersion', toGlobalId(NodeType.DatasetVersion, versionId));
    if (row.status !== 'AWAITING_UPLOAD') return DatasetVersion.fromRow(row);
    if (row.uploadId) {
      if (!parts?.length) {
        throw badInput('parts: this is a multipart upload; pass every part\'s partNumber with the ETag its PUT answered.', 'parts');
      }
      const uploadId = row.uploadId;
      await asUserInput(() => this.blobs.completeMultipart(row.blobKey, uploadId, parts));
    } else if (parts?.length) {
      throw badInput('parts: this upload is a single PUT; call completeDatasetUpload without parts.', 'parts');
    }
    const head = await this.blobs.head(row.blobKey);
    if (!head) {
      throw badInput(`No file has been uploaded for version ${row.version} yet: PUT it to the URL from createDatasetUpload, then call completeDatasetUpload again.`);
    }
    if (head.sizeBytes !== row.sizeBytes) {
      throw badInput(
        `The uploaded file has ${formatBytes(head.sizeBytes)}, but ${formatBytes(row.sizeBytes)} were declared; upload the whole file again (a new createDatasetUpload if the URL expired).`,
      );
    }
    const uploaded = await this.repo.markUploaded(projectId, row.id);
    this.pubsub.publish('jobs:dataset-validation', { datasetVersionId: row.id });
    return DatasetVersion.fromRow(uploaded!);
  }

  /** The first rows of a READY version, read from the store by streaming; none before it is READY. */
  async preview(row: DatasetVersionRow, limit: number): Promise<DatasetRow[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PREVIEW_ROWS) {
      throw badInput(`limit: must be between 1 and ${MAX_PREVIEW_ROWS} (got ${limit}).`, 'limit');
    }
    if (row.status !== 'READY') return [];
    const rows: DatasetRow[] = [];
    for await (const r of readDatasetRows(await this.blobs.read(row.blobKey), row.format, { limit })) {
      rows.push(Object.assign(new DatasetRow(), r));
    }
    return rows;
  }

  /** A presigned GET for a READY version; null before. */
  async downloadUrl(row: DatasetVersionRow, datasetName: string): Promise<string | null> {
    if (row.status !== 'READY') return null;
    const fileName = `${datasetName.replace(/[^\w.-]+/g, '_')}-v${row.version}.${EXTENSIONS[row.format]}`;
    return (await this.blobs.presignGet({ key: row.blobKey, fileName })).url;
  }
}
