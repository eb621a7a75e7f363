import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestRateLimiter } from '../../src/providers/index.js';
import { rateWindow } from '../../src/providers/rate-limit.js';

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const live = () => new AbortController().signal;

/** Milliseconds from the start at which each of `count` acquisitions got through. */
async function acquireTimes(acquire: () => Promise<void>, count: number): Promise<number[]> {
  const started = Date.now();
  return Promise.all(Array.from({ length: count }, () => acquire().then(() => Date.now() - started)));
}

describe('rateWindow', () => {
  it('keeps the rate exact in the shortest whole-second window', () => {
    expect(rateWindow(120)).toEqual({ points: 2, seconds: 1 });
    expect(rateWindow(90)).toEqual({ points: 3, seconds: 2 });
    expect(rateWindow(3_000)).toEqual({ points: 50, seconds: 1 });
    expect(rateWindow(7)).toEqual({ points: 7, seconds: 60 });
    expect(() => rateWindow(0)).toThrow(/requestsPerMinute must be a whole number of at least 1/);
  });
});

describe('request rate limit in memory', () => {
  it('lets requestsPerMinute through per window and holds the rest until the next', async () => {
    const limiter = createRequestRateLimiter(null, `test:${randomUUID()}`);
    // 120/min is 2 per second: two at once, two a second later.
    const times = (await acquireTimes(() => limiter.acquire('model-a', 120, live()), 4)).sort((a, b) => a - b);
    expect(times[1]).toBeLessThan(200);
    expect(times[2]).toBeGreaterThanOrEqual(900);
    expect(times[3]).toBeLessThan(1_700);
  });

  it('counts each model on its own', async () => {
    const limiter = createRequestRateLimiter(null, `test:${randomUUID()}`);
    const started = Date.now();
    await limiter.acquire('model-a', 60, live());
    await limiter.acquire('model-b', 60, live());
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('stops waiting when the signal aborts', async () => {
    const limiter = createRequestRateLimiter(null, `test:${randomUUID()}`);
    await limiter.acquire('model-a', 1, live());
    const controller = new AbortController();
    const reason = new Error('worker stopping');
    setTimeout(() => controller.abort(reason), 30);
    const started = Date.now();
    await expect(limiter.acquire('model-a', 1, controller.signal)).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('request rate limit over Redis', () => {
  let redisA: Redis;
  let redisB: Redis;
  beforeAll(() => {
    redisA = new Redis(REDIS_URL);
    redisB = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await Promise.all([redisA.quit(), redisB.quit()]);
  });

  it('shares the limit between limiters, as between worker processes', async () => {
    const prefix = `test:providers:${randomUUID()}`;
    const first = createRequestRateLimiter(redisA, prefix);
    const second = createRequestRateLimiter(redisB, prefix);
    const started = Date.now();
    await first.acquire('model-a', 120, live());
    await second.acquire('model-a', 120, live());
    expect(Date.now() - started).toBeLessThan(500);
    // Both points of this second are spent, one through each limiter: a third waits for the next second.
    await second.acquire('model-a', 120, live());
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(await redisA.exists(`${prefix}:120:model-a`)).toBe(1);
  });

  it('keeps limiters with different prefixes apart', async () => {
    const first = createRequestRateLimiter(redisA, `test:providers:${randomUUID()}`);
    const second = createRequestRateLimiter(redisB, `test:providers:${randomUUID()}`);
    const started = Date.now();
    await first.acquire('model-a', 1, live());
    await second.acquire('model-a', 1, live());
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('fails with a clear message when Redis cannot be reached', async () => {
    const down = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null }).on('error', () => {});
    const limiter = createRequestRateLimiter(down, `test:providers:${randomUUID()}`);
    await expect(limiter.acquire('model-a', 60, live())).rejects.toThrow(/model model-a: the request rate limit could not be checked/);
    down.disconnect();
  });
});
