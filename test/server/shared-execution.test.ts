/**
 * sharedSubscribe's direct path (src/server/shared-execution.ts) over a real graphql-ws server and
 * real sockets: the frames it writes are the ones graphql-ws would write, frames made in one turn
 * leave in one write per socket, live run events go out in the publisher's call when they can, and
 * a client that completes, or a socket that closes, stops the stream it was reading.
 * Run events' own bounds (a subscriber that never reads) are in test/runs/subscriber-limits.test.ts.
 */
import { EventEmitter, on } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { GraphQLError, GraphQLInt, parse, GraphQLObjectType, GraphQLSchema, GraphQLString, type ExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { pino } from 'pino';
import { TAKE_LIVE, type LiveTaker } from '../../src/common/live-stream.js';
import { runEventStream } from '../../src/modules/runs/run-events.js';
import type { RunEventJson } from '../../src/modules/runs/tasks.repo.js';
import { operationKey, sharedSubscribe, streamOnlyVariables, type OperationSink } from '../../src/server/shared-execution.js';
import { createLabPubSub, type LabPubSub } from '../../src/storage/pubsub.js';

type Tick = { n: number };

/** Live events handed over by run event streams' fast lane, counted by the harness. */
const taken = { count: 0 };
const RUN = '00000000-0000-4000-8000-000000000001';

/**
 * A schema whose subscription `tick` yields what is emitted on `bus` (`fails` is an error on odd
 * ticks), and `runEvent` a run's events from `pubsub` through runEventStream (`later` resolves
 * through a promise).
 */
function tickSchema(bus: EventEmitter, returned: { count: number }, pubsub: LabPubSub) {
  const RunEvent = new GraphQLObjectType<RunEventJson>({
    name: 'RunEvent',
    fields: {
      sequence: { type: GraphQLInt },
      later: { type: GraphQLString, resolve: async (e) => `later ${e.sequence}` },
    },
  });
  const Tick = new GraphQLObjectType<Tick>({
    name: 'Tick',
    fields: {
      n: { type: GraphQLInt },
      text: { type: GraphQLString, resolve: (t) => `tick ${t.n} \u00e9\u2713` },
      fails: {
        type: GraphQLString,
        resolve: (t) => {
          if (t.n % 2 === 1) throw new Error(`odd tick ${t.n}`);
          return 'even';
        },
      },
    },
  });
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        tick: {
          type: Tick,
          subscribe: async function* () {
            try {
              for await (const [tick] of on(bus, 'tick')) yield tick as Tick;
            } finally {
              returned.count += 1;
            }
          },
          resolve: (tick: unknown) => tick,
        },
        runEvent: {
          type: RunEvent,
          subscribe: () => {
            const stream = runEventStream(pubsub, async () => [], RUN, 0);
            const offer = stream[TAKE_LIVE];
            stream[TAKE_LIVE] = (taker: LiveTaker) =>
              offer((item) => {
                const took = taker(item);
                if (took) taken.count += 1;
                return took;
              });
            return stream;
          },
          resolve: (event: unknown) => event,
        },
      },
    }),
  });
}

interface Harness {
  url: string;
  bus: EventEmitter;
  pubsub: LabPubSub;
  returned: { count: number };
  raws: Duplex[];
  /** The server's side of each WebSocket. */
  sockets: WebSocket[];
  close(): Promise<void>;
}

