import { z } from 'zod';
import { badInput, conflict } from '../../common/errors.js';
import type { SecretBox } from '../../common/secret-box.js';
import { isUniqueViolation } from '../../storage/postgres.js';
import { createdAtKeyset, createdAtSortKey, parsePageArgs, toPage, type Page } from '../common/connection.js';
import type { CreateModelInput } from './models.inputs.js';
import type { ModelsRepo } from './models.repo.js';
import { Model, ProviderKind } from './models.types.js';

/** Known sampling parameters are type-checked; others pass through to the provider as given. */
const parametersSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().positive().optional(),
    topP: z.number().min(0).max(1).optional(),
    stop: z.array(z.string()).max(16).optional(),
    seed: z.number().int().optional(),
  })
  .passthrough();

const NEEDS_API_KEY = new Set([ProviderKind.OPENAI, ProviderKind.ANTHROPIC]);

export class ModelsService {
  constructor(
    private readonly repo: ModelsRepo,
    private readonly secrets: SecretBox,
  ) {}

  async list(projectId: string, first?: number | null, after?: string | null): Promise<Page<Model>> {
    const page = parsePageArgs(first, after);
    const rows = await this.repo.page(projectId, createdAtKeyset(page.after), page.first + 1);
    return toPage(rows, page, createdAtSortKey, Model.fromRow, () => this.repo.count(projectId));
  }

  async create(projectId: string, input: CreateModelInput): Promise<Model> {
    if (input.provider === ProviderKind.OPENAI_COMPATIBLE && !input.baseUrl) {
      throw badInput('baseUrl: required for OPENAI_COMPATIBLE models, e.g. http://localhost:8000/v1 for vLLM.', 'baseUrl');
    }
    if (NEEDS_API_KEY.has(input.provider) && !input.apiKey?.trim()) {
      throw badInput(`apiKey: required for ${input.provider} models; it is stored encrypted and never returned.`, 'apiKey');
    }
    const parameters = parametersSchema.safeParse(input.parameters ?? {});
    if (!parameters.success) {
      const issue = parameters.error.issues[0]!;
      const where = issue.path.length ? `parameters.${issue.path.join('.')}` : 'parameters';
      throw badInput(`${where}: ${issue.path.length ? issue.message : 'must be a JSON object'}`, 'parameters');
    }
    try {
      const row = await this.repo.insert({
        projectId,
        name: input.name.trim(),
        provider: input.provider,
        modelName: input.modelName.trim(),
        baseUrl: input.baseUrl ?? null,
        apiKeyCiphertext: input.apiKey?.trim() ? this.secrets.seal(input.apiKey.trim()) : null,
        parameters: parameters.data,
        inputCostPerMTok: input.inputCostPerMTok ?? null,
        outputCostPerMTok: input.outputCostPerMTok ?? null,
        maxConcurrency: input.maxConcurrency ?? 4,
        requestsPerMinute: input.requestsPerMinute ?? null,
      });
      return Model.fromRow(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`name: a model named "${input.name.trim()}" already exists in this project; choose another name.`);
      throw err;
    }
  }
}
