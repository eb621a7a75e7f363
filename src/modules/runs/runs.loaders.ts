import { notFound } from '../../common/errors.js';
import type { TaskRow } from '../../db/schema.js';
import { childrenByParent, countByParent } from '../common/children-loader.js';
import { batchLoader, rowsById, type Loader } from '../common/loaders.js';
import type { RunsPageArgs, RunsRepo } from './runs.repo.js';
import type { RunListRow, RunStatus } from './runs.types.js';
import type { TaskPageArgs, TasksRepo } from './tasks.repo.js';

export function createRunLoaders(repo: RunsRepo, tasks: TasksRepo, projectId: string) {
  const runById = rowsById(
    (ids) => repo.byIds(projectId, ids),
    (id) => notFound('Run', id),
  );
  const taskById = rowsById(
    (ids) => tasks.byIds(projectId, ids),
    (id) => notFound('Task', id),
  );
  return {
    runById,
    taskById,
    /**
     * A page of each experiment's runs; `latestRun` is its first run with no filter, so it shares the query of `runs(first: n)`.
     * Rows of `columns: 'all'` prime runById; rows of `list` hold only RUN_LIST_COLUMNS and do not.
     */
    runsByExperiment: childrenByParent<RunsPageArgs, RunListRow>(
      (experimentIds, args, limit) => repo.pagesByExperiment(projectId, experimentIds, args, limit ?? Number.MAX_SAFE_INTEGER),
      (row) => row.experimentId,
      // Whole rows only reach it (the predicate below): a RunRow is a RunListRow with more columns.
      runById as unknown as Loader<string, RunListRow, unknown>,
      (args) => args.columns === 'all',
    ),
    runCountByExperiment: countByParent<RunStatus[] | null>((experimentIds, status) => repo.countsByExperiment(projectId, experimentIds, status)),
    /** A page of each run's tasks, in task order. */
    tasksByRun: childrenByParent<TaskPageArgs, TaskRow>(
      (runIds, args, limit) => tasks.pagesByRun(projectId, runIds, args, limit ?? Number.MAX_SAFE_INTEGER),
      (row) => row.runId,
      taskById,
    ),
    /** The dataset row a task runs on, keyed `runId:rowIndex`. */
    runRow: batchLoader<string, { input: unknown; expected: unknown }, { runId: string; rowIndex: number; input: unknown; expected: unknown }>(
      (keys) => {
        const pairs = keys.map((key) => key.split(':') as [string, string]);
        return tasks.rowsOf(
          projectId,
          pairs.map(([runId]) => runId),
          pairs.map(([, index]) => Number(index)),
        );
      },
      (row) => `${row.runId}:${row.rowIndex}`,
      (row) => ({ input: row.input, expected: row.expected }),
      (key) => notFound('Task', key),
    ),
  };
}
