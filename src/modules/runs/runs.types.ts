import { createUnionType, Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { runStatusEnum, taskStatusEnum, type RunRow, type TaskRow } from '../../db/schema.js';
import { toGlobalId } from '../../common/global-id.js';
import { connectionType } from '../common/connection.js';
import type { RunEventJson } from './tasks.repo.js';
import { enumObject } from '../common/enums.js';
import { DateTime, JSONScalar, Node } from '../common/node.types.js';
import { MetricValue } from '../metrics/metric-value.types.js';

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

export const TaskStatus = enumObject(taskStatusEnum.enumValues);
export type TaskStatus = (typeof taskStatusEnum.enumValues)[number];
registerEnumType(TaskStatus, {
  name: 'TaskStatus',
  description: 'Where a task is in its life.',
  valuesConfig: {
    QUEUED: { description: 'Waiting for a worker.' },
    RUNNING: { description: 'Claimed by a worker; its call is in flight.' },
    SUCCEEDED: { description: 'The model answered; output, latency and usage are recorded.' },
    FAILED: { description: 'The call failed for good; error says why.' },
    CANCELLED: { description: 'Not run, or aborted: the run was cancelled or stopped at its budget.' },
  },
});

@ObjectType('RunProgress', { simpleResolvers: true, description: "How many of the run's tasks are where; counted as tasks move, not on read." })
export class RunProgress {
  @Field(() => Int, { description: 'Tasks in the run.' })
  total!: number;

  @Field(() => Int)
  queued!: number;

  @Field(() => Int)
  running!: number;

  @Field(() => Int)
  succeeded!: number;

  @Field(() => Int)
  failed!: number;

  @Field(() => Int)
  cancelled!: number;

  @Field(() => Float, { description: 'Ended tasks / total, 0..1.' })
  fraction!: number;

  @Field(() => Float, { nullable: true, description: 'Seconds left at the pace so far; null before the first task ends and once the run has ended.' })
  etaSeconds!: number | null;

  static of(row: RunRow, now = Date.now()): RunProgress {
    return RunProgress.fromCounts(
      {
        total: row.totalTasks,
        queued: row.queuedTasks,
        running: row.runningTasks,
        succeeded: row.succeededTasks,
        failed: row.failedTasks,
        cancelled: row.cancelledTasks,
      },
      row.startedAt,
      row.finishedAt,
      now,
    );
  }

  static fromCounts(
    counts: { total: number; queued: number; running: number; succeeded: number; failed: number; cancelled: number },
    startedAt: Date | null,
    finishedAt: Date | null,
    now = Date.now(),
  ): RunProgress {
    const ended = counts.succeeded + counts.failed + counts.cancelled;
    const remaining = counts.total - ended;
    const elapsed = startedAt ? (now - startedAt.getTime()) / 1000 : 0;
    return Object.assign(new RunProgress(), {
      ...counts,
      fraction: counts.total === 0 ? 1 : ended / counts.total,
      etaSeconds: ended > 0 && remaining > 0 && finishedAt === null && elapsed > 0 ? (elapsed / ended) * remaining : null,
    });
  }
}

@ObjectType('Usage', { simpleResolvers: true, description: "Tokens as the provider counted them, and their cost at the model's prices when the run started." })
export class Usage {
  @Field(() => Int)
  promptTokens!: number;

  @Field(() => Int)
  completionTokens!: number;

  @Field(() => Float, { description: 'USD; 0 when the model has no prices.' })
  costUsd!: number;

  static of(promptTokens: number, completionTokens: number, costUsd: number): Usage {
    return Object.assign(new Usage(), { promptTokens, completionTokens, costUsd });
  }
}

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

  @Field(() => RunProgress, { description: 'Its tasks by status.' })
  get progress(): RunProgress {
    return RunProgress.of(this.row);
  }

  @Field(() => Usage, { description: 'Tokens and cost summed over its tasks so far.' })
  get usage(): Usage {
    return Usage.of(this.row.promptTokens, this.row.completionTokens, this.row.costUsd);
  }

  @Field(() => DateTime, { description: 'When it was started.' })
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true, description: 'When its first task started.' })
  startedAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When its last task ended.' })
  finishedAt!: Date | null;

  /**
   * A run of a list read with only `RUN_LIST_COLUMNS` when the query asks for `RUN_LIST_FIELDS`
   * only (runs.resolver.ts decides), or with every column otherwise: the fields asked for read
   * nothing else, so the missing columns are never seen (test/runs/run-list-columns.test.ts).
   */
  static fromPageRow(row: RunListRow): Run {
    return Run.fromRow(row as RunRow);
  }

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

/** The columns a list of runs reads when the query asks for `RUN_LIST_FIELDS` only: a sixth of them, and none that costs a Date or JSON to decode but `createdAt`. */
export const RUN_LIST_COLUMNS = ['id', 'projectId', 'experimentId', 'status', 'promptVersionIds', 'modelIds', 'createdAt'] as const satisfies readonly (keyof RunRow)[];
export type RunListRow = Pick<RunRow, (typeof RUN_LIST_COLUMNS)[number]>;

/**
 * The fields of Run that read only `RUN_LIST_COLUMNS` (their own or their resolver's): a field
 * added to Run is not here, so a list asking for it reads every column until someone adds it
 * and its test.
 */
export const RUN_LIST_FIELDS: ReadonlySet<string> = new Set(['id', 'status', 'createdAt', 'experiment', 'models', 'promptVersions', 'metrics', 'metricSeries', 'artifacts']);

