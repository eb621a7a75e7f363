import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { fromGlobalId } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import { ApiKey } from '../auth/auth.types.js';
import type { RoleName } from '../auth/viewer.js';
import type { Page } from '../common/connection.js';
import { newestFirstPage } from '../common/connection.js';
import { AuditEvent, AuditEventConnection } from './audit.types.js';

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  @Authorized<RoleName>('ADMIN')
  @Query(() => AuditEventConnection, { description: 'Every mutation attempt in the caller\'s project, newest first (ADMIN).' })
  auditEvents(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
    @Arg('actorApiKeyId', () => ID, { nullable: true, description: 'Only the attempts made with this API key.' }) actorApiKeyId?: string,
    @Arg('action', () => String, { nullable: true, description: 'Only this mutation, e.g. startRun.' }) action?: string,
  ): Promise<Page<AuditEvent>> {
    const { projectId } = ctx.viewer;
    const filter = { actorApiKeyId: actorApiKeyId == null ? null : fromGlobalId('ApiKey', actorApiKeyId, 'actorApiKeyId'), action };
    return newestFirstPage(first, after, {
      fetch: (keyset, limit) => ctx.services.audit.list(projectId, filter, keyset, limit),
      count: () => ctx.services.audit.count(projectId, filter),
      node: AuditEvent.fromRow,
    });
  }

  @FieldResolver(() => ApiKey, { nullable: true, description: 'The API key that made the attempt; null for a token\'s subject or a deleted key.' })
  async actor(@Root() event: AuditEvent, @Ctx() ctx: Context): Promise<ApiKey | null> {
    if (!event.actorApiKeyId) return null;
    return ApiKey.fromRow(await ctx.loaders.apiKeyById.load(event.actorApiKeyId));
  }
}
