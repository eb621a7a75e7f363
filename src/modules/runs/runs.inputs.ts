import { IsOptional } from 'class-validator';
import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { JSONScalar } from '../common/node.types.js';
import { EvaluatorKind } from './runs.types.js';

@InputType('EvaluatorInput', { description: 'One scorer of the run.' })
export class EvaluatorInput {
  @Field(() => EvaluatorKind)
  kind!: EvaluatorKind;

  @Field(() => String, { nullable: true, description: 'Metric name; defaults to the kind in snake_case (exact_match, bleu, ...).' })
  @IsOptional()
  name?: string | null;

  @Field(() => JSONScalar, { nullable: true, description: "The kind's parameters (see EvaluatorKind)." })
  @IsOptional()
  params?: Record<string, unknown> | null;
}

@InputType('StartRunInput', { description: 'A run is the product dataset rows x prompt versions x models x repetitions; each element is one task.' })
export class StartRunInput {
  @Field(() => ID)
  experimentId!: string;

  @Field(() => ID, { description: 'A READY version of a dataset of the project.' })
  datasetVersionId!: string;

  @Field(() => [ID], { description: 'At least one; at most 50.' })
  promptVersionIds!: string[];

  @Field(() => [ID], { description: 'At least one; at most 50.' })
  modelIds!: string[];

  @Field(() => [EvaluatorInput], { description: 'Scorers of every output; may be empty.' })
  evaluators!: EvaluatorInput[];

  @Field(() => Int, { nullable: true, defaultValue: 1, description: 'Times each row x prompt version x model is run, 1 to 1,000.' })
  repetitions?: number | null;

  @Field(() => Int, { nullable: true, description: 'In-flight tasks for this run across all workers, 1 to 10,000; each model keeps its own maxConcurrency too.' })
  concurrency?: number | null;

  @Field(() => Float, { nullable: true, description: "USD, more than 0: no call starts that could take the run past it (each call's worst case is reserved first); the run then ends FAILED." })
  maxCostUsd?: number | null;

  @Field(() => Int, { nullable: true, description: 'Only the first N rows of the dataset version.' })
  sampleLimit?: number | null;
}