/** A graphql-ws server over `ws` wired as src/server/app.ts wires it; `direct: false` leaves every result to graphql-ws. */
async function startServer(direct: boolean): Promise<Harness> {
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const returned = { count: 0 };
  const pubsub = createLabPubSub(undefined, pino({ level: 'silent' })).pubsub;
  const schema = tickSchema(bus, returned, pubsub);
  const httpServer: Server = createServer();
  const wsServer = new WebSocketServer({ noServer: true });
  const rawSockets = new WeakMap<WebSocket, Duplex>();
  const raws: Duplex[] = [];
  const sockets: WebSocket[] = [];
  httpServer.on('upgrade', (req, socket, head) =>
    wsServer.handleUpgrade(req, socket, head, (ws) => {
      rawSockets.set(ws, socket);
      raws.push(socket);
      sockets.push(ws);
      wsServer.emit('connection', ws, req);
    }),
  );
  const sinks = new WeakMap<object, OperationSink>();
  // What the lab does to errors (masking): here, a marker, so that both paths can be compared.
  const shownError = (e: GraphQLError) => new GraphQLError(`shown: ${e.message}`, { path: e.path, extensions: { code: 'INTERNAL' } });
  const cleanup = useServer<Record<string, unknown>, Record<string, unknown>>(
    {
      schema,
      subscribe: sharedSubscribe(
        (args) => args.document.loc?.source.body ?? null,
        (args) => sinks.get(args.contextValue as object) ?? null,
      ),
      onSubscribe: (ctx, id, payload) => {
        const contextValue = {};
        const raw = rawSockets.get(ctx.extra.socket as WebSocket);
        if (direct && raw) {
          sinks.set(contextValue, { socket: ctx.extra.socket as WebSocket, raw, id, shown: (r) => ({ ...r, errors: r.errors!.map(shownError) }), sent: () => {} });
        }
        return { schema, document: parse(payload.query), variableValues: payload.variables, contextValue };
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        const { errors } = result as ExecutionResult;
        return errors ? { ...result, errors: errors.map(shownError) } : result;
      },
    },
    wsServer,
    0,
  );
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}`,
    bus,
    pubsub,
    returned,
    raws,
    sockets,
    close: async () => {
      await cleanup.dispose();
      httpServer.closeAllConnections();
      await new Promise((resolve) => httpServer.close(resolve));
    },
  };
}

/** A raw graphql-transport-ws client: the text of every frame it receives. */
async function rawClient(url: string): Promise<{ socket: WebSocket; frames: string[]; waitFor(n: number): Promise<void> }> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const frames: string[] = [];
  socket.on('message', (data) => frames.push(String(data)));
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'connection_init' }));
  const waitFor = async (n: number) => {
    const deadline = Date.now() + 5_000;
    while (frames.length < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} frames (have ${frames.length})`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await waitFor(1);
  return { socket, frames, waitFor };
}

const QUERY = 'subscription { tick { n text fails } }';

/** A raw client subscribed to `tick` as `id`, once the server reads the bus. */
async function tickSubscriber(harness: Harness, id = '1'): Promise<Awaited<ReturnType<typeof rawClient>>> {
  const client = await rawClient(harness.url);
  client.socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query: QUERY } }));
  await untilListening(harness);
  return client;
}

