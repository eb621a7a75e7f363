import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, Extensions, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { badInput } from '../../common/errors.js';
import { fromGlobalId } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import type { RoleName } from '../auth/viewer.js';
import { createdAtKeyset, createdAtSortKey, pageOf, type Page } from '../common/connection.js';
import { Experiment } from '../experiments/experiments.types.js';
import { Model } from '../models/models.types.js';
import { PromptVersion } from '../prompts/prompts.types.js';
import { DatasetVersion } from '../datasets/datasets.types.js';
import { JSONScalar } from '../common/node.types.js';
import { StartRunInput } from './runs.inputs.js';
import type { StartRunSpec } from './runs.service.js';
import { RUN_LIST_FIELDS, Run, RunConnection, RunProgressEvent, runEventOf, RunStatus, RunStatusChanged, Task, TaskConnection, TaskStatus, TaskUpdated } from './runs.types.js';
import type { RunEventJson } from './tasks.repo.js';
import type { RunsPageArgs } from './runs.repo.js';
import { selectsOnly } from '../common/selection.js';
import { loadAll } from '../common/loaders.js';

/** Whether a page of runs may read RUN_LIST_COLUMNS only: its nodes are asked for RUN_LIST_FIELDS only. */
const runsPageListsOnly = selectsOnly([['nodes'], ['edges', 'node']], RUN_LIST_FIELDS);
const latestRunListsOnly = selectsOnly([[]], RUN_LIST_FIELDS);
const columnsFor = (listsOnly: boolean): RunsPageArgs['columns'] => (listsOnly ? 'list' : 'all');
/** The args of a first page without filters, one object per column set: the children loader serialises each once (`argsKeyOf`). */
const FIRST_PAGE: Record<RunsPageArgs['columns'], RunsPageArgs> = {
  list: Object.freeze({ after: null, status: null, columns: 'list' }),
  all: Object.freeze({ after: null, status: null, columns: 'all' }),
};
const pageArgs = (after: RunsPageArgs['after'], status: RunsPageArgs['status'], columns: RunsPageArgs['columns']): RunsPageArgs =>
  after === null && status === null ? FIRST_PAGE[columns] : { after, status, columns };

const countRuns = (ctx: Context, experimentId: string, status: RunStatus[] | null): Promise<number> =>
  ctx.loaders.runCountByExperiment.load({ parentId: experimentId, args: status });

