import type { Logger } from 'pino';
import { abandonedArtifactUploadsJob } from '../modules/artifacts/abandoned-uploads.job.js';
import { ArtifactsRepo } from '../modules/artifacts/artifacts.repo.js';
import { abandonedDatasetUploadsJob } from '../modules/datasets/abandoned-uploads.job.js';
import { DatasetValidationJob } from '../modules/datasets/dataset-validation.job.js';
import { DatasetsRepo } from '../modules/datasets/datasets.repo.js';
import type { BlobStore } from '../storage/blobs/index.js';
import type { Db } from '../storage/postgres.js';
import type { Job } from './worker.js';

/** Every background job a worker runs (`llm-lab worker`, and `dev` in process). */
export function workerJobs(db: Db, blobs: BlobStore, maxRowBytes: number, logger: Logger): Job[] {
  const datasets = new DatasetsRepo(db);
  return [
    new DatasetValidationJob(datasets, blobs, maxRowBytes, logger),
    abandonedDatasetUploadsJob(datasets, blobs, logger),
    abandonedArtifactUploadsJob(new ArtifactsRepo(db), blobs, logger),
  ];
}
