import type { Logger } from 'pino';
import type { LabPubSub, Topics } from '../storage/pubsub.js';

/** Topics without an entity id: events that say "there is work". */
type WakeTopic = { [T in keyof Topics]: Topics[T] extends [unknown] ? T : never }[keyof Topics];

export interface Job {
  readonly name: string;
  /** Published when work arrives, so an idle loop starts at once rather than at its next poll. */
  readonly wakeTopic: WakeTopic;
  /** Does one unit of work; false when there was none. */
  runOnce(): Promise<boolean>;
}

export interface Worker {
  /** Lets the current unit of work finish, then returns. */
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
  const wakers = new Map<WakeTopic, Set<() => void>>();
  const wake = (topic: WakeTopic) => [...(wakers.get(topic) ?? [])].forEach((done) => done());
  const wakeAll = () => [...wakers.keys()].forEach(wake);
  const subscriptions = [...new Set(jobs.map((job) => job.wakeTopic))].map((topic) => {
    const events = pubsub.subscribe(topic);
    const listening = (async () => {
      for await (const _event of events) wake(topic);
    })();
    return { events, listening };
  });

  const idle = (topic: WakeTopic, ms: number) =>
    new Promise<void>((resolve) => {
      const waiting = wakers.get(topic) ?? new Set<() => void>();
      wakers.set(topic, waiting);
      const done = () => {
        clearTimeout(timer);
        waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiting.add(done);
    });

  const loops = jobs.map(async (job) => {
    const log = logger.child({ job: job.name });
    while (!stopping) {
      try {
        if (!(await job.runOnce())) await idle(job.wakeTopic, IDLE_POLL_MS);
      } catch (err) {
        log.error({ err }, 'job failed; retrying after a pause');
        await idle(job.wakeTopic, ERROR_BACKOFF_MS);
      }
    }
  });
  logger.info({ jobs: jobs.map((j) => j.name) }, 'worker started');

  return {
    async stop() {
      stopping = true;
      wakeAll();
      await Promise.all(subscriptions.map((s) => s.events.return?.()));
      await Promise.all([...loops, ...subscriptions.map((s) => s.listening)]);
    },
  };
}
