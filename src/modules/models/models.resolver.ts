import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { fromGlobalId } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import type { RoleName } from '../auth/viewer.js';
import { newestFirstPage, type Page } from '../common/connection.js';
import { CreateModelInput } from './models.inputs.js';
import { Model, ModelConnection } from './models.types.js';

@Resolver(() => Model)
export class ModelResolver {
  @Authorized<RoleName>('VIEWER')
  @Query(() => ModelConnection, { description: "Models of the caller's project, newest first." })
  models(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<Page<Model>> {
    const { projectId } = ctx.viewer;
    return newestFirstPage(first, after, {
      fetch: (keyset, limit) => ctx.services.models.list(projectId, keyset, limit),
      count: () => ctx.services.models.count(projectId),
      node: Model.fromRow,
    });
  }

  @Authorized<RoleName>('VIEWER')
  @Query(() => Model, { nullable: true, description: "One model; NOT_FOUND when it is not in the caller's project." })
  async model(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Model> {
    return Model.fromRow(await ctx.loaders.modelById.load(fromGlobalId('Model', id)));
  }

  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => Model, { description: 'Creates a model config (RESEARCHER).' })
  async createModel(@Ctx() ctx: Context, @Arg('input', () => CreateModelInput) input: CreateModelInput): Promise<Model> {
    return Model.fromRow(await ctx.services.models.create(ctx.viewer.projectId, input));
  }
}
