import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { fromGlobalId } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import type { RoleName } from '../auth/viewer.js';
import { createdAtKeyset, createdAtSortKey, pageOf, type Page } from '../common/connection.js';
import { Experiment } from '../experiments/experiments.types.js';
import { Model } from '../models/models.types.js';
import { PromptVersion } from '../prompts/prompts.types.js';
import { Run, RunConnection, RunStatus } from './runs.types.js';

/** The newest run of an experiment is the first of its unfiltered runs. */
const NO_FILTER = { after: null, status: null };

const countRuns = (ctx: Context, experimentId: string, status: RunStatus[] | null): Promise<number> =>
  ctx.loaders.runCountByExperiment.load({ parentId: experimentId, args: status });

@Resolver(() => Run)
export class RunResolver {
  @Authorized<RoleName>('VIEWER')
  @Query(() => Run, { nullable: true, description: "One run; NOT_FOUND when it is not in the caller's project." })
  async run(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Run> {
    return Run.fromRow(await ctx.loaders.runById.load(fromGlobalId('Run', id)));
  }

  @FieldResolver(() => Experiment, { description: 'The experiment the run belongs to.' })
  async experiment(@Root() run: Run, @Ctx() ctx: Context): Promise<Experiment> {
    return Experiment.fromRow(await ctx.loaders.experimentById.load(run.row.experimentId));
  }

  @FieldResolver(() => [PromptVersion], { description: 'The prompt versions the run crosses with the dataset rows.' })
  async promptVersions(@Root() run: Run, @Ctx() ctx: Context): Promise<PromptVersion[]> {
    return (await ctx.loaders.promptVersionById.loadMany(run.row.promptVersionIds)).map((row) => {
      if (row instanceof Error) throw row;
      return PromptVersion.fromRow(row);
    });
  }

  @FieldResolver(() => [Model], { description: 'The models the run calls.' })
  async models(@Root() run: Run, @Ctx() ctx: Context): Promise<Model[]> {
    return (await ctx.loaders.modelById.loadMany(run.row.modelIds)).map((row) => {
      if (row instanceof Error) throw row;
      return Model.fromRow(row);
    });
  }
}

@Resolver(() => Experiment)
export class ExperimentRunsResolver {
  @FieldResolver(() => RunConnection, { description: 'Its runs, newest first.' })
  runs(
    @Root() experiment: Experiment,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
    @Arg('status', () => [RunStatus], { nullable: true, description: 'Only runs in one of these states.' }) status?: RunStatus[],
  ): Promise<Page<Run>> {
    const statusFilter = status?.length ? [...status].sort() : null;
    return pageOf(first, after, {
      keyset: createdAtKeyset,
      fetch: (keyset, limit) => ctx.loaders.runsByExperiment.load({ parentId: experiment.row.id, args: { after: keyset, status: statusFilter }, limit }),
      sortKey: createdAtSortKey,
      node: Run.fromRow,
      count: () => countRuns(ctx, experiment.row.id, statusFilter),
    });
  }

  @FieldResolver(() => Int, { description: 'How many runs it has.' })
  runCount(@Root() experiment: Experiment, @Ctx() ctx: Context): Promise<number> {
    return countRuns(ctx, experiment.row.id, null);
  }

  @FieldResolver(() => Run, { nullable: true, description: 'Its newest run.' })
  async latestRun(@Root() experiment: Experiment, @Ctx() ctx: Context): Promise<Run | null> {
    const [row] = await ctx.loaders.runsByExperiment.load({ parentId: experiment.row.id, args: NO_FILTER, limit: 1 });
    return row ? Run.fromRow(row) : null;
  }
}
