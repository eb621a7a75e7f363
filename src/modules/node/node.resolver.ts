import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { notFound } from '../../common/errors.js';
import { NodeType, parseGlobalId } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import { Artifact } from '../artifacts/artifacts.types.js';
import { ApiKey } from '../auth/auth.types.js';
import { Dataset, DatasetVersion } from '../datasets/datasets.types.js';
import { Node } from '../common/node.types.js';
import { Experiment } from '../experiments/experiments.types.js';
import { Model } from '../models/models.types.js';
import { Project } from '../projects/projects.types.js';
import { Prompt, PromptVersion } from '../prompts/prompts.types.js';
import { Run } from '../runs/runs.types.js';

type NodeLoader = (ctx: Context, id: string) => Promise<Node>;

/** How node(id:) reads each type: through the same project-scoped loaders as every other field. */
const loaders: Record<NodeType, NodeLoader> = {
  [NodeType.Project]: async (ctx, id) => Project.fromRow(await ctx.loaders.projectById.load(id)),
  [NodeType.ApiKey]: async (ctx, id) => ApiKey.fromRow(await ctx.loaders.apiKeyById.load(id)),
  [NodeType.Experiment]: async (ctx, id) => Experiment.fromRow(await ctx.loaders.experimentById.load(id)),
  [NodeType.Model]: async (ctx, id) => Model.fromRow(await ctx.loaders.modelById.load(id)),
  [NodeType.Prompt]: async (ctx, id) => Prompt.fromRow(await ctx.loaders.promptById.load(id)),
  [NodeType.PromptVersion]: async (ctx, id) => PromptVersion.fromRow(await ctx.loaders.promptVersionById.load(id)),
  [NodeType.Run]: async (ctx, id) => Run.fromRow(await ctx.loaders.runById.load(id)),
  [NodeType.Dataset]: async (ctx, id) => Dataset.fromRow(await ctx.loaders.datasetById.load(id)),
  [NodeType.DatasetVersion]: async (ctx, id) => DatasetVersion.fromRow(await ctx.loaders.datasetVersionById.load(id)),
  [NodeType.Artifact]: async (ctx, id) => Artifact.fromRow(await ctx.loaders.artifactById.load(id)),
};

@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: "Any entity by its global ID; NOT_FOUND when it is not in the caller's project." })
  async node(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Node> {
    const parsed = parseGlobalId(id);
    if (!parsed) throw notFound('object', id);
    return loaders[parsed.type](ctx, parsed.id);
  }
}
