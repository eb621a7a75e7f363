import type { Logger } from 'pino';
import { ABANDONED_UPLOAD_AFTER_SECONDS, type BlobStore } from '../../storage/blobs/index.js';
import { SweepJob } from '../../workflow/sweep-job.js';
import type { ArtifactsRepo } from './artifacts.repo.js';

/** Removes artifacts whose upload was never completed, with any bytes that arrived: they were never listed on their run. */
export function abandonedArtifactUploadsJob(repo: ArtifactsRepo, blobs: BlobStore, logger: Logger, olderThanSeconds = ABANDONED_UPLOAD_AFTER_SECONDS): SweepJob {
  return new SweepJob('abandoned-artifact-uploads', 50, (batch) => repo.sweepAbandoned(olderThanSeconds, batch, (row) => blobs.delete(row.blobKey)), logger);
}
