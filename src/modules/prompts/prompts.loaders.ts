import { notFound } from '../../common/errors.js';
import type { PromptVersionRow } from '../../db/schema.js';
import { childrenByParent } from '../common/children-loader.js';
import { batchLoader, rowsById } from '../common/loaders.js';
import type { PromptsRepo, VersionsPageArgs } from './prompts.repo.js';

export function createPromptLoaders(repo: PromptsRepo, projectId: string) {
  return {
    promptById: rowsById(
      (ids) => repo.byIds(projectId, ids),
      (id) => notFound('Prompt', id),
    ),
    promptVersionById: rowsById(
      (ids) => repo.versionsByIds(projectId, ids),
      (id) => notFound('PromptVersion', id),
    ),
    latestVersionByPrompt: batchLoader<string, PromptVersionRow, PromptVersionRow>(
      (promptIds) => repo.latestVersions(projectId, promptIds),
      (row) => row.promptId,
      (row) => row,
      (id) => notFound('Prompt', id),
    ),
    versionsByPrompt: childrenByParent<VersionsPageArgs, PromptVersionRow>(
      (promptIds, args) => repo.versionPages(projectId, promptIds, args),
      (row) => row.promptId,
    ),
    versionCountByPrompt: batchLoader<string, number, { promptId: string; count: number }>(
      (promptIds) => repo.versionCounts(projectId, promptIds),
      (row) => row.promptId,
      (row) => row.count,
      () => 0,
    ),
  };
}
