import type { SecretBox } from '../common/secret-box.js';
import { ArtifactsRepo } from '../modules/artifacts/artifacts.repo.js';
import { ArtifactsService } from '../modules/artifacts/artifacts.service.js';
import { DatasetsRepo } from '../modules/datasets/datasets.repo.js';
import { DatasetsService, type UploadLimits } from '../modules/datasets/datasets.service.js';
import { AuthRepo } from '../modules/auth/auth.repo.js';
import { AuthService } from '../modules/auth/auth.service.js';
import { ExperimentsRepo } from '../modules/experiments/experiments.repo.js';
import { ExperimentsService } from '../modules/experiments/experiments.service.js';
import { ModelsRepo } from '../modules/models/models.repo.js';
import { ModelsService } from '../modules/models/models.service.js';
import { ProjectsRepo } from '../modules/projects/projects.repo.js';
import { ProjectsService } from '../modules/projects/projects.service.js';
import { PromptsRepo } from '../modules/prompts/prompts.repo.js';
import { PromptsService } from '../modules/prompts/prompts.service.js';
import { RunsRepo } from '../modules/runs/runs.repo.js';
import { RunsService } from '../modules/runs/runs.service.js';
import type { BlobStore } from '../storage/blobs/index.js';
import type { Db } from '../storage/postgres.js';
import type { LabPubSub } from '../storage/pubsub.js';

export type Repos = ReturnType<typeof createRepos>;
export type Services = ReturnType<typeof createServices>;

export function createRepos(db: Db) {
  return {
    projects: new ProjectsRepo(db),
    auth: new AuthRepo(db),
    experiments: new ExperimentsRepo(db),
    models: new ModelsRepo(db),
    prompts: new PromptsRepo(db),
    runs: new RunsRepo(db),
    datasets: new DatasetsRepo(db),
    artifacts: new ArtifactsRepo(db),
  };
}

export interface ServiceDeps {
  pubsub: LabPubSub;
  secrets: SecretBox;
  blobs: BlobStore;
  uploads: UploadLimits;
}

export function createServices(repos: Repos, deps: ServiceDeps) {
  const runs = new RunsService(repos.runs);
  return {
    projects: new ProjectsService(repos.projects),
    auth: new AuthService(repos.auth, deps.pubsub),
    experiments: new ExperimentsService(repos.experiments, deps.pubsub),
    models: new ModelsService(repos.models, deps.secrets),
    prompts: new PromptsService(repos.prompts),
    runs,
    datasets: new DatasetsService(repos.datasets, deps.blobs, deps.uploads, deps.pubsub),
    artifacts: new ArtifactsService(repos.artifacts, runs, deps.blobs, deps.uploads.maxUploadBytes),
  };
}
