import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { parseGlobalId } from '../common/global-id.js';
import type { Context } from './context.js';
import { errorCodeOf } from './errors.js';

const MAX_TARGETS = 50;
const MAX_DEPTH = 4;

/** Argument keys that hold ids: `id`, `runId`, `promptVersionIds`, ... */
const isIdKey = (key: string) => key === 'id' || key === 'ids' || key.endsWith('Id') || key.endsWith('Ids');

/** Global ids under id-named keys of the arguments; nothing else of them is read, so no secret is kept. */
function idsInArguments(value: unknown, key: string, out: Set<string>, depth: number): void {
  if (out.size >= MAX_TARGETS || depth > MAX_DEPTH || value === null || typeof value !== 'object') {
    if (typeof value === 'string' && isIdKey(key) && parseGlobalId(value) && out.size < MAX_TARGETS) out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) idsInArguments(item, key, out, depth + 1);
    return;
  }
  for (const [k, v] of Object.entries(value)) idsInArguments(v, k, out, depth + 1);
}

/** The id of what the mutation returned, or of the objects its payload holds (`createApiKey { apiKey }`). */
function idsInResult(result: unknown, out: Set<string>): void {
  if (result === null || typeof result !== 'object') return;
  const own = (result as { id?: unknown }).id;
  if (typeof own === 'string' && parseGlobalId(own)) {
    out.add(own);
    return;
  }
  for (const value of Object.values(result)) {
    const id = value !== null && typeof value === 'object' ? (value as { id?: unknown }).id : undefined;
    if (typeof id === 'string' && parseGlobalId(id) && out.size < MAX_TARGETS) out.add(id);
  }
}

/**
 * Wraps every Mutation field so that each attempt, refused or not, is written to the audit log once
 * it ends: outermost, so a refusal by role or by argument validation (inside type-graphql's own
 * wrapper) is recorded too. Root fields only: nested fields pay nothing.
 */
export function auditMutations(schema: GraphQLSchema): void {
  const mutation = schema.getMutationType();
  if (!mutation || !isObjectType(mutation)) return;
  for (const field of Object.values(mutation.getFields())) {
    const resolve = field.resolve as GraphQLFieldResolver<unknown, Context> | undefined;
    if (!resolve) continue;
    field.resolve = async (source, args: Record<string, unknown>, ctx: Context, info) => {
      let outcome = 'OK';
      let result: unknown;
      try {
        result = await resolve(source, args, ctx, info);
        return result;
      } catch (err) {
        outcome = errorCodeOf(err);
        throw err;
      } finally {
        const targetIds = new Set<string>();
        idsInArguments(args, '', targetIds, 0);
        idsInResult(result, targetIds);
        const { viewer } = ctx;
        await ctx.services.audit
          .record({
            projectId: viewer.projectId,
            actorApiKeyId: viewer.apiKeyId,
            actorName: viewer.subject,
            action: info.fieldName,
            targetIds: [...targetIds],
            outcome,
            requestId: ctx.requestId,
          })
          // The mutation itself has ended (and may have committed): a lost audit line is logged, not shown as its failure.
          .catch((err: unknown) => ctx.logger.error({ err, action: info.fieldName, outcome }, 'could not write the audit event of a mutation'));
      }
    };
  }
}
