import { z } from 'zod';
import { badInput, conflict } from '../../common/errors.js';
import type { ModelSnapshot } from '../../db/schema.js';
import type { SecretBox } from '../../common/secret-box.js';
import { isUniqueViolation } from '../../storage/postgres.js';
import type { ModelsRepo, ModelView } from './models.repo.js';
import { ProviderKind } from './provider-kind.js';

export interface NewModel {
  name: string;
  provider: ProviderKind;
  modelName: string;
  baseUrl?: string | null;
  apiKey?: string | null;
  parameters?: Record<string, unknown> | null;
  inputCostPerMTok?: number | null;
  outputCostPerMTok?: number | null;
  maxConcurrency?: number | null;
  requestsPerMinute?: number | null;
}

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

const NEEDS_API_KEY = new Set<ProviderKind>([ProviderKind.OPENAI, ProviderKind.ANTHROPIC]);

export class ModelsService {
  constructor(
    private readonly repo: ModelsRepo,
    private readonly secrets: SecretBox,
  ) {}

  /** Newest first: up to `limit` models after the (createdAt, id) keyset. */
  list(projectId: string, after: { createdAt: Date; id: string } | null, limit: number): Promise<ModelView[]> {
    return this.repo.page(projectId, after, limit);
  }

  count(projectId: string): Promise<number> {
    return this.repo.count(projectId);
  }

  /** The project's models of `ids` as a run freezes them (sealed key included); ids not found are missing from the result. */
  async snapshots(projectId: string, ids: readonly string[]): Promise<ModelSnapshot[]> {
    return (await this.repo.withKeysByIds(projectId, ids)).map((m) => ({
      id: m.id,
      name: m.name,
      provider: m.provider,
      modelName: m.modelName,
      baseUrl: m.baseUrl,
      apiKeyCiphertext: m.apiKeyCiphertext,
      parameters: m.parameters,
      inputCostPerMTok: m.inputCostPerMTok,
      outputCostPerMTok: m.outputCostPerMTok,
      maxConcurrency: m.maxConcurrency,
      requestsPerMinute: m.requestsPerMinute,
    }));
  }

  async create(projectId: string, input: NewModel): Promise<ModelView> {
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
      return row;
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`name: a model named "${input.name.trim()}" already exists in this project; choose another name.`);
      throw err;
    }
  }
}
