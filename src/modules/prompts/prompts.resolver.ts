import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { fromGlobalId, NodeType } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import { parsePageArgs, toPage, versionKeyset, type Page } from '../common/connection.js';
import { CreatePromptInput, CreatePromptVersionInput } from './prompts.inputs.js';
import { Prompt, PromptConnection, PromptVersion, PromptVersionConnection } from './prompts.types.js';

@Resolver(() => Prompt)
export class PromptResolver {
  @Query(() => PromptConnection, { description: "Prompts of the caller's project, newest first." })
  prompts(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<Page<Prompt>> {
    return ctx.services.prompts.list(ctx.viewer.projectId, first, after);
  }

  @Query(() => Prompt, { nullable: true, description: "One prompt; NOT_FOUND when it is not in the caller's project." })
  async prompt(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Prompt> {
    return Prompt.fromRow(await ctx.loaders.promptById.load(fromGlobalId(NodeType.Prompt, id)));
  }

  @Mutation(() => Prompt, { description: 'Creates a prompt with its version 1 (RESEARCHER).' })
  createPrompt(@Ctx() ctx: Context, @Arg('input', () => CreatePromptInput) input: CreatePromptInput): Promise<Prompt> {
    return ctx.services.prompts.create(ctx.viewer.projectId, input);
  }

  @Mutation(() => PromptVersion, { description: 'Adds the next version to a prompt; earlier versions never change (RESEARCHER).' })
  createPromptVersion(@Ctx() ctx: Context, @Arg('input', () => CreatePromptVersionInput) input: CreatePromptVersionInput): Promise<PromptVersion> {
    return ctx.services.prompts.createVersion(ctx.viewer.projectId, input);
  }

  @FieldResolver(() => PromptVersion, { description: 'The newest version.' })
  async latestVersion(@Root() prompt: Prompt, @Ctx() ctx: Context): Promise<PromptVersion> {
    return PromptVersion.fromRow(await ctx.loaders.latestVersionByPrompt.load(prompt.row.id));
  }

  @FieldResolver(() => PromptVersionConnection, { description: 'Its versions, newest first.' })
  async versions(
    @Root() prompt: Prompt,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<Page<PromptVersion>> {
    const page = parsePageArgs(first, after);
    const rows = await ctx.loaders.versionsByPrompt.load({ parentId: prompt.row.id, args: { first: page.first, beforeVersion: versionKeyset(page.after) } });
    return toPage(rows, page, (row) => [row.version], PromptVersion.fromRow, () => ctx.loaders.versionCountByPrompt.load(prompt.row.id));
  }
}

@Resolver(() => PromptVersion)
export class PromptVersionResolver {
  @FieldResolver(() => Prompt, { description: 'The prompt it is a version of.' })
  async prompt(@Root() version: PromptVersion, @Ctx() ctx: Context): Promise<Prompt> {
    return Prompt.fromRow(await ctx.loaders.promptById.load(version.row.promptId));
  }
}