@Resolver(() => Run)
export class RunResolver {
  @Authorized<RoleName>('VIEWER')
  @Query(() => Run, { nullable: true, description: "One run; NOT_FOUND when it is not in the caller's project." })
  async run(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Run> {
    return Run.fromRow(await ctx.loaders.runById.load(fromGlobalId('Run', id)));
  }

  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => Run, { description: 'Checks the config, freezes it and queues one task per row x prompt version x model x repetition; returns the QUEUED run at once (RESEARCHER).' })
  async startRun(@Ctx() ctx: Context, @Arg('input', () => StartRunInput) input: StartRunInput): Promise<Run> {
    return Run.fromRow(await ctx.services.runs.start(ctx.viewer.projectId, startRunSpec(input)));
  }

  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => Run, { description: 'Stops the run: no new calls, calls in flight aborted, the rest CANCELLED; returns it CANCELLING or CANCELLED (RESEARCHER).' })
  async cancelRun(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Run> {
    return Run.fromRow(await ctx.services.runs.cancel(ctx.viewer.projectId, fromGlobalId('Run', id)));
  }

  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => Run, { description: "A new run of the same config over the ended run's tasks that did not succeed, within what is left of its budget (RESEARCHER)." })
  async retryRun(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Run> {
    return Run.fromRow(await ctx.services.runs.retry(ctx.viewer.projectId, fromGlobalId('Run', id)));
  }

  @Authorized<RoleName>('VIEWER')
  // Its arguments choose the stream, not what an event looks like: subscribers that differ only in them share each event's execution.
  @Extensions({ eventIgnoresArgs: true })
  @Subscription(() => RunProgressEvent, {
    description:
      "The run's events from after afterSequence (default: all of them): stored ones first, then live ones, each once and in order; ends after its final status.",
    subscribe: async ({ args, context }: SubscribeResolverData<unknown, { runId: string; afterSequence?: number | null }, Context>) => {
      const runId = fromGlobalId('Run', args.runId, 'runId');
      await context.loaders.runById.load(runId); // NOT_FOUND before subscribing to another project's run
      const after = args.afterSequence ?? 0;
      if (!Number.isInteger(after) || after < 0) throw badInput(`afterSequence: must be 0 or more (got ${after}).`, 'afterSequence');
      return context.services.runs.events(runId, after);
    },
  })
  runProgress(
    @Root() event: RunEventJson,
    @Arg('runId', () => ID, { description: 'The run to watch.' }) _runId: string,
    @Arg('afterSequence', () => Int, { nullable: true, description: 'The last sequence number the client has; 0 or absent replays every event.' }) _after?: number,
  ): TaskUpdated | RunStatusChanged {
    return runEventOf(event);
  }

  @FieldResolver(() => DatasetVersion, { description: 'The dataset version its rows come from.' })
  async datasetVersion(@Root() run: Run, @Ctx() ctx: Context): Promise<DatasetVersion> {
    return DatasetVersion.fromRow(await ctx.loaders.datasetVersionById.load(run.row.datasetVersionId!));
  }

  @FieldResolver(() => TaskConnection, { description: 'Its tasks in order (row, prompt version, model, repetition).' })
  tasks(
    @Root() run: Run,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
    @Arg('status', () => [TaskStatus], { nullable: true, description: 'Only tasks in one of these states.' }) status?: TaskStatus[],
  ): Promise<Page<Task>> {
    const statusFilter = status?.length ? [...new Set(status)].sort() : null;
    const row = run.row;
    const counts: Record<TaskStatus, number> = {
      QUEUED: row.queuedTasks,
      RUNNING: row.runningTasks,
      SUCCEEDED: row.succeededTasks,
      FAILED: row.failedTasks,
      CANCELLED: row.cancelledTasks,
    };
    return pageOf(first, after, {
      keyset: seqKeyset,
      fetch: (afterSeq, limit) => ctx.loaders.tasksByRun.load({ parentId: row.id, args: { afterSeq, status: statusFilter }, limit }),
      sortKey: (task) => [task.seq],
      node: Task.fromRow,
      // The run's counters move with its tasks, so the count costs no query.
      count: async () => (statusFilter ? statusFilter.reduce((sum, s) => sum + counts[s], 0) : row.totalTasks),
    });
  }

  @FieldResolver(() => Experiment, { description: 'The experiment the run belongs to.' })
  experiment(@Root() run: Run, @Ctx() ctx: Context): Promise<Experiment> {
    return ctx.loaders.experimentById.loadAs(run.row.experimentId, Experiment.fromRow);
  }

  @FieldResolver(() => [PromptVersion], { description: 'The prompt versions the run crosses with the dataset rows.' })
  promptVersions(@Root() run: Run, @Ctx() ctx: Context): Promise<PromptVersion[]> {
    return loadAll(ctx.loaders.promptVersionById, run.row.promptVersionIds, PromptVersion.fromRow);
  }

  @FieldResolver(() => [Model], { description: 'The models the run calls.' })
  models(@Root() run: Run, @Ctx() ctx: Context): Promise<Model[]> {
    return loadAll(ctx.loaders.modelById, run.row.modelIds, Model.fromRow);
  }
}

@Resolver(() => Task)
export class TaskResolver {
  @FieldResolver(() => Run, { description: 'The run it belongs to.' })
  async run(@Root() task: Task, @Ctx() ctx: Context): Promise<Run> {
    return Run.fromRow(await ctx.loaders.runById.load(task.row.runId));
  }

  @FieldResolver(() => Model, { description: 'The model it calls.' })
  async model(@Root() task: Task, @Ctx() ctx: Context): Promise<Model> {
    return Model.fromRow(await ctx.loaders.modelById.load(task.row.modelId));
  }

