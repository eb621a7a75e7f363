import type { Logger } from 'pino';
import { ABANDONED_UPLOAD_AFTER_SECONDS, type BlobStore } from '../../storage/blobs/index.js';
import { SweepJob } from '../../workflow/sweep-job.js';
import type { DatasetsRepo } from './datasets.repo.js';

/**
 * Settles dataset versions whose upload was never completed: aborts their multipart upload and
 * removes any bytes that arrived, so storage holds no orphans, and marks them FAILED with what to do.
 */
export function abandonedDatasetUploadsJob(repo: DatasetsRepo, blobs: BlobStore, logger: Logger, olderThanSeconds = ABANDONED_UPLOAD_AFTER_SECONDS): SweepJob {
  return new SweepJob(
    'abandoned-dataset-uploads',
    20,
    (batch) =>
      repo.sweepAbandoned(olderThanSeconds, batch, async (row) => {
        if (row.uploadId) {
          // An upload the store no longer knows (or cannot abort, like s3rver) leaves nothing to clean.
          await blobs.abortMultipart(row.blobKey, row.uploadId).catch((err: unknown) => logger.warn({ err, datasetVersionId: row.id }, 'could not abort an abandoned multipart upload'));
        }
        await blobs.delete(row.blobKey);
      }),
    logger,
  );
}
