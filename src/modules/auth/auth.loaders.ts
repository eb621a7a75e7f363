import { notFound } from '../../common/errors.js';
import { rowsById } from '../common/loaders.js';
import type { AuthRepo } from './auth.repo.js';

export function createAuthLoaders(repo: AuthRepo, projectId: string) {
  return {
    apiKeyById: rowsById(
      (ids) => repo.byIds(projectId, ids),
      (id) => notFound('ApiKey', id),
    ),
  };
}