  @FieldResolver(() => PromptVersion, { description: 'The prompt version it renders.' })
  async promptVersion(@Root() task: Task, @Ctx() ctx: Context): Promise<PromptVersion> {
    return PromptVersion.fromRow(await ctx.loaders.promptVersionById.load(task.row.promptVersionId));
  }

  @FieldResolver(() => JSONScalar, { description: "The dataset row's input fields." })
  async input(@Root() task: Task, @Ctx() ctx: Context): Promise<unknown> {
    return (await ctx.loaders.runRow.load(`${task.row.runId}:${task.row.rowIndex}`)).input;
  }

  @FieldResolver(() => JSONScalar, { nullable: true, description: "The dataset row's expected output, if it has one." })
  async expected(@Root() task: Task, @Ctx() ctx: Context): Promise<unknown> {
    return (await ctx.loaders.runRow.load(`${task.row.runId}:${task.row.rowIndex}`)).expected;
  }
}

/** The seq of a task cursor, checked so a forged cursor is BAD_USER_INPUT, not a SQL error. */
function seqKeyset(after: unknown[] | null): number | null {
  if (after === null) return null;
  const [seq] = after;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0 || seq > 2 ** 31 - 1) {
    throw badInput('after: the cursor does not belong to this list; pass pageInfo.endCursor from the previous page.', 'after');
  }
  return seq;
}

/** Global ids decoded into row ids; LLM_JUDGE's params.modelId too. */
function startRunSpec(input: StartRunInput): StartRunSpec {
  return {
    experimentId: fromGlobalId('Experiment', input.experimentId, 'input.experimentId'),
    datasetVersionId: fromGlobalId('DatasetVersion', input.datasetVersionId, 'input.datasetVersionId'),
    promptVersionIds: input.promptVersionIds.map((id) => fromGlobalId('PromptVersion', id, 'input.promptVersionIds')),
    modelIds: input.modelIds.map((id) => fromGlobalId('Model', id, 'input.modelIds')),
    evaluators: input.evaluators.map((e, i) => {
      const judge = e.kind === 'LLM_JUDGE' ? e.params?.modelId : undefined;
      return {
        kind: e.kind,
        name: e.name,
        params: e.params,
        judgeModelId: typeof judge === 'string' ? fromGlobalId('Model', judge, `input.evaluators[${i}].params.modelId`) : null,
      };
    }),
    repetitions: input.repetitions,
    concurrency: input.concurrency,
    maxCostUsd: input.maxCostUsd,
    sampleLimit: input.sampleLimit,
  };
}

@Resolver(() => Experiment)
export class ExperimentRunsResolver {
  @FieldResolver(() => RunConnection, { description: 'Its runs, newest first.' })
  runs(
    @Root() experiment: Experiment,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
    @Arg('status', () => [RunStatus], { nullable: true, description: 'Only runs in one of these states.' }) status?: RunStatus[],
  ): Promise<Page<Run>> {
    const statusFilter = status?.length ? [...status].sort() : null;
    const columns = columnsFor(runsPageListsOnly(info));
    return pageOf(first, after, {
      keyset: createdAtKeyset,
      fetch: (keyset, limit) => ctx.loaders.runsByExperiment.load({ parentId: experiment.row.id, args: pageArgs(keyset, statusFilter, columns), limit }),
      sortKey: createdAtSortKey,
      node: Run.fromPageRow,
      count: () => countRuns(ctx, experiment.row.id, statusFilter),
    });
  }

  @FieldResolver(() => Int, { description: 'How many runs it has.' })
  runCount(@Root() experiment: Experiment, @Ctx() ctx: Context): Promise<number> {
    return countRuns(ctx, experiment.row.id, null);
  }

  @FieldResolver(() => Run, { nullable: true, description: 'Its newest run.' })
  latestRun(@Root() experiment: Experiment, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<Run | null> {
    // The newest run of an experiment is the first of its unfiltered runs.
    const args = FIRST_PAGE[columnsFor(latestRunListsOnly(info))];
    return ctx.loaders.runsByExperiment.load({ parentId: experiment.row.id, args, limit: 1 }).then(([row]) => (row ? Run.fromPageRow(row) : null));
  }
}
