import type { LabPubSub } from '../../storage/pubsub.js';
import type { RunEventJson } from './tasks.repo.js';

/** A run event as it travels over pub/sub and is replayed from run_events: plain JSON, built once. */
export type RunEventPayload = RunEventJson;

/** Publishes events once the statement that appended them committed, in sequence order. */
export function publishRunEvents(pubsub: LabPubSub, events: readonly RunEventJson[] | undefined): void {
  for (const event of events ?? []) pubsub.publish('run:events', event.run_id, event);
}

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
/** Events read from run_events per query while replaying or filling a gap. */
const REPLAY_PAGE = 1_000;

/**
 * A run's events after `afterSequence`, each once and in order: the stored ones, then live ones.
 * It listens before it reads, so nothing falls between the two; a live event ahead of the next
 * expected number (publishers race, or a Redis subscription was not yet active) is preceded by
 * the missing ones read from run_events, and any event already given is skipped. Ends after the
 * run's final status.
 */
export async function* runEventStream(
  pubsub: LabPubSub,
  readAfter: (afterSequence: number, limit: number) => Promise<RunEventJson[]>,
  runId: string,
  afterSequence: number,
): AsyncGenerator<RunEventJson, void, undefined> {
  const live = pubsub.subscribe('run:events', runId);
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
    for await (const event of live) {
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
    await live.return?.();
  }
}
