import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { fromGlobalId } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import type { RoleName } from '../auth/viewer.js';
import { newestFirstPage, pageOf, versionKeyset, versionSortKey, type Page } from '../common/connection.js';
import type { UploadGrant } from './datasets.service.js';
import { CompletedPartInput, CreateDatasetInput, CreateDatasetUploadInput } from './datasets.inputs.js';
import { Dataset, DatasetConnection, DatasetRow, DatasetUpload, DatasetVersion, DatasetVersionConnection, UploadPart } from './datasets.types.js';

const uploadOf = (grant: UploadGrant): DatasetUpload =>
  Object.assign(new DatasetUpload(), {
    datasetVersion: DatasetVersion.fromRow(grant.version),
    url: grant.url,
    headers: grant.headers,
    parts: grant.parts?.map((p) => Object.assign(new UploadPart(), p)) ?? null,
    partSizeBytes: grant.partSizeBytes,
    expiresAt: grant.expiresAt,
  });

@Resolver(() => Dataset)
export class DatasetResolver {
  @Authorized<RoleName>('VIEWER')
  @Query(() => DatasetConnection, { description: "Datasets of the caller's project, newest first." })
  datasets(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<Page<Dataset>> {
    const { projectId } = ctx.viewer;
    return newestFirstPage(first, after, {
      fetch: (keyset, limit) => ctx.services.datasets.list(projectId, keyset, limit),
      count: () => ctx.services.datasets.count(projectId),
      node: Dataset.fromRow,
    });
  }

  @Authorized<RoleName>('VIEWER')
  @Query(() => Dataset, { nullable: true, description: "One dataset; NOT_FOUND when it is not in the caller's project." })
  async dataset(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Dataset> {
    return Dataset.fromRow(await ctx.loaders.datasetById.load(fromGlobalId('Dataset', id)));
  }

  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => Dataset, { description: 'Creates an empty dataset; upload versions with createDatasetUpload (RESEARCHER).' })
  async createDataset(@Ctx() ctx: Context, @Arg('input', () => CreateDatasetInput) input: CreateDatasetInput): Promise<Dataset> {
    return Dataset.fromRow(await ctx.services.datasets.create(ctx.viewer.projectId, input));
  }

  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => DatasetUpload, {
    description: 'Starts the next version: returns presigned URL(s) to upload the file to, directly to the object store (RESEARCHER).',
  })
  async createDatasetUpload(@Ctx() ctx: Context, @Arg('input', () => CreateDatasetUploadInput) input: CreateDatasetUploadInput): Promise<DatasetUpload> {
    const datasetId = fromGlobalId('Dataset', input.datasetId, 'input.datasetId');
    return uploadOf(await ctx.services.datasets.createUpload(ctx.viewer.projectId, datasetId, input));
  }

  @Authorized<RoleName>('RESEARCHER')
  @Mutation(() => DatasetVersion, {
    description: 'After the upload: checks the file and starts validation; returns VALIDATING or an already settled status (RESEARCHER).',
  })
  async completeDatasetUpload(
    @Ctx() ctx: Context,
    @Arg('datasetVersionId', () => ID) datasetVersionId: string,
    @Arg('parts', () => [CompletedPartInput], { nullable: true, description: 'Multipart only: every part with its ETag.' }) parts?: CompletedPartInput[],
  ): Promise<DatasetVersion> {
    const versionId = fromGlobalId('DatasetVersion', datasetVersionId, 'datasetVersionId');
    return DatasetVersion.fromRow(await ctx.services.datasets.completeUpload(ctx.viewer.projectId, versionId, parts));
  }

  @FieldResolver(() => DatasetVersion, { nullable: true, description: 'The newest READY version.' })
  async latestVersion(@Root() dataset: Dataset, @Ctx() ctx: Context): Promise<DatasetVersion | null> {
    const [row] = await ctx.loaders.versionsByDataset.load({ parentId: dataset.row.id, args: { beforeVersion: null, readyOnly: true }, limit: 1 });
    return row ? DatasetVersion.fromRow(row) : null;
  }

  @FieldResolver(() => DatasetVersionConnection, { description: 'Its versions in every status, newest first.' })
  versions(
    @Root() dataset: Dataset,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<Page<DatasetVersion>> {
    return pageOf(first, after, {
      keyset: versionKeyset,
      fetch: (beforeVersion, limit) => ctx.loaders.versionsByDataset.load({ parentId: dataset.row.id, args: { beforeVersion, readyOnly: false }, limit }),
      sortKey: versionSortKey,
      node: DatasetVersion.fromRow,
      count: () => ctx.loaders.versionCountByDataset.load({ parentId: dataset.row.id, args: null }),
    });
  }
}

@Resolver(() => DatasetVersion)
export class DatasetVersionResolver {
  @FieldResolver(() => Dataset, { description: 'The dataset it is a version of.' })
  async dataset(@Root() version: DatasetVersion, @Ctx() ctx: Context): Promise<Dataset> {
    return Dataset.fromRow(await ctx.loaders.datasetById.load(version.row.datasetId));
  }

  @FieldResolver(() => [DatasetRow], {
    description: 'The first rows of a READY version (none before); limit 1 to 100.',
    // Each preview downloads the start of a file.
    complexity: ({ args }) => 10 + (typeof args.limit === 'number' ? args.limit : 10),
  })
  preview(
    @Root() version: DatasetVersion,
    @Ctx() ctx: Context,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 10, description: 'How many rows, 1 to 100.' }) limit: number,
  ): Promise<DatasetRow[]> {
    return ctx.services.datasets.preview(version.row, limit);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Presigned GET of the file, for READY versions only; expires in 15 minutes.' })
  async downloadUrl(@Root() version: DatasetVersion, @Ctx() ctx: Context): Promise<string | null> {
    const dataset = await ctx.loaders.datasetById.load(version.row.datasetId);
    return ctx.services.datasets.downloadUrl(version.row, dataset.name);
  }
}
