import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { sleep } from './sleep.js';

export interface RequestRateLimiter {
  /** Resolves when one more request to the model is within its requests per minute; waits as long as it takes, or until the signal aborts. */
  acquire(modelId: string, requestsPerMinute: number, signal: AbortSignal): Promise<void>;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The shortest whole-second window that keeps the rate exact (120/min: 2 per 1 s): providers enforce quotas over sub-minute spans, so a minute's burst draws 429s. */
export function rateWindow(requestsPerMinute: number): { points: number; seconds: number } {
  if (!Number.isInteger(requestsPerMinute) || requestsPerMinute < 1) {
    throw new Error(`requestsPerMinute must be a whole number of at least 1 (got ${requestsPerMinute})`);
  }
  const divisor = gcd(requestsPerMinute, 60);
  return { points: requestsPerMinute / divisor, seconds: 60 / divisor };
}

/** Requests per minute per model: through Redis when given, so the limit holds across worker processes; in this process otherwise. */
export function createRequestRateLimiter(redis: Redis | null, keyPrefix = 'llm-lab:rpm'): RequestRateLimiter {
  const limiters = new Map<number, RateLimiterAbstract>();

  const limiterFor = (requestsPerMinute: number): RateLimiterAbstract => {
    let limiter = limiters.get(requestsPerMinute);
    if (!limiter) {
      const { points, seconds } = rateWindow(requestsPerMinute);
      // The rate is part of the key, so a model whose limit changes starts a fresh count instead of inheriting one.
      const options = { keyPrefix: `${keyPrefix}:${requestsPerMinute}`, points, duration: seconds };
      limiter = redis ? new RateLimiterRedis({ ...options, storeClient: redis }) : new RateLimiterMemory(options);
      limiters.set(requestsPerMinute, limiter);
    }
    return limiter;
  };

  return {
    async acquire(modelId, requestsPerMinute, signal) {
      const limiter = limiterFor(requestsPerMinute);
      for (;;) {
        if (signal.aborted) throw signal.reason;
        let refused: RateLimiterRes;
        try {
          await limiter.consume(modelId);
          return;
        } catch (err) {
          if (!(err instanceof RateLimiterRes)) {
            throw new Error(`model ${modelId}: the request rate limit could not be checked: ${(err as Error)?.message ?? String(err)}`, { cause: err });
          }
          refused = err;
        }
        await sleep(Math.max(1, refused.msBeforeNext), signal);
      }
    },
  };
}
