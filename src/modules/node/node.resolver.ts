import type DataLoader from 'dataloader';
import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { DomainError, ErrorCode } from '../../common/errors.js';
import { parseGlobalId } from '../../common/global-id.js';
import type { Context } from '../../server/context.js';
import { authorizeNode } from '../auth/authorization.js';
import type { RoleName } from '../auth/viewer.js';
import { Node } from '../common/node.types.js';

@Resolver()
export class NodeResolver {
  @Authorized<RoleName>('VIEWER')
  @Query(() => Node, { nullable: true, description: "Any entity by its global ID; NOT_FOUND when it is not in the caller's project. An ApiKey needs the ADMIN role, as apiKeys does." })
  async node(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Node> {
    const parsed = parseGlobalId(id);
    // Read through the same project-scoped loader as every other field of that type (src/app/modules.ts lists them).
    const spec = parsed && ctx.nodes.get(parsed.type);
    if (!parsed || !spec) throw new DomainError(ErrorCode.NOT_FOUND, `No object with id ${id} in this project.`, { id });
    authorizeNode(ctx.viewer, parsed.type);
    const loader = (ctx.loaders as unknown as Record<string, DataLoader<string, never>>)[spec.loader]!;
    return spec.fromRow(await loader.load(parsed.id)) as Node;
  }
}
