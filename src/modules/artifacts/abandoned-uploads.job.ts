import type { Logger } from 'pino';
import { ABANDONED_UPLOAD_AFTER_SECONDS } from '../../storage/blobs/index.js';
import { SweepJob } from '../../workflow/sweep-job.js';
import type { ArtifactsService } from './artifacts.service.js';

/** Removes artifacts whose upload was never completed, with any bytes that arrived: they were never listed on their run. */
export function abandonedArtifactUploadsJob(artifacts: ArtifactsService, logger: Logger, olderThanSeconds = ABANDONED_UPLOAD_AFTER_SECONDS): SweepJob {
  return new SweepJob('abandoned-artifact-uploads', 50, (batch) => artifacts.sweepAbandoned(olderThanSeconds, batch), logger);
}
