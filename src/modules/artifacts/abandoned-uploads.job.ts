import type { Logger } from 'pino';
import { ABANDONED_UPLOAD_AFTER_SECONDS, type BlobStore } from '../../storage/blobs/index.js';
import type { Job } from '../../workflow/worker.js';
import type { ArtifactsRepo } from './artifacts.repo.js';

const BATCH = 50;

/** Removes artifacts whose upload was never completed, with any bytes that arrived: they were never listed on their run. */
export class AbandonedArtifactUploadsJob implements Job {
  readonly name = 'abandoned-artifact-uploads';
  readonly idlePollMs = 60_000;

  constructor(
    private readonly repo: ArtifactsRepo,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
    private readonly olderThanSeconds = ABANDONED_UPLOAD_AFTER_SECONDS,
  ) {}

  async runOnce(): Promise<boolean> {
    const swept = await this.repo.sweepAbandoned(this.olderThanSeconds, BATCH, (row) => this.blobs.delete(row.blobKey));
    if (swept > 0) this.logger.info({ swept }, 'abandoned artifact uploads removed');
    return swept === BATCH;
  }
}