@ObjectType('Task', { simpleResolvers: true, implements: Node, description: 'One dataset row x prompt version x model x repetition of a run.' })
export class Task extends Node {
  /** The database row, for field resolvers; not a GraphQL field. */
  row!: TaskRow;

  @Field(() => Int, { description: "The dataset row's 0-based index." })
  rowIndex!: number;

  @Field(() => Int, { description: '0-based.' })
  repetition!: number;

  @Field(() => TaskStatus)
  status!: TaskStatus;

  @Field(() => Int, { description: 'Claims by workers so far (a worker that died or stopped leaves its claim to the next).' })
  attempts!: number;

  @Field(() => String, { nullable: true, description: 'The user message sent, once the task ran.' })
  renderedPrompt!: string | null;

  @Field(() => String, { nullable: true, description: "The model's answer." })
  output!: string | null;

  @Field(() => String, { nullable: true, description: 'Why it FAILED or was CANCELLED.' })
  error!: string | null;

  @Field(() => Float, { nullable: true, description: 'Milliseconds of the call that answered.' })
  latencyMs!: number | null;

  @Field(() => Usage, { nullable: true, description: 'Null until the model answered.' })
  get usage(): Usage | null {
    const r = this.row;
    return r.promptTokens === null ? null : Usage.of(r.promptTokens, r.completionTokens ?? 0, r.costUsd ?? 0);
  }

  @Field(() => [MetricValue], { description: 'What its call and evaluators measured (SUCCEEDED tasks), by name; empty otherwise.' })
  get metrics(): MetricValue[] {
    return MetricValue.listOf(this.row.metrics);
  }

  @Field(() => DateTime, { nullable: true, description: 'When a worker first claimed it.' })
  startedAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When it ended.' })
  finishedAt!: Date | null;

  static fromRow(row: TaskRow): Task {
    return Object.assign(new Task(), {
      id: toGlobalId('Task', row.id),
      row,
      rowIndex: row.rowIndex,
      repetition: row.repetition,
      status: row.status,
      attempts: row.attempts,
      renderedPrompt: row.renderedPrompt,
      output: row.output,
      error: row.error,
      latencyMs: row.latencyMs,
      startedAt: row.startedAt,
      finishedAt: row.finishedAt,
    });
  }
}

export const TaskConnection = connectionType(Task, 'Task');

@ObjectType('TaskUpdated', { simpleResolvers: true, description: "A task changed status; progress is the run's after the write that changed it." })
export class TaskUpdated {
  @Field(() => Int, { description: "The event's number in its run, gap-free from 1." })
  sequence!: number;

  @Field(() => ID)
  runId!: string;

  @Field(() => Task, { description: 'The task as it became.' })
  task!: Task;

  @Field(() => RunProgress)
  progress!: RunProgress;
}

@ObjectType('RunStatusChanged', { simpleResolvers: true, description: 'The run changed status.' })
export class RunStatusChanged {
  @Field(() => Int, { description: "The event's number in its run, gap-free from 1." })
  sequence!: number;

  @Field(() => ID)
  runId!: string;

  @Field(() => RunStatus)
  status!: RunStatus;

  @Field(() => RunProgress)
  progress!: RunProgress;

  @Field(() => String, { nullable: true, description: 'Why it FAILED, when it did.' })
  error!: string | null;
}

export const RunProgressEvent = createUnionType({
  name: 'RunProgressEvent',
  description:
    'Run events carry a per-run sequence number, gap-free from 1; a client that reconnects with afterSequence gets every event it missed, then live ones, none twice.',
  types: () => [TaskUpdated, RunStatusChanged] as const,
  // No resolveType: type-graphql makes a given one async (a promise per event), its own instanceof check is synchronous.
});

const asDate = (value: unknown): Date | null => (typeof value === 'string' ? new Date(value) : null);

/** A stored or published run event as GraphQL gives it: built from its payload, no database read. */
export function runEventOf(event: RunEventJson): TaskUpdated | RunStatusChanged {
  const p = event.progress as Record<string, number> & { startedAt?: string | null; finishedAt?: string | null };
  const progress = RunProgress.fromCounts(
    { total: p.total, queued: p.queued, running: p.running, succeeded: p.succeeded, failed: p.failed, cancelled: p.cancelled },
    asDate(p.startedAt),
    asDate(p.finishedAt),
  );
  const runId = toGlobalId('Run', event.run_id);
  if (event.task === null) {
    return Object.assign(new RunStatusChanged(), { sequence: event.sequence, runId, status: event.status as RunStatus, progress, error: event.error });
  }
  const t = event.task as Record<string, unknown>;
  const row = {
    id: t.id,
    projectId: t.project_id,
    runId: t.run_id,
    seq: t.seq,
    rowIndex: t.row_index,
    repetition: t.repetition,
    promptVersionId: t.prompt_version_id,
    modelId: t.model_id,
    status: t.status,
    attempts: t.attempts,
    leaseUntil: asDate(t.lease_until),
    renderedPrompt: t.rendered_prompt,
    output: t.output,
    error: t.error,
    latencyMs: t.latency_ms,
    promptTokens: t.prompt_tokens,
    completionTokens: t.completion_tokens,
    costUsd: t.cost_usd,
    metrics: t.metrics ?? null,
    reservedUsd: t.reserved_usd,
    startedAt: asDate(t.started_at),
    finishedAt: asDate(t.finished_at),
  } as TaskRow;
  return Object.assign(new TaskUpdated(), { sequence: event.sequence, runId, task: Task.fromRow(row), progress });
}
