import { notFound } from '../../common/errors.js';
import type { RunRow } from '../../db/schema.js';
import { batchLoader, rowsById } from '../common/loaders.js';
import { childrenByParent } from '../common/children-loader.js';
import type { RunsPageArgs, RunsRepo } from './runs.repo.js';
import type { RunStatus } from './runs.types.js';

export function createRunLoaders(repo: RunsRepo, projectId: string) {
  return {
    runById: rowsById(
      (ids) => repo.byIds(projectId, ids),
      (id) => notFound('Run', id),
    ),
    runsByExperiment: childrenByParent<RunsPageArgs, RunRow>(
      (experimentIds, args) => repo.pagesByExperiment(projectId, experimentIds, args),
      (row) => row.experimentId,
    ),
    /** One row { experimentId, count } per experiment that has runs; none for an experiment without. */
    runCountByExperiment: childrenByParent<RunStatus[] | null, { experimentId: string; count: number }>(
      (experimentIds, status) => repo.countsByExperiment(projectId, experimentIds, status),
      (row) => row.experimentId,
    ),
    latestRunByExperiment: batchLoader<string, RunRow | null, RunRow>(
      (experimentIds) => repo.latestByExperiment(projectId, experimentIds),
      (row) => row.experimentId,
      (row) => row,
      () => null,
    ),
  };
}
