import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { notFound } from '../../common/errors.js';
import { fromGlobalId } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import type { RoleName } from '../auth/viewer.js';
import { newestFirstPage, pageOf, versionKeyset, versionSortKey, type Page } from '../common/connection.js';
import { CreatePromptInput, CreatePromptVersionInput } from './prompts.inputs.js';
import { Prompt, PromptConnection, PromptVersion, PromptVersionConnection } from './prompts.types.js';

@Resolver(() => Prompt)
export class PromptResolver {
  @Authorized<RoleName>('VIEWER')
  @Query(() => PromptConnection, { description: "Prompts of the caller's project, newest first." })
  prompts(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<Page<Prompt>> {
    const { projectId } = ctx.viewer;
    return newestFirstPage(first, after, {
      fetch: (keyset, limit) => ctx.services.prompts.list(projectId, keyset, limit),
      count: () => ctx.services.prompts.count(projectId),
      node: Prompt.fromRow,
    });
  }

  @Authorized<RoleName>('VIEWER')
  @Query(() => Prompt, { nullable: true, description: "One prompt; NOT_FOUND when it is not in the caller's project." })
  async prompt(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Prompt> {
    return Prompt.fromRow(await ctx.loaders.promptById.load(fromGlobalId('Prompt', id)));
  }

  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => Prompt, { description: 'Creates a prompt with its version 1 (RESEARCHER).' })
  async createPrompt(@Ctx() ctx: Context, @Arg('input', () => CreatePromptInput) input: CreatePromptInput): Promise<Prompt> {
    return Prompt.fromRow(await ctx.services.prompts.create(ctx.viewer.projectId, input));
  }

  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => PromptVersion, { description: 'Adds the next version to a prompt; earlier versions never change (RESEARCHER).' })
  async createPromptVersion(@Ctx() ctx: Context, @Arg('input', () => CreatePromptVersionInput) input: CreatePromptVersionInput): Promise<PromptVersion> {
    const promptId = fromGlobalId('Prompt', input.promptId, 'input.promptId');
    return PromptVersion.fromRow(await ctx.services.prompts.createVersion(ctx.viewer.projectId, promptId, input));
  }

  @FieldResolver(() => PromptVersion, { description: 'The newest version.' })
  async latestVersion(@Root() prompt: Prompt, @Ctx() ctx: Context): Promise<PromptVersion> {
    const [row] = await ctx.loaders.versionsByPrompt.load({ parentId: prompt.row.id, args: { beforeVersion: null }, limit: 1 });
    // Every prompt is created with its version 1.
    if (!row) throw notFound('Prompt', prompt.row.id);
    return PromptVersion.fromRow(row);
  }

  @FieldResolver(() => PromptVersionConnection, { description: 'Its versions, newest first.' })
  versions(
    @Root() prompt: Prompt,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<Page<PromptVersion>> {
    return pageOf(first, after, {
      keyset: versionKeyset,
      fetch: (beforeVersion, limit) => ctx.loaders.versionsByPrompt.load({ parentId: prompt.row.id, args: { beforeVersion }, limit }),
      sortKey: versionSortKey,
      node: PromptVersion.fromRow,
      count: () => ctx.loaders.versionCountByPrompt.load({ parentId: prompt.row.id, args: null }),
    });
  }
}

@Resolver(() => PromptVersion)
export class PromptVersionResolver {
  @FieldResolver(() => Prompt, { description: 'The prompt it is a version of.' })
  prompt(@Root() version: PromptVersion, @Ctx() ctx: Context): Promise<Prompt> {
    return ctx.loaders.promptById.loadAs(version.row.promptId, Prompt.fromRow);
  }
}
