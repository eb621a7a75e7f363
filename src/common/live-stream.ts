/**
 * A stream's optional fast lane: a consumer that can take a live item at once (write it to a socket,
 * say) registers a taker under this key on the stream's iterator, and the stream hands it each live
 * item that needs nothing more (the next in order, while the consumer is waiting for it) in the
 * publisher's call: no promise or iterator step per item. The taker returns false to refuse one (its
 * result is not ready, its socket is full); that item, and those after it, then come through
 * `next()` as usual. Streams that do not offer it are read through `next()` alone.
 */
export const TAKE_LIVE = Symbol.for('llm-lab.takeLive');

export type LiveTaker = (item: unknown) => boolean;

export interface OffersLiveTaker {
  [TAKE_LIVE](taker: LiveTaker): void;
}

export function offersLiveTaker(value: unknown): value is OffersLiveTaker {
  return typeof value === 'object' && value !== null && typeof (value as Partial<OffersLiveTaker>)[TAKE_LIVE] === 'function';
}
