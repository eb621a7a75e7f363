import type { Logger } from 'pino';
import type { Viewer } from '../modules/auth/viewer.js';
import { createArtifactLoaders } from '../modules/artifacts/artifacts.loaders.js';
import { createAuthLoaders } from '../modules/auth/auth.loaders.js';
import { createDatasetLoaders } from '../modules/datasets/datasets.loaders.js';
import { createExperimentLoaders } from '../modules/experiments/experiments.loaders.js';
import { createModelLoaders } from '../modules/models/models.loaders.js';
import { createProjectLoaders } from '../modules/projects/projects.loaders.js';
import { createPromptLoaders } from '../modules/prompts/prompts.loaders.js';
import { createRunLoaders } from '../modules/runs/runs.loaders.js';
import type { LabPubSub } from '../storage/pubsub.js';
import type { Repos, Services } from './services.js';

export type Loaders = ReturnType<typeof createLoaders>;

/** A fresh set per request (and per subscription operation), scoped to the caller's project. */
export function createLoaders(repos: Repos, projectId: string) {
  return {
    ...createProjectLoaders(repos.projects, projectId),
    ...createAuthLoaders(repos.auth, projectId),
    ...createExperimentLoaders(repos.experiments, projectId),
    ...createModelLoaders(repos.models, projectId),
    ...createPromptLoaders(repos.prompts, projectId),
    ...createRunLoaders(repos.runs, projectId),
    ...createDatasetLoaders(repos.datasets, projectId),
    ...createArtifactLoaders(repos.artifacts, projectId),
  };
}

export interface Context {
  requestId: string;
  viewer: Viewer;
  logger: Logger;
  loaders: Loaders;
  /** New, empty loaders: each event of a long-lived subscription reads fresh data. */
  resetLoaders(): void;
  services: Services;
  pubsub: LabPubSub;
}
