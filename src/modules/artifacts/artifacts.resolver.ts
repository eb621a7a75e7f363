import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { fromGlobalId } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import type { RoleName } from '../auth/viewer.js';
import { Run } from '../runs/runs.types.js';
import { CreateArtifactUploadInput } from './artifacts.inputs.js';
import { Artifact, ArtifactUpload } from './artifacts.types.js';

@Resolver(() => Artifact)
export class ArtifactResolver {
  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => ArtifactUpload, { description: 'Starts an artifact upload to a run: returns the presigned PUT (RESEARCHER).' })
  async createArtifactUpload(@Ctx() ctx: Context, @Arg('input', () => CreateArtifactUploadInput) input: CreateArtifactUploadInput): Promise<ArtifactUpload> {
    const runId = fromGlobalId('Run', input.runId, 'input.runId');
    const { artifact, put } = await ctx.services.artifacts.createUpload(ctx.viewer.projectId, runId, input);
    return Object.assign(new ArtifactUpload(), { artifact: Artifact.fromRow(artifact), url: put.url, headers: put.headers, expiresAt: put.expiresAt });
  }

  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => Artifact, { description: 'After the PUT: checks the bytes arrived and lists the artifact on its run (RESEARCHER).' })
  async completeArtifactUpload(@Ctx() ctx: Context, @Arg('artifactId', () => ID) artifactId: string): Promise<Artifact> {
    return Artifact.fromRow(await ctx.services.artifacts.completeUpload(ctx.viewer.projectId, fromGlobalId('Artifact', artifactId, 'artifactId')));
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
