import { DomainError, ErrorCode } from '../../common/errors.js';
import type { LabPubSub } from '../../storage/pubsub.js';
import { boundedListener, OVERFLOW } from '../runs/run-events.js';
import type { RunEventJson } from '../runs/tasks.repo.js';
import type { MetricPointRow } from './metric-store.js';

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
/** Batches of points (one per settled write) and run events a subscriber may fall behind by before it is ended. */
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
  const live = boundedListener<{ points: MetricPointRow[] } | RunEventJson>(maxBehind, (push) => [
    pubsub.listen(`run:metrics:${runId}`, push as (payload: unknown) => void),
    pubsub.listen(`run:events:${runId}`, push as (payload: unknown) => void),
  ]);
  try {
    if (!(await stillLive())) return;
    for (;;) {
      const next = await live.next();
      if (next.done) return;
      if (next.value === OVERFLOW) {
        throw new DomainError(ErrorCode.RATE_LIMITED, `This subscription fell more than ${maxBehind} batches of points behind and was ended; read Run.metrics for what it missed and subscribe again.`);
      }
      const item = next.value;
      if ('points' in item) {
        for (const point of item.points) if (!names || names.has(point.name)) yield point;
      } else if (item.status !== null && FINAL.has(item.status)) {
        return;
      }
    }
  } finally {
    await live.return();
  }
}
