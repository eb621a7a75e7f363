import { notFound } from '../../common/errors.js';
import type { RunRow } from '../../db/schema.js';
import { childrenByParent, countByParent } from '../common/children-loader.js';
import { rowsById } from '../common/loaders.js';
import type { RunsPageArgs, RunsRepo } from './runs.repo.js';
import type { RunStatus } from './runs.types.js';

export function createRunLoaders(repo: RunsRepo, projectId: string) {
  const runById = rowsById(
    (ids) => repo.byIds(projectId, ids),
    (id) => notFound('Run', id),
  );
  return {
    runById,
    /** A page of each experiment's runs; `latestRun` is its first run with no filter, so it shares the query of `runs(first: n)`. */
    runsByExperiment: childrenByParent<RunsPageArgs, RunRow>(
      (experimentIds, args, limit) => repo.pagesByExperiment(projectId, experimentIds, args, limit ?? Number.MAX_SAFE_INTEGER),
      (row) => row.experimentId,
      runById,
    ),
    runCountByExperiment: countByParent<RunStatus[] | null>((experimentIds, status) => repo.countsByExperiment(projectId, experimentIds, status)),
  };
}
