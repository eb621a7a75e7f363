import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ModelView } from './models.repo.js';
import { toGlobalId } from '../../common/global-id.js';
import { connectionType } from '../common/connection.js';
import { DateTime, JSONScalar, Node } from '../common/node.types.js';
import { ProviderKind } from './provider-kind.js';

export { ProviderKind };
registerEnumType(ProviderKind, {
  name: 'ProviderKind',
  description: 'Which API a model is called through.',
  valuesConfig: {
    OPENAI: { description: 'OpenAI chat completions.' },
    ANTHROPIC: { description: 'Anthropic messages API.' },
    OPENAI_COMPATIBLE: { description: "Any server speaking OpenAI's chat completions (vLLM, Ollama, ...); baseUrl required." },
    ECHO: { description: 'Built-in, offline, deterministic: answers from the prompt alone; for demos and tests.' },
  },
});

@ObjectType('Model', { simpleResolvers: true, implements: Node, description: 'A model as the lab calls it: provider, model name, parameters, limits and prices.' })
export class Model extends Node {
  /** The database row, for field resolvers; not a GraphQL field. */
  row!: ModelView;

  @Field(() => String, { description: 'Name in this project, unique.' })
  name!: string;

  @Field(() => ProviderKind, { description: 'Which API it is called through.' })
  provider!: ProviderKind;

  @Field(() => String, { description: 'The provider\'s name for the model, e.g. gpt-4o-mini.' })
  modelName!: string;

  @Field(() => String, { nullable: true, description: 'The API\'s base URL, for OPENAI_COMPATIBLE servers or a proxy.' })
  baseUrl!: string | null;

  @Field(() => Boolean, { description: 'Whether an API key is stored; the key itself is write-only and encrypted at rest.' })
  hasApiKey!: boolean;

  @Field(() => JSONScalar, { description: 'Sampling parameters: temperature, maxTokens, topP, stop, seed, ...' })
  parameters!: Record<string, unknown>;

  @Field(() => Float, { nullable: true, description: 'USD per million input tokens.' })
  inputCostPerMTok!: number | null;

  @Field(() => Float, { nullable: true, description: 'USD per million output tokens.' })
  outputCostPerMTok!: number | null;

  @Field(() => Int, { description: 'In-flight calls to this model across all workers.' })
  maxConcurrency!: number;

  @Field(() => Int, { nullable: true, description: 'Requests per minute, shared across all runs and workers.' })
  requestsPerMinute!: number | null;

  @Field(() => DateTime, { description: 'When it was created.' })
  createdAt!: Date;

  static fromRow(row: ModelView): Model {
    return Object.assign(new Model(), {
      id: toGlobalId('Model', row.id),
      row,
      name: row.name,
      provider: row.provider,
      modelName: row.modelName,
      baseUrl: row.baseUrl,
      hasApiKey: row.hasApiKey,
      parameters: row.parameters,
      inputCostPerMTok: row.inputCostPerMTok,
      outputCostPerMTok: row.outputCostPerMTok,
      maxConcurrency: row.maxConcurrency,
      requestsPerMinute: row.requestsPerMinute,
      createdAt: row.createdAt,
    });
  }
}

export const ModelConnection = connectionType(Model, 'Model');
