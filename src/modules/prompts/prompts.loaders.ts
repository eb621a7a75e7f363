import { notFound } from '../../common/errors.js';
import type { PromptVersionRow } from '../../db/schema.js';
import { childrenByParent, countByParent } from '../common/children-loader.js';
import { rowsById } from '../common/loaders.js';
import type { PromptsRepo, VersionsPageArgs } from './prompts.repo.js';

export function createPromptLoaders(repo: PromptsRepo, projectId: string) {
  const promptById = rowsById(
    (ids) => repo.byIds(projectId, ids),
    (id) => notFound('Prompt', id),
  );
  /** Versions read with their prompts, which prime promptById: `promptVersion { prompt { name } }` costs one statement. */
  const promptVersionById = rowsById(
    async (ids) => {
      const rows = await repo.versionsWithPromptsByIds(projectId, ids);
      for (const { prompt } of rows) promptById.prime(prompt.id, prompt);
      return rows.map((row) => row.version);
    },
    (id) => notFound('PromptVersion', id),
  );
  return {
    promptById,
    promptVersionById,
    /** A page of each prompt's versions; `latestVersion` is the first of them, so it shares the query of `versions(first: n)`. */
    versionsByPrompt: childrenByParent<VersionsPageArgs, PromptVersionRow>(
      (promptIds, args, limit) => repo.versionPages(projectId, promptIds, args, limit ?? Number.MAX_SAFE_INTEGER),
      (row) => row.promptId,
      promptVersionById,
    ),
    versionCountByPrompt: countByParent<null>((promptIds) => repo.versionCounts(projectId, promptIds)),
  };
}
