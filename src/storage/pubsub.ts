import { createPubSub, type PubSub } from '@graphql-yoga/subscription';
import type { TypedEventTarget } from '@graphql-yoga/typed-event-target';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { MetricPointRow } from '../modules/metrics/metric-store.js';
import type { RunEventJson } from '../modules/runs/tasks.repo.js';

/**
 * Typed topics, one per entity: subscribers of `experiment:updated` listen on one experiment's id.
 * Payloads carry ids only; subscribers read the entity fresh, so payloads survive JSON over Redis.
 */
export type Topics = {
  'experiment:updated': [experimentId: string, payload: { experimentId: string }];
  /** Wakes idle workers: a dataset version is waiting to be validated. */
  'jobs:dataset-validation': [payload: { datasetVersionId: string }];
  /** A run's events, in sequence order per publisher, each built once with its payload (see run-events.ts). */
  'run:events': [runId: string, payload: RunEventJson];
  /** A run's metric points as a worker settled them, for metricPoints subscribers. */
  'run:metrics': [runId: string, payload: { points: MetricPointRow[] }];
  /** Wakes idle workers: a run has tasks to claim. */
  'jobs:tasks': [payload: { runId: string }];
  /** Wakes idle workers: a run may have no task left, so it can be finished. */
  'jobs:run-finish': [payload: { runId: string }];
  /** Workers abort the calls in flight of this run. */
  'runs:cancelled': [payload: { runId: string }];
  /**
   * Local only, never sent to Redis: this process's Redis subscription came back after a lost
   * connection, so messages published meanwhile never arrived. Streams that can re-read what they
   * missed (run events) do so on it.
   */
  'pubsub:reconnected': [payload: { at: number }];
  /** Every API process closes the WebSocket connections that authenticated with this key. */
  'api-key:revoked': [payload: { apiKeyId: string }];
};

export interface LabPubSub extends PubSub<Topics> {
  /**
   * Calls `listener` with each payload published on `channel` (`routingKey:id`, or the routing key
   * alone), in the publisher's call, until the returned function is called: no iterator and no
   * promise per event, for topics with many subscribers in one process (a run's events).
   */
  listen(channel: string, listener: (payload: unknown) => void): () => void;
}

/** graphql-yoga's PubSub over `target`, with `listen` on the same target. */
function labPubSubOver(target: TypedEventTarget<CustomEvent>): LabPubSub {
  return Object.assign(createPubSub<Topics>({ eventTarget: target }), {
    listen(channel: string, listener: (payload: unknown) => void) {
      const callback = (event: CustomEvent) => listener(event.detail);
      target.addEventListener(channel, callback);
      return () => target.removeEventListener(channel, callback);
    },
  });
}

export interface PubSubHandle {
  pubsub: LabPubSub;
  close(): Promise<void>;
}

type Listener = (event: CustomEvent) => void;
const RECONNECTED: keyof Topics = 'pubsub:reconnected';
type ListenerArg = Listener | { handleEvent: Listener } | null;

/**
 * Redis channels as the event target of graphql-yoga's PubSub. Written here because
 * @graphql-yoga/redis-event-target leaves its publish/subscribe promises unhandled, so a Redis
 * outage rejects them unobserved and ends the process; here a failed call is logged, and pub/sub
 * resumes when ioredis reconnects (it re-subscribes by itself).
 */
export function createRedisEventTarget(publisher: Redis, subscriber: Redis, logger: Logger): TypedEventTarget<CustomEvent> {
  const listeners = new Map<string, Set<Listener>>();
  const logFailure = (action: string, channel: string) => (err: unknown) => logger.warn({ err, channel }, `redis pub/sub: ${action} failed`);
  subscriber.on('message', (channel: string, message: string) => {
    const callbacks = listeners.get(channel);
    if (!callbacks) return;
    const event = new CustomEvent(channel, { detail: message === '' ? null : JSON.parse(message) });
    for (const callback of callbacks) callback(event);
  });
  const callbackOf = (listener: ListenerArg): Listener | null =>
    listener === null ? null : 'handleEvent' in listener ? (e) => listener.handleEvent(e) : listener;
  const registered = new WeakMap<object, Listener>();
  // ioredis re-subscribes by itself after a reconnect; what was published in between is gone.
  let connectedBefore = false;
  subscriber.on('ready', () => {
    if (connectedBefore) {
      const event = new CustomEvent(RECONNECTED, { detail: { at: Date.now() } });
      for (const callback of listeners.get(RECONNECTED) ?? []) callback(event);
    }
    connectedBefore = true;
  });
  return {
    addEventListener(channel: string, listener: ListenerArg) {
      const callback = callbackOf(listener);
      if (!callback || !listener) return;
      registered.set(listener, callback);
      let callbacks = listeners.get(channel);
      if (!callbacks) {
        callbacks = new Set();
        listeners.set(channel, callbacks);
        if (channel !== RECONNECTED) subscriber.subscribe(channel).catch(logFailure('subscribe', channel));
      }
      callbacks.add(callback);
    },
    removeEventListener(channel: string, listener: ListenerArg) {
      const callback = listener && registered.get(listener);
      const callbacks = listeners.get(channel);
      if (!callback || !callbacks) return;
      callbacks.delete(callback);
      if (callbacks.size > 0) return;
      listeners.delete(channel);
      if (channel !== RECONNECTED) subscriber.unsubscribe(channel).catch(logFailure('unsubscribe', channel));
    },
    dispatchEvent(event: CustomEvent) {
      if (event.type === RECONNECTED) return true;
      publisher.publish(event.type, event.detail === undefined ? '' : JSON.stringify(event.detail)).catch(logFailure('publish', event.type));
      return true;
    },
  } as unknown as TypedEventTarget<CustomEvent>;
}

/** Redis pub/sub when a URL is given (events cross processes), else in this process only. */
export function createLabPubSub(redisUrl: string | undefined, logger: Logger): PubSubHandle {
  if (!redisUrl) return { pubsub: labPubSubOver(new EventTarget() as TypedEventTarget<CustomEvent>), close: async () => {} };
  const client = () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    redis.on('error', (err) => logger.warn({ err }, 'redis connection error; retrying'));
    return redis;
  };
  const publisher = client();
  const subscriber = client();
  return {
    pubsub: labPubSubOver(createRedisEventTarget(publisher, subscriber, logger)),
    close: async () => {
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}
