import { IsOptional, IsUrl, Max, Min } from 'class-validator';
import { Field, Float, InputType, Int } from 'type-graphql';
import { JSONScalar } from '../common/node.types.js';
import { ProviderKind } from './models.types.js';
import { OptionalText, RequiredText } from '../common/validation.js';

@InputType('CreateModelInput', { description: 'A model config. The API key is stored encrypted and never returned.' })
export class CreateModelInput {
  @Field(() => String, { description: 'Name in this project, unique; 1 to 200 characters.' })
  @RequiredText(200)
  name!: string;

  @Field(() => ProviderKind, { description: 'Which API it is called through.' })
  provider!: ProviderKind;

  @Field(() => String, { description: "The provider's name for the model, e.g. gpt-4o-mini." })
  @RequiredText(200)
  modelName!: string;

  @Field(() => String, { nullable: true, description: 'Base URL of the API; required for OPENAI_COMPATIBLE.' })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }, { message: 'baseUrl must be an http(s) URL such as http://localhost:11434/v1' })
  baseUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'The provider API key; required for OPENAI and ANTHROPIC.' })
  @OptionalText(1000)
  apiKey?: string | null;

  @Field(() => JSONScalar, { nullable: true, description: 'temperature (0..2), maxTokens (> 0), topP (0..1), stop (strings), seed (integer), and any other provider parameter.' })
  @IsOptional()
  parameters?: Record<string, unknown> | null;

  @Field(() => Float, { nullable: true, description: 'USD per million input tokens, >= 0.' })
  @IsOptional()
  @Min(0, { message: 'inputCostPerMTok must be 0 or more' })
  inputCostPerMTok?: number | null;

  @Field(() => Float, { nullable: true, description: 'USD per million output tokens, >= 0.' })
  @IsOptional()
  @Min(0, { message: 'outputCostPerMTok must be 0 or more' })
  outputCostPerMTok?: number | null;

  @Field(() => Int, { nullable: true, description: 'In-flight calls across all workers, 1 to 1000 (default 4).' })
  @IsOptional()
  @Min(1, { message: 'maxConcurrency must be at least 1' })
  @Max(1000, { message: 'maxConcurrency must be at most 1000' })
  maxConcurrency?: number | null;

  @Field(() => Int, { nullable: true, description: 'Requests per minute across all workers, 1 to 1,000,000; unset means no limit.' })
  @IsOptional()
  @Min(1, { message: 'requestsPerMinute must be at least 1' })
  @Max(1_000_000, { message: 'requestsPerMinute must be at most 1,000,000' })
  requestsPerMinute?: number | null;
}