/** Waits until the server's stream listens on the bus (graphql-ws does not say when a subscription started). */
async function untilListening(harness: Harness): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (harness.bus.listenerCount('tick') === 0) {
    if (Date.now() > deadline) throw new Error('the subscription never started');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Subscribes, waits until the server reads the bus, then emits ticks 1..count in one turn. */
async function ticksOver(harness: Harness, count: number): Promise<string[]> {
  const client = await tickSubscriber(harness, 'op-\u00e91');
  for (let n = 1; n <= count; n++) harness.bus.emit('tick', { n });
  await client.waitFor(1 + count);
  client.socket.close();
  return client.frames.slice(1);
}

describe('sharedSubscribe writing results straight to the socket', () => {
  let harnesses: Harness[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.map((h) => h.close()));
    harnesses = [];
  });
  const start = async (direct: boolean) => {
    const harness = await startServer(direct);
    harnesses.push(harness);
    return harness;
  };

  it('sends, byte for byte, the frames graphql-ws sends, with and without errors', async () => {
    const viaGraphqlWs = await ticksOver(await start(false), 6);
    const direct = await ticksOver(await start(true), 6);
    expect(direct).toEqual(viaGraphqlWs);
    expect(JSON.parse(direct[0]!)).toEqual({
      id: 'op-\u00e91',
      type: 'next',
      payload: { data: { tick: { n: 1, text: 'tick 1 \u00e9\u2713', fails: null } }, errors: [{ message: 'shown: odd tick 1', path: ['tick', 'fails'], extensions: { code: 'INTERNAL' } }] },
    });
    expect(JSON.parse(direct[1]!).payload).toEqual({ data: { tick: { n: 2, text: 'tick 2 \u00e9\u2713', fails: 'even' } } });
  });

  it('writes the frames made in one turn of the event loop in one write per socket', async () => {
    const harness = await start(true);
    const client = await tickSubscriber(harness);
    const [raw] = harness.raws as (Duplex & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void })[];
    let writes = 0;
    for (const method of ['_write', '_writev'] as const) {
      const original = raw![method];
      raw![method] = function (this: Duplex, ...args: unknown[]) {
        writes += 1;
        return original.apply(this, args);
      };
    }
    for (let n = 1; n <= 50; n++) harness.bus.emit('tick', { n });
    await client.waitFor(51);
    expect(client.frames.slice(1).map((f) => JSON.parse(f).payload.data.tick.n)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // graphql-ws alone writes each frame when the previous one's write ended: 50 writes.
    expect(writes).toBe(1);
    client.socket.close();
  });

  it('stops the stream when the client completes, and the socket goes on serving', async () => {
    const harness = await start(true);
    const client = await tickSubscriber(harness);
    harness.bus.emit('tick', { n: 2 });
    await client.waitFor(2);
    client.socket.send(JSON.stringify({ id: '1', type: 'complete' }));
    // An async generator waiting for its next value ends when that value comes.
    const deadline = Date.now() + 5_000;
    while (harness.returned.count === 0) {
      harness.bus.emit('tick', { n: 4 });
      if (Date.now() > deadline) throw new Error('the stream was never returned');
      await new Promise((r) => setTimeout(r, 5));
    }
    // Ticks emitted before the server read the client's complete may still come; none after the stream ended.
    const framesWhenReturned = client.frames.length;
    harness.bus.emit('tick', { n: 4 });
    // The socket still serves new operations.
    client.socket.send(JSON.stringify({ id: '2', type: 'subscribe', payload: { query: QUERY } }));
    await untilListening(harness);
    harness.bus.emit('tick', { n: 6 });
    await client.waitFor(framesWhenReturned + 1);
    expect(client.frames.slice(framesWhenReturned).map((f) => JSON.parse(f))).toEqual([{ id: '2', type: 'next', payload: { data: { tick: { n: 6, text: 'tick 6 é✓', fails: 'even' } } } }]);
    client.socket.close();
  });
  it('writes live run events in the publisher\'s call when their result needs no promise, in order with those that do', async () => {
    const harness = await start(true);
    const fast = await rawClient(harness.url);
    const slow = await rawClient(harness.url);
    fast.socket.send(JSON.stringify({ id: 'f', type: 'subscribe', payload: { query: 'subscription { runEvent { sequence } }' } }));
    slow.socket.send(JSON.stringify({ id: 's', type: 'subscribe', payload: { query: 'subscription { runEvent { sequence later } }' } }));
    const event = (sequence: number, status: string | null = null): RunEventJson => ({ run_id: RUN, sequence, task: null, status, error: null, progress: {} });
    // Until both streams listen (they start with an empty replay), publish nothing.
    await new Promise((r) => setTimeout(r, 100));
    taken.count = 0;
    for (let sequence = 1; sequence <= 5; sequence++) harness.pubsub.publish('run:events', RUN, event(sequence));
    await new Promise((r) => setTimeout(r, 50));
    for (let sequence = 6; sequence <= 9; sequence++) harness.pubsub.publish('run:events', RUN, event(sequence));
    harness.pubsub.publish('run:events', RUN, event(10, 'SUCCEEDED'));
    await fast.waitFor(1 + 11);
    await slow.waitFor(1 + 11);
    const nexts = (frames: string[]) => frames.map((f) => JSON.parse(f) as { type: string; payload?: { data: { runEvent: { sequence: number; later?: string } } } });
    const seen = (frames: string[]) => nexts(frames).filter((m) => m.type === 'next').map((m) => m.payload!.data.runEvent.sequence);
    expect(seen(fast.frames)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seen(slow.frames)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(nexts(slow.frames).find((m) => m.type === 'next')!.payload!.data.runEvent.later).toBe('later 1');
    expect(nexts(fast.frames).at(-1)!.type).toBe('complete');
    expect(nexts(slow.frames).at(-1)!.type).toBe('complete');
    // The fast subscriber took every live event but the final one (which ends its stream through next()); the other's
    // results are promises, so none of its events went that way.
    expect(taken.count).toBe(9);
    fast.socket.close();
    slow.socket.close();
  });

  it('ends the stream when the socket closes while events flow (an event met in the closing handshake)', async () => {
    const harness = await start(true);
    await tickSubscriber(harness);
    // The server closes (a revoked key): ws is CLOSING at once, its close event (graphql-ws's cue) comes a round trip later.
    harness.sockets[0]!.close(4401, 'revoked');
    harness.bus.emit('tick', { n: 2 });
    const deadline = Date.now() + 5_000;
    while (harness.returned.count === 0 || harness.bus.listenerCount('tick') > 0) {
      if (Date.now() > deadline) throw new Error(`the stream was not ended (returned ${harness.returned.count}, listeners ${harness.bus.listenerCount('tick')})`);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(harness.returned.count).toBe(1);
  });
});

describe('operationKey: what an event\'s result depends on', () => {
  const Item = new GraphQLObjectType({ name: 'Item', fields: { n: { type: GraphQLInt, args: { times: { type: GraphQLInt } } } } });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        stream: { type: Item, args: { id: { type: GraphQLString }, after: { type: GraphQLInt } }, extensions: { eventIgnoresArgs: true } },
        other: { type: Item, args: { id: { type: GraphQLString } } },
      },
    }),
  });
  const only = (query: string) => [...streamOnlyVariables(schema, parse(query))].sort();

  it('leaves out the variables used only in the arguments of a field marked eventIgnoresArgs', () => {
    expect(only('subscription($id: String, $after: Int) { stream(id: $id, after: $after) { n } }')).toEqual(['after', 'id']);
    // Used below the root too, in a directive, or by an unmarked field: kept.
    expect(only('subscription($id: String, $after: Int) { stream(id: $id, after: $after) { n(times: $after) } }')).toEqual(['id']);
    expect(only('subscription($id: String, $on: Boolean!) { stream(id: $id) @include(if: $on) { n } }')).toEqual(['id']);
    expect(only('subscription($id: String) { other(id: $id) { n } }')).toEqual([]);
    expect(only('query($id: String) { ok }')).toEqual([]);
  });

  it('gives subscribers that differ only in those variables one key, and others their own', () => {
    const query = 'subscription S($id: String, $after: Int, $times: Int) { stream(id: $id, after: $after) { n(times: $times) } }';
    const document = parse(query);
    const key = (variables: Record<string, unknown>, scope: unknown[] = ['project-1', 'VIEWER']) => operationKey(schema, query, document, 'S', variables, scope);
    expect(key({ id: 'a', after: 0, times: 2 })).toBe(key({ id: 'a', after: 17, times: 2 }));
    expect(key({ id: 'a', after: 0, times: 2 })).not.toBe(key({ id: 'a', after: 0, times: 3 }));
    expect(key({ id: 'a', after: 0, times: 2 })).not.toBe(key({ id: 'a', after: 0, times: 2 }, ['project-2', 'VIEWER']));
    expect(key({ id: 'a', after: 0, times: 2 })).not.toBe(key({ id: 'a', after: 0, times: 2 }, ['project-1', 'ADMIN']));
    expect(key({ id: 'a' })).not.toBe(operationKey(schema, `${query} `, parse(`${query} `), 'S', { id: 'a' }, ['project-1', 'VIEWER']));
  });
});
