import type { Logger } from 'pino';
import { ABANDONED_UPLOAD_AFTER_SECONDS } from '../../storage/blobs/index.js';
import { SweepJob } from '../../workflow/sweep-job.js';
import type { DatasetsService } from './datasets.service.js';

/**
 * Settles dataset versions whose upload was never completed: aborts their multipart upload and
 * removes any bytes that arrived, so storage holds no orphans, and marks them FAILED with what to do.
 */
export function abandonedDatasetUploadsJob(datasets: DatasetsService, logger: Logger, olderThanSeconds = ABANDONED_UPLOAD_AFTER_SECONDS): SweepJob {
  return new SweepJob('abandoned-dataset-uploads', 20, (batch) => datasets.sweepAbandoned(olderThanSeconds, batch), logger);
}
