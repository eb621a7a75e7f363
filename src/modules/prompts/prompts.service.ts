import { badInput, conflict, notFound } from '../../common/errors.js';
import { fromGlobalId, NodeType, toGlobalId } from '../../common/global-id.js';
import { isUniqueViolation } from '../../storage/postgres.js';
import { createdAtKeyset, createdAtSortKey, parsePageArgs, toPage, type Page } from '../common/connection.js';
import type { CreatePromptInput, CreatePromptVersionInput } from './prompts.inputs.js';
import type { PromptsRepo } from './prompts.repo.js';
import { Prompt, PromptVersion } from './prompts.types.js';
import { templateVariables } from './template-variables.js';

export class PromptsService {
  constructor(private readonly repo: PromptsRepo) {}

  async list(projectId: string, first?: number | null, after?: string | null): Promise<Page<Prompt>> {
    const page = parsePageArgs(first, after);
    const rows = await this.repo.page(projectId, createdAtKeyset(page.after), page.first + 1);
    return toPage(rows, page, createdAtSortKey, Prompt.fromRow, () => this.repo.count(projectId));
  }

  async create(projectId: string, input: CreatePromptInput): Promise<Prompt> {
    const version = this.parseVersion(input.system, input.template);
    try {
      return Prompt.fromRow(await this.repo.insertPrompt(projectId, input.name.trim(), input.description?.trim() || null, version));
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw conflict(`name: a prompt named "${input.name.trim()}" already exists in this project; add a version to it with createPromptVersion, or choose another name.`);
      }
      throw err;
    }
  }

  async createVersion(projectId: string, input: CreatePromptVersionInput): Promise<PromptVersion> {
    const promptId = fromGlobalId(NodeType.Prompt, input.promptId, 'input.promptId');
    const row = await this.repo.appendVersion(projectId, promptId, this.parseVersion(input.system, input.template));
    if (!row) throw notFound('Prompt', toGlobalId(NodeType.Prompt, promptId));
    return PromptVersion.fromRow(row);
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
