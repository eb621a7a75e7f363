import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { runStatusEnum, type RunRow } from '../../db/schema.js';
import { toGlobalId } from '../../common/global-id.js';
import { connectionType } from '../common/connection.js';
import { enumObject } from '../common/enums.js';
import { DateTime, JSONScalar, Node } from '../common/node.types.js';

export const RunStatus = enumObject(runStatusEnum.enumValues);
export type RunStatus = (typeof runStatusEnum.enumValues)[number];
registerEnumType(RunStatus, {
  name: 'RunStatus',
  description: 'Where a run is in its life.',
  valuesConfig: {
    QUEUED: { description: 'Created; no task has started.' },
    RUNNING: { description: 'Tasks are being worked on.' },
    SUCCEEDED: { description: 'Every task ended; some may have FAILED.' },
    FAILED: { description: 'The run could not go on (budget exceeded, dataset unreadable, ...); error says why.' },
    CANCELLING: { description: 'Cancel was asked; in-flight tasks are ending.' },
    CANCELLED: { description: 'Cancelled; tasks that had not ended are CANCELLED.' },
  },
});

export enum EvaluatorKind {
  EXACT_MATCH = 'EXACT_MATCH',
  CONTAINS = 'CONTAINS',
  REGEX = 'REGEX',
  JSON_VALID = 'JSON_VALID',
  TOKEN_F1 = 'TOKEN_F1',
  BLEU = 'BLEU',
  ROUGE_L = 'ROUGE_L',
  LLM_JUDGE = 'LLM_JUDGE',
}
registerEnumType(EvaluatorKind, {
  name: 'EvaluatorKind',
  description: 'How an output is scored.',
  valuesConfig: {
    EXACT_MATCH: { description: '1 if the output equals expected after trimming, else 0; params: {caseSensitive}.' },
    CONTAINS: { description: '1 if the output contains expected.' },
    REGEX: { description: '1 if the output matches params.pattern.' },
    JSON_VALID: { description: '1 if the output parses as JSON.' },
    TOKEN_F1: { description: 'SQuAD-style token F1 against expected.' },
    BLEU: { description: "Sentence BLEU with sacreBLEU's defaults (13a tokenizer, exp smoothing), 0..100." },
    ROUGE_L: { description: 'ROUGE-L F-measure, 0..1.' },
    LLM_JUDGE: { description: 'A judge model scores the output against params.rubric; params: {modelId, rubric}.' },
  },
});

@ObjectType('Evaluator', { simpleResolvers: true, description: 'One scorer of a run and the metric name it writes.' })
export class Evaluator {
  @Field(() => EvaluatorKind, { description: 'How outputs are scored.' })
  kind!: EvaluatorKind;

  @Field(() => String, { description: 'The metric name its scores are recorded under.' })
  name!: string;

  @Field(() => JSONScalar, { description: 'The evaluator\'s parameters.' })
  params!: Record<string, unknown>;
}

@ObjectType('Run', { simpleResolvers: true, implements: Node, description: 'A run is the product dataset rows x prompt versions x models x repetitions; each element is one task.' })
export class Run extends Node {
  /** The database row, for field resolvers; not a GraphQL field. */
  row!: RunRow;

  @Field(() => RunStatus, { description: 'Where the run is in its life.' })
  status!: RunStatus;

  @Field(() => [Evaluator], { description: 'The scorers applied to every task\'s output.' })
  get evaluators(): Evaluator[] {
    // Built when asked for: most lists of runs do not show them.
    return this.row.evaluators.map((e) => Object.assign(new Evaluator(), e));
  }

  @Field(() => Int, { description: 'How many times each row x prompt version x model is run.' })
  repetitions!: number;

  @Field(() => String, { nullable: true, description: 'Why the run FAILED, when it did.' })
  error!: string | null;

  @Field(() => DateTime, { description: 'When it was started.' })
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true, description: 'When its first task started.' })
  startedAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When its last task ended.' })
  finishedAt!: Date | null;

  static fromRow(row: RunRow): Run {
    return Object.assign(new Run(), {
      id: toGlobalId('Run', row.id),
      row,
      status: row.status,
      repetitions: row.repetitions,
      error: row.error,
      createdAt: row.createdAt,
      startedAt: row.startedAt,
      finishedAt: row.finishedAt,
    });
  }
}

export const RunConnection = connectionType(Run, 'Run');
