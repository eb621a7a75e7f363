import type { Logger } from 'pino';
import type { LabPubSub, Topics } from '../storage/pubsub.js';

/** Topics without an entity id: events that say "there is work". */
type WakeTopic = { [T in keyof Topics]: Topics[T] extends [unknown] ? T : never }[keyof Topics];

export interface Job {
  readonly name: string;
  /** Published when work arrives, so an idle loop starts at once rather than at its next poll; none for periodic jobs. */
  readonly wakeTopic?: WakeTopic;
  /** How long an idle loop waits before looking for work again (default 2 s). */
  readonly idlePollMs?: number;
  /** Loops running this job side by side in one worker process (default 1). */
  readonly concurrency?: number;
  /**
   * Does one unit of work; false when there was none. `signal` aborts when the worker stops:
   * the job ends its unit early and gives leased work back, so another worker resumes it at once.
   */
  runOnce(signal?: AbortSignal): Promise<boolean>;
}

export interface Worker {
  /** Aborts the units of work in progress (each gives its work back), then returns once every loop has ended. */
  stop(): Promise<void>;
}

const IDLE_POLL_MS = 2_000;
const ERROR_BACKOFF_MS = 5_000;

/**
 * Runs each job in its own loop: work while there is work, then wait for a wake-up event or
 * the next poll (the poll finds work whose event was lost, or whose lease ran out elsewhere).
 */
export function startWorker(jobs: Job[], pubsub: LabPubSub, logger: Logger): Worker {
  let stopping = false;
  const stopped = new AbortController();
  const sleepers = new Set<{ topic?: WakeTopic; wake: () => void }>();
  /** Wakes the loops waiting on `topic`, or every loop. */
  const wake = (topic?: WakeTopic) => [...sleepers].filter((s) => topic === undefined || s.topic === topic).forEach((s) => s.wake());
  const topics = [...new Set(jobs.flatMap((job) => (job.wakeTopic ? [job.wakeTopic] : [])))];
  const subscriptions = topics.map((topic) => {
    const events = pubsub.subscribe(topic);
    const listening = (async () => {
      for await (const _event of events) wake(topic);
    })();
    return { events, listening };
  });

  const idle = (job: Job, ms: number) =>
    new Promise<void>((resolve) => {
      const sleeper = {
        topic: job.wakeTopic,
        wake: () => {
          clearTimeout(timer);
          sleepers.delete(sleeper);
          resolve();
        },
      };
      const timer = setTimeout(sleeper.wake, ms);
      sleepers.add(sleeper);
    });

  const loop = async (job: Job) => {
    const log = logger.child({ job: job.name });
    while (!stopping) {
      try {
        if (!(await job.runOnce(stopped.signal))) await idle(job, job.idlePollMs ?? IDLE_POLL_MS);
      } catch (err) {
        if (stopping) break;
        log.error({ err }, 'job failed; retrying after a pause');
        await idle(job, ERROR_BACKOFF_MS);
      }
    }
  };
  const loops = jobs.flatMap((job) => Array.from({ length: job.concurrency ?? 1 }, () => loop(job)));
  logger.info({ jobs: jobs.map((j) => j.name) }, 'worker started');

  return {
    async stop() {
      stopping = true;
      stopped.abort(new Error('the worker is stopping'));
      wake();
      await Promise.all(subscriptions.map((s) => s.events.return?.()));
      await Promise.all([...loops, ...subscriptions.map((s) => s.listening)]);
    },
  };
}
