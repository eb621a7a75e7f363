import { DomainError, ErrorCode } from '../../common/errors.js';
import type { LabPubSub } from '../../storage/pubsub.js';
import { boundedQueue, OVERFLOW } from '../runs/run-events.js';
import type { MetricPointRow } from './metric-store.js';

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
/** Batches of points (one per settled write) a subscriber may fall behind by before it is ended. */
export const MAX_BATCHES_BEHIND = 10_000;

/**
 * A run's metric points as workers record them, only `names` when given, live (points are not
 * replayed: Run.metrics and Task.metrics hold them); ends when the run reaches a final status.
 */
export async function* metricPointStream(
  pubsub: LabPubSub,
  runId: string,
  names: ReadonlySet<string> | null,
  /** Asked once listening: false when the run ended before, so no final event is coming. */
  stillLive: () => Promise<boolean>,
  maxBehind = MAX_BATCHES_BEHIND,
): AsyncGenerator<MetricPointRow, void, undefined> {
  const points = boundedQueue(pubsub.subscribe('run:metrics', runId), maxBehind);
  const events = boundedQueue(pubsub.subscribe('run:events', runId), maxBehind);
  let nextPoints = points.next();
  let nextEvent = events.next();
  try {
    if (!(await stillLive())) return;
    for (;;) {
      const which = await Promise.race([nextPoints.then((r) => ({ from: 'points' as const, r })), nextEvent.then((r) => ({ from: 'events' as const, r }))]);
      if (which.r.done) return;
      if (which.r.value === OVERFLOW) {
        throw new DomainError(ErrorCode.RATE_LIMITED, `This subscription fell more than ${maxBehind} batches of points behind and was ended; read Run.metrics for what it missed and subscribe again.`);
      }
      if (which.from === 'events') {
        const event = which.r.value as { status: string | null };
        if (event.status !== null && FINAL.has(event.status)) return;
        nextEvent = events.next();
        continue;
      }
      for (const point of (which.r.value as { points: MetricPointRow[] }).points) if (!names || names.has(point.name)) yield point;
      nextPoints = points.next();
    }
  } finally {
    await Promise.all([points.return(), events.return()]);
  }
}
