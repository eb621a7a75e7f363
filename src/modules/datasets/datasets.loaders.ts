import { notFound } from '../../common/errors.js';
import type { DatasetVersionRow } from '../../db/schema.js';
import { childrenByParent, countByParent } from '../common/children-loader.js';
import { rowsById } from '../common/loaders.js';
import type { DatasetsRepo, VersionPageArgs } from './datasets.repo.js';

export function createDatasetLoaders(repo: DatasetsRepo, projectId: string) {
  const datasetVersionById = rowsById(
    (ids) => repo.versionsByIds(projectId, ids),
    (id) => notFound('DatasetVersion', id),
  );
  return {
    datasetById: rowsById(
      (ids) => repo.byIds(projectId, ids),
      (id) => notFound('Dataset', id),
    ),
    datasetVersionById,
    /** A page of each dataset's versions (READY ones only for `latestVersion`, the first of them). */
    versionsByDataset: childrenByParent<VersionPageArgs, DatasetVersionRow>(
      (datasetIds, args, limit) => repo.versionPages(projectId, datasetIds, args, limit ?? Number.MAX_SAFE_INTEGER),
      (row) => row.datasetId,
      datasetVersionById,
    ),
    versionCountByDataset: countByParent<null>((datasetIds) => repo.versionCounts(projectId, datasetIds)),
  };
}
