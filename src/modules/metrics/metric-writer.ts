import { ExponentialBackoff, handleAll, retry, type RetryPolicy } from 'cockatiel';
import type { Logger } from 'pino';
import type { MetricPointRow, MetricStore } from './metric-store.js';

export interface MetricWriterOptions {
  /**
   * An insert starts as soon as this many points are waiting. It takes every point waiting, so
   * when the store is slower than the writers, inserts grow (to maxBuffered at most) instead of queueing.
   */
  batchSize: number;
  /** Milliseconds the first waiting point waits before a smaller batch is written. */
  flushMs: number;
  /** Points held at most (waiting or being inserted); write() waits for room beyond. At least batchSize. */
  maxBuffered: number;
  /** First wait before retrying a failed insert, in ms; it grows exponentially, with jitter. */
  retryInitialDelayMs: number;
  /** Longest wait between two attempts of a failed insert, in ms. */
  retryMaxDelayMs: number;
}

export const metricWriterDefaults: MetricWriterOptions = {
  batchSize: 5_000,
  flushMs: 1_000,
  maxBuffered: 50_000,
  retryInitialDelayMs: 100,
  retryMaxDelayMs: 10_000,
};

export interface MetricWriterStats {
  /** Points written and not yet inserted: the batch in flight and the writes waiting for room included. */
  buffered: number;
  /** Points the store took. */
  inserted: number;
  /** Insert attempts that failed (the store refused or did not answer); each is retried. */
  failedInserts: number;
}

/**
 * Writes metric points to a store in batches (thousands of points, about once a second), in the
 * order written, one insert at a time, each taking every point waiting. A failed insert is
 * retried with exponential backoff and jitter until it succeeds, so no point is lost or
 * reordered. Memory is bounded: while `maxBuffered` points are held, write() waits for an insert
 * to make room.
 *
 * Written by hand: no library found batches with backpressure and ordered, unbounded retries.
 */
export class MetricWriter {
  private readonly options: MetricWriterOptions;
  private readonly policy: RetryPolicy;
  /** Accepted points in order; the batch being inserted is at the front until the store took it. */
  private buffer: MetricPointRow[] = [];
  private appended = 0;
  private inserted = 0;
  private failedInserts = 0;
  /** Points appended before this count are written without waiting for a full batch. */
  private flushUpTo = 0;
  private timer: NodeJS.Timeout | null = null;
  private draining = false;
  /** Told after each insert the store took (or with an error once close gave up). */
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** The writes waiting for room, chained so they enter the buffer in call order. */
  private admission: Promise<void> = Promise.resolve();
  private blockedWrites = 0;
  private blockedPoints = 0;
  private closing = false;
  private readonly gaveUp = new AbortController();

