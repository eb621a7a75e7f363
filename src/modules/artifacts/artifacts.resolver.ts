import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { fromGlobalId, NodeType } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import { Run } from '../runs/runs.types.js';
import { CreateArtifactUploadInput } from './artifacts.inputs.js';
import { Artifact, ArtifactUpload } from './artifacts.types.js';

@Resolver(() => Artifact)
export class ArtifactResolver {
  @Mutation(() => ArtifactUpload, { description: 'Starts an artifact upload to a run: returns the presigned PUT (RESEARCHER).' })
  createArtifactUpload(@Ctx() ctx: Context, @Arg('input', () => CreateArtifactUploadInput) input: CreateArtifactUploadInput): Promise<ArtifactUpload> {
    return ctx.services.artifacts.createUpload(ctx.viewer.projectId, input);
  }

  @Mutation(() => Artifact, { description: 'After the PUT: checks the bytes arrived and lists the artifact on its run (RESEARCHER).' })
  completeArtifactUpload(@Ctx() ctx: Context, @Arg('artifactId', () => ID) artifactId: string): Promise<Artifact> {
    return ctx.services.artifacts.completeUpload(ctx.viewer.projectId, fromGlobalId(NodeType.Artifact, artifactId, 'artifactId'));
  }

  @FieldResolver(() => Run, { nullable: true, description: 'The run it belongs to.' })
  async run(@Root() artifact: Artifact, @Ctx() ctx: Context): Promise<Run | null> {
    return artifact.row.runId ? Run.fromRow(await ctx.loaders.runById.load(artifact.row.runId)) : null;
  }

  @FieldResolver(() => String, { description: 'Presigned GET of the file.' })
  downloadUrl(
    @Root() artifact: Artifact,
    @Ctx() ctx: Context,
    @Arg('expiresInSeconds', () => Int, { nullable: true, defaultValue: 900, description: 'How long the URL works, 1 second to 7 days.' }) expiresInSeconds: number,
  ): Promise<string> {
    return ctx.services.artifacts.downloadUrl(artifact.row, expiresInSeconds);
  }
}

@Resolver(() => Run)
export class RunArtifactsResolver {
  @FieldResolver(() => [Artifact], { description: 'Files kept with the run; a finished run has results.jsonl among them.' })
  async artifacts(@Root() run: Run, @Ctx() ctx: Context): Promise<Artifact[]> {
    return (await ctx.loaders.artifactsByRun.load({ parentId: run.row.id, args: null })).map(Artifact.fromRow);
  }
}
