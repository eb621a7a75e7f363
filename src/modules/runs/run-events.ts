import { DomainError, ErrorCode } from '../../common/errors.js';
import type { LabPubSub } from '../../storage/pubsub.js';
import type { RunEventJson } from './tasks.repo.js';
import { TAKE_LIVE, type LiveTaker, type OffersLiveTaker } from '../../common/live-stream.js';

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
export function runEventStream(
  pubsub: LabPubSub,
  readAfter: (afterSequence: number, limit: number) => Promise<RunEventJson[]>,
  runId: string,
  afterSequence: number,
  maxBehind = MAX_EVENTS_BEHIND,
): AsyncGenerator<RunEventJson, void, undefined> & OffersLiveTaker {
  const state = { last: afterSequence, taker: null as LiveTaker | null };
  // The fast lane (src/common/live-stream.ts): the next event in order, not the final one (the stream ends after it), while
  // the consumer waits with nothing queued, so no event can overtake one still on its way through next().
  const fast = (item: RunEventJson | { at: number }) => {
    if (state.taker === null || !('sequence' in item) || item.sequence !== state.last + 1 || isFinal(item) || !state.taker(item)) return false;
    state.last = item.sequence;
    return true;
  };
  // After Redis came back, events published while it was away never arrive: read them from the store.
  const live = boundedListener<RunEventJson | { at: number }>(
    maxBehind,
    (push) => [pubsub.listen(`run:events:${runId}`, push as (payload: unknown) => void), pubsub.listen('pubsub:reconnected', push as (payload: unknown) => void)],
    fast,
  );
  return Object.assign(events(live, readAfter, state, maxBehind), {
    [TAKE_LIVE]: (taker: LiveTaker) => {
      state.taker = taker;
    },
  });
}

const isFinal = (event: RunEventJson) => event.status !== null && FINAL.has(event.status);

async function* events(
  live: ReturnType<typeof boundedListener<RunEventJson | { at: number }>>,
  readAfter: (afterSequence: number, limit: number) => Promise<RunEventJson[]>,
  state: { last: number },
  maxBehind: number,
): AsyncGenerator<RunEventJson, void, undefined> {
  /** Stored events after the last one given, up to `until`. */
  async function* stored(until: number): AsyncGenerator<RunEventJson> {
    while (state.last < until) {
      const page = await readAfter(state.last, Math.min(REPLAY_PAGE, until - state.last));
      if (page.length === 0) return;
      for (const event of page) {
        state.last = event.sequence;
        yield event;
      }
    }
  }
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
          `This subscription fell more than ${maxBehind} events behind and was ended; subscribe again with afterSequence: ${state.last} to resume.`,
          { afterSequence: state.last },
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
      if (event.sequence <= state.last) continue;
      for await (const missed of stored(event.sequence - 1)) {
        yield missed;
        if (isFinal(missed)) return;
      }
      if (event.sequence <= state.last) continue;
      state.last = event.sequence;
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
 * next. Listeners push in the publisher's call, so an item costs no promise until it is read; and
 * none at all when `fast` takes it, which it is offered only while the consumer waits in `next()`
 * with nothing queued (so it never overtakes a queued item).
 */
export function boundedListener<T>(
  max: number,
  attach: (push: (item: T) => void) => (() => void)[],
  fast: (item: T) => boolean = () => false,
): { next(): Promise<IteratorResult<T | typeof OVERFLOW, void>>; return(): Promise<void> } {
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
    if (waiting !== null && queue.length === 0 && fast(item)) return;
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
