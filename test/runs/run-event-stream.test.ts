import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TAKE_LIVE } from '../../src/common/live-stream.js';
import { runEventStream } from '../../src/modules/runs/run-events.js';
import type { RunEventJson } from '../../src/modules/runs/tasks.repo.js';
import { createLabPubSub } from '../../src/storage/pubsub.js';

const RUN = '00000000-0000-4000-8000-000000000001';
const event = (sequence: number, status: string | null = null): RunEventJson => ({
  run_id: RUN,
  sequence,
  task: status === null ? { id: `task-${sequence}` } : null,
  status,
  error: null,
  progress: {},
});
/** A store of events: readAfter as run_events answers it. */
const store = (events: RunEventJson[]) => async (after: number, limit: number) => events.filter((e) => e.sequence > after).slice(0, limit);
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('runEventStream (unit: in-process pub/sub, a store in memory)', () => {
  it('listens before it reads: an event published while the store is read is not lost', async () => {
    const pubsub = createLabPubSub(undefined, pino({ level: 'silent' })).pubsub;
    let published = false;
    const stream = runEventStream(
      pubsub,
      async () => {
        // Committed and published after the read's snapshot: only the live side can see it.
        if (!published) {
          published = true;
          await tick();
          pubsub.publish('run:events', RUN, event(1, 'SUCCEEDED'));
        }
        return [];
      },
      RUN,
      0,
    );
    const seen = [];
    for await (const e of stream) seen.push(e.sequence);
    expect(seen).toEqual([1]);
  });

  it('skips what it gave and fills a gap from the store, in order', async () => {
    const pubsub = createLabPubSub(undefined, pino({ level: 'silent' })).pubsub;
    const stored = [event(1), event(2)];
    const stream = runEventStream(pubsub, store(stored), RUN, 0);
    const seen: number[] = [];
    const reading = (async () => {
      for await (const e of stream) seen.push(e.sequence);
    })();
    await tick();
    stored.push(event(3));
    pubsub.publish('run:events', RUN, event(2));
    pubsub.publish('run:events', RUN, event(4));
    pubsub.publish('run:events', RUN, event(3));
    stored.push(event(4), event(5, 'SUCCEEDED'));
    pubsub.publish('run:events', RUN, event(5, 'SUCCEEDED'));
    await reading;
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('ends a subscriber that falls too far behind, saying how to resume, holding no more than the bound', async () => {
    const pubsub = createLabPubSub(undefined, pino({ level: 'silent' })).pubsub;
    const stream = runEventStream(pubsub, store([]), RUN, 0, 5);
    const first = stream.next();
    await tick();
    pubsub.publish('run:events', RUN, event(1));
    expect((await first).value).toMatchObject({ sequence: 1 });
    // It stops reading while 20 more events arrive.
    for (let s = 2; s <= 21; s++) pubsub.publish('run:events', RUN, event(s));
    await tick();
    const seen: number[] = [];
    const error = await (async () => {
      try {
        for await (const e of stream) seen.push(e.sequence);
      } catch (err) {
        return err as { code: string; message: string; details: Record<string, unknown> };
      }
      return null;
    })();
    expect(seen).toEqual([]);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', details: { afterSequence: 1 } });
    expect(error!.message).toMatch(/fell more than 5 events behind .* afterSequence: 1 to resume/);
  });

  it('hands a waiting taker the next live event in the publisher\'s call, and the rest (stored, refused, final) through next()', async () => {
    const pubsub = createLabPubSub(undefined, pino({ level: 'silent' })).pubsub;
    const stream = runEventStream(pubsub, store([event(1)]), RUN, 0);
    const taken: number[] = [];
    let refuse = false;
    stream[TAKE_LIVE]((item) => {
      if (refuse) return false;
      taken.push((item as RunEventJson).sequence);
      return true;
    });
    const seen: number[] = [];
    let wake: () => void = () => {};
    const reading = (async () => {
      for await (const e of stream) {
        seen.push(e.sequence);
        wake();
      }
    })();
    await tick();
    // The stored event comes through next(); live ones in order go to the taker as they are published.
    expect(seen).toEqual([1]);
    pubsub.publish('run:events', RUN, event(2));
    pubsub.publish('run:events', RUN, event(3));
    expect(taken).toEqual([2, 3]);
    // Refused: through next(), and the taker is not offered the one after it until next() is waiting again.
    refuse = true;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    pubsub.publish('run:events', RUN, event(4));
    refuse = false;
    pubsub.publish('run:events', RUN, event(5));
    await woken;
    await tick();
    expect(seen).toEqual([1, 4, 5]);
    // next() waits again: the next in order goes to the taker; the final one ends the stream through next().
    pubsub.publish('run:events', RUN, event(6));
    expect(taken).toEqual([2, 3, 6]);
    pubsub.publish('run:events', RUN, event(7, 'SUCCEEDED'));
    await reading;
    expect(seen).toEqual([1, 4, 5, 7]);
    expect(taken).toEqual([2, 3, 6]);
  });
});
