import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MetricPointRow, MetricStore } from '../../src/modules/metrics/metric-store.js';
import { MetricWriter, type MetricWriterOptions } from '../../src/modules/metrics/metric-writer.js';

/** A store that records the inserts it took, can refuse the next N, and can hold inserts until released. */
class FakeStore implements MetricStore {
  readonly kind = 'postgres' as const;
  readonly inserts: MetricPointRow[][] = [];
  attempts = 0;
  failuresLeft = 0;
  inFlight = 0;
  maxInFlight = 0;
  private held: Promise<void> | null = null;
  private releaseHeld: () => void = () => {};

  hold(): void {
    this.held = new Promise((resolve) => (this.releaseHeld = resolve));
  }

  release(): void {
    this.held = null;
    this.releaseHeld();
  }

  get written(): number[] {
    return this.inserts.flat().map((p) => p.rowIndex);
  }

  async insert(points: readonly MetricPointRow[]): Promise<void> {
    this.attempts++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      while (this.held) await this.held;
      if (this.failuresLeft > 0) {
        this.failuresLeft--;
        throw new Error('store unavailable');
      }
      this.inserts.push([...points]);
    } finally {
      this.inFlight--;
    }
  }

  summaries(): never {
    throw new Error('not used');
  }
  series(): never {
    throw new Error('not used');
  }
  values(): never {
    throw new Error('not used');
  }
  count(): never {
    throw new Error('not used');
  }
  async close(): Promise<void> {}
}

let next = 0;
/** Points numbered in rowIndex, so the order they reach the store shows. */
const points = (n: number): MetricPointRow[] =>
  Array.from({ length: n }, () => ({
    projectId: 'p',
    experimentId: 'e',
    runId: 'r',
    taskId: `t${next}`,
    modelId: 'm',
    promptVersionId: 'v',
    rowIndex: next++,
    repetition: 0,
    name: 'score',
    value: 0.5,
    timeMs: 1_000,
  }));
const rowsOf = (list: MetricPointRow[]) => list.map((p) => p.rowIndex);