  constructor(
    private readonly store: MetricStore,
    private readonly logger: Logger,
    options: Partial<MetricWriterOptions> = {},
  ) {
    this.options = { ...metricWriterDefaults, ...options };
    const { batchSize, flushMs, maxBuffered } = this.options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a whole number of at least 1 (got ${batchSize})`);
    if (!Number.isInteger(maxBuffered) || maxBuffered < batchSize) throw new RangeError(`maxBuffered must be a whole number of at least batchSize (got ${maxBuffered})`);
    if (!(flushMs >= 0)) throw new RangeError(`flushMs must be at least 0 (got ${flushMs})`);
    this.policy = retry(handleAll, {
      backoff: new ExponentialBackoff({ initialDelay: this.options.retryInitialDelayMs, maxDelay: this.options.retryMaxDelayMs }),
    });
    this.policy.onRetry((event) => {
      const err = 'error' in event ? event.error : undefined;
      this.logger.warn({ err, attempt: event.attempt, delayMs: Math.round(event.delay), buffered: this.buffer.length }, 'metric writer: an insert failed; retrying');
    });
  }

  /**
   * Accepts the points, in order after those written before. Resolves at once while there is room;
   * otherwise when the points are in the buffer. Rejects a point the store could never take
   * (nothing of that call is kept), and every write after close().
   */
  async write(points: readonly MetricPointRow[]): Promise<void> {
    if (this.closing) throw new Error('metric writer: write after close');
    checkPoints(points);
    if (points.length === 0) return;
    if (this.blockedWrites === 0 && this.buffer.length + points.length <= this.options.maxBuffered) {
      this.append(points, 0, points.length);
      return;
    }
    this.blockedWrites++;
    this.blockedPoints += points.length;
    const admitted = this.admit(points, this.admission);
    this.admission = admitted.catch(() => {});
    await admitted;
  }

  /** Resolves when every point written before the call is in the store. */
  async flush(): Promise<void> {
    await this.admission;
    const target = this.appended;
    this.flushUpTo = Math.max(this.flushUpTo, target);
    this.kick();
    while (this.inserted < target) await this.progress();
  }

  /**
   * Writes what is waiting and stops taking points. After `timeoutMs` it gives up: it logs how
   * many points were not written, stops retrying, and rejects the writes still waiting for room.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    let timeout: NodeJS.Timeout | undefined;
    const flushed = await Promise.race([
      this.flush().then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => (timeout = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timeout);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (flushed) return;
    const notWritten = this.buffer.length + this.blockedPoints;
    this.gaveUp.abort();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new Error('metric writer: closed before these points were written'));
    this.logger.error({ notWritten, inserted: this.inserted, failedInserts: this.failedInserts, timeoutMs }, `metric writer: gave up on close after ${timeoutMs} ms; ${notWritten} points not written`);
  }

  stats(): MetricWriterStats {
    return { buffered: this.buffer.length + this.blockedPoints, inserted: this.inserted, failedInserts: this.failedInserts };
  }

  private async admit(points: readonly MetricPointRow[], turn: Promise<void>): Promise<void> {
    let offset = 0;
    try {
      await turn;
      while (offset < points.length) {
        const room = this.options.maxBuffered - this.buffer.length;
        if (room > 0) {
          const end = Math.min(points.length, offset + room);
          this.append(points, offset, end);
          this.blockedPoints -= end - offset;
          offset = end;
        } else {
          await this.progress();
        }
      }
    } finally {
      this.blockedWrites--;
      this.blockedPoints -= points.length - offset;
    }
  }

  private append(points: readonly MetricPointRow[], from: number, to: number): void {
    for (let i = from; i < to; i++) this.buffer.push(points[i]!);
    this.appended += to - from;
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flushUpTo = this.appended;
        this.kick();
      }, this.options.flushMs);
    }
    if (this.buffer.length >= this.options.batchSize) this.kick();
  }

  private due(): boolean {
    return this.buffer.length >= this.options.batchSize || (this.buffer.length > 0 && this.inserted < this.flushUpTo);
  }

  /** Starts the insert loop unless it runs: one insert in flight at a time. */
  private kick(): void {
    if (this.draining || !this.due() || this.gaveUp.signal.aborted) return;
    this.draining = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.due() && !this.gaveUp.signal.aborted) {
        // Everything waiting: ClickHouse takes fewer, larger inserts faster (each makes a part to merge).
        const batch = this.buffer.slice();
        try {
          await this.policy.execute(async ({ signal }) => {
            if (signal.aborted) throw new Error('metric writer: gave up');
            try {
              await this.store.insert(batch);
            } catch (err) {
              this.failedInserts++;
              throw err;
            }
          }, this.gaveUp.signal);
        } catch {
          return; // only once close gave up: the failure is logged there
        }
        this.buffer.splice(0, batch.length);
        this.inserted += batch.length;
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w.resolve();
      }
    } finally {
      this.draining = false;
    }
  }

  private progress(): Promise<void> {
    if (this.gaveUp.signal.aborted) return Promise.reject(new Error('metric writer: closed before these points were written'));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}

const UINT32_MAX = 2 ** 32 - 1;
const isUInt32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= UINT32_MAX;

/** Refuses, before it is buffered, a point no store could take: it would be retried forever. */
function checkPoints(points: readonly MetricPointRow[]): void {
  for (const p of points) {
    if (
      typeof p.projectId !== 'string' ||
      typeof p.experimentId !== 'string' ||
      typeof p.runId !== 'string' ||
      typeof p.taskId !== 'string' ||
      typeof p.modelId !== 'string' ||
      typeof p.promptVersionId !== 'string' ||
      typeof p.name !== 'string'
    ) {
      throw new TypeError('metric point: ids and name must be strings');
    }
    if (typeof p.value !== 'number' || !Number.isFinite(p.value)) throw new RangeError(`metric ${p.name} of task ${p.taskId}: value ${p.value} is not a finite number`);
    if (!Number.isSafeInteger(p.timeMs) || p.timeMs < 0) throw new RangeError(`metric point: timeMs must be a whole number of milliseconds since 1970 (got ${p.timeMs})`);
    if (!isUInt32(p.rowIndex) || !isUInt32(p.repetition)) throw new RangeError(`metric point: rowIndex and repetition must be whole numbers from 0 to 2^32 - 1 (got ${p.rowIndex}, ${p.repetition})`);
  }
}
