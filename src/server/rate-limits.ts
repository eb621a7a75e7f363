import type { Redis } from 'ioredis';
import { isObjectType, type GraphQLField, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import { DomainError, ErrorCode } from '../common/errors.js';
import { limitRefusals } from '../observability/metrics.js';
import type { Context } from './context.js';

/** Calls per API key per minute, by kind of root field, with per-field exceptions; 0 is no limit. */
export interface RateLimitSettings {
  queriesPerMinute: number;
  mutationsPerMinute: number;
  subscriptionsPerMinute: number;
  fields: Readonly<Record<string, number>>;
}

export function rateLimitSettings(limits: Config['limits']): RateLimitSettings {
  return {
    queriesPerMinute: limits.LAB_RATE_LIMIT_QUERIES_PER_MINUTE,
    mutationsPerMinute: limits.LAB_RATE_LIMIT_MUTATIONS_PER_MINUTE,
    subscriptionsPerMinute: limits.LAB_RATE_LIMIT_SUBSCRIPTIONS_PER_MINUTE,
    fields: limits.LAB_RATE_LIMIT_FIELDS,
  };
}

/**
 * Limits each root field per API key and minute (rate-limiter-flexible: in Redis when the lab has it,
 * so every API process shares the count; in this process otherwise, and as the fallback while Redis
 * is unreachable). A refusal is RATE_LIMITED with `retryAfterSeconds`, over HTTP (429) and WebSocket
 * alike; opening a subscription counts once. Root fields only: nested fields pay nothing.
 * Not graphql-rate-limit: its 3.x depends on graphql-shield 7, which the lab dropped (it wraps every
 * field, and its last release cannot load on Node 24), and it keeps no count across processes itself.
 */
export function rateLimitRootFields(schema: GraphQLSchema, settings: RateLimitSettings, redis: Redis | null): void {
  const limiters = new Map<number, RateLimiterAbstract>();
  const limiterFor = (perMinute: number) => {
    let limiter = limiters.get(perMinute);
    if (!limiter) {
      // The rate is in the prefix: a limit changed by config starts a fresh count.
      const options = { keyPrefix: `llm-lab:api:${perMinute}`, points: perMinute, duration: 60 };
      limiter = redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) }) : new RateLimiterMemory(options);
      limiters.set(perMinute, limiter);
    }
    return limiter;
  };

  const check = async (ctx: Context, field: string, perMinute: number, limiter: RateLimiterAbstract) => {
    try {
      await limiter.consume(`${ctx.viewer.apiKeyId ?? ctx.viewer.subject}:${field}`);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      limitRefusals.inc({ limit: 'rate' });
      const retryAfterSeconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        `${field}: this API key is over its limit of ${perMinute} a minute; retry in ${retryAfterSeconds} s, or ask an operator to raise LAB_RATE_LIMIT_FIELDS for ${field}.`,
        { retryAfterSeconds },
      );
    }
  };

  const wrap = (type: GraphQLObjectType | null | undefined, perMinute: number, hook: 'resolve' | 'subscribe') => {
    if (!type || !isObjectType(type)) return;
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, Context>[]) {
      const limit = settings.fields[field.name] ?? perMinute;
      const inner = field[hook] as GraphQLFieldResolver<unknown, Context> | undefined;
      if (limit === 0 || !inner) continue;
      const limiter = limiterFor(limit);
      field[hook] = async (source, args, ctx, info) => {
        await check(ctx, field.name, limit, limiter);
        return inner(source, args, ctx, info);
      };
    }
  };
  wrap(schema.getQueryType(), settings.queriesPerMinute, 'resolve');
  wrap(schema.getMutationType(), settings.mutationsPerMinute, 'resolve');
  wrap(schema.getSubscriptionType(), settings.subscriptionsPerMinute, 'subscribe');
}