function writerFor(store: FakeStore, options: Partial<MetricWriterOptions> = {}) {
  const logs: { level: number; msg: string; notWritten?: number }[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const writer = new MetricWriter(store, logger, { flushMs: 60_000, retryInitialDelayMs: 1, retryMaxDelayMs: 4, ...options });
  return { writer, logs };
}

/** Lets pending promises and setImmediate callbacks run. */
const settle = async (rounds = 20) => {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
};

afterEach(() => {
  vi.useRealTimers();
});

describe('MetricWriter', () => {
  it('inserts as soon as batchSize points wait, taking every point waiting', async () => {
    const store = new FakeStore();
    const { writer } = writerFor(store, { batchSize: 3 });
    const all = points(9);
    await writer.write(all.slice(0, 2));
    await settle();
    expect(store.attempts).toBe(0);
    store.hold();
    await writer.write(all.slice(2, 3));
    await settle();
    expect(store.attempts).toBe(1);
    // Written while the first insert is in flight: the next insert takes all four.
    await writer.write(all.slice(3, 5));
    await writer.write(all.slice(5, 7));
    store.release();
    await settle();
    expect(store.inserts.map((batch) => batch.length)).toEqual([3, 4]);
    await writer.write(all.slice(7));
    await settle();
    expect(writer.stats()).toEqual({ buffered: 2, inserted: 7, failedInserts: 0 });
    await writer.flush();
    expect(store.inserts.map((batch) => batch.length)).toEqual([3, 4, 2]);
    expect(store.written).toEqual(rowsOf(all));
    await writer.close(1_000);
  });

  it('inserts a smaller batch flushMs after its first point arrived', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const store = new FakeStore();
    const { writer } = writerFor(store, { batchSize: 100, flushMs: 1_000 });
    await writer.write(points(2));
    await vi.advanceTimersByTimeAsync(600);
    await writer.write(points(1));
    await vi.advanceTimersByTimeAsync(399);
    await settle();
    expect(store.inserts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(store.inserts.map((batch) => batch.length)).toEqual([3]);
    await writer.close(1_000);
  });

  it('retries a failed insert until the store takes it, losing and reordering nothing', async () => {
    const store = new FakeStore();
    store.failuresLeft = 4;
    const { writer, logs } = writerFor(store, { batchSize: 4 });
    const all = points(10);
    for (const p of all) await writer.write([p]);
    await writer.flush();
    expect(store.written).toEqual(rowsOf(all));
    expect(writer.stats()).toEqual({ buffered: 0, inserted: 10, failedInserts: 4 });
    expect(logs.filter((l) => l.msg.includes('retrying'))).toHaveLength(4);
    await writer.close(1_000);
  });

  it('has one insert in flight at a time', async () => {
    const store = new FakeStore();
    const { writer } = writerFor(store, { batchSize: 2 });
    await Promise.all(Array.from({ length: 20 }, () => writer.write(points(1))));
    await writer.flush();
    expect(store.maxInFlight).toBe(1);
    expect(store.written).toHaveLength(20);
    await writer.close(1_000);
  });

  it('makes write() wait for room once maxBuffered points are held, and admits waiting writes in call order', async () => {
    const store = new FakeStore();
    store.hold();
    const { writer } = writerFor(store, { batchSize: 2, maxBuffered: 4 });
    // A batch of 2 in flight (held), 1 waiting: room for 1.
    const first = points(3);
    await writer.write(first);
    await settle();
    // The second does not fit; the third would, but comes after it.
    const [second, third] = [points(2), points(1)];
    let secondDone = false;
    let thirdDone = false;
    const writes = [writer.write(second).then(() => (secondDone = true)), writer.write(third).then(() => (thirdDone = true))];
    await settle();
    expect([secondDone, thirdDone]).toEqual([false, false]);
    expect(writer.stats()).toEqual({ buffered: 6, inserted: 0, failedInserts: 0 });
    store.release();
    await Promise.all(writes);
    await writer.flush();
    expect(store.written).toEqual(rowsOf([...first, ...second, ...third]));
    expect(Math.max(...store.inserts.map((batch) => batch.length))).toBeLessThanOrEqual(4);
    await writer.close(1_000);
  });

  it('takes a write larger than maxBuffered, in pieces, in order', async () => {
    const store = new FakeStore();
    const { writer } = writerFor(store, { batchSize: 3, maxBuffered: 5 });
    const all = points(23);
    await writer.write(all);
    await writer.flush();
    expect(store.written).toEqual(rowsOf(all));
    await writer.close(1_000);
  });

  it('refuses a point no store could take, keeping nothing of that write', async () => {
    const store = new FakeStore();
    const { writer } = writerFor(store);
    const [good, bad] = points(2);
    await expect(writer.write([good!, { ...bad!, value: Number.NaN }])).rejects.toThrow(RangeError);
    await expect(writer.write([{ ...bad!, rowIndex: -1 }])).rejects.toThrow(RangeError);
    await expect(writer.write([{ ...bad!, timeMs: 1.5 }])).rejects.toThrow(RangeError);
    expect(writer.stats().buffered).toBe(0);
    await writer.close(1_000);
  });

  it('writes what is waiting on close, then refuses writes', async () => {
    const store = new FakeStore();
    const { writer } = writerFor(store, { batchSize: 100 });
    const all = points(5);
    await writer.write(all);
    await writer.close(1_000);
    expect(store.written).toEqual(rowsOf(all));
    await expect(writer.write(points(1))).rejects.toThrow(/after close/);
  });

  it('gives up on close after timeoutMs, saying how many points were not written', async () => {
    const store = new FakeStore();
    store.failuresLeft = Number.POSITIVE_INFINITY;
    const { writer, logs } = writerFor(store, { batchSize: 2, maxBuffered: 2 });
    await writer.write(points(2));
    const blocked = writer.write(points(3));
    const started = Date.now();
    await writer.close(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);
    await expect(blocked).rejects.toThrow(/closed before/);
    const gaveUp = logs.find((l) => l.level === 50);
    expect(gaveUp?.notWritten).toBe(5);
    expect(gaveUp?.msg).toContain('5 points not written');
    expect(store.inserts).toHaveLength(0);
    expect(writer.stats().failedInserts).toBeGreaterThan(1);
  });
});
