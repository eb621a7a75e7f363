import { createPubSub, type PubSub } from '@graphql-yoga/subscription';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';

/**
 * Typed topics, one per entity: subscribers of `experiment:updated` listen on one experiment's id.
 * Payloads carry ids only; subscribers read the entity fresh, so payloads survive JSON over Redis.
 */
export type Topics = {
  'experiment:updated': [experimentId: string, payload: { experimentId: string }];
  /** Wakes idle workers: a dataset version is waiting to be validated. */
  'jobs:dataset-validation': [payload: { datasetVersionId: string }];
};

export type LabPubSub = PubSub<Topics>;

export interface PubSubHandle {
  pubsub: LabPubSub;
  close(): Promise<void>;
}

/** Redis pub/sub when a URL is given (events cross processes), else in this process only. */
export function createLabPubSub(redisUrl?: string): PubSubHandle {
  if (!redisUrl) return { pubsub: createPubSub<Topics>(), close: async () => {} };
  const publishClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  return {
    pubsub: createPubSub<Topics>({ eventTarget }),
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
