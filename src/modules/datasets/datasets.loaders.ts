import { notFound } from '../../common/errors.js';
import type { DatasetVersionRow } from '../../db/schema.js';
import { childrenByParent } from '../common/children-loader.js';
import { batchLoader, rowsById } from '../common/loaders.js';
import type { DatasetsRepo, VersionPageArgs } from './datasets.repo.js';

export function createDatasetLoaders(repo: DatasetsRepo, projectId: string) {
  return {
    datasetById: rowsById(
      (ids) => repo.byIds(projectId, ids),
      (id) => notFound('Dataset', id),
    ),
    datasetVersionById: rowsById(
      (ids) => repo.versionsByIds(projectId, ids),
      (id) => notFound('DatasetVersion', id),
    ),
    latestReadyVersionByDataset: batchLoader<string, DatasetVersionRow | null, DatasetVersionRow>(
      (datasetIds) => repo.latestReadyVersions(projectId, datasetIds),
      (row) => row.datasetId,
      (row) => row,
      () => null,
    ),
    versionsByDataset: childrenByParent<VersionPageArgs, DatasetVersionRow>(
      (datasetIds, args) => repo.versionPages(projectId, datasetIds, args),
      (row) => row.datasetId,
    ),
    versionCountByDataset: batchLoader<string, number, { datasetId: string; count: number }>(
      (datasetIds) => repo.versionCounts(projectId, datasetIds),
      (row) => row.datasetId,
      (row) => row.count,
      () => 0,
    ),
  };
}
