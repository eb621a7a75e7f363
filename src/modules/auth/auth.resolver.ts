import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { fromGlobalId } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import { Project } from '../projects/projects.types.js';
import { ApiKey, CreatedApiKey, Role, ViewerInfo } from './auth.types.js';
import type { RoleName } from './viewer.js';

@Resolver(() => ViewerInfo)
export class ViewerResolver {
  @Authorized<RoleName>('VIEWER')
  @Query(() => ViewerInfo, { description: 'The caller: its project, role and name.' })
  viewer(@Ctx() ctx: Context): ViewerInfo {
    return Object.assign(new ViewerInfo(), { projectRowId: ctx.viewer.projectId, role: ctx.viewer.role, subject: ctx.viewer.subject });
  }

  @FieldResolver(() => Project)
  async project(@Root() viewer: ViewerInfo, @Ctx() ctx: Context): Promise<Project> {
    return Project.fromRow(await ctx.loaders.projectById.load(viewer.projectRowId));
  }
}

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Authorized<RoleName>('ADMIN')
  @Query(() => [ApiKey], { description: 'Every API key of the project, revoked ones too, newest first (ADMIN).' })
  async apiKeys(@Ctx() ctx: Context): Promise<ApiKey[]> {
    return (await ctx.services.auth.list(ctx.viewer.projectId)).map(ApiKey.fromRow);
  }

  @Authorized<RoleName>('ADMIN')
  @Mutation(() => CreatedApiKey, { description: 'Creates a key in the caller\'s project; its secret is shown only in this answer (ADMIN).' })
  async createApiKey(
    @Ctx() ctx: Context,
    @Arg('name', () => String, { description: 'What the key is for, 1 to 100 characters.' }) name: string,
    @Arg('role', () => Role, { description: 'What the key may do.' }) role: RoleName,
  ): Promise<CreatedApiKey> {
    const { row, secret } = await ctx.services.auth.createKey(ctx.viewer.projectId, name, role);
    ctx.logger.info({ apiKeyId: row.id, role, by: ctx.viewer.subject }, 'api key created');
    return Object.assign(new CreatedApiKey(), { apiKey: ApiKey.fromRow(row), secret });
  }

  @Authorized<RoleName>('ADMIN')
  @Mutation(() => ApiKey, { description: 'Revokes a key; requests with it are refused from now on (ADMIN).' })
  async revokeApiKey(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<ApiKey> {
    const row = await ctx.services.auth.revoke(ctx.viewer.projectId, fromGlobalId('ApiKey', id));
    ctx.logger.info({ apiKeyId: row.id, by: ctx.viewer.subject }, 'api key revoked');
    return ApiKey.fromRow(row);
  }
}
