import { notFound } from '../../common/errors.js';
import type { ArtifactRow } from '../../db/schema.js';
import { childrenByParent } from '../common/children-loader.js';
import { rowsById } from '../common/loaders.js';
import type { ArtifactsRepo } from './artifacts.repo.js';

export function createArtifactLoaders(repo: ArtifactsRepo, projectId: string) {
  return {
    artifactById: rowsById(
      (ids) => repo.byIds(projectId, ids),
      (id) => notFound('Artifact', id),
    ),
    artifactsByRun: childrenByParent<null, ArtifactRow>(
      (runIds) => repo.readyByRuns(projectId, runIds),
      (row) => row.runId!,
    ),
  };
}
