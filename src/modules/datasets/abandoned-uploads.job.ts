import type { Logger } from 'pino';
import { ABANDONED_UPLOAD_AFTER_SECONDS, type BlobStore } from '../../storage/blobs/index.js';
import type { Job } from '../../workflow/worker.js';
import type { DatasetsRepo } from './datasets.repo.js';

const BATCH = 20;

/**
 * Settles dataset versions whose upload was never completed: aborts their multipart upload and
 * removes any bytes that arrived, so storage holds no orphans, and marks them FAILED with what to do.
 */
export class AbandonedDatasetUploadsJob implements Job {
  readonly name = 'abandoned-dataset-uploads';
  readonly idlePollMs = 60_000;

  constructor(
    private readonly repo: DatasetsRepo,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
    private readonly olderThanSeconds = ABANDONED_UPLOAD_AFTER_SECONDS,
  ) {}

  async runOnce(): Promise<boolean> {
    const swept = await this.repo.sweepAbandoned(this.olderThanSeconds, BATCH, async (row) => {
      if (row.uploadId) {
        // An upload the store no longer knows (or cannot abort, like s3rver) leaves nothing to clean.
        await this.blobs.abortMultipart(row.blobKey, row.uploadId).catch((err: unknown) => this.logger.warn({ err, datasetVersionId: row.id }, 'could not abort an abandoned multipart upload'));
      }
      await this.blobs.delete(row.blobKey);
    });
    if (swept > 0) this.logger.info({ swept }, 'abandoned dataset uploads marked FAILED');
    return swept === BATCH;
  }
}
