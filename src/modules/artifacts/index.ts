import { defineModule } from '../../app/module.js';
import { runsModule } from '../runs/index.js';
import { abandonedArtifactUploadsJob } from './abandoned-uploads.job.js';
import { createArtifactLoaders } from './artifacts.loaders.js';
import { ArtifactsRepo } from './artifacts.repo.js';
import { ArtifactResolver, RunArtifactsResolver } from './artifacts.resolver.js';
import { ArtifactsService } from './artifacts.service.js';
import { Artifact } from './artifacts.types.js';

export const artifactsModule = defineModule({
  name: 'artifacts',
  resolvers: [ArtifactResolver, RunArtifactsResolver],
  nodes: { Artifact: { loader: 'artifactById', fromRow: Artifact.fromRow } },
  build: ({ db, blobs, uploads, logger, service }) => {
    const repo = new ArtifactsRepo(db);
    const artifacts = new ArtifactsService(repo, service(runsModule), blobs, uploads.maxUploadBytes, logger);
    return {
      service: artifacts,
      loaders: (projectId: string) => createArtifactLoaders(repo, projectId),
      jobs: [abandonedArtifactUploadsJob(artifacts, logger)],
    };
  },
});
