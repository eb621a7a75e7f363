import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { fromGlobalId } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import type { RoleName } from '../auth/viewer.js';
import { createdAtKeyset, createdAtSortKey, pageOf, type Page } from '../common/connection.js';
import { CreateExperimentInput, UpdateExperimentInput } from './experiments.inputs.js';
import { Experiment, ExperimentConnection } from './experiments.types.js';

@Resolver(() => Experiment)
export class ExperimentResolver {
  @Authorized<RoleName>('VIEWER')
  @Query(() => ExperimentConnection, { description: 'Experiments of the caller\'s project, newest first.' })
  experiments(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
    @Arg('search', () => String, { nullable: true, description: 'Case-insensitive text in the name or description.' }) search?: string,
    @Arg('tags', () => [String], { nullable: true, description: 'Only experiments carrying every one of these tags.' }) tags?: string[],
    @Arg('includeArchived', () => Boolean, { nullable: true, defaultValue: false, description: 'Also list archived experiments.' }) includeArchived?: boolean,
  ): Promise<Page<Experiment>> {
    const { projectId } = ctx.viewer;
    const filter = { search, tags, includeArchived: includeArchived ?? false };
    return pageOf(first, after, {
      keyset: createdAtKeyset,
      fetch: (keyset, limit) => ctx.services.experiments.list(projectId, filter, keyset, limit),
      sortKey: createdAtSortKey,
      node: (row) => {
        // Nested fields that name the experiment again (a run's experiment) find it without a query.
        ctx.loaders.experimentById.prime(row.id, row);
        return Experiment.fromRow(row);
      },
      count: () => ctx.services.experiments.count(projectId, filter),
    });
  }

  @Authorized<RoleName>('VIEWER')
  @Query(() => Experiment, { nullable: true, description: 'One experiment; NOT_FOUND when it is not in the caller\'s project.' })
  async experiment(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Experiment> {
    return Experiment.fromRow(await ctx.loaders.experimentById.load(fromGlobalId('Experiment', id)));
  }

  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => Experiment, { description: 'Creates an experiment (RESEARCHER).' })
  async createExperiment(@Ctx() ctx: Context, @Arg('input', () => CreateExperimentInput) input: CreateExperimentInput): Promise<Experiment> {
    return Experiment.fromRow(await ctx.services.experiments.create(ctx.viewer.projectId, input));
  }

  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => Experiment, { description: 'Changes the given fields of an experiment (RESEARCHER).' })
  async updateExperiment(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateExperimentInput) input: UpdateExperimentInput,
  ): Promise<Experiment> {
    return Experiment.fromRow(await ctx.services.experiments.update(ctx.viewer.projectId, fromGlobalId('Experiment', id), input));
  }

  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => Experiment, { description: 'Archives an experiment: it leaves the default lists; its runs stay (RESEARCHER).' })
  async archiveExperiment(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Experiment> {
    return Experiment.fromRow(await ctx.services.experiments.archive(ctx.viewer.projectId, fromGlobalId('Experiment', id)));
  }

  @Authorized<RoleName>('VIEWER')
  @Subscription(() => Experiment, {
    description: 'The experiment each time it is updated or archived.',
    subscribe: async ({ args, context }: SubscribeResolverData<unknown, { id: string }, Context>) => {
      const rowId = fromGlobalId('Experiment', args.id);
      await context.loaders.experimentById.load(rowId); // NOT_FOUND before subscribing to another project's experiment
      return context.pubsub.subscribe('experiment:updated', rowId);
    },
  })
  async experimentUpdated(
    @Root() event: { experimentId: string },
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'The experiment to watch.' }) _id: string,
  ): Promise<Experiment> {
    ctx.resetLoaders();
    return Experiment.fromRow(await ctx.loaders.experimentById.load(event.experimentId));
  }
}
