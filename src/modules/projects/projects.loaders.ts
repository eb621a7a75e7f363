import { notFound } from '../../common/errors.js';
import { rowsById } from '../common/loaders.js';
import type { ProjectsRepo } from './projects.repo.js';

/** Only the caller's own project is visible. */
export function createProjectLoaders(repo: ProjectsRepo, projectId: string) {
  return {
    projectById: rowsById(
      (ids) => repo.byIds(ids.filter((id) => id === projectId)),
      (id) => notFound('Project', id),
    ),
  };
}
