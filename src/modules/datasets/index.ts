import { defineModule } from '../../app/module.js';
import { abandonedDatasetUploadsJob } from './abandoned-uploads.job.js';
import { DatasetValidationJob } from './dataset-validation.job.js';
import { createDatasetLoaders } from './datasets.loaders.js';
import { DatasetsRepo } from './datasets.repo.js';
import { DatasetResolver, DatasetVersionResolver } from './datasets.resolver.js';
import { DatasetsService } from './datasets.service.js';
import { Dataset, DatasetVersion } from './datasets.types.js';

export const datasetsModule = defineModule({
  name: 'datasets',
  resolvers: [DatasetResolver, DatasetVersionResolver],
  nodes: {
    Dataset: { loader: 'datasetById', fromRow: Dataset.fromRow },
    DatasetVersion: { loader: 'datasetVersionById', fromRow: DatasetVersion.fromRow },
  },
  build: ({ db, blobs, uploads, pubsub, logger }) => {
    const repo = new DatasetsRepo(db);
    const service = new DatasetsService(db, repo, blobs, uploads, pubsub, logger);
    return {
      service,
      loaders: (projectId: string) => createDatasetLoaders(repo, projectId),
      jobs: [new DatasetValidationJob(repo, blobs, uploads.maxRowBytes, logger), abandonedDatasetUploadsJob(service, logger)],
    };
  },
});
