import { notFound } from '../../common/errors.js';
import { rowsById } from '../common/loaders.js';
import type { ExperimentsRepo } from './experiments.repo.js';

export function createExperimentLoaders(repo: ExperimentsRepo, projectId: string) {
  return {
    experimentById: rowsById(
      (ids) => repo.byIds(projectId, ids),
      (id) => notFound('Experiment', id),
    ),
  };
}
