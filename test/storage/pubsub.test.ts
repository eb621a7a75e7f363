import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLabPubSub, createRedisEventTarget } from '../../src/storage/pubsub.js';

const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

describe('pub/sub over Redis', () => {
  it('carries an event from one process\'s pub/sub to another\'s, on its entity topic only', async () => {
    const logger = pino({ level: 'silent' });
    const api = createLabPubSub(REDIS_URL, logger);
    const worker = createLabPubSub(REDIS_URL, logger);
    try {
      const events = worker.pubsub.subscribe('experiment:updated', 'exp-1');
      const next = events.next();
      await new Promise((r) => setTimeout(r, 200)); // the SUBSCRIBE reaches Redis
      api.pubsub.publish('experiment:updated', 'exp-2', { experimentId: 'exp-2' });
      api.pubsub.publish('experiment:updated', 'exp-1', { experimentId: 'exp-1' });
      expect((await next).value).toEqual({ experimentId: 'exp-1' });
      await events.return?.();
    } finally {
      await Promise.all([api.close(), worker.close()]);
    }
  });

  it('logs a publish or subscribe that Redis cannot take, instead of leaving a rejection that ends the process', async () => {
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line).msg) });
    // Nothing listens on port 1; without an offline queue every command fails at once.
    const down = () => new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null }).on('error', () => {});
    const publisher = down();
    const subscriber = down();
    const target = createRedisEventTarget(publisher, subscriber, logger);
    target.addEventListener('topic', () => {});
    target.dispatchEvent(new CustomEvent('topic', { detail: { a: 1 } }));
    await new Promise((r) => setTimeout(r, 100));
    expect(warnings).toEqual(expect.arrayContaining(['redis pub/sub: subscribe failed', 'redis pub/sub: publish failed']));
    publisher.disconnect();
    subscriber.disconnect();
  });
});
