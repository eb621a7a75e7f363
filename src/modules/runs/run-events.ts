import { DomainError, ErrorCode } from '../../common/errors.js';
import type { LabPubSub } from '../../storage/pubsub.js';
import type { RunEventJson } from './tasks.repo.js';

/** Publishes events once the statement that appended them committed, in sequence order. */
export function publishRunEvents(pubsub: LabPubSub, events: readonly RunEventJson[] | undefined): void {
  for (const event of events ?? []) pubsub.publish('run:events', event.run_id, event);
}

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
/** Live events a subscriber may fall behind by before its subscription is ended (it resumes by sequence). */
export const MAX_EVENTS_BEHIND = 10_000;
/** Events read from run_events per query while replaying or filling a gap. */
const REPLAY_PAGE = 1_000;

/**
 * A run's events after `afterSequence`, each once and in order: the stored ones, then live ones.
 * It listens before it reads, so nothing falls between the two; a live event ahead of the next
 * expected number (publishers race, or a Redis subscription was not yet active) is preceded by
 * the missing ones read from run_events, and any event already given is skipped; after a lost Redis
 * connection came back, the events published meanwhile are read from run_events too. Ends after
 * the run's final status.
 */
export async function* runEventStream(
  pubsub: LabPubSub,
  readAfter: (afterSequence: number, limit: number) => Promise<RunEventJson[]>,
  runId: string,
  afterSequence: number,
  maxBehind = MAX_EVENTS_BEHIND,
): AsyncGenerator<RunEventJson, void, undefined> {
  // After Redis came back, events published while it was away never arrive: read them from the store.
  const live = boundedListener<RunEventJson | { at: number }>(maxBehind, (push) => [
    pubsub.listen(`run:events:${runId}`, push as (payload: unknown) => void),
    pubsub.listen('pubsub:reconnected', push as (payload: unknown) => void),
  ]);
  let last = afterSequence;
  /** Stored events after the last one given, up to `until`. */
  async function* stored(until: number): AsyncGenerator<RunEventJson> {
    while (last < until) {
      const page = await readAfter(last, Math.min(REPLAY_PAGE, until - last));
      if (page.length === 0) return;
      for (const event of page) {
        last = event.sequence;
        yield event;
      }
    }
  }
  const isFinal = (event: RunEventJson) => event.status !== null && FINAL.has(event.status);
  try {
    for await (const event of stored(Number.MAX_SAFE_INTEGER)) {
      yield event;
      if (isFinal(event)) return;
    }
    for (;;) {
      const next = await live.next();
      if (next.done) return;
      if (next.value === OVERFLOW) {
        throw new DomainError(
          ErrorCode.RATE_LIMITED,
          `This subscription fell more than ${maxBehind} events behind and was ended; subscribe again with afterSequence: ${last} to resume.`,
          { afterSequence: last },
        );
      }
      const event = next.value;
      if (!('sequence' in event)) {
        for await (const missed of stored(Number.MAX_SAFE_INTEGER)) {
          yield missed;
          if (isFinal(missed)) return;
        }
        continue;
      }
      if (event.sequence <= last) continue;
      for await (const missed of stored(event.sequence - 1)) {
        yield missed;
        if (isFinal(missed)) return;
      }
      if (event.sequence <= last) continue;
      last = event.sequence;
      yield event;
      if (isFinal(event)) return;
    }
  } finally {
    await live.return();
  }
}

export const OVERFLOW = Symbol('overflow');

/**
 * A queue of at most `max` items fed by listeners `attach` registers (it returns how to remove
 * them): past `max`, the queue is dropped, the listeners removed, and the consumer gets OVERFLOW
 * next. Listeners push in the publisher's call, so an item costs no promise until it is read.
 */
export function boundedListener<T>(max: number, attach: (push: (item: T) => void) => (() => void)[]): { next(): Promise<IteratorResult<T | typeof OVERFLOW, void>>; return(): Promise<void> } {
  const queue: T[] = [];
  let state: 'open' | 'overflow' | 'done' = 'open';
  let waiting: (() => void) | null = null;
  const wake = () => {
    const resolve = waiting;
    waiting = null;
    resolve?.();
  };
  let detachers: (() => void)[] = [];
  const detach = () => {
    for (const remove of detachers) remove();
    detachers = [];
  };
  const push = (item: T) => {
    if (state !== 'open') return;
    if (queue.length >= max) {
      state = 'overflow';
      queue.length = 0;
      detach();
    } else queue.push(item);
    wake();
  };
  detachers = attach(push);
  return {
    async next() {
      for (;;) {
        if (queue.length > 0) return { done: false, value: queue.shift()! };
        if (state === 'overflow') return { done: false, value: OVERFLOW };
        if (state === 'done') return { done: true, value: undefined };
        await new Promise<void>((resolve) => (waiting = resolve));
      }
    },
    async return() {
      if (state === 'open') state = 'done';
      detach();
      wake();
    },
  };
}
