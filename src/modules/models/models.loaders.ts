import { notFound } from '../../common/errors.js';
import { rowsById } from '../common/loaders.js';
import type { ModelsRepo } from './models.repo.js';

export function createModelLoaders(repo: ModelsRepo, projectId: string) {
  return {
    modelById: rowsById(
      (ids) => repo.byIds(projectId, ids),
      (id) => notFound('Model', id),
    ),
  };
}
