import { badInput, conflict, notFound } from '../../common/errors.js';
import type { PromptRow, PromptVersionRow } from '../../db/schema.js';
import { isUniqueViolation, type Db } from '../../storage/postgres.js';
import type { PromptsRepo } from './prompts.repo.js';
import { templateVariables } from './template-variables.js';

export interface NewPrompt {
  name: string;
  description?: string | null;
  system?: string | null;
  template: string;
}

export interface NewPromptVersion {
  system?: string | null;
  template: string;
}

export class PromptsService {
  constructor(
    private readonly db: Db,
    private readonly repo: PromptsRepo,
  ) {}

  /** Newest first: up to `limit` prompts after the (createdAt, id) keyset. */
  list(projectId: string, after: { createdAt: Date; id: string } | null, limit: number): Promise<PromptRow[]> {
    return this.repo.page(projectId, after, limit);
  }

  count(projectId: string): Promise<number> {
    return this.repo.count(projectId);
  }

  /** The project's prompt versions of `ids`; ids not found are missing from the result. */
  versions(projectId: string, ids: readonly string[]): Promise<PromptVersionRow[]> {
    return this.repo.versionsByIds(projectId, ids);
  }

  async create(projectId: string, input: NewPrompt): Promise<PromptRow> {
    const version = this.parseVersion(input.system, input.template);
    try {
      // The prompt and its version 1, together or not at all.
      return await this.db.transaction(async (tx) => {
        const repo = this.repo.in(tx);
        const prompt = await repo.insertPrompt(projectId, input.name.trim(), input.description?.trim() || null);
        await repo.insertVersion(projectId, prompt.id, 1, version);
        return prompt;
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw conflict(`name: a prompt named "${input.name.trim()}" already exists in this project; add a version to it with createPromptVersion, or choose another name.`);
      }
      throw err;
    }
  }

  async createVersion(projectId: string, promptId: string, input: NewPromptVersion): Promise<PromptVersionRow> {
    const values = this.parseVersion(input.system, input.template);
    // Numbered under a lock on the prompt, so concurrent creates never collide.
    const row = await this.db.transaction(async (tx) => {
      const repo = this.repo.in(tx);
      if (!(await repo.lock(projectId, promptId))) return undefined;
      return repo.insertVersion(projectId, promptId, (await repo.latestVersionNumber(promptId)) + 1, values);
    });
    if (!row) throw notFound('Prompt', promptId);
    return row;
  }

  private parseVersion(system: string | null | undefined, template: string) {
    const variables = new Set<string>();
    for (const [field, text] of [['system', system], ['template', template]] as const) {
      if (!text) continue;
      try {
        for (const name of templateVariables(text)) variables.add(name);
      } catch (err) {
        throw badInput(`${field}: not a valid mustache template: ${(err as Error).message}`, field);
      }
    }
    return { system: system ?? null, template, variables: [...variables] };
  }
}
